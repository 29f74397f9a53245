// Logins under a flood (SECURITY-CASES.md "Logins"): attempts are counted as they start, so
// parallel wrong passwords are limited at the limit; password hashes are bounded at once and per
// remote address, and past the bound refused at once ('busy'), never queued.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Authenticator, DEFAULT_AUTH_LIMITS } from '../src/auth/authenticator.ts';
import { HashGate } from '../src/auth/hash-gate.ts';
import { hashPassword } from '../src/auth/password.ts';
import { InProcessCoordination } from '../src/store/coordination-memory.ts';
import type { Account, MailStore } from '../src/store/types.ts';

/** A password check the test finishes by hand: shows how many run at once. */
function heldVerifier() {
  const pending: (() => void)[] = [];
  let calls = 0;
  return {
    verify: (password: string) => {
      calls++;
      return new Promise<boolean>((resolve) => pending.push(() => resolve(password === 'right')));
    },
    releaseAll: () => pending.splice(0).forEach((f) => f()),
    calls: () => calls,
    held: () => pending.length,
  };
}

async function setup(gate: HashGate, verify: (pw: string, hash: string) => Promise<boolean>) {
  const alice = { id: 1, address: 'alice@example.com', passwordHash: await hashPassword('right'), disabled: false } as Account;
  const store = { getAccountByAddress: async (a: string) => (a === alice.address ? alice : null) } as unknown as MailStore;
  const coordination = new InProcessCoordination();
  return new Authenticator({ store, coordination, limits: DEFAULT_AUTH_LIMITS, verify, hashGate: gate });
}

const at = (ip: string) => ({ ip, protocol: 'imap' as const });
/** Lets every pending promise chain run as far as it can. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What a promise has come to after the pending work settled, or 'pending'. */
async function state<T>(p: Promise<T>): Promise<T | 'pending'> {
  await settle();
  return Promise.race([p, new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')))]);
}

test('50 wrong passwords in parallel from one address for one account: only the first maxFailuresPerAccountAddress are checked', async () => {
  const held = heldVerifier();
  const auth = await setup(new HashGate({ running: 100, queued: 100, perClient: 100 }), held.verify);
  const limit = DEFAULT_AUTH_LIMITS.maxFailuresPerAccountAddress;
  const attempts = Array.from({ length: 50 }, (_, i) => auth.authenticate('alice@example.com', `guess ${i}`, at('192.0.2.7')));
  while (held.held() < limit) await settle();
  await settle();
  assert.equal(held.calls(), limit, 'the rest were refused before any password work');
  held.releaseAll();
  const results = await Promise.all(attempts);
  assert.equal(results.filter((r) => !r.ok && r.reason === 'invalid').length, limit);
  // The rest found the limit taken by checks still running: refused for now, without a check.
  assert.equal(results.filter((r) => !r.ok && r.reason === 'busy').length, 50 - limit);
  // Now the failures themselves fill the window: the next attempt is limited outright.
  assert.deepEqual(await auth.authenticate('alice@example.com', 'another guess', at('192.0.2.7')), { ok: false, reason: 'rate-limited' });
  // alice gets in from an address that did not attack, without delay.
  const ok = auth.authenticate('alice@example.com', 'right', at('192.0.2.8'));
  while (held.held() < 1) await settle();
  held.releaseAll();
  assert.equal((await ok).ok, true);
});

test('50 wrong passwords in parallel from one address, each for another name: only the first maxFailuresPerIp are checked', async () => {
  const held = heldVerifier();
  const auth = await setup(new HashGate({ running: 100, queued: 100, perClient: 100 }), held.verify);
  const limit = DEFAULT_AUTH_LIMITS.maxFailuresPerIp;
  const attempts = Array.from({ length: 50 }, (_, i) => auth.authenticate(`user${i}@example.com`, 'guess', at('192.0.2.9')));
  while (held.held() < limit) await settle();
  await settle();
  assert.equal(held.calls(), limit);
  held.releaseAll();
  const results = await Promise.all(attempts);
  assert.equal(results.filter((r) => !r.ok && r.reason === 'invalid').length, limit);
  assert.equal(results.filter((r) => !r.ok && r.reason === 'busy').length, 50 - limit);
  assert.deepEqual(await auth.authenticate('alice@example.com', 'right', at('192.0.2.9')), { ok: false, reason: 'rate-limited' }, 'the address is limited for every account');
});

test('hashes are bounded at once: past running + queued an attempt is refused at once, the queued ones run in turn', async () => {
  const held = heldVerifier();
  const auth = await setup(new HashGate({ running: 2, queued: 2, perClient: 2 }), held.verify);
  // Six addresses, one attempt each: all 'clean', so they share one queue.
  const flood = [1, 2, 3, 4, 5, 6].map((n) => auth.authenticate('alice@example.com', `wrong ${n}`, at(`198.51.100.${n}`)));
  while (held.held() < 2) await settle();
  const states = await Promise.all(flood.map(state));
  assert.deepEqual(states.filter((x) => x === 'pending').length, 4, '2 running, 2 waiting');
  assert.deepEqual(states.filter((x) => x !== 'pending'), [{ ok: false, reason: 'busy' }, { ok: false, reason: 'busy' }]);
  assert.equal(held.calls(), 2);
  held.releaseAll();
  while (held.held() < 2) await settle();
  assert.equal(held.calls(), 4, 'the waiting two got the freed places');
  held.releaseAll();
  const checked = await Promise.all(flood.filter((_, i) => states[i] === 'pending'));
  assert.ok(checked.every((r) => !r.ok && r.reason === 'invalid'));
});

test('an address that failed lately cannot take more than its share of the hash places; a clean one can open several', async () => {
  const held = heldVerifier();
  const auth = await setup(new HashGate({ running: 4, queued: 4, perClient: 2 }), held.verify);
  // Three logins at once from a clean address (different passwords, so three checks): all three are checked.
  const client = ['right', 'right-ish', 'not right'].map((pw) => auth.authenticate('alice@example.com', pw, at('198.51.100.8')));
  while (held.held() < 3) await settle();
  held.releaseAll();
  assert.deepEqual((await Promise.all(client)).map((r) => r.ok), [true, false, false]);
  // An address with a recent failure gets two places, not three.
  const failed = auth.authenticate('alice@example.com', 'wrong', at('198.51.100.9'));
  while (held.held() < 1) await settle();
  held.releaseAll();
  await failed;
  const before = held.calls();
  const mine = [1, 2, 3].map((n) => auth.authenticate('alice@example.com', `wrong ${n}`, at('198.51.100.9')));
  while (held.held() < 2) await settle();
  assert.deepEqual(await state(mine[2]), { ok: false, reason: 'busy' });
  const other = auth.authenticate('alice@example.com', 'wrong', at('198.51.100.10'));
  while (held.held() < 3) await settle();
  assert.equal(held.calls() - before, 3, 'another address still gets a place');
  held.releaseAll();
  assert.deepEqual(await other, { ok: false, reason: 'invalid' });
  await Promise.all(mine.slice(0, 2));
});

test('a remembered login needs no hash: it succeeds while every hash place is taken', async () => {
  const held = heldVerifier();
  const auth = await setup(new HashGate({ running: 1, queued: 0, perClient: 1 }), held.verify);
  const first = auth.authenticate('alice@example.com', 'right', at('203.0.113.1'));
  while (held.held() < 1) await settle();
  held.releaseAll();
  assert.equal((await first).ok, true);
  const blocking = auth.authenticate('alice@example.com', 'wrong', at('203.0.113.66'));
  while (held.held() < 1) await settle();
  assert.deepEqual(await auth.authenticate('nobody@example.com', 'x', at('203.0.113.2')), { ok: false, reason: 'busy' });
  assert.equal((await auth.authenticate('alice@example.com', 'right', at('203.0.113.2'))).ok, true, 'from the verified-login cache');
  held.releaseAll();
  assert.deepEqual(await blocking, { ok: false, reason: 'invalid' });
});

test('an attempt from an address with no recent failure is served before those that failed lately', async () => {
  const gate = new HashGate({ running: 1, queued: 4, perClient: 1 });
  const order: string[] = [];
  const releases: (() => void)[] = [];
  const job = (name: string) => () => new Promise<void>((resolve) => releases.push(() => { order.push(name); resolve(); }));
  const running = gate.run('a', job('a'), 'suspect');
  const suspects = ['b', 'c'].map((c) => gate.run(c, job(c), 'suspect'));
  await settle();
  const clean = gate.run('honest', job('honest'), 'clean');
  await settle();
  assert.deepEqual(gate.load, { running: 1, waiting: 3 });
  while (order.length < 4) {
    releases.splice(0).forEach((f) => f());
    await settle();
  }
  await Promise.all([running, clean, ...suspects]);
  assert.deepEqual(order, ['a', 'honest', 'b', 'c']);
});

test('attempts refused for now still count against their address, not against the account', async () => {
  const held = heldVerifier();
  const auth = await setup(new HashGate({ running: 1, queued: 0, perClient: 1 }), held.verify);
  const blocking = auth.authenticate('alice@example.com', 'wrong', at('198.51.100.20'));
  while (held.held() < 1) await settle();
  for (let i = 0; i < DEFAULT_AUTH_LIMITS.maxFailuresPerIp; i++) {
    assert.deepEqual(await auth.authenticate('alice@example.com', `wrong ${i}`, at('198.51.100.21')), { ok: false, reason: 'busy' });
  }
  held.releaseAll();
  await blocking;
  // The busy address reached its limit; the account did not (alice from elsewhere gets in).
  assert.deepEqual(await auth.authenticate('alice@example.com', 'right', at('198.51.100.21')), { ok: false, reason: 'rate-limited' });
  const ok = auth.authenticate('alice@example.com', 'right', at('198.51.100.22'));
  while (held.held() < 1) await settle();
  held.releaseAll();
  assert.equal((await ok).ok, true);
});

test('a client logging in on ten connections at once pays one hash, and none is refused', async () => {
  const held = heldVerifier();
  const auth = await setup(new HashGate({ running: 1, queued: 1, perClient: 1 }), held.verify);
  const logins = Array.from({ length: 10 }, () => auth.authenticate('alice@example.com', 'right', at('203.0.113.50')));
  while (held.held() < 1) await settle();
  await settle();
  assert.equal(held.calls(), 1);
  held.releaseAll();
  assert.ok((await Promise.all(logins)).every((r) => r.ok));
});
