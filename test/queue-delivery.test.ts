// The outbound queue end to end against a real SMTP peer on loopback (smtp-server, with STARTTLS),
// the resolver pointing the test domains at it: success (several recipients of a domain in one
// transaction, over TLS, DKIM-signed), temporary failure then success, permanent failure → DSN
// in the sender's INBOX, expiry, delay notice, no bounce to <>, null MX, implicit MX, smarthost.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { startHarness, startPeer, submit, nextDelivery, message, codes, freePort, type Harness, type Peer, type PeerOptions } from './smtp-harness.ts';
import { staticResolver } from '../src/net/dns.ts';
import type { OutboundOptions } from '../src/server/outbound.ts';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function setup(peerOpts: PeerOptions = {}, smtp: Partial<OutboundOptions> = {}): Promise<{ h: Harness; peer: Peer }> {
  const peer = await startPeer(peerOpts);
  const resolver = staticResolver({
    'remote.test': { MX: [{ exchange: 'mx2.remote.test', priority: 20 }, { exchange: 'mx1.remote.test', priority: 10 }] },
    'mx1.remote.test': { A: ['127.0.0.1'] },
    'mx2.remote.test': { A: ['127.0.0.1'] },
    'nomx.test': { A: ['127.0.0.1'] },
    'nullmx.test': { MX: [{ exchange: '.', priority: 0 }] },
  });
  const h = await startHarness({
    roles: ['submissions'],
    smtp: {
      resolver,
      mxPort: peer.port,
      schedule: { retryDelaysMs: [20], maxAgeMs: 3600_000, delayNoticeAfterMs: 3600_000 },
      connectTimeoutMs: 5000,
      ...smtp,
    },
  });
  const key = generateKeyPairSync('rsa', { modulusLength: 1024 });
  await h.deps.store.addDomain('posthorn.test', { selector: 'q1', privateKeyPem: key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string });
  await h.addAccount('alice@posthorn.test');
  cleanups.push(async () => {
    await h.stop();
    await peer.close();
  });
  return { h, peer };
}

/** Runs one more queue pass and waits for it: everything the previous pass started is recorded. */
async function settled(h: Harness): Promise<void> {
  const runner = h.outbound.runner;
  const done = runner.passCompleted();
  runner.kick();
  await done;
}

test('success: two recipients of one domain in one transaction, over STARTTLS, DKIM-signed; the queue empties', async () => {
  const { h, peer } = await setup();
  const reply = await submit(h, 'alice@posthorn.test', ['carol@remote.test', 'dave@remote.test'], message({ from: 'alice@posthorn.test', to: 'carol@remote.test', subject: 'outbound one' }));
  assert.equal(codes(reply), '250 2.6.0');
  const [got] = await peer.received(1);
  assert.deepEqual(got.to.sort(), ['carol@remote.test', 'dave@remote.test']);
  assert.equal(got.from, 'alice@posthorn.test');
  assert.equal(got.secure, true);
  assert.match(got.raw, /^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed\/relaxed; d=posthorn\.test;/);
  assert.match(got.raw.split('\r\nReceived:')[0], /\bs=q1;/);
  assert.match(got.raw, /Subject: outbound one/);
  await settled(h);
  assert.deepEqual(await h.outbound.store.list(), []);
});

test('temporary failure then success: 451 at RCPT, retried on schedule, delivered once', async () => {
  const { h, peer } = await setup({ rcpt: (_a, attempt) => (attempt === 1 ? [451, '4.3.0 try again later'] : null) });
  assert.equal(codes(await submit(h, 'alice@posthorn.test', ['erin@remote.test'], message({ from: 'alice@posthorn.test', subject: 'retry me' }))), '250 2.6.0');
  const [got] = await peer.received(1);
  assert.deepEqual(got.to, ['erin@remote.test']);
  assert.deepEqual(peer.rcptLog, ['erin@remote.test', 'erin@remote.test']);
  await settled(h);
  assert.deepEqual(await h.outbound.store.list(), []);
  assert.equal(peer.messages.length, 1);
});

test('permanent failure: 550 5.1.1 at RCPT → one RFC 3464 DSN in the sender INBOX; other recipients still delivered', async () => {
  const { h, peer } = await setup({ rcpt: (a) => (a === 'ghost@remote.test' ? [550, '5.1.1 no such user'] : null) });
  const bounced = nextDelivery(h, 'alice@posthorn.test');
  assert.equal(codes(await submit(h, 'alice@posthorn.test', ['ghost@remote.test', 'frank@remote.test'], message({ from: 'alice@posthorn.test', subject: 'half bounce' }))), '250 2.6.0');
  await bounced;
  const [got] = await peer.received(1);
  assert.deepEqual(got.to, ['frank@remote.test']);
  const inbox = await h.inbox('alice@posthorn.test');
  assert.equal(inbox.length, 1);
  const dsn = inbox[0];
  assert.match(dsn, /From: Mail Delivery System <MAILER-DAEMON@mx\.posthorn\.test>/);
  assert.match(dsn, /Content-Type: multipart\/report; report-type=delivery-status;/);
  assert.match(dsn, /Reporting-MTA: dns; mx\.posthorn\.test/);
  assert.match(dsn, /Final-Recipient: rfc822; ghost@remote\.test\r\nAction: failed\r\nStatus: 5\.1\.1\r\nRemote-MTA: dns; mx1\.remote\.test\r\nDiagnostic-Code: smtp; 550 5\.1\.1 no such user/);
  assert.ok(!dsn.includes('frank@remote.test\r\nAction'), 'only the failed recipient is reported');
  assert.match(dsn, /Content-Type: text\/rfc822-headers\r\n\r\n[^]*Subject: half bounce/);
  await settled(h);
  assert.deepEqual(await h.outbound.store.list(), []);
});

test('expiry: a temporary failure past the maximum age bounces with a 5.x.x status', async () => {
  const { h } = await setup({ rcpt: () => [451, '4.4.5 busy'] }, { schedule: { retryDelaysMs: [20], maxAgeMs: 0, delayNoticeAfterMs: 3600_000 } });
  const bounced = nextDelivery(h, 'alice@posthorn.test');
  await submit(h, 'alice@posthorn.test', ['slow@remote.test'], message({ from: 'alice@posthorn.test', subject: 'expires' }));
  await bounced;
  const dsn = (await h.inbox('alice@posthorn.test'))[0];
  assert.match(dsn, /Final-Recipient: rfc822; slow@remote\.test\r\nAction: failed\r\nStatus: 5\.4\.5/);
  assert.match(dsn, /gave up after/);
});

test('delay notice: one "delayed" DSN after the configured time, and the message stays queued', async () => {
  const { h } = await setup({ rcpt: () => [451, '4.4.5 busy'] }, { schedule: { retryDelaysMs: [3600_000], maxAgeMs: 5 * 86400_000, delayNoticeAfterMs: 0 } });
  const notified = nextDelivery(h, 'alice@posthorn.test');
  await submit(h, 'alice@posthorn.test', ['slow@remote.test'], message({ from: 'alice@posthorn.test', subject: 'delayed' }));
  await notified;
  const inbox = await h.inbox('alice@posthorn.test');
  assert.equal(inbox.length, 1);
  assert.match(inbox[0], /Subject: Delayed Mail/);
  assert.match(inbox[0], /Action: delayed\r\nStatus: 4\.4\.5/);
  assert.match(inbox[0], /Will-Retry-Until: /);
  await settled(h);
  const queued = await h.outbound.store.list();
  assert.equal(queued.length, 1);
  assert.equal(queued[0].recipients[0].state, 'pending');
  assert.equal(queued[0].recipients[0].delayNotified, true);
});

test('never a bounce to the null sender: a failing message from <> is dropped, nothing sent back', async () => {
  const { h } = await setup({ rcpt: () => [550, '5.1.1 no such user'] });
  const { outbox, store: queue } = h.outbound;
  await outbox.enqueue({ sender: '', recipients: ['ghost@remote.test'], body: Buffer.from(message({ subject: 'from null' })) });
  await settled(h);
  assert.deepEqual(await queue.list(), []);
  assert.equal((await h.inbox('alice@posthorn.test')).length, 0);
});

test('routing: implicit MX (A record) is used; a null MX (RFC 7505) and an unknown domain bounce at once', async () => {
  const { h, peer } = await setup();
  await submit(h, 'alice@posthorn.test', ['x@nomx.test'], message({ from: 'alice@posthorn.test', subject: 'implicit mx' }));
  const [got] = await peer.received(1);
  assert.deepEqual(got.to, ['x@nomx.test']);
  const bounced = nextDelivery(h, 'alice@posthorn.test');
  await submit(h, 'alice@posthorn.test', ['x@nullmx.test'], message({ from: 'alice@posthorn.test', subject: 'null mx' }));
  await bounced;
  assert.match((await h.inbox('alice@posthorn.test'))[0], /Final-Recipient: rfc822; x@nullmx\.test\r\nAction: failed\r\nStatus: 5\.1\.10/);
  const bounced2 = nextDelivery(h, 'alice@posthorn.test');
  await submit(h, 'alice@posthorn.test', ['x@nowhere.test'], message({ from: 'alice@posthorn.test', subject: 'no domain' }));
  await bounced2;
  assert.match((await h.inbox('alice@posthorn.test'))[1], /Final-Recipient: rfc822; x@nowhere\.test\r\nAction: failed\r\nStatus: 5\.1\.2/);
});

test('smarthost: everything goes to the relay host, with AUTH', async () => {
  const relay = await startPeer({ auth: { user: 'relayuser', pass: 'relaypass' } });
  cleanups.push(() => relay.close());
  const { h, peer } = await setup({}, { relay: { host: '127.0.0.1', port: relay.port, secure: false, user: 'relayuser', password: 'relaypass' } });
  await submit(h, 'alice@posthorn.test', ['carol@remote.test', 'zed@other.test'], message({ from: 'alice@posthorn.test', subject: 'via relay' }));
  const got = await relay.received(2);
  assert.deepEqual(got.flatMap((m) => m.to).sort(), ['carol@remote.test', 'zed@other.test']);
  assert.ok(got.every((m) => m.user === 'relayuser'));
  assert.equal(peer.messages.length, 0);
});

test('hosts in preference order: the first MX refuses connections, the second takes the message', async () => {
  const peer = await startPeer();
  const h = await startHarness({
    roles: ['submissions'],
    smtp: {
      // 127.0.0.2 is loopback too, but the peer listens on 127.0.0.1 only: connection refused.
      resolver: staticResolver({
        'remote.test': { MX: [{ exchange: 'mx2.remote.test', priority: 20 }, { exchange: 'mx1.remote.test', priority: 10 }] },
        'mx1.remote.test': { A: ['127.0.0.2'] },
        'mx2.remote.test': { A: ['127.0.0.1'] },
      }),
      mxPort: peer.port,
    },
  });
  cleanups.push(async () => {
    await h.stop();
    await peer.close();
  });
  await h.addAccount('alice@posthorn.test');
  await submit(h, 'alice@posthorn.test', ['carol@remote.test'], message({ from: 'alice@posthorn.test', subject: 'second mx' }));
  const [got] = await peer.received(1);
  assert.deepEqual(got.to, ['carol@remote.test']);
});

test('the queue survives a restart: queued while the peer is down, delivered by the restarted server', async () => {
  const resolver = staticResolver({ 'remote.test': { MX: [{ exchange: 'mx1.remote.test', priority: 10 }] }, 'mx1.remote.test': { A: ['127.0.0.1'] } });
  const schedule = { retryDelaysMs: [3600_000], maxAgeMs: 86400_000, delayNoticeAfterMs: 86400_000 };
  const first = await startHarness({ roles: ['submissions'], smtp: { resolver, schedule, mxPort: await freePort() } });
  await first.addAccount('alice@posthorn.test');
  await submit(first, 'alice@posthorn.test', ['carol@remote.test'], message({ from: 'alice@posthorn.test', subject: 'survives restart' }));
  await settled(first);
  const before = await first.outbound.store.list();
  assert.equal(before.length, 1);
  assert.equal(before[0].recipients[0].attempts, 1);
  await first.stop(true);
  const peer = await startPeer();
  const second = await startHarness({ dir: first.dir, roles: ['submissions'], smtp: { resolver, schedule, mxPort: peer.port } });
  cleanups.push(async () => {
    await second.stop();
    await peer.close();
  });
  // As `posthorn queue retry` would: due now, then the runner is told.
  assert.equal(await second.outbound.store.retry(null), 1);
  second.outbound.runner.kick();
  const [got] = await peer.received(1);
  assert.match(got.raw, /Subject: survives restart/);
});

test('inbound mail to an alias that points outside is queued and forwarded; the local target of the same alias gets its copy', async () => {
  const peer = await startPeer();
  const resolver = staticResolver({ 'remote.test': { MX: [{ exchange: 'mx1.remote.test', priority: 10 }] }, 'mx1.remote.test': { A: ['127.0.0.1'] } });
  const h = await startHarness({ roles: ['smtp'], smtp: { resolver, mxPort: peer.port } });
  cleanups.push(async () => {
    await h.stop();
    await peer.close();
  });
  await h.addAccount('alice@posthorn.test');
  await h.deps.store.addAlias('fwd@posthorn.test', 'alice@posthorn.test');
  await h.deps.store.addAlias('fwd@posthorn.test', 'outside@remote.test');
  const { RawSmtp, sendRaw } = await import('./smtp-harness.ts');
  const c = await RawSmtp.connect(h.ports.smtp);
  await c.reply();
  await c.cmd('EHLO sender.example');
  const r = await sendRaw(c, 'someone@sender.example', ['fwd@posthorn.test'], message({ from: 'someone@sender.example', subject: 'forward me' }));
  assert.equal(codes(r.data), '250 2.6.0');
  c.end();
  const [got] = await peer.received(1);
  assert.deepEqual(got.to, ['outside@remote.test']);
  assert.equal(got.from, 'someone@sender.example');
  assert.match(got.raw, /Authentication-Results: mx\.posthorn\.test;/);
  assert.ok((await h.inbox('alice@posthorn.test')).some((m) => m.includes('Subject: forward me')));
});
