// The outbound queue part of the store contract (src/store/queue-types.ts), run by
// test/store-contract.ts against every backend: enqueue and listing, claims (two workers racing,
// expiry and takeover, a stale holder refused, renewal, release), retry scheduling, the message
// leaving the queue, the operator verbs, blob references and carrying in another queue.

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { collectGarbage } from '../src/store/blob-gc.ts';
import type { DeliveryQueue } from '../src/store/queue-types.ts';
import { rawMessage } from './helpers/store-fixtures.ts';
import { rejectsWith, withStore, type Ctx, type OpenTestStore } from './helpers/store-contract-kit.ts';

const T = 1_700_000_000_000;
const LEASE = 60_000;

async function queueOne(ctx: Ctx, recipients: string[], opts: { subject?: string; sender?: string; now?: number } = {}): Promise<{ id: number; blobId: string }> {
  const blob = await ctx.blobs.put(rawMessage(opts.subject ?? 'queued', 100));
  const id = await ctx.store.queue.enqueue({ sender: opts.sender ?? 'user@example.org', recipients, blobId: blob.id, size: blob.size, now: opts.now ?? T });
  return { id, blobId: blob.id };
}

const claim = (queue: DeliveryQueue, owner: string, now: number, limit = 100) => queue.claimDue({ owner, now, leaseMs: LEASE, limit });

export function queueContract(open: OpenTestStore): void {
  it('enqueue: one message, its recipients once each and due at once, domain lower-cased; getMessage and list agree', () =>
    withStore(open, async (ctx) => {
      const queue = ctx.store.queue;
      assert.deepEqual(await queue.list(), []);
      assert.equal(await queue.nextDue(), null);
      const { id, blobId } = await queueOne(ctx, ['a@Remote.test', 'b@remote.test', 'a@Remote.test'], { sender: '' });
      const message = await queue.getMessage(id);
      assert.deepEqual(message, { id, sender: '', createdAt: T, size: rawMessage('queued', 100).length, blobId, isBounce: false });
      const [listed] = await queue.list();
      assert.deepEqual({ ...listed, recipients: undefined }, { ...message, recipients: undefined });
      assert.deepEqual(listed.recipients.map((r) => [r.address, r.domain, r.state, r.attempts, r.nextAttemptAt, r.claimedBy]), [
        ['a@Remote.test', 'remote.test', 'pending', 0, T, null],
        ['b@remote.test', 'remote.test', 'pending', 0, T, null],
      ]);
      assert.equal(await queue.nextDue(), T);
      assert.equal(await queue.getMessage(id + 1000), null);
      await rejectsWith(queue.enqueue({ sender: 'x@example.org', recipients: [], blobId, size: 1 }), 'INVALID');
      await rejectsWith(queue.enqueue({ sender: 'x@example.org', recipients: ['a@b.test'], blobId: 'not a blob', size: 1 }), 'INVALID');
      const bounce = await ctx.store.queue.enqueue({ sender: '', recipients: ['c@remote.test'], blobId, size: 5, isBounce: true });
      assert.equal((await queue.getMessage(bounce))?.isBounce, true);
    }));

  it('two workers racing for one message: exactly one claims each recipient, and only its attempt is recorded', () =>
    withStore(open, async (ctx) => {
      const queue = ctx.store.queue;
      const { id } = await queueOne(ctx, ['a@remote.test']);
      const [a, b] = await Promise.all([claim(queue, 'worker-a', T), claim(queue, 'worker-b', T)]);
      assert.equal(a.length + b.length, 1, 'one claim in all');
      const [winner, loser] = a.length === 1 ? ['worker-a', 'worker-b'] : ['worker-b', 'worker-a'];
      const [r] = [...a, ...b];
      assert.equal(r.claimedBy, winner);
      assert.equal(r.claimedUntil, T + LEASE);
      // The loser attempting anyway changes nothing.
      assert.deepEqual(await queue.recordAttempts(loser, [{ recipientId: r.id, state: 'delivered' }]), []);
      assert.equal((await queue.list())[0].recipients[0].attempts, 0);
      assert.deepEqual(await queue.recordAttempts(winner, [{ recipientId: r.id, state: 'delivered', remote: 'mx.remote.test' }]), [r.id]);
      assert.equal(await queue.getMessage(id), null, 'nothing pending: the message left the queue');
    }));

  it('many workers racing for many recipients: every recipient claimed by exactly one', () =>
    withStore(open, async (ctx) => {
      const queue = ctx.store.queue;
      for (let i = 0; i < 10; i++) await queueOne(ctx, [`a${i}@one.test`, `b${i}@two.test`, `c${i}@three.test`], { subject: `m${i}` });
      const claims = await Promise.all(Array.from({ length: 6 }, (_, w) => claim(queue, `worker-${w}`, T, 7)));
      const ids = claims.flat().map((r) => r.id);
      assert.equal(ids.length, 30);
      assert.equal(new Set(ids).size, 30, 'no recipient claimed twice');
      for (const [w, list] of claims.entries()) assert.ok(list.every((r) => r.claimedBy === `worker-${w}`));
      assert.deepEqual(await claim(queue, 'late', T), []);
    }));

  it('a claim expires: another worker takes it over, and the stale holder can no longer record', () =>
    withStore(open, async (ctx) => {
      const queue = ctx.store.queue;
      await queueOne(ctx, ['a@remote.test']);
      const [first] = await claim(queue, 'crashed', T);
      assert.ok(first);
      assert.deepEqual(await claim(queue, 'other', T + LEASE - 1), [], 'still held');
      assert.equal(await queue.nextDue(), T + LEASE, 'claimable again when the lease runs out');
      const [taken] = await claim(queue, 'other', T + LEASE);
      assert.equal(taken.id, first.id);
      assert.equal(taken.claimedBy, 'other');
      assert.deepEqual(await queue.recordAttempts('crashed', [{ recipientId: first.id, state: 'failed', error: '550 stale' }]), []);
      assert.deepEqual(await queue.renewClaims('crashed', [first.id], T + 10 * LEASE), []);
      await queue.releaseClaims('crashed', [first.id]);
      const [row] = (await queue.list())[0].recipients;
      assert.deepEqual([row.state, row.attempts, row.lastError, row.claimedBy], ['pending', 0, null, 'other'], 'the newer claim stands');
      assert.deepEqual(await queue.recordAttempts('other', [{ recipientId: taken.id, state: 'pending', nextAttemptAt: T + 2 * LEASE, error: '451 later' }]), [taken.id]);
    }));

  it('an expired claim nobody took over is still its holder’s to record', () =>
    withStore(open, async (ctx) => {
      const queue = ctx.store.queue;
      await queueOne(ctx, ['a@remote.test']);
      const [r] = await claim(queue, 'slow', T);
      assert.deepEqual(await queue.recordAttempts('slow', [{ recipientId: r.id, state: 'delivered' }]), [r.id]);
      assert.deepEqual(await queue.list(), []);
    }));

  it('renewal keeps a claim past its first expiry; release makes it claimable at once', () =>
    withStore(open, async (ctx) => {
      const queue = ctx.store.queue;
      await queueOne(ctx, ['a@remote.test', 'b@remote.test']);
      const mine = await claim(queue, 'long', T);
      assert.equal(mine.length, 2);
      assert.deepEqual(await queue.renewClaims('long', [mine[0].id], T + 3 * LEASE), [mine[0].id]);
      const later = await claim(queue, 'other', T + LEASE);
      assert.deepEqual(later.map((r) => r.id), [mine[1].id], 'only the one not renewed');
      await queue.releaseClaims('long', [mine[0].id]);
      const released = await claim(queue, 'other', T + LEASE);
      assert.deepEqual(released.map((r) => r.id), [mine[0].id]);
    }));

  it('retry scheduling: a temporary failure is due again at its next attempt, with its count, error and delay notice kept', () =>
    withStore(open, async (ctx) => {
      const queue = ctx.store.queue;
      await queueOne(ctx, ['a@remote.test']);
      const [r] = await claim(queue, 'w', T);
      await queue.recordAttempts('w', [{ recipientId: r.id, state: 'pending', nextAttemptAt: T + 5000, error: '451 4.4.1 busy', status: '4.4.1', remote: 'mx1.remote.test', delayNotified: true }]);
      let [row] = (await queue.list())[0].recipients;
      assert.deepEqual([row.state, row.attempts, row.nextAttemptAt, row.lastError, row.lastStatus, row.lastRemote, row.delayNotified, row.claimedBy, row.claimedUntil],
        ['pending', 1, T + 5000, '451 4.4.1 busy', '4.4.1', 'mx1.remote.test', true, null, null]);
      assert.equal(await queue.nextDue(), T + 5000);
      assert.deepEqual(await claim(queue, 'w', T + 4999), []);
      const [again] = await claim(queue, 'w', T + 5000);
      assert.equal(again.attempts, 1);
      await queue.recordAttempts('w', [{ recipientId: again.id, state: 'pending', nextAttemptAt: T + 9000, error: '451 again' }]);
      [row] = (await queue.list())[0].recipients;
      assert.deepEqual([row.attempts, row.nextAttemptAt, row.delayNotified], [2, T + 9000, true], 'one delay notice is remembered');
    }));

  it('a message stays while any recipient is pending and leaves when the last is settled', () =>
    withStore(open, async (ctx) => {
      const queue = ctx.store.queue;
      const { id } = await queueOne(ctx, ['ok@remote.test', 'gone@remote.test', 'later@remote.test']);
      const claimed = await claim(queue, 'w', T);
      const by = new Map(claimed.map((r) => [r.address, r.id]));
      const recorded = await queue.recordAttempts('w', [
        { recipientId: by.get('ok@remote.test')!, state: 'delivered' },
        { recipientId: by.get('gone@remote.test')!, state: 'failed', error: '550 5.1.1 no such user', status: '5.1.1' },
        { recipientId: by.get('later@remote.test')!, state: 'pending', nextAttemptAt: T + 1000 },
      ]);
      assert.equal(recorded.length, 3);
      assert.deepEqual((await queue.list())[0].recipients.map((r) => r.state), ['delivered', 'failed', 'pending']);
      assert.deepEqual(await claim(queue, 'w', T + 1000).then((l) => l.map((r) => r.address)), ['later@remote.test'], 'settled recipients are never claimed');
      await queue.recordAttempts('w', [{ recipientId: by.get('later@remote.test')!, state: 'delivered' }]);
      assert.equal(await queue.getMessage(id), null);
      assert.equal(await queue.nextDue(), null);
    }));

  it('operator verbs: retry makes pending recipients due now (all or one message); drop removes without a trace', () =>
    withStore(open, async (ctx) => {
      const queue = ctx.store.queue;
      const one = await queueOne(ctx, ['a@remote.test', 'b@remote.test'], { subject: 'one' });
      const two = await queueOne(ctx, ['c@remote.test'], { subject: 'two' });
      const claimed = await claim(queue, 'w', T);
      await queue.recordAttempts('w', claimed.map((r) => ({ recipientId: r.id, state: 'pending' as const, nextAttemptAt: T + 3600_000 })));
      assert.equal(await queue.retry(one.id, T + 10), 2);
      assert.deepEqual((await claim(queue, 'w', T + 10)).map((r) => r.address), ['a@remote.test', 'b@remote.test']);
      assert.equal(await queue.retry(null, T + 20), 3);
      assert.deepEqual((await claim(queue, 'w', T + 20)).map((r) => r.address), ['c@remote.test'], 'the others are still claimed');
      assert.equal(await queue.retry(999_999), 0);
      // A drop during an attempt: the holder's result finds nothing to record.
      assert.equal(await queue.drop(two.id), true);
      assert.equal(await queue.drop(two.id), false);
      const cId = claimed.find((r) => r.address === 'c@remote.test')!.id;
      assert.deepEqual(await queue.recordAttempts('w', [{ recipientId: cId, state: 'delivered' }]), []);
      assert.deepEqual((await queue.list()).map((m) => m.id), [one.id]);
    }));

  it('queue ids are never handed out again: a message queued after the last one left gets a new id', () =>
    withStore(open, async (ctx) => {
      const queue = ctx.store.queue;
      const first = await queueOne(ctx, ['a@remote.test'], { subject: 'first' });
      assert.equal(await queue.drop(first.id), true);
      assert.deepEqual(await queue.list(), []);
      const second = await queueOne(ctx, ['b@remote.test'], { subject: 'second' });
      assert.ok(second.id > first.id, `${second.id} after ${first.id}: an id in a log or a Received: field means one message`);
    }));

  it('a queued body is a referenced blob: garbage collection keeps it until the message leaves the queue', () =>
    withStore(open, async (ctx) => {
      const { store, blobs } = ctx;
      const { blobId } = await queueOne(ctx, ['a@remote.test'], { subject: 'keep me' });
      assert.equal(await store.isBlobReferenced(blobId), true);
      const kept = await collectGarbage(store, blobs, { graceMs: 0 });
      assert.equal(kept.deleted, 0);
      assert.equal(await blobs.has(blobId), true);
      const [r] = await claim(store.queue, 'w', T);
      await store.queue.recordAttempts('w', [{ recipientId: r.id, state: 'delivered' }]);
      assert.equal(await store.isBlobReferenced(blobId), false);
      await collectGarbage(store, blobs, { graceMs: 0 });
      assert.equal(await blobs.has(blobId), false, 'delivered: the body may go');
    }));

  it('carryIn adds messages with their progress once per source', () =>
    withStore(open, async (ctx) => {
      const queue = ctx.store.queue;
      const blob = await ctx.blobs.put(rawMessage('carried', 10));
      const carried = [
        {
          sender: 'old@example.org', createdAt: T - 1000, blobId: blob.id, size: blob.size, isBounce: false,
          recipients: [
            { address: 'x@remote.test', domain: 'remote.test', state: 'delivered' as const, attempts: 1, nextAttemptAt: T - 500, lastError: null, lastStatus: null, lastRemote: 'mx', delayNotified: false },
            { address: 'y@remote.test', domain: 'remote.test', state: 'pending' as const, attempts: 2, nextAttemptAt: T + 100, lastError: '451 busy', lastStatus: '4.4.1', lastRemote: 'mx', delayNotified: true },
          ],
        },
        {
          sender: 'done@example.org', createdAt: T - 1000, blobId: blob.id, size: blob.size, isBounce: false,
          recipients: [{ address: 'z@remote.test', domain: 'remote.test', state: 'failed' as const, attempts: 1, nextAttemptAt: T, lastError: '550', lastStatus: '5.1.1', lastRemote: null, delayNotified: false }],
        },
      ];
      assert.equal(await queue.carryIn('old queue', carried), true);
      assert.equal(await queue.carryIn('old queue', carried), false, 'a second time adds nothing');
      const list = await queue.list();
      assert.equal(list.length, 1, 'a message with nothing pending is not carried');
      assert.deepEqual([list[0].sender, list[0].createdAt, list[0].blobId], ['old@example.org', T - 1000, blob.id]);
      assert.deepEqual(list[0].recipients.map((r) => [r.address, r.state, r.attempts, r.nextAttemptAt, r.lastError, r.delayNotified]), [
        ['x@remote.test', 'delivered', 1, T - 500, null, false],
        ['y@remote.test', 'pending', 2, T + 100, '451 busy', true],
      ]);
      assert.equal(await ctx.store.isBlobReferenced(blob.id), true);
      assert.deepEqual((await claim(queue, 'w', T + 100)).map((r) => r.address), ['y@remote.test']);
    }));
}
