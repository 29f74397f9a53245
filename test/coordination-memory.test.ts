// The coordination contract on the in-process backend, what only that backend promises (bounded
// memory), and the heartbeat that keeps a held lease or slot alive (coordination-claims.ts).

import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessCoordination } from '../src/store/coordination-memory.ts';
import { holdLease, holdSlot } from '../src/store/coordination-claims.ts';
import { coordinationContract } from './coordination-contract.ts';

coordinationContract('in-process', async (clock) => {
  const shared = new InProcessCoordination({ now: () => clock.now() });
  return { a: shared, b: shared, cleanup: async () => {} };
});

describe('in-process coordination', () => {
  it('forgets the key hit least recently once maxCounterKeys keys have hits', async () => {
    const c = new InProcessCoordination({ maxCounterKeys: 3 });
    for (const k of ['a', 'b', 'c']) await c.recordHit(k, 60_000);
    await c.recordHit('a', 60_000); // 'b' is now the stalest
    await c.recordHit('d', 60_000);
    assert.deepEqual(await Promise.all(['a', 'b', 'c', 'd'].map((k) => c.countHits(k, 60_000))), [2, 0, 1, 1]);
  });

  it('refuses a ttl or window that is not a positive duration', async () => {
    const c = new InProcessCoordination();
    await assert.rejects(c.acquireLease('k', 'x', 0), RangeError);
    await assert.rejects(c.claimSlot('k', 'x', 1, Number.NaN), RangeError);
    await assert.rejects(c.recordHit('k', -1), RangeError);
  });
});

describe('held claims (heartbeat)', () => {
  const TTL = 9_000;

  it('a held lease outlives many ttls while its heartbeat runs; released, it is free at once', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'Date'], now: 1_000_000 });
    const c = new InProcessCoordination();
    const held = await holdLease(c, 'k', 'x', { ttlMs: TTL });
    assert.ok(held);
    assert.equal(await holdLease(c, 'k', 'y', { ttlMs: TTL }), null);
    for (let i = 0; i < 10; i++) {
      t.mock.timers.tick(TTL / 3);
      await settle();
    }
    assert.equal(await c.leaseOwner('k'), 'x');
    assert.equal(await held.confirm(), true);
    await held.release();
    await held.release();
    assert.equal(await c.leaseOwner('k'), null);
    assert.equal(await held.confirm(), false, 'a released claim is not confirmed');
  });

  it('a heartbeat that finds the claim expired (the loop stalled past the ttl) reports it lost once', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'Date'], now: 1_000_000 });
    const c = new InProcessCoordination();
    let lostCalls = 0;
    const held = await holdSlot(c, 'k', 'x', 1, { ttlMs: TTL, onLost: () => lostCalls++ });
    assert.ok(held);
    // The clock jumps past the ttl before the first beat: the backend has expired the slot.
    t.mock.timers.setTime(1_000_000 + TTL);
    assert.equal(await c.claimSlot('k', 'y', 1, TTL), true);
    t.mock.timers.tick(TTL / 3);
    await settle();
    t.mock.timers.tick(TTL / 3);
    await settle();
    assert.equal(held.lost, true);
    assert.equal(lostCalls, 1);
    assert.equal(await held.confirm(), false);
    await held.release();
    assert.equal(await c.slotsTaken('k'), 1, "releasing a lost slot does not free the new holder's");
  });

  it('a failing backend is reported and retried; the claim is not declared lost by the client', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'Date'], now: 1_000_000 });
    const c = new InProcessCoordination();
    const failures: unknown[] = [];
    const held = await holdLease(c, 'k', 'x', { ttlMs: TTL, onError: (err) => failures.push(err) });
    assert.ok(held);
    const renew = mock.method(c, 'renewLease', async () => {
      throw new Error('backend unreachable');
    });
    t.mock.timers.tick(TTL / 3);
    await settle();
    assert.equal(failures.length, 1);
    assert.equal(held.lost, false);
    renew.mock.restore();
    t.mock.timers.tick(TTL / 3);
    await settle();
    // Past the first expiry, without another beat: the beat after the outage renewed it.
    t.mock.timers.setTime(1_000_000 + TTL + 1);
    assert.equal(await c.leaseOwner('k'), 'x');
    await held.release();
  });
});

/** Lets the promise chains started by a timer tick run to their end. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
