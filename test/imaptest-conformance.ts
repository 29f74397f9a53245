// Dovecot's imaptest scripted conformance suite (github.com/dovecot/imaptest, src/tests/)
// against Posthorn: every test group on its own, a table of what passed, failed or does not
// apply (the group needs a capability Posthorn does not advertise). Exit status 1 when a group
// fails. Not part of `npm test`: imaptest is not packaged in Debian and is never vendored here
// (bench/imap-load.ts without --imaptest prints how to build it locally).
//
//   node_modules/.bin/node test/imaptest-conformance.ts --imaptest /tmp/imaptest/src/imaptest \
//       [--tests /tmp/imaptest/src/tests] [--only copy,select,...] [--verbose]
//
// Posthorn runs in this process on a fresh data directory, plaintext LOGIN allowed on loopback,
// user testuser@example.com / pass (imaptest's "user" and "pass"). Each group runs alone with
// its own mbox (GROUP.mbox when the suite has one, else default.mbox), as imaptest expects.

import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { imapTestConfig } from './helpers/imap.ts';
import { startServer } from '../src/server/app.ts';
import { silentLogger } from '../src/server/log.ts';
import { hashPassword } from '../src/auth/password.ts';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const IMAPTEST = opt('--imaptest') ?? process.env.IMAPTEST;
if (!IMAPTEST || !existsSync(IMAPTEST)) {
  console.error('imaptest-conformance: needs --imaptest PATH (see bench/imap-load.ts for how to build imaptest locally)');
  process.exit(2);
}
const TESTS = opt('--tests') ?? join(dirname(IMAPTEST), 'tests');
const ONLY = opt('--only')?.split(',');
const VERBOSE = args.includes('--verbose');

const dir = mkdtempSync(join(tmpdir(), 'posthorn-imaptest-'));
const config = imapTestConfig(join(dir, 'data'), { POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true', POSTHORN_IMAPS_PORT: '0' });
// Some groups open many sessions at once from 127.0.0.1.
config.limits.maxConnectionsPerIp = 10_000;
config.limits.maxConnectionsPerAccount = 1_000;
const server = await startServer(config, { ephemeralPorts: true, log: silentLogger() });
const { store } = server.deps;
await store.addDomain('example.com');
await store.createAccount({ address: 'testuser@example.com', passwordHash: await hashPassword('pass') });

const groups = readdirSync(TESTS)
  .filter((name) => !name.includes('.') && statSync(join(TESTS, name)).isFile())
  .filter((name) => !ONLY || ONLY.includes(name))
  .sort();

/** Runs imaptest without blocking this process's event loop: the server under test lives in it. */
function imaptest(argv: string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(IMAPTEST!, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}

interface Outcome { group: string; verdict: 'pass' | 'fail' | 'n/a'; commands: string; detail: string }
const outcomes: Outcome[] = [];
// imaptest runs every file in its test= directory: give each group a directory of its own.
const groupDir = join(dir, 'group');
for (const group of groups) {
  rmSync(groupDir, { recursive: true, force: true });
  mkdirSync(groupDir);
  copyFileSync(join(TESTS, group), join(groupDir, group));
  // Groups that say "messages: N" without an mbox of their own read default.mbox beside them.
  copyFileSync(join(TESTS, 'default.mbox'), join(groupDir, 'default.mbox'));
  const ownMbox = join(TESTS, `${group}.mbox`);
  if (existsSync(ownMbox)) copyFileSync(ownMbox, join(groupDir, `${group}.mbox`));
  const run = await imaptest([
    'host=127.0.0.1', `port=${server.ports.imap}`, 'user=testuser@example.com', 'pass=pass',
    `mbox=${join(TESTS, 'default.mbox')}`, `test=${groupDir}`,
  ]);
  const out = run.output;
  const failed = /(\d+) test groups: (\d+) failed, (\d+) skipped/.exec(out);
  const base = /base protocol: (\d+)\/(\d+)/.exec(out);
  const ext = /extensions: (\d+)\/(\d+)/.exec(out);
  const total = (base ? Number(base[2]) : 0) + (ext ? Number(ext[2]) : 0);
  const bad = (base ? Number(base[1]) : 0) + (ext ? Number(ext[1]) : 0);
  let verdict: Outcome['verdict'];
  if (!failed || run.status === null) verdict = 'fail';
  else if (Number(failed[2]) > 0 || bad > 0) verdict = 'fail';
  else if (Number(failed[3]) > 0 || total === 0) verdict = 'n/a';
  else verdict = 'pass';
  outcomes.push({ group, verdict, commands: `${total - bad}/${total}`, detail: out.trim() });
  console.log(`${group.padEnd(28)} ${verdict.padEnd(5)} ${total > 0 ? `${total - bad}/${total} commands` : ''}`);
  if (verdict === 'fail' || VERBOSE) console.log(out.trim().split('\n').map((l) => `    ${l}`).join('\n'));
}

await server.stop();
rmSync(dir, { recursive: true, force: true });
const count = (v: Outcome['verdict']) => outcomes.filter((o) => o.verdict === v).length;
console.log(`\n${outcomes.length} groups: ${count('pass')} pass, ${count('fail')} fail, ${count('n/a')} not applicable (capability not advertised)`);
if (count('n/a') > 0) console.log(`not applicable: ${outcomes.filter((o) => o.verdict === 'n/a').map((o) => o.group).join(' ')}`);
process.exit(count('fail') > 0 ? 1 : 0);
