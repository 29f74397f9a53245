// The Blob management extension (RFC 9404) over real HTTP: Blob/upload from text, base64 and
// ranges of other blobs, usable at once by "#id" in Email/import; Blob/get with ranges, text
// or base64 and digests; Blob/lookup finding the Email, Thread and Mailbox of a message blob.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startJmapServer, JMAP_USING, type JmapTestServer } from './helpers/jmap.ts';
import { mailboxId, upload } from './helpers/jmap-write.ts';

const USING = [...JMAP_USING, 'urn:ietf:params:jmap:blob'];
let jmap: JmapTestServer;

before(async () => {
  jmap = await startJmapServer();
});
after(() => jmap.stop());

test('the session names the blob capability for the account', async () => {
  const session = (await (await fetch(`${jmap.base}/.well-known/jmap`, { headers: { authorization: jmap.authorization } })).json()) as any;
  assert.deepEqual(session.capabilities['urn:ietf:params:jmap:blob'], {});
  const caps = session.accounts[jmap.accountId].accountCapabilities['urn:ietf:params:jmap:blob'];
  assert.deepEqual(caps.supportedTypeNames, ['Mailbox', 'Thread', 'Email']);
  assert.deepEqual(caps.supportedDigestAlgorithms, ['sha', 'sha-256']);
  assert.equal(typeof caps.maxDataSources, 'number');
});

test('Blob/upload concatenates sources; Blob/get reads ranges as text, base64 and digests (the RFC 9404 example text)', async () => {
  const text = 'The quick brown fox jumped over the lazy dog!';
  const responses = await jmap.call([
    ['Blob/upload', { accountId: jmap.accountId, create: { b4: { data: [{ 'data:asText': text }] } } }, 'S4'],
    ['Blob/upload', { accountId: jmap.accountId, create: { cat: { data: [{ 'data:asText': 'How' }, { blobId: '#b4', offset: 3, length: 7 }, { 'data:asBase64': Buffer.from('was t').toString('base64') }, { blobId: '#b4', offset: 1, length: 1 }, { 'data:asBase64': 'YXQ/' }], type: 'text/plain' } } }, 'CAT'],
    ['Blob/get', { accountId: jmap.accountId, ids: ['#cat'], properties: ['data:asText', 'size'] }, 'G4'],
    ['Blob/get', { accountId: jmap.accountId, ids: ['#b4', 'not-a-blob'], properties: ['data:asText', 'data:asBase64', 'size', 'digest:sha-256'], offset: 4, length: 9 }, 'R1'],
    ['Blob/get', { accountId: jmap.accountId, ids: ['#b4'], offset: 40, length: 20 }, 'R2'],
  ], USING);
  const [[, up]] = responses;
  assert.equal(up.created.b4.size, text.length);
  assert.equal(up.created.b4.id, createHash('sha256').update(text).digest('hex'));
  assert.deepEqual(responses[1][1].created.cat.type, 'text/plain');
  assert.deepEqual(responses[2][1].list, [{ id: responses[1][1].created.cat.id, 'data:asText': 'How quick was that?', size: 19 }]);
  const r1 = responses[3][1];
  assert.deepEqual(r1.notFound, ['not-a-blob']);
  assert.deepEqual(r1.list[0], {
    id: up.created.b4.id,
    'data:asText': 'quick bro',
    'data:asBase64': Buffer.from('quick bro').toString('base64'),
    size: text.length,
    'digest:sha-256': createHash('sha256').update('quick bro').digest('base64'),
  });
  // Past the end: what there is, flagged isTruncated; default properties are data and size.
  assert.deepEqual(responses[4][1].list[0], { id: up.created.b4.id, 'data:asText': text.slice(40), isTruncated: true, size: text.length });
});

test('Blob/get of binary data: "data" falls back to base64 with isEncodingProblem', async () => {
  const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
  const up = await upload(jmap, bytes, 'application/octet-stream');
  const [[, r]] = await jmap.call([['Blob/get', { accountId: jmap.accountId, ids: [up.body.blobId], properties: ['data', 'digest:sha'] }, 'g']], USING);
  assert.deepEqual(r.list[0], { id: up.body.blobId, 'data:asBase64': bytes.toString('base64'), isEncodingProblem: true, 'digest:sha': createHash('sha1').update(bytes).digest('base64') });
});

test('Blob/upload refusals; Blob/upload then Email/import by "#id"; Blob/lookup finds the Email, its Thread and Mailbox', async () => {
  const inbox = await mailboxId(jmap, 'INBOX');
  const message = 'From: a@example.org\r\nSubject: via Blob/upload\r\nMessage-ID: <bu@example.org>\r\n\r\nHi\r\n';
  const responses = await jmap.call([
    ['Blob/upload', { accountId: jmap.accountId, create: {
      m: { data: [{ 'data:asText': message }], type: 'message/rfc822' },
      badB64: { data: [{ 'data:asBase64': '***' }] },
      two: { data: [{ 'data:asText': 'a', 'data:asBase64': 'YQ==' }] },
      missing: { data: [{ blobId: 'f'.repeat(64) }] },
      pastEnd: { data: [{ blobId: '#m', offset: 1000 }] },
      extra: { data: [], colour: 'red' },
    } }, 'u'],
    ['Email/import', { accountId: jmap.accountId, emails: { e: { blobId: '#m', mailboxIds: { [inbox]: true } } } }, 'i'],
    ['Blob/lookup', { accountId: jmap.accountId, typeNames: ['Email', 'Thread', 'Mailbox'], ids: ['#m', 'f'.repeat(64), 'nonsense'] }, 'l'],
    ['Blob/lookup', { accountId: jmap.accountId, typeNames: ['Calendar'], ids: [] }, 'x'],
  ], USING);
  const u = responses[0][1];
  assert.ok(u.created.m);
  assert.equal(u.notCreated.badB64.type, 'invalidProperties');
  assert.equal(u.notCreated.two.type, 'invalidProperties');
  assert.equal(u.notCreated.missing.type, 'blobNotFound');
  assert.equal(u.notCreated.pastEnd.type, 'invalidProperties');
  assert.equal(u.notCreated.extra.type, 'invalidProperties');
  const imported = responses[1][1].created.e;
  assert.equal(imported.blobId, u.created.m.id);
  const lookup = responses[2][1];
  assert.deepEqual(lookup.list, [{ id: u.created.m.id, matchedIds: { Email: [imported.id], Thread: [imported.threadId], Mailbox: [inbox] } }]);
  assert.deepEqual(lookup.notFound, ['f'.repeat(64), 'nonsense']);
  assert.deepEqual([responses[3][0], responses[3][1].type], ['error', 'unknownDataType']);
  // Without the blob capability in "using", the methods do not exist (RFC 8620 §3.6.2).
  const [[name, err]] = await jmap.call([['Blob/get', { accountId: jmap.accountId, ids: [] }, 'n']]);
  assert.deepEqual([name, err.type], ['error', 'unknownMethod']);
});
