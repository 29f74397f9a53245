// The two web listeners over real sockets: HTTPS with the server's certificate and its security
// headers; plain HTTP keeping health, metrics and client set-up for everyone, but JMAP and the
// web only for loopback clients with plaintext allowed there, sending everyone else to HTTPS.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { hashPassword } from '../src/auth/password.ts';
import type { RunningServer } from '../src/server/app.ts';
import { plaintextDecision, type PlaintextRequest } from '../src/web/plaintext-guard.ts';
import { startTestServer, tempDir } from './helpers/server.ts';
import { webRequest } from './helpers/web.ts';

const ADDRESS = 'alice@example.com';
const PASSWORD = 'correct horse battery staple';
const AUTHORIZATION = 'Basic ' + Buffer.from(`${ADDRESS}:${PASSWORD}`).toString('base64');
const ECHO = JSON.stringify({ using: ['urn:ietf:params:jmap:core'], methodCalls: [['Core/echo', { hello: 'world' }, 'c1']] });
const JSON_POST = { method: 'POST', headers: { authorization: AUTHORIZATION, 'content-type': 'application/json' }, body: ECHO };

interface Running {
  server: RunningServer;
  dataDir: string;
  http: string;
  https: string;
  stop: () => Promise<void>;
}

async function start(env: Record<string, string>): Promise<Running> {
  const dir = tempDir('web');
  const server = await startTestServer(dir.path, ['http', 'https'], env);
  await server.deps.store.addDomain('example.com');
  await server.deps.store.createAccount({ address: ADDRESS, passwordHash: await hashPassword(PASSWORD) });
  return {
    server,
    dataDir: dir.path,
    http: `http://127.0.0.1:${server.ports.http}`,
    https: `https://127.0.0.1:${server.ports.https}`,
    async stop() {
      await server.stop();
      dir.remove();
    },
  };
}

let open: Running;
let strict: Running;

before(async () => {
  [open, strict] = await Promise.all([start({ POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' }), start({ POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'false' })]);
});
after(() => Promise.all([open?.stop(), strict?.stop()]));

test('HTTPS answers /healthz and /metrics with the certificate the other TLS listeners use', async () => {
  const health = await webRequest(`${strict.https}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(health.body, 'ok\n');
  const generated = new X509Certificate(readFileSync(join(strict.dataDir, 'tls', 'cert.pem')));
  assert.ok(health.peerCertificate && generated.raw.equals(health.peerCertificate), 'the certificate in <data_dir>/tls');
  const metrics = await webRequest(`${strict.https}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(metrics.body, /# TYPE posthorn_http_requests_total counter/);
  assert.ok(strict.server.ports.https > 0 && strict.server.ports.https !== strict.server.ports.http, 'its own port, reported as "https"');
});

test('HTTPS answers carry HSTS and nosniff; plain HTTP answers nosniff and never HSTS (RFC 6797 §7.2)', async () => {
  for (const path of ['/healthz', '/no-such-page', '/settings.json']) {
    const secure = await webRequest(`${strict.https}${path}`);
    assert.match(String(secure.headers['strict-transport-security']), /^max-age=\d{7,}/, path);
    assert.equal(secure.headers['x-content-type-options'], 'nosniff', path);
  }
  const plain = await webRequest(`${strict.http}/healthz`);
  assert.equal(plain.headers['strict-transport-security'], undefined);
  assert.equal(plain.headers['x-content-type-options'], 'nosniff');
});

test('the JMAP session and API over HTTPS name https URLs and answer', async () => {
  const session = await webRequest(`${strict.https}/.well-known/jmap`, { headers: { authorization: AUTHORIZATION } });
  assert.equal(session.status, 200);
  const body = JSON.parse(session.body);
  assert.equal(body.username, ADDRESS);
  assert.equal(body.apiUrl, `${strict.https}/jmap/api`);
  const api = await webRequest(`${strict.https}/jmap/api`, JSON_POST);
  assert.equal(api.status, 200, api.body);
  assert.deepEqual(JSON.parse(api.body).methodResponses, [['Core/echo', { hello: 'world' }, 'c1']]);
});

test('HTTPS serves the same routes as HTTP: client set-up too', async () => {
  const settings = await webRequest(`${strict.https}/settings.json?emailaddress=${ADDRESS}`);
  assert.equal(settings.status, 200);
  assert.equal(JSON.parse(settings.body).address, ADDRESS);
});

test('plain HTTP from loopback with plaintext allowed there: JMAP works, URLs say http', async () => {
  const session = await webRequest(`${open.http}/.well-known/jmap`, { headers: { authorization: AUTHORIZATION } });
  assert.equal(session.status, 200);
  assert.equal(JSON.parse(session.body).apiUrl, `${open.http}/jmap/api`);
  const api = await webRequest(`${open.http}/jmap/api`, JSON_POST);
  assert.equal(api.status, 200, api.body);
  assert.equal((await webRequest(`${open.http}/no-such-page`)).status, 404, 'the routes are reached');
});

test('plain HTTP without plaintext allowed: POST /jmap/api gets 403 naming HTTPS, nothing runs', async () => {
  const api = await webRequest(`${strict.http}/jmap/api`, JSON_POST);
  assert.equal(api.status, 403);
  assert.match(api.body, new RegExp(`HTTPS: https://mail\\.test\\.example:${strict.server.ports.https}/`));
  assert.equal(api.headers['www-authenticate'], undefined, 'refused before authentication: no challenge invites a password in the clear');
  assert.equal(api.headers.location, undefined);
});

test('plain HTTP without plaintext allowed: browser navigations get 308 to the same path on HTTPS', async () => {
  const target = `https://mail.test.example:${strict.server.ports.https}`;
  const root = await webRequest(`${strict.http}/`);
  assert.equal(root.status, 308);
  assert.equal(root.headers.location, `${target}/`);
  const deep = await webRequest(`${strict.http}/jmap/download/a1/b2/x.txt?accept=text%2Fplain`, { method: 'HEAD' });
  assert.equal(deep.status, 308);
  assert.equal(deep.headers.location, `${target}/jmap/download/a1/b2/x.txt?accept=text%2Fplain`);
  const session = await webRequest(`${strict.http}/.well-known/jmap`, { headers: { authorization: AUTHORIZATION, host: 'evil.example' } });
  assert.equal(session.status, 308);
  assert.equal(session.headers.location, `${target}/.well-known/jmap`, 'our hostname, never the Host header');
  for (const method of ['PUT', 'DELETE', 'OPTIONS']) assert.equal((await webRequest(`${strict.http}/`, { method })).status, 403, method);
});

test('plain HTTP keeps /healthz, /metrics and client set-up without secrets for everyone; the Apple profile (a password) only over HTTPS', async () => {
  assert.equal((await webRequest(`${strict.http}/healthz`)).status, 200);
  assert.equal((await webRequest(`${strict.http}/metrics`)).status, 200);
  assert.equal((await webRequest(`${strict.http}/settings.json`)).status, 200);
  // The routes themselves answer (this server has no IMAP or SMTP listener to describe), not the guard.
  const autoconfig = await webRequest(`${strict.http}/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=${ADDRESS}`);
  assert.equal(autoconfig.status, 404);
  assert.match(autoconfig.body, /no incoming or no outgoing mail service/);
  // The profile takes the password and can carry it: sent to HTTPS, where it asks for the login.
  const mobileconfig = await webRequest(`${strict.http}/mobileconfig?password=1`, { headers: { authorization: AUTHORIZATION } });
  assert.equal(mobileconfig.status, 308);
  assert.doesNotMatch(mobileconfig.body, /PayloadContent|Password/);
  assert.equal(mobileconfig.headers.location, `https://mail.test.example:${strict.server.ports.https}/mobileconfig?password=1`);
  const overTls = await webRequest(`${strict.https}/mobileconfig`);
  assert.equal(overTls.status, 401);
  assert.match(String(overTls.headers['www-authenticate']), /^Basic/);
});

test('plaintextDecision: the loopback rule, for clients the tests cannot connect from', () => {
  const ctx = { hostname: 'mail.example.com', ports: { http: 80, https: 443 } };
  const url = new URL('http://x/inbox?folder=1');
  const ask = (request: Partial<PlaintextRequest>, allowPlaintextOnLoopback: boolean, c: typeof ctx | { hostname: string; ports: Record<string, number> } = ctx) =>
    plaintextDecision({ method: 'GET', overTls: false, clientAddress: '203.0.113.7', ...request }, url, { allowPlaintextOnLoopback }, c);
  assert.deepEqual(ask({}, true), { kind: 'redirect', location: 'https://mail.example.com/inbox?folder=1' }, 'remote client: port 443 is not written');
  assert.equal(ask({ method: 'POST' }, true).kind, 'refuse');
  assert.equal(ask({ clientAddress: '127.0.0.1' }, true).kind, 'serve');
  assert.equal(ask({ clientAddress: '::1', method: 'POST' }, true).kind, 'serve');
  assert.equal(ask({ clientAddress: '127.0.0.1' }, false).kind, 'redirect', 'loopback without the setting is like anyone else');
  assert.equal(ask({ clientAddress: '203.0.113.7', overTls: true, method: 'POST' }, false).kind, 'serve', 'over TLS everything passes');
  assert.deepEqual(ask({}, false, { hostname: 'mail.example.com', ports: { http: 80 } }), { kind: 'refuse', message: 'This service is only available over HTTPS.' }, 'HTTPS off: nowhere to send them');
  assert.deepEqual(ask({}, false, { hostname: 'mail.example.com', ports: { http: 80, https: 8443 } }), { kind: 'redirect', location: 'https://mail.example.com:8443/inbox?folder=1' });
});
