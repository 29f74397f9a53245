// The download endpoint (RFC 8620 §6.2) and Email/parse (RFC 8621 §4.9) over real HTTP: whole
// messages and decoded parts, headers (type, disposition, caching), HEAD and ranges, and that
// another account's blobs, uploads and ids read as not found.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startJmapServer, type JmapTestServer } from './helpers/jmap.ts';
import { accountOf, appendEmail, emailGet, methodError, RFC8621_EXAMPLE, type StoredEmail } from './helpers/jmap-email-fixtures.ts';

let jmap: JmapTestServer;
let withAttachments: StoredEmail;

const PDF = Buffer.from('%PDF-1.4\n' + 'binary \x00\x01\x02\xff '.repeat(40) + '\n%%EOF\n', 'latin1');

const MIXED = [
  'From: a@example.org',
  'To: alice@example.com',
  'Subject: with attachments',
  'Content-Type: multipart/mixed; boundary="mix"',
  '',
  '--mix',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'See the attached.',
  '--mix',
  'Content-Type: application/pdf',
  "Content-Disposition: attachment; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf",
  'Content-Transfer-Encoding: base64',
  '',
  ...(PDF.toString('base64').match(/.{1,76}/g) ?? []),
  '--mix',
  'Content-Type: message/rfc822',
  'Content-Disposition: attachment',
  '',
  'From: Forwarded <fwd@example.net>',
  'Subject: =?UTF-8?Q?weitergeleitet_=E2=9C=93?=',
  'Date: Mon, 18 Jun 2018 16:51:28 -0400',
  'Content-Type: multipart/alternative; boundary="in"',
  '',
  '--in',
  'Content-Type: text/plain',
  '',
  'inner text',
  '--in',
  'Content-Type: text/html',
  '',
  '<p>inner html</p>',
  '--in--',
  '--mix--',
  '',
].join('\r\n');

before(async () => {
  jmap = await startJmapServer();
  withAttachments = await appendEmail(jmap, MIXED);
});
after(() => jmap.stop());

function download(accountId: string, blobId: string, name: string, opts: { accept?: string; method?: string; headers?: Record<string, string>; auth?: boolean } = {}): Promise<Response> {
  const query = opts.accept === undefined ? '' : `?accept=${encodeURIComponent(opts.accept)}`;
  return fetch(`${jmap.base}/jmap/download/${accountId}/${blobId}/${encodeURIComponent(name)}${query}`, {
    method: opts.method ?? 'GET',
    headers: { ...(opts.auth === false ? {} : { authorization: jmap.authorization }), ...opts.headers },
  });
}

test('the session downloadUrl template leads here; a whole message downloads as stored', async () => {
  const session = (await (await fetch(`${jmap.base}/.well-known/jmap`, { headers: { authorization: jmap.authorization } })).json()) as any;
  const url = session.downloadUrl.replace('{accountId}', jmap.accountId).replace('{blobId}', withAttachments.blobId).replace('{name}', 'message.eml').replace('{type}', 'message/rfc822');
  const res = await fetch(url, { headers: { authorization: jmap.authorization } });
  assert.equal(res.status, 200);
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), withAttachments.raw);
  assert.equal(res.headers.get('content-type'), 'message/rfc822');
  assert.equal(res.headers.get('content-disposition'), 'attachment; filename="message.eml"');
  assert.match(res.headers.get('cache-control') ?? '', /private/);
  assert.match(res.headers.get('cache-control') ?? '', /immutable/);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
});

test('an attachment downloads decoded, under its non-ASCII name (RFC 6266 filename*)', async () => {
  const blobs = jmap.server.deps.blobs;
  const original = blobs.get;
  let reads = 0;
  blobs.get = async (id) => (reads++, original.call(blobs, id));
  const [e] = (await emailGet(jmap, { ids: [withAttachments.id], properties: ['attachments', 'hasAttachment'] })).list;
  blobs.get = original;
  assert.equal(reads, 0, 'the default body properties, decoded sizes included, come from the summary');
  assert.equal(e.hasAttachment, true);
  const pdf = e.attachments.find((a: any) => a.type === 'application/pdf');
  assert.equal(pdf.name, 'Rechnung März.pdf');
  assert.equal(pdf.size, PDF.length);
  const res = await download(jmap.accountId, pdf.blobId, pdf.name, { accept: 'application/pdf' });
  assert.equal(res.status, 200);
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), PDF);
  assert.equal(res.headers.get('content-length'), String(PDF.length));
  assert.equal(res.headers.get('content-disposition'), `attachment; filename="Rechnung M_rz.pdf"; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf`);

  const head = await download(jmap.accountId, pdf.blobId, 'x.pdf', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String(PDF.length));
  assert.equal(head.headers.get('content-type'), 'application/octet-stream', 'no accept: octets');
  assert.equal((await head.arrayBuffer()).byteLength, 0);

  const part = await download(jmap.accountId, pdf.blobId, 'x.pdf', { headers: { range: 'bytes=0-7' } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes 0-7/${PDF.length}`);
  assert.equal(Buffer.from(await part.arrayBuffer()).toString('latin1'), '%PDF-1.4');
  assert.equal((await download(jmap.accountId, pdf.blobId, 'x', { headers: { range: `bytes=${PDF.length}-` } })).status, 416);
  const cached = await download(jmap.accountId, pdf.blobId, 'x', { headers: { 'if-none-match': part.headers.get('etag')! } });
  assert.equal(cached.status, 304);
});

test('accept is used only when it is a media type', async () => {
  for (const [accept, expected] of [
    ['text/plain; charset=utf-8', 'text/plain; charset=utf-8'],
    ['message/rfc5322', 'message/rfc5322'],
    ['text/plain;charset="utf-8";format=flowed', 'text/plain; charset="utf-8"; format=flowed'],
    ['text/plain; charset="a"b"', 'application/octet-stream'],
    ['text/html\r\nSet-Cookie: x=1', 'application/octet-stream'],
    ['text/html<script>', 'application/octet-stream'],
    ['nonsense', 'application/octet-stream'],
  ]) {
    const res = await download(jmap.accountId, withAttachments.blobId, 'm.eml', { accept });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), expected, accept);
    await res.arrayBuffer();
  }
});

test('not found: another account, its blobs, unknown blobs, multipart containers; no credentials: 401', async () => {
  const theirs = await appendEmail(jmap, 'From: x@example.org\r\nSubject: private\r\n\r\nsecret\r\n', { address: 'bob@example.net' });
  const bob = await accountOf(jmap, 'bob@example.net');
  const cases: [string, string][] = [
    [jmap.accountId, theirs.blobId],
    [jmap.accountId, `${theirs.blobId}_1`],
    ['A' + bob.id.toString(36), theirs.blobId],
    ['A' + bob.id.toString(36), withAttachments.blobId],
    [jmap.accountId, 'f'.repeat(64)],
    [jmap.accountId, `${withAttachments.blobId}_9`],
    [jmap.accountId, `${withAttachments.blobId}_3-1-7`],
    [jmap.accountId, 'not-a-blob'],
  ];
  for (const [accountId, blobId] of cases) {
    const res = await download(accountId, blobId, 'x');
    assert.equal(res.status, 404, `${accountId}/${blobId}`);
    await res.arrayBuffer();
  }
  const multipart = await appendEmail(jmap, RFC8621_EXAMPLE);
  assert.equal((await download(jmap.accountId, `${multipart.blobId}_2-1`, 'x')).status, 404, 'multipart/alternative has no blob');
  assert.equal((await download(jmap.accountId, withAttachments.blobId, 'x', { auth: false })).status, 401);
  const post = await download(jmap.accountId, withAttachments.blobId, 'x', { method: 'POST' });
  assert.equal(post.status, 405);
});

test('Email/parse of an attached message/rfc822 part (RFC 8621 §4.9)', async () => {
  const [e] = (await emailGet(jmap, { ids: [withAttachments.id], properties: ['attachments'] })).list;
  const forwarded = e.attachments.find((a: any) => a.type === 'message/rfc822');
  const [[name, r]] = await jmap.call([['Email/parse', { accountId: jmap.accountId, blobIds: [forwarded.blobId], fetchTextBodyValues: true }, 'p']]);
  assert.equal(name, 'Email/parse');
  assert.equal(r.notFound, null);
  assert.equal(r.notParsable, null);
  const m = r.parsed[forwarded.blobId];
  assert.deepEqual(Object.keys(m).sort(), [
    'attachments', 'bcc', 'bodyValues', 'cc', 'from', 'hasAttachment', 'htmlBody', 'inReplyTo', 'messageId', 'preview', 'references', 'replyTo',
    'sender', 'sentAt', 'subject', 'textBody', 'to',
  ], 'the default properties of Email/parse');
  assert.equal(m.subject, 'weitergeleitet ✓');
  assert.deepEqual(m.from, [{ name: 'Forwarded', email: 'fwd@example.net' }]);
  assert.equal(m.sentAt, '2018-06-18T16:51:28-04:00');
  assert.equal(m.preview, 'inner text');
  assert.deepEqual(Object.values(m.bodyValues).map((v: any) => v.value), ['inner text']);
  // The parts of the attached message are parts of the stored one: "3.1" and "3.2".
  assert.deepEqual(m.textBody.map((p: any) => p.blobId), [`${withAttachments.blobId}_3-1`]);
  const inner = await download(jmap.accountId, m.htmlBody[0].blobId, 'inner.html');
  assert.equal(await inner.text(), '<p>inner html</p>');

  const [[, meta]] = await jmap.call([['Email/parse', { accountId: jmap.accountId, blobIds: [forwarded.blobId], properties: ['id', 'blobId', 'threadId', 'mailboxIds', 'keywords', 'size', 'receivedAt', 'header:Subject:asText'] }, 'p']]);
  assert.deepEqual(meta.parsed[forwarded.blobId], {
    id: null, blobId: forwarded.blobId, threadId: null, mailboxIds: null, keywords: null, size: forwarded.size, receivedAt: null, 'header:Subject:asText': 'weitergeleitet ✓',
  });
});

test('Email/parse of an uploaded message, of bytes that are no message, and of blobs the account may not read', async () => {
  const deps = jmap.server.deps;
  const alice = await accountOf(jmap);
  const eml = Buffer.from('From: Up <up@example.org>\r\nSubject: uploaded\r\nContent-Type: text/plain\r\n\r\nfrom an upload\r\n');
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]);
  const expiresAt = Date.now() + 3_600_000;
  const up = await deps.blobs.put(eml);
  await deps.store.recordUpload(alice.id, { blobId: up.id, type: 'message/rfc822', size: up.size, expiresAt });
  const img = await deps.blobs.put(png);
  await deps.store.recordUpload(alice.id, { blobId: img.id, type: 'image/png', size: img.size, expiresAt });
  const bob = await accountOf(jmap, 'bob@example.net');
  const bobs = await deps.blobs.put(Buffer.from('From: b@example.org\r\nSubject: bob only\r\n\r\nx\r\n'));
  await deps.store.recordUpload(bob.id, { blobId: bobs.id, type: 'message/rfc822', size: bobs.size, expiresAt });

  const [[, r]] = await jmap.call([['Email/parse', { accountId: jmap.accountId, blobIds: [up.id, img.id, bobs.id, 'nope'], properties: ['subject', 'textBody', 'size'] }, 'p']]);
  assert.equal(r.parsed[up.id].subject, 'uploaded');
  assert.equal(r.parsed[up.id].size, eml.length);
  assert.deepEqual(r.notParsable, [img.id]);
  assert.deepEqual(r.notFound.sort(), [bobs.id, 'nope'].sort());
  const body = await download(jmap.accountId, r.parsed[up.id].textBody[0].blobId, 'b.txt');
  assert.equal(await body.text(), 'from an upload\r\n', 'a part of an upload downloads too');

  assert.equal((await methodError(jmap, 'Email/parse', { blobIds: [up.id], properties: ['bogus'] }))?.type, 'invalidArguments');
  assert.equal((await methodError(jmap, 'Email/parse', {}))?.type, 'invalidArguments');
  assert.equal((await methodError(jmap, 'Email/parse', { blobIds: [up.id], ids: [] }))?.type, 'invalidArguments');
});

test('a message/rfc822 attachment sent base64 parses, and its parts download', async () => {
  const inner = 'From: Inner <inner@example.org>\r\nSubject: encoded inside\r\nContent-Type: multipart/mixed; boundary="i"\r\n\r\n--i\r\nContent-Type: text/plain\r\n\r\ninner body\r\n--i--\r\n';
  const outer = [
    'From: a@example.org',
    'Subject: forwarded as base64',
    'Content-Type: multipart/mixed; boundary="o"',
    '',
    '--o',
    'Content-Type: text/plain',
    '',
    'see attached',
    '--o',
    'Content-Type: message/rfc822',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from(inner).toString('base64'),
    '--o--',
    '',
  ].join('\r\n');
  const stored = await appendEmail(jmap, outer);
  const [e] = (await emailGet(jmap, { ids: [stored.id], properties: ['attachments'] })).list;
  const [att] = e.attachments;
  assert.equal(att.blobId, `${stored.blobId}_2`);
  const [[, r]] = await jmap.call([['Email/parse', { accountId: jmap.accountId, blobIds: [att.blobId], properties: ['subject', 'textBody'] }, 'p']]);
  const m = r.parsed[att.blobId];
  assert.equal(m.subject, 'encoded inside');
  assert.equal(m.textBody[0].blobId, `${stored.blobId}_2-1`);
  const res = await download(jmap.accountId, m.textBody[0].blobId, 'inner.txt');
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'inner body');
  assert.equal((await download(jmap.accountId, `${stored.blobId}_2-7`, 'x')).status, 404);
});
