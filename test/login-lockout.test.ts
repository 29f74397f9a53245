// The owner is not locked out by others' wrong passwords (SECURITY-CASES.md "Logins"): more wrong
// passwords for one account than its limit, from as many addresses, over real IMAP sockets from
// distinct loopback addresses, and then the right password from a clean address still logs in on
// IMAP, POP3 and SMTP AUTH. The attacking addresses themselves are refused after their own few
// failures. The server runs with a low account limit (a config file), so the delays stay short.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword } from '../src/auth/password.ts';
import { DEFAULT_AUTH_LIMITS } from '../src/auth/authenticator.ts';
import type { RunningServer } from '../src/server/app.ts';
import { runCli, startTestServer, tempDir } from './helpers/server.ts';
import { writeFileSync } from 'node:fs';
import { RawImap } from './helpers/imap.ts';
import { RawPop3 } from './helpers/pop3.ts';
import { RawSmtp, codes } from './smtp-harness.ts';

const ADDRESS = 'owner@example.com';
const OTHER = 'other@example.com';
const ACCOUNT_LIMIT = 3;
const PASSWORD = 'the owner knows this';
let server: RunningServer;
let dir: { path: string; remove: () => void };
let cliEnv: Record<string, string>;

before(async () => {
  dir = tempDir('lockout');
  const config = `${dir.path}/posthorn.toml`;
  writeFileSync(config, `[limits]\nlogin_failures_per_account = ${ACCOUNT_LIMIT}\nlogin_max_delay = 1\n`);
  server = await startTestServer(dir.path, ['imap', 'pop3', 'submission'], { POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true', POSTHORN_CONFIG: config });
  cliEnv = { POSTHORN_DATA_DIR: dir.path, POSTHORN_CONFIG: config };
  await server.deps.store.addDomain('example.com');
  for (const address of [ADDRESS, OTHER]) await server.deps.store.createAccount({ address, passwordHash: await hashPassword(PASSWORD) });
});
after(async () => {
  await server.stop();
  dir.remove();
});

async function imapLogin(from: string, password: string, address = ADDRESS): Promise<string> {
  const c = await RawImap.connect(server.ports.imap, { from });
  try {
    await c.line();
    return (await c.command('l', `LOGIN ${address} "${password}"`)).at(-1)!;
  } finally {
    c.close();
  }
}

test('an attacking address is refused for the account after its own few failures, even with the right password', async () => {
  for (let i = 0; i < DEFAULT_AUTH_LIMITS.maxFailuresPerAccountAddress; i++) {
    assert.match(await imapLogin('127.0.3.1', `guess ${i}`, OTHER), /^l NO \[AUTHENTICATIONFAILED\]/);
  }
  assert.match(await imapLogin('127.0.3.1', PASSWORD, OTHER), /^l NO \[UNAVAILABLE\]/);
  assert.match(await imapLogin('127.0.3.2', PASSWORD, OTHER), /^l OK/);

  // The operator sees the block while the server runs, and lifts it.
  const listed = await runCli(['auth', 'blocked', '--json'], cliEnv);
  assert.equal(listed.code, 0, listed.stderr);
  const blocks = JSON.parse(listed.stdout) as { kind: string; address: string | null; account: string | null; effect: string }[];
  assert.ok(blocks.some((b) => b.kind === 'account-address' && b.address === '127.0.3.1' && b.account === OTHER && b.effect === 'refused'), listed.stdout);
  assert.ok(!blocks.some((b) => b.address === '127.0.3.2'), 'the address that logged in is not blocked');
  const human = await runCli(['auth', 'blocked'], cliEnv);
  assert.match(human.stdout, /127\.0\.3\.1\s+other@example\.com\s+5\s+5\s+refused for this account/);
  const lifted = await runCli(['auth', 'unblock', '127.0.3.1'], cliEnv);
  assert.equal(lifted.code, 0, lifted.stderr);
  assert.match(lifted.stdout, /forgot the failed logins held against 127\.0\.3\.1/);
  assert.match(await imapLogin('127.0.3.1', PASSWORD, OTHER), /^l OK/, 'unblocked: the address logs in again');
  assert.match((await runCli(['auth', 'unblock', '127.0.3.1'], cliEnv)).stdout, /nothing was held against 127\.0\.3\.1/);
  assert.equal((await runCli(['auth', 'unblock'], cliEnv)).code, 2);
});

test('more wrong passwords than the account limit, from as many addresses: the owner still logs in from a clean address on IMAP, POP3 and SMTP', async () => {
  const attackers = ACCOUNT_LIMIT + 1;
  for (let i = 0; i < attackers; i++) {
    assert.match(await imapLogin(`127.0.1.${i + 1}`, `guess ${i}`), /^l NO \[AUTHENTICATIONFAILED\]/);
  }
  assert.match(await imapLogin('127.0.2.1', PASSWORD), /^l OK/, 'IMAP from a clean address');

  const pop = await RawPop3.connect(server.ports.pop3);
  assert.match((await pop.line())!, /^\+OK/);
  assert.match((await pop.command(`USER ${ADDRESS}`))!, /^\+OK/);
  assert.match((await pop.command(`PASS ${PASSWORD}`))!, /^\+OK/, 'POP3');
  await pop.command('QUIT');

  const smtp = await RawSmtp.connect(server.ports.submission);
  await smtp.reply();
  await smtp.cmd('EHLO client.test');
  assert.equal(codes(await smtp.cmd(`AUTH PLAIN ${Buffer.from(`\0${ADDRESS}\0${PASSWORD}`).toString('base64')}`)), '235 2.7.0', 'SMTP AUTH');
  smtp.end();
});

test('the login limits are settings under [limits]', async () => {
  const { loadConfig } = await import('../src/server/config.ts');
  const { authLimitsFrom } = await import('../src/server/auth-limits.ts');
  const file = `${dir.path}/limits.toml`;
  writeFileSync(file, '[limits]\nlogin_window = "10m"\nlogin_failures_per_address = 20\nlogin_failures_per_account_address = 3\nlogin_failures_per_account = 100\nlogin_max_delay = 0\n');
  const limits = authLimitsFrom(loadConfig({ env: {}, file }));
  assert.deepEqual(
    { windowMs: limits.windowMs, ip: limits.maxFailuresPerIp, pair: limits.maxFailuresPerAccountAddress, account: limits.maxFailuresPerAccount, delay: limits.maxDelayMs },
    { windowMs: 600_000, ip: 20, pair: 3, account: 100, delay: 0 },
  );
  const defaults = authLimitsFrom(loadConfig({ env: {} }));
  assert.equal(defaults.maxFailuresPerAccountAddress, DEFAULT_AUTH_LIMITS.maxFailuresPerAccountAddress);
  assert.equal(defaults.windowMs, DEFAULT_AUTH_LIMITS.windowMs);
});
