// The upload endpoint (RFC 8620 §6.1) over real HTTP: 201 with accountId, blobId, type, size;
// the blob is the account's alone; a declared or streamed body over maxSizeUpload is refused
// without being buffered; uploads at once per account are bounded; bad requests get problem
// details (RFC 7807).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { startJmapServer, type JmapTestServer } from './helpers/jmap.ts';
import { aliceAccount, upload } from './helpers/jmap-write.ts';
import { DEFAULT_JMAP_LIMITS } from '../src/jmap/limits.ts';
import { UPLOAD_LIFETIME_MS } from '../src/jmap/upload.ts';
import { hashPassword } from '../src/auth/password.ts';

let jmap: JmapTestServer;

before(async () => {
  jmap = await startJmapServer();
});
after(() => jmap.stop());

/** A POST whose body the test writes itself (declared length, chunks), answering with the response. */
function rawUpload(headers: Record<string, string | number>): { req: http.ClientRequest; response: Promise<{ status: number; body: any; headers: http.IncomingHttpHeaders }> } {
  const url = new URL(`${jmap.base}/jmap/upload/${jmap.accountId}/`);
  const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { authorization: jmap.authorization, ...headers } });
  const response = new Promise<{ status: number; body: any; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null, headers: res.headers }));
    });
    req.on('error', reject);
  });
  return { req, response };
}

test('an upload answers 201 {accountId, blobId, type, size}; the blob is durable and recorded for a day', async () => {
  const content = Buffer.from('Hello, JMAP upload!');
  const r = await upload(jmap, content, 'text/plain');
  assert.equal(r.status, 201);
  assert.deepEqual(r.body, { accountId: jmap.accountId, blobId: createHash('sha256').update(content).digest('hex'), type: 'text/plain', size: content.length });
  const account = await aliceAccount(jmap);
  const record = await jmap.server.deps.store.getUpload(account.id, r.body.blobId);
  assert.ok(record);
  assert.ok(record.expiresAt - record.createdAt >= UPLOAD_LIFETIME_MS - 1000, 'kept at least 24 hours');
  assert.deepEqual(await jmap.server.deps.blobs.get(r.body.blobId), content);
  // The same content again: the same blob id (RFC 8620 §6.1 MAY), binary content kept exactly.
  const binary = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x0d, 0x0a]);
  const b = await upload(jmap, binary, 'application/octet-stream; x=1');
  assert.equal(b.body.size, 7);
  assert.equal(b.body.type, 'application/octet-stream; x=1');
  assert.deepEqual(await jmap.server.deps.blobs.get(b.body.blobId), binary);
  assert.equal((await upload(jmap, content, 'text/plain')).body.blobId, r.body.blobId);
  // No or a malformed Content-Type: application/octet-stream, never sniffed.
  assert.equal((await upload(jmap, content, 'not a type')).body.type, 'application/octet-stream');
});

test('another account\'s id, no credentials, GET: refused with problem details; nothing is recorded', async () => {
  const store = jmap.server.deps.store;
  const other = await store.createAccount({ address: 'bob@example.com', passwordHash: await hashPassword('bob password') });
  const otherId = 'A' + other.id.toString(36);
  const r = await upload(jmap, 'to bob', 'text/plain', otherId);
  assert.equal(r.status, 404);
  assert.equal(r.body.status, 404);
  const sha = createHash('sha256').update('to bob').digest('hex');
  assert.equal(await store.getUpload(other.id, sha), null);
  assert.equal(await store.isBlobOfAccount((await aliceAccount(jmap)).id, sha), false);
  assert.equal((await upload(jmap, 'x', 'text/plain', 'nonsense')).status, 404);
  const anonymous = await fetch(`${jmap.base}/jmap/upload/${jmap.accountId}/`, { method: 'POST', body: 'x' });
  assert.equal(anonymous.status, 401);
  const get = await fetch(`${jmap.base}/jmap/upload/${jmap.accountId}/`, { headers: { authorization: jmap.authorization } });
  assert.equal(get.status, 405);
  // An upload is the uploader's alone (RFC 8620 §6.1): Bob's upload is not Alice's blob.
  const bobAuth = 'Basic ' + Buffer.from('bob@example.com:bob password').toString('base64');
  const bob = await fetch(`${jmap.base}/jmap/upload/${otherId}/`, { method: 'POST', headers: { authorization: bobAuth }, body: 'bob only' });
  assert.equal(bob.status, 201);
  const { blobId } = (await bob.json()) as { blobId: string };
  assert.equal(await store.isBlobOfAccount((await aliceAccount(jmap)).id, blobId), false);
});

test('a declared Content-Length over maxSizeUpload (one octet over, 10 GB) is refused at once, before any body is sent', async () => {
  for (const declared of [DEFAULT_JMAP_LIMITS.maxSizeUpload + 1, 10 * 1024 ** 3]) {
    const { req, response } = rawUpload({ 'content-length': declared, 'content-type': 'application/octet-stream' });
    req.flushHeaders(); // headers only: the answer must not wait for a body that never comes
    const r = await response;
    req.destroy();
    assert.equal(r.status, 413);
    assert.equal(r.body.type, 'urn:ietf:params:jmap:error:limit');
    assert.equal(r.body.limit, 'maxSizeUpload');
  }
  assert.equal((await upload(jmap, 'still up', 'text/plain')).status, 201, 'the server stays up');
});

test('a streamed body that passes maxSizeUpload is cut off there and refused', async () => {
  const { req, response } = rawUpload({ 'transfer-encoding': 'chunked', 'content-type': 'application/octet-stream' });
  req.on('error', () => {}); // the server may close while more is being written
  const chunk = Buffer.alloc(1024 * 1024, 0x61);
  let sent = 0;
  let answered = false;
  void response.then(() => (answered = true), () => {});
  while (!answered && sent <= DEFAULT_JMAP_LIMITS.maxSizeUpload + 4 * chunk.length) {
    if (!req.write(chunk)) await Promise.race([once(req, 'drain'), response.catch(() => {})]);
    sent += chunk.length;
  }
  const r = await response;
  req.destroy();
  assert.equal(r.status, 413);
  assert.equal(r.body.limit, 'maxSizeUpload');
  assert.ok(sent > DEFAULT_JMAP_LIMITS.maxSizeUpload, 'refused only once past the limit');
});

test('at most maxConcurrentUpload uploads at once per account; one more is refused with the limit problem, then all finish', async () => {
  const n = DEFAULT_JMAP_LIMITS.maxConcurrentUpload;
  // n + 1 uploads, each with half its body sent: none can finish, so once all have reached the
  // server one of them must be refused — and it is the only one that can answer now.
  const open = Array.from({ length: n + 1 }, () => rawUpload({ 'content-length': 10, 'content-type': 'text/plain' }));
  for (const o of open) {
    o.req.on('error', () => {}); // the refused one's connection is closed
    o.req.write('12345');
  }
  const first = await Promise.race(open.map((o, i) => o.response.then((r) => ({ i, r }))));
  assert.equal(first.r.status, 400);
  assert.equal(first.r.body.type, 'urn:ietf:params:jmap:error:limit');
  assert.equal(first.r.body.limit, 'maxConcurrentUpload');
  const rest = open.filter((_, i) => i !== first.i);
  for (const o of rest) o.req.end('67890');
  for (const o of rest) assert.equal((await o.response).status, 201);
  assert.equal((await upload(jmap, 'y', 'text/plain')).status, 201, 'the slots are free again');
});

test('bodies over 1 MiB but under the limit are read whole: a 3 MB upload, a 2 MB API request', async () => {
  const big = Buffer.alloc(3 * 1024 * 1024, 0x62);
  const r = await upload(jmap, big, 'application/octet-stream');
  assert.equal(r.status, 201);
  assert.equal(r.body.size, big.length);
  const echo = await jmap.post({ using: ['urn:ietf:params:jmap:core'], methodCalls: [['Core/echo', { filler: 'x'.repeat(2 * 1024 * 1024) }, 'e']] });
  assert.equal(echo.status, 200);
  assert.equal(echo.body.methodResponses[0][1].filler.length, 2 * 1024 * 1024);
});
