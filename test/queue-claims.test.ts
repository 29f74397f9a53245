// Queue runners that share one database, as two nodes would: each on its own SQLite connection
// to the same file, delivering to a real SMTP peer on loopback. Claims must make every
// recipient attempted once, and a crashed runner's claim must run out and pass to another.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../src/store/sqlite/index.ts';
import { FileBlobStore } from '../src/store/blob-files.ts';
import { InProcessChangeBus } from '../src/store/change-bus.ts';
import { silentLogger } from '../src/server/log.ts';
import { staticResolver } from '../src/net/dns.ts';
import { QueueRunner } from '../src/queue/runner.ts';
import { Outbox } from '../src/queue/outbox.ts';
import type { MailStore } from '../src/store/types.ts';
import { startPeer, message, type Peer } from './smtp-harness.ts';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

interface Node {
  store: MailStore;
  runner: QueueRunner;
}

async function twoNodes(peer: Peer, concurrency = 4): Promise<{ a: Node; b: Node; outbox: Outbox; blobs: FileBlobStore }> {
  const dir = mkdtempSync(join(tmpdir(), 'posthorn-queue-claims-'));
  const blobs = new FileBlobStore(join(dir, 'blobs'));
  const resolver = staticResolver({ 'remote.test': { MX: [{ exchange: 'mx.remote.test', priority: 10 }] }, 'mx.remote.test': { A: ['127.0.0.1'] } });
  const node = async (name: string): Promise<Node> => {
    const store = await openSqliteStore({ path: join(dir, 'posthorn.db'), bus: new InProcessChangeBus() });
    const runner = new QueueRunner({
      store: store.queue,
      blobs,
      resolver,
      log: silentLogger(),
      hostname: `${name}.posthorn.test`,
      owner: name,
      leaseMs: 60_000,
      schedule: { retryDelaysMs: [3600_000], maxAgeMs: 86400_000, delayNoticeAfterMs: 86400_000 },
      client: { connectTimeoutMs: 5000, socketTimeoutMs: 10_000, relay: null },
      mxPort: peer.port,
      submitBounce: async () => assert.fail('nothing here bounces'),
      concurrency,
    });
    return { store, runner };
  };
  const a = await node('node-a');
  const b = await node('node-b');
  cleanups.push(async () => {
    await Promise.all([a.runner.stop(), b.runner.stop()]);
    await Promise.all([a.store.close(), b.store.close()]);
    rmSync(dir, { recursive: true, force: true });
  });
  return { a, b, outbox: new Outbox(a.store.queue, blobs), blobs };
}

/** Starts a pass on every runner at once and waits until each has completed it. */
async function racePasses(...runners: QueueRunner[]): Promise<void> {
  const done = runners.map((r) => r.passCompleted());
  for (const r of runners) r.start();
  await Promise.all(done);
}

test('two nodes racing for one message: exactly one attempt', async () => {
  const peer = await startPeer();
  cleanups.push(() => peer.close());
  const { a, b, outbox } = await twoNodes(peer);
  await outbox.enqueue({ sender: 'alice@posthorn.test', recipients: ['carol@remote.test'], body: Buffer.from(message({ subject: 'only once' })) });
  await racePasses(a.runner, b.runner);
  assert.deepEqual(peer.rcptLog, ['carol@remote.test'], 'one RCPT in all');
  assert.equal(peer.messages.length, 1);
  assert.deepEqual(await b.store.queue.list(), []);
});

test('two nodes racing for twenty messages: each delivered exactly once', async () => {
  const peer = await startPeer();
  cleanups.push(() => peer.close());
  const { a, b, outbox } = await twoNodes(peer);
  for (let i = 0; i < 20; i++) {
    await outbox.enqueue({ sender: 'alice@posthorn.test', recipients: [`r${i}@remote.test`], body: Buffer.from(message({ subject: `race ${i}` })) });
  }
  await racePasses(a.runner, b.runner);
  assert.equal(peer.rcptLog.length, 20);
  assert.equal(new Set(peer.rcptLog).size, 20);
  const subjects = peer.messages.map((m) => /Subject: (race \d+)/.exec(m.raw)?.[1]);
  assert.equal(new Set(subjects).size, 20);
  assert.deepEqual(await a.store.queue.list(), []);
});

test('a crashed node’s claim blocks others until it runs out; then another node delivers and the stale holder is refused', async () => {
  const peer = await startPeer();
  cleanups.push(() => peer.close());
  const { a, b, outbox } = await twoNodes(peer);
  const now = Date.now();
  // Queued a while ago; a node that has since crashed claimed it, its lease still running.
  await outbox.enqueue({ sender: 'alice@posthorn.test', recipients: ['held@remote.test'], body: Buffer.from(message({ subject: 'held' })), now: now - 20_000 });
  const [held] = await a.store.queue.claimDue({ owner: 'crashed-node', now: now - 10_000, leaseMs: 3600_000, limit: 10 });
  assert.ok(held);
  await racePasses(b.runner);
  assert.deepEqual(peer.rcptLog, [], 'not attempted while another holds it');
  // Another message, claimed by the crashed node with a lease that has run out.
  await outbox.enqueue({ sender: 'alice@posthorn.test', recipients: ['expired@remote.test'], body: Buffer.from(message({ subject: 'taken over' })), now: now - 20_000 });
  const [stale] = await a.store.queue.claimDue({ owner: 'crashed-node', now: now - 10_000, leaseMs: 5_000, limit: 10 });
  assert.equal(stale.address, 'expired@remote.test');
  const done = b.runner.passCompleted();
  b.runner.kick();
  await done;
  assert.deepEqual(peer.rcptLog, ['expired@remote.test']);
  assert.match(peer.messages[0].raw, /Subject: taken over/);
  assert.deepEqual(await a.store.queue.recordAttempts('crashed-node', [{ recipientId: stale.id, state: 'pending', nextAttemptAt: now, error: 'stale' }]), []);
  const left = await a.store.queue.list();
  assert.deepEqual(left.flatMap((m) => m.recipients.map((r) => [r.address, r.claimedBy])), [['held@remote.test', 'crashed-node']]);
});

test('a stopping runner gives back what it claimed and did not attempt', async () => {
  const peer = await startPeer();
  cleanups.push(() => peer.close());
  // One attempt at a time: stop() lands while the first is out, before the second begins.
  const { a, b, outbox } = await twoNodes(peer, 1);
  for (let i = 0; i < 8; i++) {
    await outbox.enqueue({ sender: 'alice@posthorn.test', recipients: [`s${i}@remote.test`], body: Buffer.from(message({ subject: `stop ${i}` })) });
  }
  const first = peer.received(1);
  a.runner.start();
  await first;
  await a.runner.stop();
  const left = await b.store.queue.list();
  const recipients = left.flatMap((m) => m.recipients);
  assert.equal(peer.messages.length, 1);
  assert.equal(recipients.length, 7);
  assert.ok(recipients.every((r) => r.state === 'pending' && r.claimedBy === null), 'nothing left claimed by the stopped runner');
  await racePasses(b.runner);
  assert.equal(peer.messages.length, 8);
  assert.equal(new Set(peer.rcptLog).size, 8);
});
