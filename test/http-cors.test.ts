// CORS on the JMAP endpoints over real HTTPS (Fetch standard §3.2): preflights and actual
// requests for a listed origin, nothing for other origins, never anything on /api/ or /admin,
// "*" without credentials, and off when no origin is configured.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword } from '../src/auth/password.ts';
import type { RunningServer } from '../src/server/app.ts';
import { corsGrant } from '../src/web/cors.ts';
import { startTestServer, tempDir } from './helpers/server.ts';
import { corsHeaders, webRequest } from './helpers/web.ts';

const ADDRESS = 'alice@example.com';
const PASSWORD = 'correct horse battery staple';
const AUTHORIZATION = 'Basic ' + Buffer.from(`${ADDRESS}:${PASSWORD}`).toString('base64');
const APP = 'https://app.example';
const ECHO = JSON.stringify({ using: ['urn:ietf:params:jmap:core'], methodCalls: [['Core/echo', {}, 'c1']] });

interface Running {
  server: RunningServer;
  base: string;
  stop: () => Promise<void>;
}

async function start(corsOrigins: string | null): Promise<Running> {
  const dir = tempDir('cors');
  const server = await startTestServer(dir.path, ['https'], corsOrigins === null ? {} : { POSTHORN_HTTP_CORS_ORIGINS: corsOrigins });
  await server.deps.store.addDomain('example.com');
  await server.deps.store.createAccount({ address: ADDRESS, passwordHash: await hashPassword(PASSWORD) });
  return {
    server,
    base: `https://127.0.0.1:${server.ports.https}`,
    async stop() {
      await server.stop();
      dir.remove();
    },
  };
}

let listed: Running;
let anyOrigin: Running;
let off: Running;

before(async () => {
  [listed, anyOrigin, off] = await Promise.all([start(`${APP}, https://other.example:8443`), start('*'), start(null)]);
});
after(() => Promise.all([listed?.stop(), anyOrigin?.stop(), off?.stop()]));

function preflight(base: string, path: string, origin: string, method = 'POST') {
  return webRequest(`${base}${path}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization, content-type' },
  });
}

const varies = (headers: Record<string, unknown>): string[] => String(headers.vary ?? '').split(',').map((f) => f.trim().toLowerCase());

test('preflight from a listed origin: methods, headers with Authorization and Content-Type, max-age, credentials', async () => {
  const res = await preflight(listed.base, '/jmap/api', APP);
  assert.equal(res.status, 204);
  assert.equal(res.headers['access-control-allow-origin'], APP);
  assert.equal(res.headers['access-control-allow-credentials'], 'true');
  const methods = String(res.headers['access-control-allow-methods']).split(/,\s*/);
  for (const m of ['GET', 'POST']) assert.ok(methods.includes(m), m);
  const allowed = String(res.headers['access-control-allow-headers']).toLowerCase().split(/,\s*/);
  for (const h of ['authorization', 'content-type']) assert.ok(allowed.includes(h), h);
  assert.ok(Number(res.headers['access-control-max-age']) > 0);
  assert.ok(varies(res.headers).includes('origin'));
});

test('preflight covers every JMAP endpoint: session, upload, download, EventSource', async () => {
  for (const [path, method] of [
    ['/.well-known/jmap', 'GET'],
    ['/jmap/upload/a1/', 'POST'],
    ['/jmap/download/a1/b1/file.txt?accept=text%2Fplain', 'GET'],
    ['/jmap/eventsource?types=*&closeafter=no&ping=0', 'GET'],
  ] as const) {
    const res = await preflight(listed.base, path, 'https://other.example:8443', method);
    assert.equal(res.status, 204, path);
    assert.equal(res.headers['access-control-allow-origin'], 'https://other.example:8443', path);
  }
});

test('actual requests from a listed origin: the origin echoed, Vary: Origin, headers exposed, on errors too', async () => {
  const api = await webRequest(`${listed.base}/jmap/api`, { method: 'POST', headers: { origin: APP, authorization: AUTHORIZATION, 'content-type': 'application/json' }, body: ECHO });
  assert.equal(api.status, 200, api.body);
  assert.equal(api.headers['access-control-allow-origin'], APP);
  assert.equal(api.headers['access-control-allow-credentials'], 'true');
  assert.ok(varies(api.headers).includes('origin'));
  assert.match(String(api.headers['access-control-expose-headers']), /WWW-Authenticate/);
  // A script must be able to read a 401 to ask for credentials.
  const unauthenticated = await webRequest(`${listed.base}/.well-known/jmap`, { headers: { origin: APP } });
  assert.equal(unauthenticated.status, 401);
  assert.equal(unauthenticated.headers['access-control-allow-origin'], APP);
});

test('an origin not listed gets no Access-Control-Allow-Origin, on preflight or request', async () => {
  const pre = await preflight(listed.base, '/jmap/api', 'https://evil.example');
  assert.notEqual(pre.status, 204);
  assert.deepEqual(corsHeaders(pre), []);
  const api = await webRequest(`${listed.base}/jmap/api`, { method: 'POST', headers: { origin: 'https://evil.example', authorization: AUTHORIZATION, 'content-type': 'application/json' }, body: ECHO });
  assert.deepEqual(corsHeaders(api), []);
  assert.ok(varies(api.headers).includes('origin'), 'the answer still varies by origin for caches');
  // A listed host on another scheme or port is another origin (RFC 6454 §5).
  assert.deepEqual(corsHeaders(await preflight(listed.base, '/jmap/api', 'http://app.example')), []);
  assert.deepEqual(corsHeaders(await preflight(listed.base, '/jmap/api', 'https://other.example')), []);
  assert.deepEqual(corsHeaders(await preflight(listed.base, '/jmap/api', 'null')), []);
});

test('/api/ and /admin never get CORS headers, even for a listed origin', async () => {
  for (const path of ['/api/v1/accounts', '/api/', '/admin', '/admin/users', '/']) {
    assert.deepEqual(corsHeaders(await preflight(listed.base, path, APP, 'GET')), [], `preflight ${path}`);
    const res = await webRequest(`${listed.base}${path}`, { headers: { origin: APP, authorization: AUTHORIZATION } });
    assert.deepEqual(corsHeaders(res), [], path);
  }
});

test('"*": any origin may call, but the answer is the literal "*" without credentials', async () => {
  const pre = await preflight(anyOrigin.base, '/jmap/api', 'https://anywhere.example');
  assert.equal(pre.status, 204);
  assert.equal(pre.headers['access-control-allow-origin'], '*');
  assert.equal(pre.headers['access-control-allow-credentials'], undefined);
  const api = await webRequest(`${anyOrigin.base}/jmap/api`, { method: 'POST', headers: { origin: 'https://anywhere.example', authorization: AUTHORIZATION, 'content-type': 'application/json' }, body: ECHO });
  assert.equal(api.status, 200);
  assert.equal(api.headers['access-control-allow-origin'], '*');
  assert.deepEqual(corsHeaders(await webRequest(`${anyOrigin.base}/api/v1/accounts`, { headers: { origin: 'https://anywhere.example' } })), []);
});

test('off by default: no CORS headers anywhere', async () => {
  assert.deepEqual(corsHeaders(await preflight(off.base, '/jmap/api', APP)), []);
  const api = await webRequest(`${off.base}/jmap/api`, { method: 'POST', headers: { origin: APP, authorization: AUTHORIZATION, 'content-type': 'application/json' }, body: ECHO });
  assert.equal(api.status, 200);
  assert.deepEqual(corsHeaders(api), []);
  assert.equal(api.headers.vary, undefined);
});

test('corsGrant: listed origins with credentials, "*" without, "null" and absent never', () => {
  assert.deepEqual(corsGrant(APP, [APP]), { origin: APP, credentials: true });
  assert.deepEqual(corsGrant(APP, ['*', APP]), { origin: APP, credentials: true }, 'a listed origin keeps its credentials beside "*"');
  assert.deepEqual(corsGrant('https://x.example', ['*']), { origin: '*', credentials: false });
  assert.equal(corsGrant('null', ['*']), null);
  assert.equal(corsGrant(undefined, ['*']), null);
  assert.equal(corsGrant(APP, []), null);
  assert.equal(corsGrant('https://app.example.evil', [APP]), null);
});
