// Email/get body properties (RFC 8621 §4.1.4, §4.2) over real HTTP: textBody, htmlBody and
// attachments against the RFC's own example, bodyStructure, EmailBodyPart properties,
// bodyValues with truncation and encoding problems, and damaged messages that must not crash.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startJmapServer, type JmapTestServer } from './helpers/jmap.ts';
import { appendEmail, emailGet, RFC8621_EXAMPLE } from './helpers/jmap-email-fixtures.ts';

let jmap: JmapTestServer;

before(async () => {
  jmap = await startJmapServer();
});
after(() => jmap.stop());

/** The text each leaf's body holds, which in the RFC example names the part (A … K). */
async function letters(id: string): Promise<{ text: string[]; html: string[]; attachments: string[]; structure: any }> {
  const [e] = (await emailGet(jmap, { ids: [id], properties: ['textBody', 'htmlBody', 'attachments', 'bodyStructure', 'bodyValues'], bodyProperties: ['partId', 'type', 'subParts'], fetchAllBodyValues: true })).list;
  const byPart = new Map<string, string>();
  const walk = (p: any) => (p.subParts ? p.subParts.forEach(walk) : byPart.set(p.partId, p.type));
  walk(e.bodyStructure);
  const name = (p: any): string => {
    const v = e.bodyValues[p.partId]?.value;
    if (v !== undefined) return v.replace(/<\/?p>/g, '').trim();
    return { '2.1.1.2': 'C', '2.1.2.2': 'F', '2.2': 'G', '2.3': 'H', '2.4': 'J' }[p.partId as string] ?? `?${p.partId}`;
  };
  return { text: e.textBody.map(name), html: e.htmlBody.map(name), attachments: e.attachments.map(name), structure: e.bodyStructure };
}

test('textBody, htmlBody and attachments of the RFC 8621 §4.1.4 example', async () => {
  const { id } = await appendEmail(jmap, RFC8621_EXAMPLE);
  const r = await letters(id);
  assert.deepEqual(r.text, ['A', 'B', 'C', 'D', 'K']);
  assert.deepEqual(r.html, ['A', 'E', 'K']);
  assert.deepEqual(r.attachments, ['C', 'F', 'G', 'H', 'J']);
  assert.equal(r.structure.type, 'multipart/mixed');
  assert.equal(r.structure.partId, null, 'a multipart has no part id');
  assert.deepEqual(r.structure.subParts.map((p: any) => p.type), ['text/plain', 'multipart/mixed', 'text/plain']);
  const j = r.structure.subParts[1].subParts[3];
  assert.deepEqual(j, { partId: '2.4', type: 'message/rfc822', subParts: null }, 'an attached message is a leaf');
});

const ALTERNATIVE = [
  'From: a@example.org',
  'Subject: alternative',
  'Content-Type: multipart/alternative; boundary="b"',
  '',
  '--b',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'Caf=C3=A9 =C3=A9t=C3=A9 d=C3=A9j=C3=A0 vu, line one',
  'line two',
  '--b',
  'Content-Type: multipart/related; boundary="r"',
  '',
  '--r',
  'Content-Type: text/html; charset=utf-8',
  '',
  '<html><body><p>Caf\u00e9 <a href="https://example.com/x">link</a> <img src="cid:logo@example.org"></p></body></html>',
  '--r',
  'Content-Type: image/png; name="logo.png"',
  'Content-Transfer-Encoding: base64',
  'Content-ID: <logo@example.org>',
  'Content-Disposition: inline',
  'Content-Language: en, de',
  'Content-Location: https://example.org/logo.png',
  '',
  'iVBORw0KGgoAAAANSUhEUg==',
  '--r--',
  '--b--',
  '',
].join('\r\n');

test('multipart/alternative with an HTML body and an inline cid image; EmailBodyPart properties', async () => {
  const { id, blobId } = await appendEmail(jmap, ALTERNATIVE);
  const [e] = (await emailGet(jmap, { ids: [id], properties: ['textBody', 'htmlBody', 'attachments', 'hasAttachment', 'preview'] })).list;
  assert.deepEqual(e.textBody.map((p: any) => p.partId), ['1']);
  assert.deepEqual(e.htmlBody.map((p: any) => p.partId), ['2.1']);
  assert.equal(e.preview, 'Café été déjà vu, line one line two');
  assert.equal(e.hasAttachment, false, 'an image the HTML embeds is no attachment to offer');
  const [img] = e.attachments;
  assert.deepEqual(img, {
    partId: '2.2',
    blobId: `${blobId}_2-2`,
    size: 16,
    name: 'logo.png',
    type: 'image/png',
    charset: null,
    disposition: 'inline',
    cid: 'logo@example.org',
    language: ['en', 'de'],
    location: 'https://example.org/logo.png',
  }, 'the default bodyProperties; size is decoded octets');
  assert.deepEqual(e.textBody[0].charset, 'utf-8');
  assert.equal(e.textBody[0].size, Buffer.byteLength('Café été déjà vu, line one\r\nline two'), 'quoted-printable decoded octets');
});

test('bodyValues: fetchTextBodyValues, fetchHTMLBodyValues, maxBodyValueBytes on a UTF-8 boundary and outside tags', async () => {
  const { id } = await appendEmail(jmap, ALTERNATIVE);
  const get = async (args: Record<string, unknown>) => (await emailGet(jmap, { ids: [id], properties: ['bodyValues'], ...args })).list[0].bodyValues;
  assert.deepEqual(await get({ fetchTextBodyValues: true }), { 1: { value: 'Café été déjà vu, line one\nline two', isEncodingProblem: false, isTruncated: false } }, 'CRLF becomes LF');
  assert.deepEqual(Object.keys(await get({ fetchHTMLBodyValues: true })), ['2.1']);
  assert.deepEqual(Object.keys(await get({ fetchAllBodyValues: true })).sort(), ['1', '2.1'], 'every text/* part, never the image');
  // "Caf" + é (2 octets): 4 octets would cut é in half.
  assert.deepEqual((await get({ fetchTextBodyValues: true, maxBodyValueBytes: 4 }))['1'], { value: 'Caf', isEncodingProblem: false, isTruncated: true });
  assert.equal((await get({ fetchTextBodyValues: true, maxBodyValueBytes: 5 }))['1'].value, 'Café');
  const html = (await get({ fetchHTMLBodyValues: true, maxBodyValueBytes: 40 }))['2.1'];
  assert.equal(html.isTruncated, true);
  assert.equal(html.value, '<html><body><p>Café ', 'not inside <a href=…>');
});

test('charsets: ISO-8859-1 decoded; an unknown charset and invalid UTF-8 are encoding problems, not errors', async () => {
  const latin = Buffer.concat([
    Buffer.from('From: a@example.org\r\nSubject: latin\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'),
    Buffer.from([0x47, 0x72, 0xfc, 0xdf, 0x65, 0x0d, 0x0a]),
  ]);
  const bad = Buffer.concat([Buffer.from('From: a@example.org\r\nSubject: bad\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nok '), Buffer.from([0xff, 0xfe, 0x41]), Buffer.from('\r\n')]);
  const klingon = 'From: a@example.org\r\nSubject: klingon\r\nContent-Type: text/plain; charset=x-klingon\r\nContent-Transfer-Encoding: x-warp\r\n\r\nqapla\r\n';
  const ids = [(await appendEmail(jmap, latin)).id, (await appendEmail(jmap, bad)).id, (await appendEmail(jmap, klingon)).id];
  const r = await emailGet(jmap, { ids, properties: ['bodyValues', 'preview', 'textBody'], fetchTextBodyValues: true });
  const [l, b, k] = r.list;
  assert.deepEqual(l.bodyValues['1'], { value: 'Grüße\n', isEncodingProblem: false, isTruncated: false });
  assert.equal(l.preview, 'Grüße');
  assert.equal(l.textBody[0].charset, 'iso-8859-1');
  assert.equal(b.bodyValues['1'].isEncodingProblem, true);
  assert.match(b.bodyValues['1'].value, /^ok /);
  assert.deepEqual(k.bodyValues['1'], { value: 'qapla\n', isEncodingProblem: true, isTruncated: false });
});

test('bodyStructure with headers and header:… forms on parts (bodyProperties)', async () => {
  const { id } = await appendEmail(jmap, RFC8621_EXAMPLE);
  const [e] = (await emailGet(jmap, {
    ids: [id],
    properties: ['bodyStructure'],
    bodyProperties: ['type', 'headers', 'header:Content-Type:asText', 'header:Content-ID:asMessageIds', 'subParts', 'size', 'name'],
  })).list;
  const root = e.bodyStructure;
  assert.deepEqual(root.headers.map((h: any) => h.name), ['From', 'To', 'Subject', 'MIME-Version', 'Content-Type'], 'the root part has the message header');
  assert.equal(root['header:Content-Type:asText'], 'multipart/mixed; boundary="root"');
  const f = root.subParts[1].subParts[0].subParts[1].subParts[1];
  assert.equal(f.type, 'image/jpeg');
  assert.deepEqual(f['header:Content-ID:asMessageIds'], ['F@example.com']);
  assert.equal(f.size, 1, 'base64 "Rg==" is one octet');
  assert.equal(root.subParts[1].subParts[1].name, 'G.jpg');
  assert.equal('partId' in f, false, 'only the asked body properties');
});

test('damaged messages: no crash, a best-effort answer', async () => {
  const unclosed = 'From: a@example.org\r\nSubject: unclosed\r\nContent-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nfirst\r\n--x\r\nContent-Type: text/html\r\n\r\n<b>second';
  const noBoundary = 'From: a@example.org\r\nSubject: no boundary\r\nContent-Type: multipart/mixed\r\n\r\njust text\r\n';
  const hugeHeader = `From: a@example.org\r\nSubject: huge\r\nX-Huge: ${'y'.repeat(400_000)}\r\nTo: ${Array.from({ length: 5000 }, (_, i) => `u${i}@example.com`).join(', ')}\r\n\r\nbody\r\n`;
  const nul = Buffer.from('From: a@example.org\r\nSubject: nul\x00byte\r\nContent-Type: text/plain; charset="\r\n\r\nbody\x00with nul\r\n', 'latin1');
  const garbage = Buffer.from(Array.from({ length: 2000 }, (_, i) => (i * 7919) % 256));
  const ids = [];
  for (const raw of [unclosed, noBoundary, hugeHeader, nul, garbage]) ids.push((await appendEmail(jmap, raw)).id);
  const r = await emailGet(jmap, {
    ids,
    properties: ['subject', 'from', 'to', 'headers', 'bodyStructure', 'textBody', 'htmlBody', 'attachments', 'bodyValues', 'preview', 'header:X-Huge:asText'],
    bodyProperties: ['partId', 'blobId', 'size', 'headers', 'type', 'charset', 'subParts'],
    fetchAllBodyValues: true,
    maxBodyValueBytes: 1000,
  });
  assert.equal(r.list.length, 5);
  const [u, n, h, z] = r.list;
  assert.deepEqual(u.textBody.map((p: any) => p.type), ['text/plain', 'text/html']);
  assert.equal(u.bodyValues['2'].value, '<b>second');
  assert.equal(n.bodyStructure.type, 'text/plain', 'a multipart without a boundary is text (RFC 2045 §5.2)');
  assert.equal(typeof h.subject, 'string');
  assert.ok(h.to === null || Array.isArray(h.to));
  assert.equal(z.subject.includes('\u0000'), false);
  assert.equal(z.bodyValues['1'].value, 'bodywith nul\n', 'NUL dropped');
});

test('the Email/get example of RFC 8621 §4.2.1: an HTML body with a plain-text footer', async () => {
  const html = `<html><body><p>Hello ${'and welcome to dinner '.repeat(20)}</p></body></html>`;
  const raw = [
    'From: Joe Bloggs <joe@example.com>',
    'Subject: Dinner on Thursday?',
    'List-Post: <mailto:partytime@lists.example.com>',
    'Content-Type: multipart/mixed; boundary="f"',
    '',
    '--f',
    'Content-Type: text/html; charset=utf-8',
    '',
    html,
    '--f',
    'Content-Type: text/plain; charset=utf-8',
    '',
    '-- Sent by your friendly mailing list ...',
    '--f--',
    '',
  ].join('\r\n');
  const { id, blobId } = await appendEmail(jmap, raw, { internalDate: Date.UTC(2013, 9, 13, 14, 12) });
  const r = await emailGet(jmap, {
    ids: ['f123u456', id],
    properties: ['threadId', 'mailboxIds', 'from', 'subject', 'receivedAt', 'header:List-POST:asURLs', 'htmlBody', 'bodyValues'],
    bodyProperties: ['partId', 'blobId', 'size', 'type'],
    fetchHTMLBodyValues: true,
    maxBodyValueBytes: 256,
  });
  assert.deepEqual(r.notFound, ['f123u456']);
  const [e] = r.list;
  assert.deepEqual(e.from, [{ name: 'Joe Bloggs', email: 'joe@example.com' }]);
  assert.equal(e.subject, 'Dinner on Thursday?');
  assert.equal(e.receivedAt, '2013-10-13T14:12:00Z');
  assert.deepEqual(e['header:List-POST:asURLs'], ['mailto:partytime@lists.example.com'], 'the property named as asked');
  assert.deepEqual(e.htmlBody, [
    { partId: '1', blobId: `${blobId}_1`, size: Buffer.byteLength(html), type: 'text/html' },
    { partId: '2', blobId: `${blobId}_2`, size: 41, type: 'text/plain' },
  ]);
  assert.equal(e.bodyValues['1'].isTruncated, true);
  assert.ok(Buffer.byteLength(e.bodyValues['1'].value) <= 256);
  assert.match(e.bodyValues['1'].value, /^<html><body><p>Hello /);
  assert.deepEqual(e.bodyValues['2'], { isEncodingProblem: false, isTruncated: false, value: '-- Sent by your friendly mailing list ...' });
});
