// Corpus tests: real-world-shaped messages in test/fixtures/mime. Every expected value below
// was written by reading the fixture, not copied from the parser's output. For every part we
// check the BODYSTRUCTURE material and that slicing the raw bytes at its offsets gives exactly
// the header and body text, which is what IMAP BODY[n], BODY[n.MIME] and BODY[n.HEADER] serve.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import { parseMessage, parseHeaderBlock, findPart, type MimePart, type ParsedMessage } from '../src/wire/mime/index.ts';

const load = (name: string): Buffer => readFileSync(new URL(`./fixtures/mime/${name}`, import.meta.url));
const crlf = (s: string): string => s.replace(/\n/g, '\r\n');

interface Expected {
  section: string;
  type: string;
  subtype: string;
  params: Record<string, string>;
  encoding?: string;
  lines: number | null;
  disposition?: { type: string; params: Record<string, string> } | null;
  id?: string | null;
  description?: string | null;
  /** Exact header block bytes (including the blank line), as text or bytes. */
  header: string | Buffer;
  body: string | Buffer;
  parts?: number;
}

const bytes = (v: string | Buffer): Buffer => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v);

function checkPart(raw: Buffer, part: MimePart | null, e: Expected): void {
  assert.ok(part, `part ${e.section} exists`);
  const where = `part "${e.section}"`;
  assert.equal(part.section, e.section, where);
  assert.equal(part.type, e.type, where);
  assert.equal(part.subtype, e.subtype, where);
  assert.deepEqual({ ...part.params }, e.params, where);
  assert.equal(part.encoding, e.encoding ?? '7BIT', where);
  assert.equal(part.lines, e.lines, where);
  if (e.disposition !== undefined) assert.deepEqual(part.disposition && { type: part.disposition.type, params: { ...part.disposition.params } }, e.disposition, where);
  if (e.id !== undefined) assert.equal(part.id, e.id, where);
  if (e.description !== undefined) assert.equal(part.description, e.description, where);
  assert.equal(part.bodyStart, part.headerEnd, where);
  assert.deepEqual(raw.subarray(part.headerStart, part.headerEnd), bytes(e.header), `${where} header bytes`);
  assert.deepEqual(raw.subarray(part.bodyStart, part.bodyEnd), bytes(e.body), `${where} body bytes`);
  assert.equal(part.size, bytes(e.body).length, `${where} size`);
  if (e.parts !== undefined) assert.equal(part.parts.length, e.parts, `${where} children`);
}

const addr = (name: string | null, mailbox: string, host: string) => ({ name, adl: null, mailbox, host });

function parse(name: string): { raw: Buffer; msg: ParsedMessage; root: MimePart } {
  const raw = load(name);
  const msg = parseMessage(raw);
  return { raw, msg, root: msg.summary.root };
}

test('simple text/plain message', () => {
  const { raw, msg, root } = parse('simple.eml');
  const s = msg.summary;
  const alice = addr('Alice Example', 'alice', 'example.org');
  assert.deepEqual(s.envelope, {
    date: 'Tue, 01 Jul 2025 10:52:37 +0200',
    subject: 'Lunch on Friday?',
    from: [alice],
    sender: [alice],
    replyTo: [alice],
    to: [addr('Bob', 'bob', 'example.com'), addr(null, 'carol', 'example.net')],
    cc: [addr('Doe, Dave', 'dave', 'example.com')],
    bcc: null,
    inReplyTo: null,
    messageId: '<20250701105237.1@example.org>',
  });
  checkPart(raw, root, {
    section: '', type: 'text', subtype: 'plain', params: { charset: 'us-ascii' }, lines: 5, parts: 0,
    header: crlf(`Return-Path: <alice@example.org>
Received: from mx.example.org (mx.example.org [192.0.2.1])
\tby mail.example.com with ESMTPS; Tue, 01 Jul 2025 10:52:40 +0200
From: Alice Example <alice@example.org>
To: Bob <bob@example.com>, carol@example.net
Cc: "Doe, Dave" <dave@example.com>
Subject: Lunch on Friday?
Date: Tue, 01 Jul 2025 10:52:37 +0200
Message-ID: <20250701105237.1@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

`),
    body: crlf('Hi Bob,\n\nare you free for lunch on Friday?\n\nAlice\n'),
  });
  assert.equal(s.subject, 'Lunch on Friday?');
  assert.equal(s.baseSubject, 'Lunch on Friday?');
  assert.deepEqual(s.from, [{ name: 'Alice Example', address: 'alice@example.org' }]);
  assert.deepEqual(s.to, [{ name: 'Bob', address: 'bob@example.com' }, { name: '', address: 'carol@example.net' }]);
  assert.deepEqual(s.cc, [{ name: 'Doe, Dave', address: 'dave@example.com' }]);
  assert.equal(s.sentDate, Date.UTC(2025, 6, 1, 8, 52, 37));
  assert.equal(s.messageId, '20250701105237.1@example.org');
  assert.equal(s.preview, 'Hi Bob, are you free for lunch on Friday? Alice');
  assert.equal(s.hasAttachment, false);
  assert.equal(s.truncated, false);
  // RFC 9051 §6.4.5: a non-multipart message has one part, 1, which is its body.
  assert.equal(findPart(root, '1'), root);
  assert.equal(findPart(root, '2'), null);
  assert.equal(findPart(root, '1.1'), null);
  assert.match(msg.searchText, /are you free for lunch on Friday\?/);
});

test('multipart/alternative with quoted-printable UTF-8', () => {
  const { raw, msg, root } = parse('alternative-qp.eml');
  const s = msg.summary;
  assert.equal(s.envelope.subject, '=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=');
  assert.deepEqual(s.envelope.from, [addr('=?UTF-8?Q?J=C3=B6rg_M=C3=BCller?=', 'joerg', 'example.de')]);
  assert.deepEqual(s.envelope.to, [addr(null, 'team', 'example.com')]);
  assert.equal(s.envelope.messageId, '<alt.1@example.de>');
  assert.equal(s.subject, 'Grüße aus Köln');
  assert.deepEqual(s.from, [{ name: 'Jörg Müller', address: 'joerg@example.de' }]);
  checkPart(raw, root, {
    section: '', type: 'multipart', subtype: 'alternative', params: { boundary: '=_alt_boundary_42' }, lines: null, parts: 2,
    header: crlf(`From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <joerg@example.de>
To: team@example.com
Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=
Date: Wed, 02 Jul 2025 08:00:00 +0000
Message-ID: <alt.1@example.de>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="=_alt_boundary_42"

`),
    body: crlf(`This is a multi-part message in MIME format.

--=_alt_boundary_42
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

Gr=C3=BC=C3=9Fe aus K=C3=B6ln! Das Caf=C3=A9 =
ist ge=C3=B6ffnet.
--=_alt_boundary_42
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

<html><body><p>Gr=C3=BC=C3=9Fe aus <b>K=C3=B6ln</b>!</p></body></html>
--=_alt_boundary_42--
`),
  });
  checkPart(raw, root.parts[0], {
    section: '1', type: 'text', subtype: 'plain', params: { charset: 'UTF-8' }, encoding: 'QUOTED-PRINTABLE', lines: 2,
    header: crlf('Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: quoted-printable\n\n'),
    body: crlf('Gr=C3=BC=C3=9Fe aus K=C3=B6ln! Das Caf=C3=A9 =\nist ge=C3=B6ffnet.'),
  });
  checkPart(raw, root.parts[1], {
    section: '2', type: 'text', subtype: 'html', params: { charset: 'UTF-8' }, encoding: 'QUOTED-PRINTABLE', lines: 1,
    header: crlf('Content-Type: text/html; charset=UTF-8\nContent-Transfer-Encoding: quoted-printable\n\n'),
    body: '<html><body><p>Gr=C3=BC=C3=9Fe aus <b>K=C3=B6ln</b>!</p></body></html>',
  });
  assert.equal(s.preview, 'Grüße aus Köln! Das Café ist geöffnet.');
  assert.equal(s.hasAttachment, false);
  assert.match(msg.searchText, /Das Café ist geöffnet/);
  assert.equal(findPart(root, '2'), root.parts[1]);
});

test('multipart/mixed with base64 attachment and RFC 2231 file names', () => {
  const { raw, msg, root } = parse('mixed-attachment.eml');
  assert.equal(root.parts.length, 3);
  checkPart(raw, root.parts[0], {
    section: '1', type: 'text', subtype: 'plain', params: { charset: 'us-ascii' }, lines: 1, disposition: null,
    header: crlf('Content-Type: text/plain\n\n'),
    body: 'Please find the rates attached.',
  });
  checkPart(raw, root.parts[1], {
    section: '2', type: 'application', subtype: 'pdf', params: { name: 'rates.pdf' }, encoding: 'BASE64', lines: null,
    disposition: { type: 'attachment', params: { filename: '€ rates.pdf' } },
    header: crlf(`Content-Type: application/pdf; name="rates.pdf"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename*=UTF-8''%E2%82%AC%20rates.pdf

`),
    body: crlf('JVBERi0xLjQKMSAwIG9iaiA8PC9UeXBlL0NhdGFsb2c+PiBlbmRvYmoKdHJhaWxl\nciA8PC9Sb290IDEgMCBSPj4KJSVFT0YK'),
  });
  checkPart(raw, root.parts[2], {
    section: '3', type: 'text', subtype: 'csv', params: { charset: 'iso-8859-1', name: 'Données du trimestre.csv' },
    encoding: 'QUOTED-PRINTABLE', lines: 2, id: '<csv1@example.com>', description: 'Quarterly data',
    disposition: { type: 'attachment', params: { filename: 'Données du trimestre.csv', size: '27' } },
    header: crlf(`Content-Type: text/csv; charset=iso-8859-1;
 name*0*=iso-8859-1'fr'Donn%E9es%20;
 name*1="du trimestre";
 name*2*=%2Ecsv
Content-Disposition: attachment;
 filename*0*=iso-8859-1'fr'Donn%E9es%20;
 filename*1="du trimestre";
 filename*2*=%2Ecsv;
 size=27
Content-Transfer-Encoding: quoted-printable
Content-ID: <csv1@example.com>
Content-Description: Quarterly data

`),
    body: crlf('ann=E9e;montant\njanvier;10000'),
  });
  const s = msg.summary;
  assert.equal(s.hasAttachment, true);
  assert.equal(s.preview, 'Please find the rates attached.');
  assert.equal(s.sentDate, Date.UTC(2025, 6, 3, 16, 0, 0));
  // Text attachments are searchable (decoded from ISO-8859-1); file names too; PDFs are not decoded.
  assert.match(msg.searchText, /année;montant/);
  assert.match(msg.searchText, /€ rates\.pdf/);
  assert.doesNotMatch(msg.searchText, /%PDF/);
});

test('nested multipart/mixed → alternative → related', () => {
  const { raw, msg, root } = parse('nested.eml');
  assert.deepEqual([root.type, root.subtype, root.parts.length], ['multipart', 'mixed', 2]);
  const related = crlf(`--rel-3
Content-Type: text/html; charset=utf-8

<p>Weekly digest <img src="cid:logo@example.com"></p>
--rel-3
Content-Type: image/png
Content-Transfer-Encoding: base64
Content-ID: <logo@example.com>
Content-Disposition: inline

iVBORw0KGgo=
--rel-3--`);
  checkPart(raw, findPart(root, '1'), {
    section: '1', type: 'multipart', subtype: 'alternative', params: { boundary: 'alt-2' }, lines: null, parts: 2,
    header: crlf('Content-Type: multipart/alternative; boundary="alt-2"\n\n'),
    body: crlf(`--alt-2
Content-Type: text/plain; charset=utf-8

Weekly digest, plain version.
--alt-2
Content-Type: multipart/related; boundary="rel-3"; type="text/html"

`) + related + crlf('\n--alt-2--'),
  });
  checkPart(raw, findPart(root, '1.1'), {
    section: '1.1', type: 'text', subtype: 'plain', params: { charset: 'utf-8' }, lines: 1,
    header: crlf('Content-Type: text/plain; charset=utf-8\n\n'),
    body: 'Weekly digest, plain version.',
  });
  checkPart(raw, findPart(root, '1.2'), {
    section: '1.2', type: 'multipart', subtype: 'related', params: { boundary: 'rel-3', type: 'text/html' }, lines: null, parts: 2,
    header: crlf('Content-Type: multipart/related; boundary="rel-3"; type="text/html"\n\n'),
    body: related,
  });
  checkPart(raw, findPart(root, '1.2.1'), {
    section: '1.2.1', type: 'text', subtype: 'html', params: { charset: 'utf-8' }, lines: 1,
    header: crlf('Content-Type: text/html; charset=utf-8\n\n'),
    body: '<p>Weekly digest <img src="cid:logo@example.com"></p>',
  });
  checkPart(raw, findPart(root, '1.2.2'), {
    section: '1.2.2', type: 'image', subtype: 'png', params: {}, encoding: 'BASE64', lines: null, id: '<logo@example.com>',
    disposition: { type: 'inline', params: {} },
    header: crlf('Content-Type: image/png\nContent-Transfer-Encoding: base64\nContent-ID: <logo@example.com>\nContent-Disposition: inline\n\n'),
    body: 'iVBORw0KGgo=',
  });
  checkPart(raw, findPart(root, '2'), {
    section: '2', type: 'text', subtype: 'plain', params: { charset: 'utf-8', name: 'notes.txt' }, lines: 1,
    disposition: { type: 'attachment', params: { filename: 'notes.txt' } },
    header: crlf('Content-Type: text/plain; charset=utf-8; name="notes.txt"\nContent-Disposition: attachment; filename="notes.txt"\n\n'),
    body: 'Attached notes.',
  });
  assert.equal(findPart(root, '1.2.3'), null);
  assert.equal(findPart(root, '1.1.1'), null);
  const s = msg.summary;
  assert.equal(s.subject, '[News] Weekly digest');
  assert.equal(s.baseSubject, 'Weekly digest');
  assert.equal(s.preview, 'Weekly digest, plain version.');
  assert.equal(s.hasAttachment, true);
});

test('message/rfc822 forwarded message containing a multipart', () => {
  const { raw, msg, root } = parse('forwarded.eml');
  const s = msg.summary;
  assert.equal(s.subject, 'Fwd: Project plan');
  assert.equal(s.baseSubject, 'Project plan');
  checkPart(raw, root.parts[0], {
    section: '1', type: 'text', subtype: 'plain', params: { charset: 'us-ascii' }, lines: 1,
    header: crlf('Content-Type: text/plain; charset=us-ascii\n\n'),
    body: 'See the forwarded message below.',
  });
  const innerHeader = crlf(`From: Carol <carol@example.net>
To: Bob <bob@example.com>
Subject: Project plan
Date: Fri, 04 Jul 2025 17:00:00 +0200
Message-ID: <plan-7@example.net>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="inner"

`);
  const innerBody = crlf(`--inner
Content-Type: text/plain; charset=us-ascii

Step 1: plan.
Step 2: do.
--inner
Content-Type: text/html; charset=us-ascii

<p>Step 1: plan.<br>Step 2: do.</p>
--inner--
`);
  const fwd = findPart(root, '2');
  checkPart(raw, fwd, {
    section: '2', type: 'message', subtype: 'rfc822', params: {}, lines: 18, parts: 0,
    disposition: { type: 'inline', params: {} },
    header: crlf('Content-Type: message/rfc822\nContent-Disposition: inline\n\n'),
    body: innerHeader + innerBody,
  });
  const carol = addr('Carol', 'carol', 'example.net');
  assert.deepEqual(fwd!.message!.envelope, {
    date: 'Fri, 04 Jul 2025 17:00:00 +0200',
    subject: 'Project plan',
    from: [carol],
    sender: [carol],
    replyTo: [carol],
    to: [addr('Bob', 'bob', 'example.com')],
    cc: null,
    bcc: null,
    inReplyTo: null,
    messageId: '<plan-7@example.net>',
  });
  const inner = fwd!.message!.root;
  checkPart(raw, inner, {
    section: '2', type: 'multipart', subtype: 'alternative', params: { boundary: 'inner' }, lines: null, parts: 2,
    header: innerHeader, body: innerBody,
  });
  assert.equal(inner.headerStart, fwd!.bodyStart);
  assert.equal(inner.bodyEnd, fwd!.bodyEnd);
  checkPart(raw, findPart(root, '2.1'), {
    section: '2.1', type: 'text', subtype: 'plain', params: { charset: 'us-ascii' }, lines: 2,
    header: crlf('Content-Type: text/plain; charset=us-ascii\n\n'),
    body: crlf('Step 1: plan.\nStep 2: do.'),
  });
  checkPart(raw, findPart(root, '2.2'), {
    section: '2.2', type: 'text', subtype: 'html', params: { charset: 'us-ascii' }, lines: 1,
    header: crlf('Content-Type: text/html; charset=us-ascii\n\n'),
    body: '<p>Step 1: plan.<br>Step 2: do.</p>',
  });
  assert.equal(findPart(root, '2.3'), null);
  assert.equal(findPart(root, '1.1'), null);
  assert.equal(s.hasAttachment, true);
  assert.equal(s.preview, 'See the forwarded message below.');
  assert.match(msg.searchText, /Project plan/);
  assert.match(msg.searchText, /Step 1: plan\./);
});

test('ISO-8859-1 subject, sender name and 8-bit body', () => {
  const { raw, msg, root } = parse('iso-8859-1.eml');
  const s = msg.summary;
  assert.equal(s.subject, 'Réunion déplacée');
  assert.deepEqual(s.from, [{ name: 'François Lefèvre', address: 'francois@example.fr' }]);
  assert.deepEqual(s.envelope.from, [addr('=?ISO-8859-1?Q?Fran=E7ois_Lef=E8vre?=', 'francois', 'example.fr')]);
  checkPart(raw, root, {
    section: '', type: 'text', subtype: 'plain', params: { charset: 'ISO-8859-1' }, encoding: '8BIT', lines: 1,
    header: raw.subarray(0, raw.indexOf('\r\n\r\n') + 4),
    body: Buffer.from('La r\xe9union est d\xe9plac\xe9e \xe0 jeudi.\r\n', 'latin1'),
  });
  assert.equal(s.preview, 'La réunion est déplacée à jeudi.');
});

test('windows-1252 subject and quoted-printable body', () => {
  const { raw, msg, root } = parse('windows-1252.eml');
  assert.equal(msg.summary.subject, 'Prix € et “guillemets”');
  checkPart(raw, root, {
    section: '', type: 'text', subtype: 'plain', params: { charset: 'windows-1252' }, encoding: 'QUOTED-PRINTABLE', lines: 1,
    header: crlf(`From: shop@example.com
To: client@example.org
Subject: =?windows-1252?Q?Prix_=80_et_=93guillemets=94?=
Date: Tue, 08 Jul 2025 11:00:00 +0200
MIME-Version: 1.0
Content-Type: text/plain; charset=windows-1252
Content-Transfer-Encoding: quoted-printable

`),
    body: crlf('Total : 42 =80 =96 =93merci=94\n'),
  });
  assert.equal(msg.summary.preview, 'Total : 42 € – “merci”');
});

test('ISO-2022-JP subject and body', () => {
  const { raw, msg, root } = parse('iso-2022-jp.eml');
  assert.equal(msg.summary.subject, 'こんにちは');
  assert.equal(msg.summary.envelope.subject, '=?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=');
  checkPart(raw, root, {
    section: '', type: 'text', subtype: 'plain', params: { charset: 'ISO-2022-JP' }, encoding: '7BIT', lines: 1,
    header: raw.subarray(0, raw.indexOf('\r\n\r\n') + 4),
    body: Buffer.from('\x1b$B$3$s$K$A$O@$3&\x1b(B\r\n', 'latin1'),
  });
  assert.equal(msg.summary.preview, 'こんにちは世界');
});

test('KOI8-R subject, name and base64 body', () => {
  const { raw, msg, root } = parse('koi8-r.eml');
  assert.equal(msg.summary.subject, 'Привет');
  assert.deepEqual(msg.summary.from, [{ name: 'Привет', address: 'ivan@example.ru' }]);
  checkPart(raw, root, {
    section: '', type: 'text', subtype: 'plain', params: { charset: 'KOI8-R' }, encoding: 'BASE64', lines: 1,
    header: raw.subarray(0, raw.indexOf('\r\n\r\n') + 4),
    body: '8NLJ18XULCDNydIhDQrrwcsgxMXMwT8NCg==\r\n',
  });
  assert.equal(msg.summary.preview, 'Привет, мир! Как дела?');
  assert.match(msg.searchText, /Как дела\?/);
});

test('missing Content-Type: text/plain; charset=us-ascii (RFC 2045 §5.2)', () => {
  const { raw, msg, root } = parse('no-content-type.eml');
  checkPart(raw, root, {
    section: '', type: 'text', subtype: 'plain', params: { charset: 'us-ascii' }, lines: 1,
    header: crlf('From: old@example.com\nTo: new@example.com\nSubject: No MIME here\nDate: 8 Jul 2025 10:00 GMT\n\n'),
    body: crlf('Plain old RFC 822 message.\n'),
  });
  assert.equal(msg.summary.sentDate, Date.UTC(2025, 6, 8, 10, 0, 0));
  assert.equal(msg.summary.envelope.date, '8 Jul 2025 10:00 GMT');
});

test('boundaries never closed: the outer delimiter ends the inner multipart', () => {
  const { raw, msg, root } = parse('broken-boundary.eml');
  assert.equal(root.parts.length, 2);
  checkPart(raw, root.parts[0], {
    section: '1', type: 'multipart', subtype: 'alternative', params: { boundary: 'inner' }, lines: null, parts: 1,
    header: crlf('Content-Type: multipart/alternative; boundary="inner"\n\n'),
    body: crlf('--inner\nContent-Type: text/plain\n\ninner text never closed'),
  });
  checkPart(raw, root.parts[0].parts[0], {
    section: '1.1', type: 'text', subtype: 'plain', params: { charset: 'us-ascii' }, lines: 1,
    header: crlf('Content-Type: text/plain\n\n'),
    body: 'inner text never closed',
  });
  checkPart(raw, root.parts[1], {
    section: '2', type: 'text', subtype: 'plain', params: { charset: 'us-ascii' }, lines: 1,
    header: crlf('Content-Type: text/plain\n\n'),
    body: crlf('last part, outer never closed\n'),
  });
  assert.equal(msg.summary.truncated, false);
});

test('bare LF line endings: offsets still exact', () => {
  const { raw, msg, root } = parse('bare-lf.eml');
  assert.equal(raw.includes('\r'), false);
  checkPart(raw, root, {
    section: '', type: 'multipart', subtype: 'mixed', params: { boundary: 'lf' }, lines: null, parts: 2,
    header: 'From: unix@example.com\nTo: lf@example.org\nSubject: Bare LF\nContent-Type: multipart/mixed; boundary=lf\n\n',
    body: '--lf\nContent-Type: text/plain\n\nline one\nline two\n--lf\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\naMOpbGxv\n--lf--\n',
  });
  checkPart(raw, root.parts[0], {
    section: '1', type: 'text', subtype: 'plain', params: { charset: 'us-ascii' }, lines: 2,
    header: 'Content-Type: text/plain\n\n', body: 'line one\nline two',
  });
  checkPart(raw, root.parts[1], {
    section: '2', type: 'text', subtype: 'plain', params: { charset: 'utf-8' }, encoding: 'BASE64', lines: 1,
    header: 'Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n', body: 'aMOpbGxv',
  });
  assert.equal(msg.summary.subject, 'Bare LF');
  assert.match(msg.searchText, /héllo/);
});

test('NUL bytes, raw 8-bit headers and a header line without a colon', () => {
  const { raw, msg, root } = parse('nul-8bit.eml');
  const s = msg.summary;
  assert.equal(s.envelope.subject, 'Grüße');
  assert.equal(s.subject, 'Grüße');
  assert.deepEqual(s.envelope.from, [addr('Jürgen', 'juergen', 'example.de')]);
  assert.deepEqual(s.from, [{ name: 'Jürgen', address: 'juergen@example.de' }]);
  const fields = parseHeaderBlock(raw);
  assert.deepEqual(fields.map((f) => f.name), ['From', 'To', 'Subject', 'X-Latin', 'X-Null', 'Content-Type', 'Content-Transfer-Encoding']);
  assert.equal(fields[3].value, 'café');
  assert.equal(fields[4].value, 'a\0b');
  // Field offsets delimit the field's own line(s).
  assert.equal(raw.subarray(fields[1].start, fields[1].end).toString(), 'To: test@example.org\r\n');
  checkPart(raw, root, {
    section: '', type: 'text', subtype: 'plain', params: { charset: 'utf-8' }, encoding: '8BIT', lines: 2,
    header: raw.subarray(0, raw.indexOf('\r\n\r\n') + 4),
    body: Buffer.concat([Buffer.from('Hello\0World\r\n', 'latin1'), Buffer.from('Ünïcödé\r\n', 'utf8')]),
  });
  assert.equal(s.preview, 'Hello World Ünïcödé');
});

test('headers only, no blank line, no body', () => {
  const { raw, msg, root } = parse('no-body.eml');
  checkPart(raw, root, {
    section: '', type: 'text', subtype: 'plain', params: { charset: 'us-ascii' }, lines: 0,
    header: crlf('From: nobody@example.com\nTo: void@example.org\nSubject: Headers only\n'),
    body: '',
  });
  assert.equal(root.headerEnd, raw.length);
  assert.equal(msg.summary.subject, 'Headers only');
  assert.equal(msg.summary.preview, '');
  assert.equal(msg.summary.truncated, false);
});
