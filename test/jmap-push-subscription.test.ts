// PushSubscription (RFC 8620 §7.2) against a real server and a push endpoint on loopback http
// (allowed by jmap.push_allow_http_loopback): the PushVerification POST, verification, a
// StateChange for the subscribed types only, expiry, url/keys never returned, the URL policy,
// and RFC 8291 encryption when keys are given.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createDecipheriv, createECDH, hkdfSync, randomBytes } from 'node:crypto';
import { startJmapServer, type JmapTestServer } from './helpers/jmap.ts';
import { deliverTo } from './helpers/jmap-push.ts';
import { toState } from '../src/jmap/ids.ts';

interface Push { headers: http.IncomingHttpHeaders; body: Buffer }

let srv: JmapTestServer;
let endpoint: http.Server;
let endpointUrl: string;
const pushes: Push[] = [];
const waiting: ((p: Push) => void)[] = [];
const nextPush = (): Promise<Push> => (pushes.length ? Promise.resolve(pushes.shift()!) : new Promise((resolve) => waiting.push(resolve)));

const CORE = ['urn:ietf:params:jmap:core'];
const set = async (args: Record<string, unknown>) => (await srv.call([['PushSubscription/set', args, 's']], CORE))[0];
const get = async (args: Record<string, unknown> = {}) => (await srv.call([['PushSubscription/get', args, 'g']], CORE))[0];

before(async () => {
  endpoint = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(201).end();
      const p = { headers: req.headers, body: Buffer.concat(chunks) };
      const w = waiting.shift();
      if (w) w(p);
      else pushes.push(p);
    });
  });
  await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
  endpointUrl = `http://127.0.0.1:${(endpoint.address() as { port: number }).port}/push`;
  srv = await startJmapServer({ env: { POSTHORN_JMAP_PUSH_ALLOW_HTTP_LOOPBACK: 'true' } });
});

after(async () => {
  await srv.stop();
  endpoint.close();
});

describe('PushSubscription', () => {
  it('create → PushVerification POST; verify with the code; a change pushes a StateChange of the subscribed types', async () => {
    const [name, created] = await set({ create: { k1: { deviceClientId: 'phone-1', url: endpointUrl, types: ['Email'] } } });
    assert.equal(name, 'PushSubscription/set');
    const id = created.created.k1.id;
    assert.match(created.created.k1.expires, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'the server chose an expiry');
    const verification = await nextPush();
    assert.equal(verification.headers['content-type'], 'application/json; charset=utf-8');
    assert.ok(verification.headers.ttl);
    const body = JSON.parse(verification.body.toString());
    assert.equal(body['@type'], 'PushVerification');
    assert.equal(body.pushSubscriptionId, id);

    const [, listed] = await get();
    assert.deepEqual(listed.list, [{ id, deviceClientId: 'phone-1', verificationCode: null, expires: created.created.k1.expires, types: ['Email'] }]);
    assert.ok(!('accountId' in listed) && !('state' in listed));

    const [, wrong] = await set({ update: { [id]: { verificationCode: 'guess' } } });
    assert.equal(wrong.notUpdated[id].type, 'invalidProperties');
    const [, right] = await set({ update: { [id]: { verificationCode: body.verificationCode } } });
    assert.deepEqual(right.updated, { [id]: null });
    assert.equal((await get({ ids: [id] }))[1].list[0].verificationCode, body.verificationCode);

    const { modseq } = await deliverTo(srv, 'pushed');
    const change = JSON.parse((await nextPush()).body.toString());
    assert.deepEqual(change, { '@type': 'StateChange', changed: { [srv.accountId]: { Email: toState(modseq) } } });

    const [, gone] = await set({ destroy: [id] });
    assert.deepEqual(gone.destroyed, [id]);
  });

  it('expiry is honoured: a subscription past its expiry is not listed and not pushed to', async () => {
    const [, created] = await set({ create: { k: { deviceClientId: 'old', url: endpointUrl, expires: '2030-01-01T00:00:00Z' } } });
    const id = created.created.k.id;
    const code = JSON.parse((await nextPush()).body.toString()).verificationCode;
    await set({ update: { [id]: { verificationCode: code, expires: '2020-01-01T00:00:00Z' } } });
    assert.deepEqual((await get())[1].list, []);
    assert.deepEqual((await get({ ids: [id] }))[1].notFound, [id]);
  });

  it('url and keys are never returned; the URL must be allowed; bad properties are refused', async () => {
    const [name, forbidden] = await get({ properties: ['url'] });
    assert.deepEqual([name, forbidden.type], ['error', 'forbidden']);
    const [, refused] = await set({
      create: {
        plain: { deviceClientId: 'd', url: 'http://push.example.com/x' },
        ftp: { deviceClientId: 'd', url: 'ftp://127.0.0.1/x' },
        code: { deviceClientId: 'd', url: endpointUrl, verificationCode: 'mine' },
        keys: { deviceClientId: 'd', url: endpointUrl, keys: { p256dh: 'x', auth: 'y' } },
        extra: { deviceClientId: 'd', url: endpointUrl, colour: 'blue' },
      },
    });
    assert.deepEqual(Object.fromEntries(Object.entries(refused.notCreated).map(([k, e]: [string, any]) => [k, e.properties])), {
      plain: ['url'], ftp: ['url'], code: ['verificationCode'], keys: ['keys'], extra: ['colour'],
    });
  });

  it('with keys, pushes are encrypted (RFC 8291 aes128gcm) and the subscriber can read them', async () => {
    const ua = createECDH('prime256v1');
    const uaPublic = ua.generateKeys();
    const auth = randomBytes(16);
    await set({ create: { e: { deviceClientId: 'browser', url: endpointUrl, keys: { p256dh: uaPublic.toString('base64url'), auth: auth.toString('base64url') } } } });
    const push = await nextPush();
    assert.equal(push.headers['content-encoding'], 'aes128gcm');
    const body = push.body;
    const salt = body.subarray(0, 16);
    const idLength = body[20];
    const asPublic = body.subarray(21, 21 + idLength);
    const sealed = body.subarray(21 + idLength);
    const secret = ua.computeSecret(asPublic);
    const ikm = Buffer.from(hkdfSync('sha256', secret, auth, Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic]), 32));
    const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
    const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
    const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    const plain = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
    assert.equal(plain[plain.length - 1], 2, 'the last record delimiter');
    assert.equal(JSON.parse(plain.subarray(0, -1).toString())['@type'], 'PushVerification');
  });
});

describe('PushSubscription URL policy by default', () => {
  it('http URLs, even to loopback, are refused unless the setting allows them', async () => {
    const strict = await startJmapServer();
    try {
      const [[, r]] = await strict.call([['PushSubscription/set', { create: { a: { deviceClientId: 'd', url: 'http://127.0.0.1:9/push' } } }, 's']], CORE);
      assert.equal(r.notCreated.a.type, 'invalidProperties');
      assert.match(r.notCreated.a.description, /https/);
    } finally {
      await strict.stop();
    }
  });
});
