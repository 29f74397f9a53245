// JMAP core (RFC 8620) over real HTTP: the session resource, the request envelope, result
// references, creation ids and every request-level error as problem details.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startJmapServer, type JmapTestServer } from './helpers/jmap.ts';

const CORE = 'urn:ietf:params:jmap:core';
let jmap: JmapTestServer;

before(async () => {
  jmap = await startJmapServer();
});
after(() => jmap.stop());

test('session resource: capabilities with the core limits, the account, the URL templates (RFC 8620 §2)', async () => {
  const res = await fetch(`${jmap.base}/.well-known/jmap`, { headers: { authorization: jmap.authorization } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const session = (await res.json()) as any;
  const core = session.capabilities[CORE];
  for (const limit of ['maxSizeUpload', 'maxConcurrentUpload', 'maxSizeRequest', 'maxConcurrentRequests', 'maxCallsInRequest', 'maxObjectsInGet', 'maxObjectsInSet']) {
    assert.equal(typeof core[limit], 'number', limit);
    assert.ok(core[limit] > 0, limit);
  }
  assert.ok(Array.isArray(core.collationAlgorithms));
  assert.equal(session.username, jmap.address);
  const account = session.accounts[jmap.accountId];
  assert.equal(account.name, jmap.address);
  assert.equal(account.isPersonal, true);
  assert.equal(account.isReadOnly, false);
  assert.equal(session.apiUrl, `${jmap.base}/jmap/api`);
  assert.match(session.downloadUrl, /\{accountId\}.*\{blobId\}.*\{name\}.*\{type\}/);
  assert.match(session.uploadUrl, /\{accountId\}/);
  assert.match(session.eventSourceUrl, /\{types\}.*\{closeafter\}.*\{ping\}/);
  assert.equal(typeof session.state, 'string');
  const again = (await (await fetch(`${jmap.base}/.well-known/jmap`, { headers: { authorization: jmap.authorization } })).json()) as any;
  assert.equal(again.state, session.state, 'the same session has the same state');
});

test('no or wrong credentials: 401 with a Basic challenge; nothing of the session leaks', async () => {
  const none = await fetch(`${jmap.base}/.well-known/jmap`);
  assert.equal(none.status, 401);
  assert.match(none.headers.get('www-authenticate') ?? '', /^Basic realm=/);
  const wrong = await fetch(`${jmap.base}/jmap/api`, {
    method: 'POST',
    headers: { authorization: 'Basic ' + Buffer.from(`${jmap.address}:nope`).toString('base64') },
    body: JSON.stringify({ using: [CORE], methodCalls: [['Core/echo', {}, 'c']] }),
  });
  assert.equal(wrong.status, 401);
  assert.doesNotMatch(await wrong.text(), /methodResponses/);
});

test('Core/echo returns its arguments; the response carries the session state (RFC 8620 §4)', async () => {
  const { status, body } = await jmap.post({ using: [CORE], methodCalls: [['Core/echo', { hello: true, high: 5, nested: { a: [1, 'b'] } }, 'c1']] });
  assert.equal(status, 200);
  assert.deepEqual(body.methodResponses, [['Core/echo', { hello: true, high: 5, nested: { a: [1, 'b'] } }, 'c1']]);
  const session = (await (await fetch(`${jmap.base}/.well-known/jmap`, { headers: { authorization: jmap.authorization } })).json()) as any;
  assert.equal(body.sessionState, session.state);
  assert.equal('createdIds' in body, false, 'no createdIds unless the request gave some');
});

async function problem(body: unknown): Promise<{ status: number; type: string; limit?: string; contentType: string }> {
  const res = await jmap.post(body);
  return { status: res.status, type: res.body.type, limit: res.body.limit, contentType: res.headers.get('content-type') ?? '' };
}

test('request-level errors are problem details (RFC 8620 §3.6.1)', async () => {
  const notJson = await problem('{"using": [');
  assert.equal(notJson.status, 400);
  assert.equal(notJson.type, 'urn:ietf:params:jmap:error:notJSON');
  assert.match(notJson.contentType, /^application\/problem\+json/);
  assert.equal((await problem(new Uint8Array([0x7b, 0xff, 0x7d]))).type, 'urn:ietf:params:jmap:error:notJSON', 'not UTF-8');
  assert.equal((await problem('['.repeat(200_000) + ']'.repeat(200_000))).type, 'urn:ietf:params:jmap:error:notRequest', 'deep nesting is answered, not a crash');
  assert.equal((await problem([1, 2])).type, 'urn:ietf:params:jmap:error:notRequest');
  assert.equal((await problem({ using: CORE, methodCalls: [] })).type, 'urn:ietf:params:jmap:error:notRequest');
  assert.equal((await problem({ using: [CORE], methodCalls: [['Core/echo', [], 'c']] })).type, 'urn:ietf:params:jmap:error:notRequest');
  assert.equal((await problem({ using: [CORE], methodCalls: [['Core/echo', {}]] })).type, 'urn:ietf:params:jmap:error:notRequest');
  assert.equal((await problem({ using: [CORE, 'urn:example:nope'], methodCalls: [] })).type, 'urn:ietf:params:jmap:error:unknownCapability');
  const many = Array.from({ length: 10_000 }, (_, i) => ['Core/echo', {}, `c${i}`]);
  const limit = await problem({ using: [CORE], methodCalls: many });
  assert.equal(limit.type, 'urn:ietf:params:jmap:error:limit');
  assert.equal(limit.limit, 'maxCallsInRequest');
});

test('a request larger than maxSizeRequest is refused with the limit error before it is read', async () => {
  const session = (await (await fetch(`${jmap.base}/.well-known/jmap`, { headers: { authorization: jmap.authorization } })).json()) as any;
  const max = session.capabilities[CORE].maxSizeRequest as number;
  const big = JSON.stringify({ using: [CORE], methodCalls: [['Core/echo', { pad: 'x'.repeat(max) }, 'c']] });
  const res = await jmap.post(big);
  assert.equal(res.status, 400);
  assert.equal(res.body.type, 'urn:ietf:params:jmap:error:limit');
  assert.equal(res.body.limit, 'maxSizeRequest');
});

test('method-level errors: unknownMethod, a method of an undeclared capability, accountNotFound, invalidResultReference', async () => {
  const responses = await jmap.call(
    [
      ['Nope/get', {}, 'a'],
      ['Core/echo', { accountId: 'Azzzz' }, 'b'],
      ['Core/echo', { '#x': { resultOf: 'nothing', name: 'Core/echo', path: '/x' } }, 'c'],
      ['Core/echo', { x: 1, '#x': { resultOf: 'b', name: 'Core/echo', path: '' } }, 'd'],
    ],
    [CORE],
  );
  assert.deepEqual(responses.map((r: any[]) => [r[0], r[1].type, r[2]]), [
    ['error', 'unknownMethod', 'a'],
    ['error', 'accountNotFound', 'b'],
    ['error', 'invalidResultReference', 'c'],
    ['error', 'invalidArguments', 'd'],
  ]);
  const undeclared = await jmap.call([['Core/echo', {}, 'e']], []);
  assert.equal(undeclared[0][1].type, 'unknownMethod', 'Core/echo without the core capability in "using"');
});

test('result references (RFC 8620 §3.7): JSON Pointer with "*" over arrays, flattened', async () => {
  const responses = await jmap.call(
    [
      ['Core/echo', { list: [{ ids: ['a', 'b'] }, { ids: ['c'] }], 'a/b': { '~x': 7 } }, 'r1'],
      ['Core/echo', { '#all': { resultOf: 'r1', name: 'Core/echo', path: '/list/*/ids' }, '#escaped': { resultOf: 'r1', name: 'Core/echo', path: '/a~1b/~0x' } }, 'r2'],
      ['Core/echo', { '#first': { resultOf: 'r1', name: 'Core/echo', path: '/list/0/ids/1' } }, 'r3'],
      ['Core/echo', { '#bad': { resultOf: 'r1', name: 'Core/echo', path: '/list/9' } }, 'r4'],
      ['Core/echo', { '#wrongName': { resultOf: 'r1', name: 'Other/echo', path: '/list' } }, 'r5'],
    ],
    [CORE],
  );
  assert.deepEqual(responses[1][1], { all: ['a', 'b', 'c'], escaped: 7 });
  assert.deepEqual(responses[2][1], { first: 'b' });
  assert.equal(responses[3][1].type, 'invalidResultReference');
  assert.equal(responses[4][1].type, 'invalidResultReference');
});

test('createdIds given in the request come back (RFC 8620 §3.3)', async () => {
  const { body } = await jmap.post({ using: [CORE], methodCalls: [['Core/echo', {}, 'c']], createdIds: { k1: 'E1' } });
  assert.deepEqual(body.createdIds, { k1: 'E1' });
});

test('GET on the API and POST on the session are refused with 405', async () => {
  const get = await fetch(`${jmap.base}/jmap/api`, { headers: { authorization: jmap.authorization } });
  assert.equal(get.status, 405);
  assert.equal(get.headers.get('allow'), 'POST');
  const post = await fetch(`${jmap.base}/.well-known/jmap`, { method: 'POST', headers: { authorization: jmap.authorization } });
  assert.equal(post.status, 405);
});

test('a method outside the core needs its accountId; Core/echo does not', async () => {
  const responses = await jmap.call([
    ['Email/get', { ids: [] }, 'a'],
    ['Email/get', { accountId: jmap.accountId, ids: [] }, 'b'],
    ['Core/echo', {}, 'c'],
  ]);
  assert.equal(responses[0][0], 'error');
  assert.equal(responses[0][1].type, 'invalidArguments');
  assert.equal(responses[1][0], 'Email/get');
  assert.deepEqual(responses[2], ['Core/echo', {}, 'c']);
});

test('a request that is not application/json is refused, so a cross-site form cannot run methods (RFC 8620 §3.1)', async () => {
  const body = JSON.stringify({ using: [CORE], methodCalls: [['Core/echo', { ran: true }, 'c']] });
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
    const res = await jmap.post(body, { 'content-type': type });
    assert.equal(res.status, 400, type);
    assert.equal(res.body.type, 'urn:ietf:params:jmap:error:notRequest');
  }
  assert.equal((await jmap.post(body, { 'content-type': 'application/json; charset=utf-8' })).status, 200);
});

test('a chain of result references as long as a request allows resolves; a pointer deeper than the bound is invalidResultReference', async () => {
  const session = (await (await fetch(`${jmap.base}/.well-known/jmap`, { headers: { authorization: jmap.authorization } })).json()) as any;
  const max = session.capabilities[CORE].maxCallsInRequest as number;
  const calls: unknown[] = [['Core/echo', { v: 0 }, 'c0']];
  for (let i = 1; i < max; i++) calls.push(['Core/echo', { '#v': { resultOf: `c${i - 1}`, name: 'Core/echo', path: '/v' } }, `c${i}`]);
  const responses = await jmap.call(calls, [CORE]);
  assert.equal(responses.length, max);
  assert.deepEqual(responses.at(-1), ['Core/echo', { v: 0 }, `c${max - 1}`]);
  const deep = '/a'.repeat(40);
  const [, bad] = await jmap.call([['Core/echo', { a: 1 }, 'x'], ['Core/echo', { '#y': { resultOf: 'x', name: 'Core/echo', path: deep } }, 'y']], [CORE]);
  assert.equal(bad[1].type, 'invalidResultReference');
  // A reference to its own call (SECURITY-CASES.md "a back-reference chain that points at itself").
  const [self] = await jmap.call([['Core/echo', { '#z': { resultOf: 'z', name: 'Core/echo', path: '/z' } }, 'z']], [CORE]);
  assert.deepEqual([self[0], self[1].type], ['error', 'invalidResultReference']);
});
