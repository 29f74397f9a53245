// The public JMAP conformance suite (github.com/jmapio/jmap-test-suite, RFC 8620 and RFC 8621)
// against Posthorn, or against Cyrus IMAP as the reference: prints pass, fail and skip counts for
// the required and the recommended tests, and every failing test by area. Exit status 1 when a
// required test fails, 2 when the suite could not run. Not part of `npm test`: the suite has no
// licence, so it is never vendored here; it is used from a checkout made beforehand and fetches
// nothing at test time.
//
//   node_modules/.bin/node test/jmap-conformance.ts --suite /work/jmap-test-suite \
//       [--server posthorn|cyrus] [--filter 'email/query*,core/*'] [--json report.json] [--verbose]
//
// --suite (or JMAP_TEST_SUITE): a checkout of the suite, built once with
// `npm install && npm run build` in that folder (this runner starts its dist/cli.js).
// The suite needs two users with empty mail accounts: the primary one for everything, the
// secondary one as the recipient of EmailSubmission tests. No admin access: it creates and
// destroys its own mailboxes and messages. Here both accounts are new on every run:
// Posthorn runs in this process on a fresh data directory (the accounts made through the
// store, as the other benches do); Cyrus (--server cyrus) is a private instance started by
// bench/peers/cyrus.ts in a temp folder and stopped at the end.
// The suite process gets test/conformance/loopback-fetch.ts preloaded: it may reach loopback
// only, so its smee.io webhook channel is never opened and the push-callback tests skip.

import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer } from './helpers/server.ts';
import { hashPassword } from '../src/auth/password.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const SUITE = opt('--suite') ?? process.env.JMAP_TEST_SUITE;
if (!SUITE || !existsSync(join(SUITE, 'package.json'))) {
  console.error('jmap-conformance: needs --suite PATH (or JMAP_TEST_SUITE): a checkout of jmapio/jmap-test-suite');
  process.exit(2);
}
const CLI = join(resolve(SUITE), 'dist', 'cli.js');
if (!existsSync(CLI)) {
  console.error(`jmap-conformance: ${CLI} is missing: build the suite first (cd ${SUITE} && npm install && npm run build)`);
  process.exit(2);
}
const SERVER = opt('--server') ?? 'posthorn';
if (SERVER !== 'posthorn' && SERVER !== 'cyrus') {
  console.error('jmap-conformance: --server is posthorn or cyrus');
  process.exit(2);
}
const FILTER = opt('--filter');
const JSON_OUT = opt('--json');
const VERBOSE = args.includes('--verbose');

interface SuiteUser { username: string; password: string }
interface Target { name: string; sessionUrl: string; env?: Record<string, string>; users: { primary: SuiteUser; secondary: SuiteUser }; stop(): Promise<void> }

async function posthornTarget(dir: string): Promise<Target> {
  const server = await startTestServer(join(dir, 'data'), ['http', 'smtp'], { POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' });
  const { store } = server.deps;
  await store.addDomain('example.com');
  const users = {
    primary: { username: 'testuser@example.com', password: 'suite-primary-pass' },
    secondary: { username: 'testuser2@example.com', password: 'suite-secondary-pass' },
  };
  for (const u of Object.values(users)) await store.createAccount({ address: u.username, passwordHash: await hashPassword(u.password) });
  return { name: 'Posthorn', sessionUrl: `http://127.0.0.1:${server.ports.http}/.well-known/jmap`, users, stop: () => server.stop() };
}

async function cyrusTarget(dir: string): Promise<Target> {
  const { startCyrus } = await import('../bench/peers/cyrus.ts');
  const users = {
    primary: { username: 'testuser@example.com', password: 'suite-primary-pass' },
    secondary: { username: 'testuser2@example.com', password: 'suite-secondary-pass' },
  };
  const cyrus = await startCyrus({ dir: join(dir, 'cyrus'), users: Object.values(users) });
  const sessionUrl = `http://127.0.0.1:${cyrus.ports.http}/.well-known/jmap`;
  // Cyrus's session object gives its URLs as paths: see test/conformance/loopback-fetch.ts.
  return { name: `Cyrus ${cyrus.version}`, sessionUrl, env: { JMAP_SUITE_RELATIVE_BASE: sessionUrl }, users, stop: () => cyrus.stop() };
}

interface TestInfo { testId: string; name: string; category: string; required: boolean }
interface TestResult extends TestInfo { status: 'pass' | 'fail' | 'skip' | 'not run'; error?: string }

/** The tests the suite registers, read from its own modules without running any. */
function listTests(): TestInfo[] {
  const dist = join(resolve(SUITE!), 'dist');
  const script = `
    import { readdirSync } from 'node:fs';
    import { join } from 'node:path';
    const dist = ${JSON.stringify(dist)};
    const files = readdirSync(join(dist, 'tests'), { recursive: true }).filter((f) => f.endsWith('.test.js')).sort();
    for (const f of files) await import(join(dist, 'tests', f));
    const { getTests } = await import(join(dist, 'runner', 'test-registry.js'));
    console.log(JSON.stringify(getTests().map((t) => ({ testId: t.testId, name: t.name, category: t.category, required: t.required }))));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`listing the suite's tests failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as TestInfo[];
}

/** Runs the suite's CLI without blocking this process's event loop: Posthorn lives in it. */
function runSuite(configFile: string, reportFile: string, env: Record<string, string>): Promise<{ status: number | null; stderr: string }> {
  // A floating promise in the suite's EventSource tests rejects when a server answers 204; with
  // Node's default (throw) that ends the whole run, so it is only warned about here.
  const argv = ['--unhandled-rejections=warn', '--import', join(HERE, 'conformance', 'loopback-fetch.ts'), CLI, '-c', configFile, '-f', '-o', reportFile, '--fail-only'];
  if (FILTER) argv.push('--filter', FILTER);
  return new Promise((done) => {
    const child = spawn(process.execPath, argv, { cwd: SUITE, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (VERBOSE) process.stderr.write(d);
    });
    // ~300 tests take a minute or two; a stuck request has the suite's own 30 s timeout.
    const timer = setTimeout(() => child.kill('SIGKILL'), 30 * 60_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      done({ status, stderr });
    });
  });
}

function suiteCommit(): string {
  const r = spawnSync('git', ['-C', SUITE!, 'log', '-1', '--format=%h %cs'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'not a git checkout';
}

const tests = listTests();
const dir = mkdtempSync(join(tmpdir(), 'posthorn-jmap-suite-'));
// Cyrus's processes run as the cyrus user and must reach their folder inside this one.
chmodSync(dir, 0o755);
let target: Target;
try {
  target = SERVER === 'cyrus' ? await cyrusTarget(dir) : await posthornTarget(dir);
} catch (e) {
  rmSync(dir, { recursive: true, force: true });
  console.error(`jmap-conformance: ${SERVER} did not start: ${(e as Error).message}`);
  process.exit(2);
}
const configFile = join(dir, 'config.json');
const reportFile = join(dir, 'report.json');
writeFileSync(configFile, JSON.stringify({ sessionUrl: target.sessionUrl, serverInfo: target.name, users: target.users, authMethod: 'basic', timeout: 30_000, verbose: false }, null, 2));
console.log(`jmap-test-suite (${suiteCommit()}, ${tests.length} tests) against ${target.name} at ${target.sessionUrl}`);

let run: { status: number | null; stderr: string };
try {
  run = await runSuite(configFile, reportFile, target.env ?? {});
} finally {
  await target.stop();
}
const report = existsSync(reportFile) ? (JSON.parse(readFileSync(reportFile, 'utf8')) as { results: TestResult[] }) : null;
if (JSON_OUT && report) writeFileSync(JSON_OUT, JSON.stringify(report, null, 2));
rmSync(dir, { recursive: true, force: true });

const byId = new Map(tests.map((t) => [t.testId, t]));
let results: TestResult[];
if (report) {
  results = report.results.map((r) => ({ ...r, category: byId.get(r.testId)?.category ?? r.testId.split('/')[0] }));
} else {
  // Connect, clean and seed come before any test: a server without the methods they use
  // (Mailbox/get, Email/query, Email/import …) ends the run there.
  const fatal = /Fatal error: (.*)/.exec(run.stderr)?.[1] ?? `the suite exited with ${run.status} and wrote no report`;
  console.log(`the suite ended without a report (status ${run.status}): ${fatal}`);
  const stage = [...run.stderr.matchAll(/^--- (.+) ---$/gm)].pop()?.[1];
  if (stage) console.log(`  last stage reached: ${stage}`);
  results = tests.map((t) => ({ ...t, status: 'not run', error: fatal }));
}

for (const required of [true, false]) {
  const group = results.filter((r) => r.required === required);
  const n = (s: TestResult['status']) => group.filter((r) => r.status === s).length;
  const notRun = n('not run') > 0 ? `, ${n('not run')} not run` : '';
  console.log(`${(required ? 'required' : 'recommended').padEnd(12)} ${n('pass')} passed, ${n('fail')} failed, ${n('skip')} skipped${notRun} (of ${group.length})`);
}

const failing = results.filter((r) => r.status === 'fail');
if (failing.length > 0) {
  console.log('\nfailing, by area (* = recommended):');
  const areas = [...new Set(failing.map((r) => r.category))].sort();
  for (const area of areas) {
    const list = failing.filter((r) => r.category === area);
    console.log(`  ${area} (${list.length})`);
    for (const r of list) {
      const why = (r.error ?? '').replace(/\s+/g, ' ').slice(0, 140);
      console.log(`    ${r.required ? ' ' : '*'}${r.testId}: ${why}`);
    }
  }
}
const skipped = results.filter((r) => r.status === 'skip');
if (skipped.length > 0) {
  const reasons = new Map<string, number>();
  for (const r of skipped) reasons.set(r.error ?? '', (reasons.get(r.error ?? '') ?? 0) + 1);
  console.log('\nskipped, by reason:');
  for (const [why, count] of [...reasons].sort((a, b) => b[1] - a[1])) console.log(`  ${String(count).padStart(4)}  ${why}`);
}
const requiredFailed = results.some((r) => r.required && r.status === 'fail');
process.exit(report ? (requiredFailed ? 1 : 0) : 2);
