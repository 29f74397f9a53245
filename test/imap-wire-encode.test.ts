// Response encoding: string forms, status lines, ENVELOPE, BODY/BODYSTRUCTURE and FETCH
// responses, against strings written out by hand from RFC 9051 §7.5.2 and §9.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Envelope, MimePart } from '../src/wire/mime/types.ts';
import {
  continuation, esearchResponse, fetchResponse, idResponse, listResponse, namespaceResponse, quotaResponse, quotaRootResponse,
  ResponseBuilder, searchResponse, sortResponse, statusResponse, taggedResponse, threadResponse, untagged, untaggedStatus,
  vanishedResponse, writeBodyStructure, writeEnvelope, type ThreadNode,
} from '../src/wire/imap/index.ts';

const text = (b: ResponseBuilder): string => b.toBuffer().toString('latin1');

function part(p: Partial<MimePart>): MimePart {
  return {
    section: '', headerStart: 0, headerEnd: 0, bodyStart: 0, bodyEnd: 0, type: 'text', subtype: 'plain',
    params: {}, id: null, description: null, encoding: '7BIT', size: 0, lines: null, md5: null,
    disposition: null, language: null, location: null, parts: [], message: null, ...p,
  };
}

function structure(root: MimePart, extended: boolean): string {
  const b = new ResponseBuilder();
  writeBodyStructure(b, root, extended);
  return text(b);
}

function envelope(env: Envelope): string {
  const b = new ResponseBuilder();
  writeEnvelope(b, env);
  return text(b);
}

describe('ResponseBuilder string forms (RFC 9051 §4.3)', () => {
  const str = (v: string | Buffer, utf8 = false) => text(new ResponseBuilder({ utf8 }).string(v));
  it('quotes short 7-bit text and escapes DQUOTE and backslash', () => {
    assert.equal(str('abc'), '"abc"');
    assert.equal(str(''), '""');
    assert.equal(str('a"b\\c'), '"a\\"b\\\\c"');
  });
  it('uses a literal for CR, LF, 8-bit (unless UTF-8 is enabled) and long values', () => {
    assert.equal(str('a\r\nb'), '{4}\r\na\r\nb');
    assert.equal(str('café'), '{5}\r\ncaf\xc3\xa9');
    assert.equal(new ResponseBuilder({ utf8: true }).string('café').toBuffer().toString('utf8'), '"café"');
    assert.equal(str(Buffer.from([0x63, 0xe9]), true), '{2}\r\nc\xe9', 'invalid UTF-8 stays a literal');
    assert.equal(str('x'.repeat(1024)), '"' + 'x'.repeat(1024) + '"');
    assert.equal(str('x'.repeat(1025)), '{1025}\r\n' + 'x'.repeat(1025));
  });
  it('a plain literal never carries NUL; literal8 does (RFC 3516)', () => {
    assert.equal(str(Buffer.from('a\0b')), '{3}\r\na\x80b');
    assert.equal(text(new ResponseBuilder().literal8(Buffer.from('a\0b'))), '~{3}\r\na\0b');
  });
  it('astring, nstring, NIL and mailbox names', () => {
    const b = new ResponseBuilder();
    b.astring('INBOX').sp().astring('NIL').sp().astring('').sp().astring('a b').sp().astring('[Gmail]').sp().nstring(null).sp().nstring('x');
    assert.equal(text(b), 'INBOX "NIL" "" "a b" "[Gmail]" NIL "x"');
    assert.equal(text(new ResponseBuilder().mailbox('Entwürfe/台北')), 'Entw&APw-rfe/&U,BTFw-');
    assert.equal(text(new ResponseBuilder().mailbox('A&B')), 'A&-B');
    assert.equal(new ResponseBuilder({ utf8: true }).mailbox('Entwürfe').toBuffer().toString('utf8'), '"Entwürfe"');
  });
  it('flags, string lists, date-time', () => {
    const b = new ResponseBuilder().flags(['\\Seen', '$Forwarded']).sp().flags([]).sp().stringList(['a', 'b']).sp().stringList([], true);
    b.sp().dateTime(Date.UTC(1996, 6, 17, 9, 44, 25), -420).sp().dateTime(Date.UTC(2024, 0, 5, 0, 0, 0));
    assert.equal(text(b), '(\\Seen $Forwarded) () ("a" "b") NIL "17-Jul-1996 02:44:25 -0700" " 5-Jan-2024 00:00:00 +0000"');
  });
  it('joins text and literal payloads in order', () => {
    const out = new ResponseBuilder().raw('* 1 FETCH (BODY[] ').literal(Buffer.from('hi\r\n')).raw(' UID 3)').line();
    assert.equal(out.toString(), '* 1 FETCH (BODY[] {4}\r\nhi\r\n UID 3)\r\n');
    const payload = Buffer.from('x'.repeat(100));
    const chunks = new ResponseBuilder().raw('* 2 FETCH (BODY[] ').literal(payload).raw(')\r\n').toChunks();
    assert.equal(chunks.length, 3);
    assert.equal(chunks[1], payload, 'the payload is not copied');
    assert.equal(Buffer.concat(chunks).toString(), '* 2 FETCH (BODY[] {100}\r\n' + 'x'.repeat(100) + ')\r\n');
  });
});

describe('status and data lines', () => {
  it('tagged, untagged and continuation responses; text cannot inject a line', () => {
    assert.equal(taggedResponse('A142', 'OK', 'SELECT completed', 'READ-WRITE').toString(), 'A142 OK [READ-WRITE] SELECT completed\r\n');
    assert.equal(taggedResponse('a', 'NO', 'x\r\na OK pwned').toString(), 'a NO x a OK pwned\r\n');
    assert.equal(untaggedStatus('BYE', 'Autologout; idle for too long').toString(), '* BYE Autologout; idle for too long\r\n');
    assert.equal(untaggedStatus('OK', 'UIDs valid', 'UIDVALIDITY 3857529045').toString(), '* OK [UIDVALIDITY 3857529045] UIDs valid\r\n');
    assert.equal(continuation().toString(), '+ Ready for literal data\r\n');
    assert.equal(continuation('').toString(), '+ \r\n');
    assert.equal(untagged('172 EXISTS').toString(), '* 172 EXISTS\r\n');
  });
  it('LIST, LSUB, STATUS', () => {
    assert.equal(listResponse('LIST', ['\\Noselect'], '/', '~/Mail/foo').toString(), '* LIST (\\Noselect) "/" ~/Mail/foo\r\n');
    assert.equal(listResponse('LIST', ['\\HasNoChildren', '\\Drafts'], '/', 'Entwürfe').toString(), '* LIST (\\HasNoChildren \\Drafts) "/" Entw&APw-rfe\r\n');
    assert.equal(listResponse('LIST', ['\\Noselect'], null, '').toString(), '* LIST (\\Noselect) NIL ""\r\n');
    assert.equal(listResponse('LSUB', [], '/', 'a b').toString(), '* LSUB () "/" "a b"\r\n');
    assert.equal(listResponse('LIST', [], '/', 'Sent', {}, '("CHILDINFO" ("SUBSCRIBED"))').toString(), '* LIST () "/" Sent ("CHILDINFO" ("SUBSCRIBED"))\r\n');
    assert.equal(statusResponse('blurdybloop', [['MESSAGES', 231], ['UIDNEXT', 44292]]).toString(), '* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)\r\n');
  });
  it('SEARCH, ESEARCH, VANISHED', () => {
    assert.equal(searchResponse([2, 84, 882]).toString(), '* SEARCH 2 84 882\r\n');
    assert.equal(searchResponse([]).toString(), '* SEARCH\r\n');
    assert.equal(searchResponse([2, 5, 6, 7, 11, 12, 18, 19, 20, 23], 917162500).toString(), '* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)\r\n');
    assert.equal(esearchResponse('A282', false, { min: 2, count: 3 }).toString(), '* ESEARCH (TAG "A282") MIN 2 COUNT 3\r\n');
    assert.equal(esearchResponse('A283', true, { all: '2,10:11' }).toString(), '* ESEARCH (TAG "A283") UID ALL 2,10:11\r\n');
    assert.equal(esearchResponse('a', false, { count: 0 }).toString(), '* ESEARCH (TAG "a") COUNT 0\r\n');
    assert.equal(vanishedResponse('41,43:116,118,120:211,214:540', true).toString(), '* VANISHED (EARLIER) 41,43:116,118,120:211,214:540\r\n');
    assert.equal(vanishedResponse('405', false).toString(), '* VANISHED 405\r\n');
  });
  it('SORT and THREAD (RFC 5256 §4)', () => {
    assert.equal(sortResponse([2, 84, 882]).toString(), '* SORT 2 84 882\r\n');
    assert.equal(sortResponse([5], 42).toString(), '* SORT 5 (MODSEQ 42)\r\n');
    const n = (number: number | null, ...children: ThreadNode[]): ThreadNode => ({ number, children });
    // The RFC's example: (2)(3 6 (4 23)(44 7 96))
    const example = [n(2), n(3, n(6, n(4, n(23)), n(44, n(7, n(96)))))];
    assert.equal(threadResponse(example).toString(), '* THREAD (2)(3 6 (4 23)(44 7 96))\r\n');
    // A dummy parent with two children: ((3)(5)).
    assert.equal(threadResponse([n(null, n(3), n(5))]).toString(), '* THREAD ((3)(5))\r\n');
    assert.equal(threadResponse([]).toString(), '* THREAD\r\n');
    assert.equal(threadResponse([n(1, n(2), n(null, n(3), n(4)))]).toString(), '* THREAD (1 (2)((3)(4)))\r\n');
    let chain = n(10_000);
    for (let i = 9_999; i >= 1; i--) chain = n(i, chain);
    const long = threadResponse([chain]).toString();
    assert.equal(long.length, '* THREAD ('.length + Array.from({ length: 10_000 }, (_, i) => i + 1).join(' ').length + ')\r\n'.length);
  });
  it('ID, NAMESPACE, QUOTA, QUOTAROOT', () => {
    assert.equal(idResponse([['name', 'Posthorn'], ['support-url', null]]).toString(), '* ID ("name" "Posthorn" "support-url" NIL)\r\n');
    assert.equal(idResponse(null).toString(), '* ID NIL\r\n');
    assert.equal(namespaceResponse([{ prefix: '', delimiter: '/' }], [], []).toString(), '* NAMESPACE (("" "/")) NIL NIL\r\n');
    assert.equal(
      namespaceResponse([{ prefix: '', delimiter: '/' }], [{ prefix: 'Ändere/', delimiter: '/' }], [{ prefix: '#shared', delimiter: null }]).toString(),
      '* NAMESPACE (("" "/")) (("&AMQ-ndere/" "/")) (("#shared" NIL))\r\n',
    );
    assert.equal(quotaResponse('', [{ resource: 'STORAGE', usage: 10, limit: 512 }, { resource: 'MESSAGE', usage: 3, limit: 1000 }]).toString(),
      '* QUOTA "" (STORAGE 10 512 MESSAGE 3 1000)\r\n');
    assert.equal(quotaRootResponse('INBOX', ['']).toString(), '* QUOTAROOT INBOX ""\r\n');
    assert.equal(quotaRootResponse('comp.mail.mime', []).toString(), '* QUOTAROOT comp.mail.mime\r\n');
  });
});

// RFC 3501 §8 / RFC 9051 §8 sample message.
const sampleEnvelope: Envelope = {
  date: 'Wed, 17 Jul 1996 02:23:25 -0700 (PDT)',
  subject: 'IMAP4rev1 WG mtg summary and minutes',
  from: [{ name: 'Terry Gray', adl: null, mailbox: 'gray', host: 'cac.washington.edu' }],
  sender: null,
  replyTo: null,
  to: [{ name: null, adl: null, mailbox: 'imap', host: 'cac.washington.edu' }],
  cc: [
    { name: null, adl: null, mailbox: 'minutes', host: 'CNRI.Reston.VA.US' },
    { name: 'John Klensin', adl: null, mailbox: 'KLENSIN', host: 'MIT.EDU' },
  ],
  bcc: null,
  inReplyTo: null,
  messageId: '<B27397-0100000@cac.washington.edu>',
};
const sampleEnvelopeWire =
  '("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes" ' +
  '(("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) ' +
  '(("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) ' +
  '((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL ' +
  '"<B27397-0100000@cac.washington.edu>")';

describe('ENVELOPE (RFC 9051 §7.5.2)', () => {
  it('the RFC sample: sender and reply-to default to from', () => {
    assert.equal(envelope(sampleEnvelope), sampleEnvelopeWire);
  });
  it('empty address lists are NIL (and empty sender falls back too); groups; literals for awkward text', () => {
    const env: Envelope = {
      date: null, subject: 'Re: "quoted" \\ and\r\n folded', from: [], sender: [], replyTo: [{ name: null, adl: null, mailbox: 'r', host: 'x.example' }],
      to: [
        { name: null, adl: null, mailbox: 'undisclosed-recipients', host: null },
        { name: null, adl: null, mailbox: null, host: null },
      ],
      cc: [], bcc: null, inReplyTo: '<a@b>', messageId: null,
    };
    assert.equal(
      envelope(env),
      '(NIL {27}\r\nRe: "quoted" \\ and\r\n folded NIL NIL ((NIL NIL "r" "x.example")) ' +
        '((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) NIL NIL "<a@b>" NIL)',
    );
  });
});

// RFC 3501 §7.4.2 BODY example: a multipart/mixed with two text/plain parts.
const mixed = part({
  type: 'multipart', subtype: 'mixed', params: { boundary: 'xyz' },
  parts: [
    part({ section: '1', params: { charset: 'US-ASCII' }, size: 1152, lines: 23 }),
    part({
      section: '2', params: { charset: 'US-ASCII', name: 'cc.diff' }, id: '<960723163407.20117h@cac.washington.edu>',
      description: 'Compiler diff', encoding: 'BASE64', size: 4554, lines: 73,
    }),
  ],
});

describe('BODY and BODYSTRUCTURE (RFC 9051 §7.5.2)', () => {
  it('BODY of the RFC example, exactly', () => {
    assert.equal(
      structure(mixed, false),
      '(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23)("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff") ' +
        '"<960723163407.20117h@cac.washington.edu>" "Compiler diff" "BASE64" 4554 73) "MIXED")',
    );
  });

  it('BODYSTRUCTURE of the same adds md5, disposition, language, location and the multipart parameters', () => {
    assert.equal(
      structure(mixed, true),
      '(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23 NIL NIL NIL NIL)("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff") ' +
        '"<960723163407.20117h@cac.washington.edu>" "Compiler diff" "BASE64" 4554 73 NIL NIL NIL NIL) "MIXED" ("BOUNDARY" "xyz") NIL NIL NIL)',
    );
  });

  it('a single text part (RFC 9051 §7.5.2: "TEXT" "PLAIN" … 3028 92)', () => {
    const p = part({ params: { charset: 'US-ASCII' }, size: 3028, lines: 92 });
    assert.equal(structure(p, false), '("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92)');
    assert.equal(structure(p, true), '("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92 NIL NIL NIL NIL)');
  });

  it('non-text leaf: no line count; NIL parameters; disposition, languages, location, md5', () => {
    const p = part({
      type: 'application', subtype: 'pdf', encoding: 'base64', size: 120, lines: 2, md5: 'Q2hlY2sgSW50ZWdyaXR5IQ==',
      disposition: { type: 'attachment', params: { filename: 'Résumé.pdf' } }, language: ['en', 'de'], location: 'http://x.example/r.pdf',
    });
    assert.equal(
      structure(p, true),
      '("APPLICATION" "PDF" NIL NIL NIL "BASE64" 120 "Q2hlY2sgSW50ZWdyaXR5IQ==" ("ATTACHMENT" ("FILENAME" {12}\r\nR\xc3\xa9sum\xc3\xa9.pdf)) ("en" "de") "http://x.example/r.pdf")',
    );
    assert.equal(structure(p, false), '("APPLICATION" "PDF" NIL NIL NIL "BASE64" 120)');
    const one = part({ type: 'image', subtype: 'png', size: 5, language: ['fr'], disposition: { type: 'inline', params: {} } });
    assert.equal(structure(one, true), '("IMAGE" "PNG" NIL NIL NIL "7BIT" 5 NIL ("INLINE" NIL) "fr" NIL)');
  });

  it('message/rfc822: body-fields, envelope, the inner body, then lines', () => {
    const inner = part({ section: '2', params: { charset: 'utf-8' }, encoding: 'QUOTED-PRINTABLE', size: 40, lines: 2 });
    const msg = part({
      type: 'message', subtype: 'rfc822', size: 600, lines: 20, section: '2',
      message: { envelope: { ...sampleEnvelope, sender: sampleEnvelope.from, replyTo: sampleEnvelope.from }, root: inner },
    });
    const root = part({ type: 'multipart', subtype: 'mixed', params: { boundary: 'b1' }, parts: [part({ section: '1', size: 10, lines: 1 }), msg] });
    const innerWire = '("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 40 2)';
    assert.equal(
      structure(root, false),
      '(("TEXT" "PLAIN" NIL NIL NIL "7BIT" 10 1)("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 600 ' + sampleEnvelopeWire + ' ' + innerWire + ' 20) "MIXED")',
    );
    assert.equal(
      structure(root, true),
      '(("TEXT" "PLAIN" NIL NIL NIL "7BIT" 10 1 NIL NIL NIL NIL)("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 600 ' + sampleEnvelopeWire + ' ' +
        '("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 40 2 NIL NIL NIL NIL) 20 NIL NIL NIL NIL) "MIXED" ("BOUNDARY" "b1") NIL NIL NIL)',
    );
  });

  it('a message/rfc822 the parser could not open is a basic part', () => {
    assert.equal(structure(part({ type: 'message', subtype: 'rfc822', size: 3 }), false), '("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 3)');
  });

  it('a multipart without children still has one body (1*body)', () => {
    assert.equal(
      structure(part({ type: 'multipart', subtype: 'alternative' }), false),
      '(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 0 0) "ALTERNATIVE")',
    );
  });

  it('10,000 nested multiparts encode without overflowing the stack', () => {
    let p = part({ size: 1, lines: 1 });
    for (let i = 0; i < 10_000; i++) p = part({ type: 'multipart', subtype: 'mixed', parts: [p] });
    const out = structure(p, true);
    assert.equal(out.startsWith('('.repeat(10_001) + '"TEXT"'), true);
    assert.equal(out.split('"MIXED"').length - 1, 10_000);
  });
});

describe('FETCH responses (RFC 9051 §7.5.2)', () => {
  it('the RFC sample FETCH FULL answer', () => {
    const out = fetchResponse(12, [
      { name: 'FLAGS', flags: ['\\Seen'] },
      { name: 'INTERNALDATE', ms: Date.UTC(1996, 6, 17, 9, 44, 25), offsetMinutes: -420 },
      { name: 'RFC822.SIZE', size: 4286 },
      { name: 'ENVELOPE', envelope: sampleEnvelope },
      { name: 'BODY', part: part({ params: { charset: 'US-ASCII' }, size: 3028, lines: 92 }) },
    ]);
    assert.equal(
      out.toString(),
      '* 12 FETCH (FLAGS (\\Seen) INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 4286 ENVELOPE ' + sampleEnvelopeWire +
        ' BODY ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92))\r\n',
    );
  });

  it('body sections as literals, NIL for missing parts, BINARY with literal8, MODSEQ', () => {
    const out = fetchResponse(1, [
      { name: 'UID', uid: 5 },
      { name: 'BODY[]', label: 'BODY[]<0>', data: Buffer.from('hello') },
      { name: 'BODY[]', label: 'BODY[3]', data: null },
      { name: 'BINARY[]', label: 'BINARY[1]', data: Buffer.from('a\0') },
      { name: 'BINARY[]', label: 'BINARY[2]', data: Buffer.from('ab') },
      { name: 'BINARY.SIZE', label: 'BINARY.SIZE[1]', size: 2 },
      { name: 'RFC822.HEADER', data: Buffer.from('A: b\r\n\r\n') },
      { name: 'MODSEQ', modseq: 624140003 },
    ]);
    assert.equal(
      out.toString('latin1'),
      '* 1 FETCH (UID 5 BODY[]<0> {5}\r\nhello BODY[3] NIL BINARY[1] ~{2}\r\na\0 BINARY[2] {2}\r\nab BINARY.SIZE[1] 2 RFC822.HEADER {8}\r\nA: b\r\n\r\n MODSEQ (624140003))\r\n',
    );
  });
});
