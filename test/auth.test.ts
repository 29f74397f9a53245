// The shared authenticator: same answer for unknown users and wrong passwords, the rate limiter
// across protocols (and why it never locks the owner out), and the verified-login cache.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Authenticator, DEFAULT_AUTH_LIMITS } from '../src/auth/authenticator.ts';
import { hashPassword, verifyPassword } from '../src/auth/password.ts';
import { InProcessCoordination } from '../src/store/coordination-memory.ts';
import type { Account, MailStore } from '../src/store/types.ts';

async function setup(opts: { sleep?: (ms: number) => Promise<void> } = {}) {
  const accounts = new Map<string, Account>();
  const add = async (address: string, password: string, id: number) => {
    accounts.set(address, { id, address, passwordHash: await hashPassword(password), disabled: false } as Account);
  };
  await add('alice@example.com', 'alice secret', 1);
  await add('bob@example.com', 'bob secret', 2);
  const store = { getAccountByAddress: async (a: string) => accounts.get(a) ?? null } as unknown as MailStore;
  let clock = 1_000_000;
  let argonCalls = 0;
  const now = () => clock;
  const coordination = new InProcessCoordination({ now });
  const auth = new Authenticator({
    store,
    coordination,
    limits: DEFAULT_AUTH_LIMITS,
    now,
    sleep: opts.sleep,
    verify: async (pw, hash) => {
      argonCalls++;
      return verifyPassword(pw, hash);
    },
  });
  return { auth, store, coordination, accounts, advance: (ms: number) => (clock += ms), argonCalls: () => argonCalls };
}

const at = (ip: string) => ({ ip, protocol: 'imap' as const });

test('unknown user and wrong password get the same answer, after the same password work', async () => {
  const { auth, argonCalls } = await setup();
  assert.deepEqual(await auth.authenticate('nobody@example.com', 'x', at('10.0.0.1')), { ok: false, reason: 'invalid' });
  assert.deepEqual(await auth.authenticate('alice@example.com', 'wrong', at('10.0.0.1')), { ok: false, reason: 'invalid' });
  assert.deepEqual(await auth.authenticate('not an address', 'x', at('10.0.0.1')), { ok: false, reason: 'invalid' });
  assert.equal(argonCalls(), 3, 'every failure paid the full hash');
  const ok = await auth.authenticate('Alice@Example.com', 'alice secret', at('10.0.0.1'));
  assert.equal(ok.ok && ok.account.address, 'alice@example.com');
});

test('failures are limited per address and account, and per address (other addresses unaffected); the window passes', async () => {
  const { auth, advance } = await setup();
  for (let i = 0; i < DEFAULT_AUTH_LIMITS.maxFailuresPerAccountAddress; i++) await auth.authenticate('alice@example.com', `guess ${i}`, at('10.0.0.9'));
  assert.deepEqual(await auth.authenticate('alice@example.com', 'alice secret', at('10.0.0.9')), { ok: false, reason: 'rate-limited' });
  assert.equal((await auth.authenticate('bob@example.com', 'bob secret', at('10.0.0.9'))).ok, true, 'the same address may still log in to another account');
  assert.equal((await auth.authenticate('alice@example.com', 'alice secret', at('10.0.0.10'))).ok, true, 'another address still gets in');
  advance(DEFAULT_AUTH_LIMITS.windowMs + 1);
  assert.equal((await auth.authenticate('alice@example.com', 'alice secret', at('10.0.0.9'))).ok, true, 'the window passed');
  // One address guessing many accounts is limited for all of them.
  for (let i = 0; i < DEFAULT_AUTH_LIMITS.maxFailuresPerIp; i++) await auth.authenticate(`nobody${i}@example.com`, 'guess', at('10.0.0.11'));
  assert.deepEqual(await auth.authenticate('alice@example.com', 'alice secret', at('10.0.0.11')), { ok: false, reason: 'rate-limited' });
});

test('others cannot lock the owner out: failures from many addresses slow untrusted addresses down, never refuse the right password', async () => {
  const delays: number[] = [];
  const sleep = async (ms: number) => void delays.push(ms);
  const { auth, store, coordination } = await setup({ sleep });
  // A second node: its verified-login cache is empty, so its logins take the full path.
  const otherNode = new Authenticator({ store, coordination, verify: verifyPassword, sleep });
  assert.equal((await auth.authenticate('bob@example.com', 'bob secret', at('10.9.0.1'))).ok, true, 'the owner logs in from home once');
  const attackers = DEFAULT_AUTH_LIMITS.maxFailuresPerAccount + 1;
  for (let i = 0; i < attackers; i++) assert.deepEqual(await auth.authenticate('bob@example.com', 'guess', at(`10.1.0.${i}`)), { ok: false, reason: 'invalid' });
  assert.deepEqual(delays, [DEFAULT_AUTH_LIMITS.delayStepMs], 'the attempt past the account limit was delayed');
  delays.length = 0;
  // The owner from a network never used before: slowed down like any stranger, then let in.
  assert.equal((await otherNode.authenticate('bob@example.com', 'bob secret', at('10.2.0.1'))).ok, true);
  assert.equal(delays.length, 1);
  assert.ok(delays[0] > 0 && delays[0] <= DEFAULT_AUTH_LIMITS.maxDelayMs);
  delays.length = 0;
  // From home (a trusted address) on a node that never saw the owner, and from the new network
  // now that the owner logged in there: no delay.
  const thirdNode = new Authenticator({ store, coordination, verify: verifyPassword, sleep });
  assert.equal((await thirdNode.authenticate('bob@example.com', 'bob secret', at('10.9.0.1'))).ok, true);
  const fourthNode = new Authenticator({ store, coordination, verify: verifyPassword, sleep });
  assert.equal((await fourthNode.authenticate('bob@example.com', 'bob secret', at('10.2.0.1'))).ok, true);
  assert.deepEqual(delays, []);
  // An attacker's next attempt waits longer the more the account was attacked, up to the bound.
  for (let i = 0; i < 100; i++) await auth.authenticate('bob@example.com', 'guess', at(`10.3.${i >> 4}.${i & 15}`));
  assert.equal(delays.at(-1), DEFAULT_AUTH_LIMITS.maxDelayMs);
  assert.ok(delays.every((d, i) => i === 0 || d >= delays[i - 1]), 'delays never shrink while failures grow');
});

test('two authenticators on one coordination backend (two nodes) share the failure counts', async () => {
  const { auth, store, coordination } = await setup();
  const otherNode = new Authenticator({ store, coordination, verify: verifyPassword });
  for (let i = 0; i < DEFAULT_AUTH_LIMITS.maxFailuresPerAccountAddress; i++) {
    await (i % 2 ? auth : otherNode).authenticate('alice@example.com', `guess ${i}`, at('10.0.0.9'));
  }
  assert.deepEqual(await otherNode.authenticate('alice@example.com', 'alice secret', at('10.0.0.9')), { ok: false, reason: 'rate-limited' });
  assert.deepEqual(await auth.authenticate('alice@example.com', 'alice secret', at('10.0.0.9')), { ok: false, reason: 'rate-limited' });
  for (let i = 0; i < DEFAULT_AUTH_LIMITS.maxFailuresPerIp; i++) {
    await (i % 2 ? auth : otherNode).authenticate(`nobody${i}@example.com`, 'guess', at('10.0.0.12'));
  }
  assert.equal(await otherNode.isIpLimited('10.0.0.12'), true);
  assert.equal(await auth.isIpLimited('10.0.0.12'), true);
  assert.equal(await otherNode.isIpLimited('10.0.0.10'), false);
});

test('a verified login is remembered: the same password skips argon2, another password or a changed hash does not', async () => {
  const { auth, accounts, advance, argonCalls } = await setup();
  assert.equal((await auth.authenticate('alice@example.com', 'alice secret', at('10.0.0.1'))).ok, true);
  const afterFirst = argonCalls();
  assert.equal((await auth.authenticate('alice@example.com', 'alice secret', at('10.0.0.2'))).ok, true);
  assert.equal(argonCalls(), afterFirst, 'served from the cache');
  assert.equal((await auth.authenticate('alice@example.com', 'alice secreT', at('10.0.0.2'))).ok, false);
  assert.equal(argonCalls(), afterFirst + 1, 'a different password pays the full hash');
  // `posthorn user passwd`: the stored hash changes, the old password must stop working at once.
  accounts.get('alice@example.com')!.passwordHash = await hashPassword('new secret');
  assert.equal((await auth.authenticate('alice@example.com', 'alice secret', at('10.0.0.1'))).ok, false);
  assert.equal((await auth.authenticate('alice@example.com', 'new secret', at('10.0.0.1'))).ok, true);
  const beforeExpiry = argonCalls();
  advance(DEFAULT_AUTH_LIMITS.verifiedCacheMs + 1);
  assert.equal((await auth.authenticate('alice@example.com', 'new secret', at('10.0.0.1'))).ok, true);
  assert.equal(argonCalls(), beforeExpiry + 1, 'expired entries are verified again');
  // A disabled account is refused even with a remembered password.
  accounts.get('alice@example.com')!.disabled = true;
  assert.deepEqual(await auth.authenticate('alice@example.com', 'new secret', at('10.0.0.1')), { ok: false, reason: 'disabled' });
});

test('the operator’s view of the limiter: blocked addresses and slowed accounts are listed, and unblocking forgets exactly them', async () => {
  const { auth, coordination } = await setup({ sleep: async () => {} });
  const { listLoginBlocks, unblockLogins } = await import('../src/auth/login-blocks.ts');
  for (let i = 0; i < DEFAULT_AUTH_LIMITS.maxFailuresPerAccount + 1; i++) await auth.authenticate('bob@example.com', 'guess', at(`10.5.${i >> 4}.${i & 15}`));
  for (let i = 0; i < DEFAULT_AUTH_LIMITS.maxFailuresPerAccountAddress; i++) await auth.authenticate('alice@example.com', 'guess', at('10.6.0.1'));
  const blocks = await listLoginBlocks(coordination, DEFAULT_AUTH_LIMITS);
  assert.deepEqual(blocks.map((b) => [b.kind, b.address, b.account, b.effect]), [
    ['account-address', '10.6.0.1', 'alice@example.com', 'refused'],
    ['account', null, 'bob@example.com', 'slowed'],
  ]);
  assert.equal(await unblockLogins(coordination, 'Bob@Example.com'), 1 + DEFAULT_AUTH_LIMITS.maxFailuresPerAccount + 1, "bob's account count and each address's count for bob");
  assert.deepEqual((await listLoginBlocks(coordination, DEFAULT_AUTH_LIMITS)).map((b) => b.kind), ['account-address']);
  assert.ok((await unblockLogins(coordination, '10.6.0.1')) >= 2, 'the address, its trouble mark and its per-account count');
  assert.deepEqual(await listLoginBlocks(coordination, DEFAULT_AUTH_LIMITS), []);
  assert.equal((await auth.authenticate('alice@example.com', 'alice secret', at('10.6.0.1'))).ok, true);
});
