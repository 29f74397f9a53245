// JMAP over WebSocket (RFC 8887) against a real server with the ws client: the capability in
// the session, Request → Response with requestId, push enable then an IMAP change → StateChange
// with pushState, catching up from a pushState, RequestErrors that leave the connection usable,
// and handshakes refused before the upgrade.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import type { ImapFlow } from 'imapflow';
import { startJmapServer, type JmapTestServer } from './helpers/jmap.ts';
import { deliverTo, imapClient, openEventStream, refusedUpgrade } from './helpers/jmap-push.ts';
import { toState } from '../src/jmap/ids.ts';
import { startTestServer, tempDir } from './helpers/server.ts';

let srv: JmapTestServer;
let imap: ImapFlow;
let wsUrl: string;

/** A ws client whose messages are awaited one by one. */
async function connect(headers: Record<string, string> = { authorization: srv.authorization }): Promise<{ ws: WebSocket; next: () => Promise<any>; send: (m: unknown) => void }> {
  const ws = new WebSocket(wsUrl, 'jmap', { headers });
  const queue: any[] = [];
  const waiters: ((m: any) => void)[] = [];
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString());
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  assert.equal(ws.protocol, 'jmap');
  return {
    ws,
    next: () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiters.push(resolve))),
    send: (m) => ws.send(typeof m === 'string' ? m : JSON.stringify(m)),
  };
}

async function accountState(): Promise<string> {
  return toState((await srv.server.deps.store.getAccountByAddress(srv.address))!.modseq);
}

before(async () => {
  srv = await startJmapServer({ enable: ['imap'] });
  await deliverTo(srv, 'first');
  imap = await imapClient(srv);
  await imap.mailboxOpen('INBOX');
  const session = await (await fetch(`${srv.base}/.well-known/jmap`, { headers: { authorization: srv.authorization } })).json();
  assert.deepEqual(session.capabilities['urn:ietf:params:jmap:websocket'], { url: `ws://127.0.0.1:${srv.server.ports.http}/jmap/ws`, supportsPush: true });
  wsUrl = session.capabilities['urn:ietf:params:jmap:websocket'].url;
});

after(async () => {
  await imap.logout().catch(() => {});
  await srv.stop();
});

describe('JMAP over WebSocket', () => {
  it('a Request gets its Response, with the request id as requestId (RFC 8887 §4.3.3)', async () => {
    const c = await connect();
    try {
      c.send({ '@type': 'Request', id: 'R1', using: ['urn:ietf:params:jmap:core'], methodCalls: [['Core/echo', { hello: true, high: 5 }, 'b3ff']] });
      const r = await c.next();
      assert.equal(r['@type'], 'Response');
      assert.equal(r.requestId, 'R1');
      assert.deepEqual(r.methodResponses, [['Core/echo', { hello: true, high: 5 }, 'b3ff']]);
      assert.equal(typeof r.sessionState, 'string');
    } finally {
      c.ws.close();
    }
  });

  it('a burst of requests (more than run at once) is answered in full, in order', async () => {
    const c = await connect();
    try {
      for (let i = 0; i < 40; i++) c.send({ '@type': 'Request', id: `B${i}`, using: ['urn:ietf:params:jmap:core'], methodCalls: [['Core/echo', { i }, 'e']] });
      const answers = [];
      for (let i = 0; i < 40; i++) answers.push(await c.next());
      assert.deepEqual(answers.map((a) => [a.requestId, a.methodResponses[0][1].i]), Array.from({ length: 40 }, (_, i) => [`B${i}`, i]));
    } finally {
      c.ws.close();
    }
  });

  it('a malformed message gets a RequestError and the connection stays usable', async () => {
    const c = await connect();
    try {
      c.send('{"@type": "Request", ');
      assert.deepEqual(await c.next(), { '@type': 'RequestError', type: 'urn:ietf:params:jmap:error:notJSON', status: 400, detail: 'The message is not valid JSON (RFC 8259).' });
      c.send({ '@type': 'Bogus' });
      assert.equal((await c.next()).type, 'urn:ietf:params:jmap:error:notRequest');
      c.send({ '@type': 'Request', id: 'R2', using: ['urn:example:nothing'], methodCalls: [] });
      const unknown = await c.next();
      assert.deepEqual([unknown['@type'], unknown.requestId, unknown.type], ['RequestError', 'R2', 'urn:ietf:params:jmap:error:unknownCapability']);
      c.ws.send(Buffer.from('{}'), { binary: true });
      assert.equal((await c.next()).type, 'urn:ietf:params:jmap:error:notRequest');
      c.send({ '@type': 'Request', id: 'R3', using: ['urn:ietf:params:jmap:core'], methodCalls: [['Core/echo', { still: 'here' }, 'c']] });
      const ok = await c.next();
      assert.deepEqual([ok['@type'], ok.requestId, ok.methodResponses], ['Response', 'R3', [['Core/echo', { still: 'here' }, 'c']]]);
    } finally {
      c.ws.close();
    }
  });

  it('push: after WebSocketPushEnable an IMAP change arrives as a StateChange with pushState; after Disable nothing', async () => {
    const c = await connect();
    try {
      c.send({ '@type': 'WebSocketPushEnable', dataTypes: ['Email', 'Mailbox'] });
      // The enable has no answer; a request after it is answered after it took effect.
      c.send({ '@type': 'Request', using: ['urn:ietf:params:jmap:core'], methodCalls: [['Core/echo', {}, 'sync']] });
      assert.equal((await c.next())['@type'], 'Response');
      await imap.messageFlagsAdd('1:*', ['\\Seen']);
      const change = await c.next();
      const state = await accountState();
      assert.deepEqual(change, { '@type': 'StateChange', changed: { [srv.accountId]: { Email: state, Mailbox: state } }, pushState: state });
      c.send({ '@type': 'WebSocketPushDisable' });
      await imap.messageFlagsRemove('1:*', ['\\Seen']);
      c.send({ '@type': 'Request', id: 'after', using: ['urn:ietf:params:jmap:core'], methodCalls: [['Core/echo', {}, 'x']] });
      assert.equal((await c.next()).requestId, 'after', 'no StateChange came before the response');
    } finally {
      c.ws.close();
    }
  });

  it('push with a pushState: what changed since is pushed at once', async () => {
    const since = await accountState();
    const { modseq } = await deliverTo(srv, 'while away');
    const c = await connect();
    try {
      c.send({ '@type': 'WebSocketPushEnable', dataTypes: null, pushState: since });
      const state = toState(modseq);
      assert.deepEqual(await c.next(), { '@type': 'StateChange', changed: { [srv.accountId]: { Email: state, Thread: state, Mailbox: state, EmailDelivery: state } }, pushState: state });
    } finally {
      c.ws.close();
    }
  });

  it('an unauthenticated upgrade is refused with 401 and a challenge; another site is refused with 403; no jmap subprotocol gets 400', async () => {
    const refused = (protocols: string[], headers: Record<string, string>) => refusedUpgrade(wsUrl, protocols, headers);
    const anonymous = await refused(['jmap'], {});
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.challenge ?? '', /^Basic /);
    assert.equal((await refused(['jmap'], { authorization: 'Basic ' + Buffer.from(`${srv.address}:wrong`).toString('base64') })).status, 401);
    assert.equal((await refused(['jmap'], { authorization: srv.authorization, origin: 'https://evil.example' })).status, 403);
    assert.equal((await refused(['chat'], { authorization: srv.authorization })).status, 400);
  });
});

describe('shutdown', () => {
  it('stopping the server ends open WebSockets and EventSource streams', async () => {
    const other = await startJmapServer();
    const session = await (await fetch(`${other.base}/.well-known/jmap`, { headers: { authorization: other.authorization } })).json();
    const ws = new WebSocket(session.capabilities['urn:ietf:params:jmap:websocket'].url, 'jmap', { headers: { authorization: other.authorization } });
    await new Promise((resolve) => ws.once('open', resolve));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    const stream = await openEventStream(`${other.base}/jmap/eventsource?types=*&closeafter=no&ping=0`, other.authorization);
    assert.equal(stream.status, 200);
    await other.stop();
    assert.equal(await closed, 1001, 'going away (RFC 6455 §7.4.1)');
    await stream.ended;
  });
});

describe('plain HTTP', () => {
  it('without plaintext allowed on loopback, an upgrade over plain HTTP is refused with 403 before any login', async () => {
    const dir = tempDir('jmap-ws-plain');
    const plain = await startTestServer(dir.path, ['http'], { POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'false' });
    try {
      const { status } = await refusedUpgrade(`ws://127.0.0.1:${plain.ports.http}/jmap/ws`, ['jmap'], { authorization: 'Basic ' + Buffer.from('a@example.com:pw').toString('base64') });
      assert.equal(status, 403);
    } finally {
      await plain.stop();
      dir.remove();
    }
  });
});
