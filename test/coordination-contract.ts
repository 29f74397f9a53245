// The Coordination contract (src/store/coordination-types.ts), written once and run against every
// backend: test/coordination-memory.test.ts runs it in memory; a networked backend calls
// coordinationContract() unchanged with a factory of its own.
//
// The factory gets the test's clock and returns two handles on one shared state, `a` and `b`,
// standing for two nodes (for the in-memory backend both are the same object). Expiry is driven
// by moving the clock, never by waiting.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Coordination } from '../src/store/coordination-types.ts';

export interface TestClock {
  now(): number;
}

export interface OpenedTestCoordination {
  a: Coordination;
  b: Coordination;
  cleanup: () => Promise<void>;
}

export type OpenTestCoordination = (clock: TestClock) => Promise<OpenedTestCoordination>;

interface Ctx extends OpenedTestCoordination {
  advance(ms: number): void;
}

async function withCoordination(open: OpenTestCoordination, fn: (ctx: Ctx) => Promise<void>): Promise<void> {
  let now = 1_700_000_000_000;
  const opened = await open({ now: () => now });
  try {
    await fn({ ...opened, advance: (ms) => (now += ms) });
  } finally {
    await opened.cleanup();
  }
}

const TTL = 10_000;
const WINDOW = 60_000;

export function coordinationContract(name: string, open: OpenTestCoordination): void {
  describe(`coordination contract: ${name}`, () => {
    describe('leases', () => leasesContract(open));
    describe('window counters', () => countersContract(open));
    describe('slots', () => slotsContract(open));
  });
}

function leasesContract(open: OpenTestCoordination): void {
  it('owners racing for one lease from two nodes: exactly one wins', () =>
    withCoordination(open, async ({ a, b }) => {
      const owners = Array.from({ length: 20 }, (_, i) => `owner-${i}`);
      const results = await Promise.all(owners.map((o, i) => (i % 2 ? b : a).acquireLease('k', o, TTL)));
      assert.equal(results.filter(Boolean).length, 1);
      const winner = owners[results.indexOf(true)];
      assert.equal(await a.leaseOwner('k'), winner);
      assert.equal(await b.leaseOwner('k'), winner);
    }));

  it('the holder may acquire again (a renewal); others are refused; keys are independent', () =>
    withCoordination(open, async ({ a, b, advance }) => {
      assert.equal(await a.acquireLease('k', 'x', TTL), true);
      assert.equal(await b.acquireLease('k', 'y', TTL), false);
      advance(TTL - 1);
      assert.equal(await a.acquireLease('k', 'x', TTL), true);
      advance(TTL - 1);
      assert.equal(await b.acquireLease('k', 'y', TTL), false, 'the second acquire renewed the lease');
      assert.equal(await b.acquireLease('other', 'y', TTL), true);
      assert.equal(await a.leaseOwner('other'), 'y');
      assert.equal(await a.leaseOwner('never taken'), null);
    }));

  it('a holder that renews keeps the lease; one that stops loses it one ttl later, for good', () =>
    withCoordination(open, async ({ a, b, advance }) => {
      assert.equal(await a.acquireLease('k', 'x', TTL), true);
      for (let i = 0; i < 5; i++) {
        advance(TTL / 2);
        assert.equal(await a.renewLease('k', 'x', TTL), true);
      }
      assert.equal(await b.acquireLease('k', 'y', TTL), false);
      assert.equal(await b.renewLease('k', 'y', TTL), false, 'a non-holder cannot renew');
      advance(TTL - 1);
      assert.equal(await b.leaseOwner('k'), 'x', 'still held one ms before expiry');
      advance(1);
      assert.equal(await b.leaseOwner('k'), null, 'expired at exactly ttl after the last renewal');
      assert.equal(await a.renewLease('k', 'x', TTL), false, 'an expired lease cannot be renewed, even if nobody took it');
      assert.equal(await b.acquireLease('k', 'y', TTL), true);
      assert.equal(await a.renewLease('k', 'x', TTL), false);
      // The old holder's release, arriving late, must not free the new holder's lease.
      await a.releaseLease('k', 'x');
      assert.equal(await a.leaseOwner('k'), 'y');
    }));

  it('release by the holder frees the lease; by anyone else it is a no-op; twice is harmless', () =>
    withCoordination(open, async ({ a, b }) => {
      assert.equal(await a.acquireLease('k', 'x', TTL), true);
      await b.releaseLease('k', 'y');
      await b.releaseLease('unknown key', 'x');
      assert.equal(await b.leaseOwner('k'), 'x');
      assert.equal(await b.acquireLease('k', 'y', TTL), false);
      await a.releaseLease('k', 'x');
      await a.releaseLease('k', 'x');
      assert.equal(await b.leaseOwner('k'), null);
      assert.equal(await b.acquireLease('k', 'y', TTL), true);
      assert.equal(await a.renewLease('k', 'x', TTL), false, 'a released lease cannot be renewed');
    }));
}

function countersContract(open: OpenTestCoordination): void {
  it('counts hits per key, each hit returning the count including it', () =>
    withCoordination(open, async ({ a, b }) => {
      assert.equal(await a.countHits('k', WINDOW), 0);
      assert.equal((await a.recordHit('k', WINDOW)).count, 1);
      assert.equal((await b.recordHit('k', WINDOW)).count, 2);
      assert.equal((await b.recordHit('other', WINDOW)).count, 1);
      assert.equal(await a.countHits('k', WINDOW), 2);
      assert.equal(await b.countHits('other', WINDOW), 1);
    }));

  it('concurrent hits on one key from two nodes get distinct counts', () =>
    withCoordination(open, async ({ a, b }) => {
      const hits = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? b : a).recordHit('k', WINDOW)));
      assert.deepEqual(hits.map((h) => h.count).sort((x, y) => x - y), Array.from({ length: 30 }, (_, i) => i + 1));
      assert.equal(new Set(hits.map((h) => h.id)).size, 30, 'hit ids are unique');
      assert.equal(await a.countHits('k', WINDOW), 30);
    }));

  it('a hit counts for one window after it was recorded (a sliding window), then the count resets', () =>
    withCoordination(open, async ({ a, advance }) => {
      await a.recordHit('k', WINDOW);
      advance(WINDOW / 2);
      await a.recordHit('k', WINDOW);
      advance(WINDOW / 2 - 1);
      assert.equal(await a.countHits('k', WINDOW), 2);
      advance(1);
      assert.equal(await a.countHits('k', WINDOW), 1, 'the first hit aged out');
      assert.equal((await a.recordHit('k', WINDOW)).count, 2);
      advance(WINDOW);
      assert.equal(await a.countHits('k', WINDOW), 0);
      assert.equal((await a.recordHit('k', WINDOW)).count, 1, 'counting starts again from one');
    }));

  it('a withdrawn hit no longer counts; withdrawing an unknown or aged-out hit is a no-op', () =>
    withCoordination(open, async ({ a, b, advance }) => {
      const first = await a.recordHit('k', WINDOW);
      const second = await a.recordHit('k', WINDOW);
      await b.withdrawHit('k', first.id);
      assert.equal(await a.countHits('k', WINDOW), 1);
      await b.withdrawHit('k', first.id);
      await b.withdrawHit('k', 'no such hit');
      await b.withdrawHit('other', second.id);
      assert.equal(await a.countHits('k', WINDOW), 1, 'only that hit, only once, only on its key');
      advance(WINDOW);
      await a.withdrawHit('k', second.id);
      assert.equal((await a.recordHit('k', WINDOW)).count, 1);
    }));

  it('clearHits forgets a key and only that key', () =>
    withCoordination(open, async ({ a, b }) => {
      for (let i = 0; i < 3; i++) await a.recordHit('k', WINDOW);
      await a.recordHit('other', WINDOW);
      await b.clearHits('k');
      assert.equal(await a.countHits('k', WINDOW), 0);
      assert.equal(await a.countHits('other', WINDOW), 1);
      assert.equal((await a.recordHit('k', WINDOW)).count, 1);
    }));

  it('countsByPrefix lists the keys under a prefix that have hits in their own windows, sorted', () =>
    withCoordination(open, async ({ a, b, advance }) => {
      await a.recordHit('login/b', WINDOW);
      await a.recordHit('login/a', WINDOW);
      await b.recordHit('login/a', WINDOW);
      await a.recordHit('login/short', 1000);
      await a.recordHit('other/a', WINDOW);
      assert.deepEqual(await b.countsByPrefix('login/'), [
        { key: 'login/a', count: 2 },
        { key: 'login/b', count: 1 },
        { key: 'login/short', count: 1 },
      ]);
      advance(1000);
      assert.deepEqual(await a.countsByPrefix('login/'), [
        { key: 'login/a', count: 2 },
        { key: 'login/b', count: 1 },
      ], 'a hit counts only in the window it was recorded with');
      assert.deepEqual(await a.countsByPrefix('nothing/'), []);
    }));
}

function slotsContract(open: OpenTestCoordination): void {
  it('at most `limit` owners hold a slot; an owner holds one slot however often it claims', () =>
    withCoordination(open, async ({ a, b }) => {
      assert.equal(await a.claimSlot('k', 'x', 2, TTL), true);
      assert.equal(await a.claimSlot('k', 'x', 2, TTL), true, 'claiming again renews the same slot');
      assert.equal(await a.slotsTaken('k'), 1);
      assert.equal(await b.claimSlot('k', 'y', 2, TTL), true);
      assert.equal(await b.claimSlot('k', 'z', 2, TTL), false);
      assert.equal(await a.claimSlot('k', 'x', 2, TTL), true, 'a holder of a full key still renews');
      assert.equal(await a.slotsTaken('k'), 2);
      assert.equal(await b.claimSlot('other', 'z', 2, TTL), true, 'keys are independent');
      assert.equal(await b.slotsTaken('never used'), 0);
    }));

  it('owners racing for the last slots from two nodes: exactly `limit` win', () =>
    withCoordination(open, async ({ a, b }) => {
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? b : a).claimSlot('k', `owner-${i}`, 3, TTL)));
      assert.equal(results.filter(Boolean).length, 3);
      assert.equal(await a.slotsTaken('k'), 3);
    }));

  it('release frees a slot; a release by a non-holder or a second release is a no-op', () =>
    withCoordination(open, async ({ a, b }) => {
      await a.claimSlot('k', 'x', 2, TTL);
      await a.claimSlot('k', 'y', 2, TTL);
      await b.releaseSlot('k', 'z');
      await b.releaseSlot('other', 'x');
      assert.equal(await b.claimSlot('k', 'z', 2, TTL), false);
      await b.releaseSlot('k', 'x');
      await b.releaseSlot('k', 'x');
      assert.equal(await a.slotsTaken('k'), 1);
      assert.equal(await b.claimSlot('k', 'z', 2, TTL), true);
      assert.equal(await a.claimSlot('k', 'x', 2, TTL), false, 'the released owner must queue like anyone');
      assert.equal(await a.renewSlot('k', 'x', TTL), false);
    }));

  it('a slot whose holder stops renewing frees itself one ttl later and cannot be renewed', () =>
    withCoordination(open, async ({ a, b, advance }) => {
      await a.claimSlot('k', 'renewing', 2, TTL);
      await a.claimSlot('k', 'dead', 2, TTL);
      for (let i = 0; i < 3; i++) {
        advance(TTL / 2);
        assert.equal(await a.renewSlot('k', 'renewing', TTL), true);
      }
      assert.equal(await b.slotsTaken('k'), 1, 'the silent holder expired');
      assert.equal(await a.renewSlot('k', 'dead', TTL), false);
      assert.equal(await b.claimSlot('k', 'new', 2, TTL), true);
      assert.equal(await b.claimSlot('k', 'dead', 2, TTL), false, 'full again');
      advance(TTL - 1);
      assert.equal(await b.slotsTaken('k'), 2);
      advance(1);
      assert.equal(await b.slotsTaken('k'), 0, 'expired at exactly ttl after the last renewal');
    }));

  it('a lower limit than the slots taken refuses newcomers until enough are released', () =>
    withCoordination(open, async ({ a }) => {
      for (const o of ['x', 'y', 'z']) assert.equal(await a.claimSlot('k', o, 3, TTL), true);
      await a.releaseSlot('k', 'x');
      assert.equal(await a.claimSlot('k', 'w', 2, TTL), false, 'two taken, limit two');
      await a.releaseSlot('k', 'y');
      assert.equal(await a.claimSlot('k', 'w', 2, TTL), true);
    }));
}
