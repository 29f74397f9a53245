// IMAP load (issue 4): Dovecot's imaptest runs its default load mix (every client logs in,
// LISTs, STATUSes, SELECTs, FETCHes headers and bodies, STOREs flags, EXPUNGEs, APPENDs from
// the mbox and logs out, over and over) with N clients for a fixed time against Posthorn and
// then against Dovecot, same mbox, same mix, same run. Prints commands/s per command, the
// total and the Posthorn/Dovecot ratio, plus imaptest's average latency per command.
//
//   node_modules/.bin/node bench/imap-load.ts --imaptest PATH [--clients 50] [--secs 20]
//       [--mbox FILE] [--messages 200] [--only posthorn|dovecot] [--extra 'logout=0 ...']
//
// --extra: more imaptest arguments for both servers, e.g. state probabilities: `logout=0`
// keeps each client logged in, so the mix runs without a LOGIN (password hash) per cycle.
//
// imaptest (github.com/dovecot/imaptest) is not packaged in Debian and is never vendored here:
// build it locally against Debian's dovecot-dev (see NO_IMAPTEST below) and pass its path with
// --imaptest or IMAPTEST. Without --mbox the bench writes one with /work/shared/peers/gen-mbox.py
// (deterministic, realistic messages up to 1 MiB) into a temp dir.
//
// Posthorn runs in a child process (this file with --serve) so imaptest, the bench and the
// server never share an event loop; it is stopped before Dovecot runs. Dovecot is the private
// instance from /work/shared/peers/dovecot-up.sh (TUNE=perf, STORAGE=sdbox: its fastest
// settings), user `testuser`; it is stopped again if this run started it.
//
// All clients share one account (imaptest's default), so every session sees the others'
// appends, flag changes and expunges: the mix exercises two-way sync, not just one mailbox each.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadConfig } from '../src/server/config.ts';
import { startServer } from '../src/server/app.ts';
import { silentLogger } from '../src/server/log.ts';
import { hashPassword } from '../src/auth/password.ts';

const args = process.argv.slice(2);
const optString = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const optNumber = (name: string, dflt: number): number => {
  const v = optString(name);
  const n = v === undefined ? dflt : Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} wants a positive number, got ${v}`);
  return n;
};
const CLIENTS = optNumber('--clients', 50);
const SECS = optNumber('--secs', 20);
const MESSAGES = optNumber('--messages', 200);
const ONLY = optString('--only');
const EXTRA = (optString('--extra') ?? '').split(/\s+/).filter(Boolean);
const PEERS = '/work/shared/peers';
const DOVECOT_PID = '/tmp/peerlab/dovecot/run/master.pid';
const USER = 'testuser@example.com';
const PASSWORD = 'pass';

const NO_IMAPTEST = `imap-load: needs Dovecot's imaptest binary: --imaptest PATH or IMAPTEST=PATH.
It is not in Debian and must never be committed here; build it locally (outside the repo):
  apt-get install -y dovecot-dev autoconf automake libtool pkg-config make gcc
  git clone https://github.com/dovecot/imaptest /tmp/imaptest && cd /tmp/imaptest
  # imaptest's main branch follows Dovecot 2.4's API; Debian 12 ships 2.3.19. Commit 924f619
  # (March 2022) builds against 2.3.19 once imap_parser_create() gets its 4th argument (NULL):
  git checkout 924f619
  sed -i 's/imap_parser_create(\\(.*\\), NULL, (size_t)-1)/imap_parser_create(\\1, NULL, (size_t)-1, NULL)/' \\
    src/commands.c src/imap-client.c src/test-parser.c
  ./autogen.sh && ./configure --with-dovecot=/usr/lib/dovecot && make LDFLAGS=-Wl,-rpath,/usr/lib/dovecot
then: node_modules/.bin/node bench/imap-load.ts --imaptest /tmp/imaptest/src/imaptest`;

// ---- server side (child process)

async function serve(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'posthorn-bench-load-'));
  const config = loadConfig({
    env: {
      POSTHORN_DATA_DIR: dir, POSTHORN_BIND: '127.0.0.1', POSTHORN_HOSTNAME: 'bench.test', POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true',
      POSTHORN_SMTP_PORT: '0', POSTHORN_SUBMISSION_PORT: '0', POSTHORN_SUBMISSIONS_PORT: '0', POSTHORN_POP3_PORT: '0',
      POSTHORN_POP3S_PORT: '0', POSTHORN_HTTP_PORT: '0', POSTHORN_IMAPS_PORT: '0', POSTHORN_IMAP_PORT: '2143',
    },
  });
  // imaptest's clients all log in as one user from 127.0.0.1; Dovecot's lab config allows
  // 1000 per user+IP (mail_max_userip_connections), so the same here.
  config.limits.maxConnectionsPerIp = 1_000_000;
  config.limits.maxConnectionsPerAccount = 1000;
  const server = await startServer(config, { ephemeralPorts: true, log: silentLogger() });
  const { store } = server.deps;
  await store.addDomain('example.com');
  await store.createAccount({ address: USER, passwordHash: await hashPassword(PASSWORD) });
  process.stdout.write(JSON.stringify({ port: server.ports.imap }) + '\n');
  // The parent closes our stdin when it is done with us.
  process.stdin.resume();
  await new Promise((resolve) => process.stdin.on('end', resolve));
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

// ---- imaptest run and its report

interface LoadResult {
  commands: string[];
  totals: number[];
  msPerCmd: number[];
  errors: string[];
}

/**
 * imaptest prints one line of counts per second and, at the end:
 *   "<avg ms per command...> ms/cmd avg", "Totals:", the command names ("Logi List ..."),
 *   two lines of mix percentages, and the total count per command.
 */
function parseImaptest(out: string): LoadResult {
  const lines = out.split('\n');
  const t = lines.findIndex((l) => l.trim() === 'Totals:');
  if (t < 0) throw new Error(`imaptest printed no Totals:\n${out.slice(-2000)}`);
  const commands = lines[t + 1].trim().split(/\s+/);
  const totalsLine = lines.slice(t + 2).find((l) => /^\s*\d+(\s+\d+)+\s*$/.test(l));
  if (!totalsLine) throw new Error(`imaptest Totals without counts:\n${lines.slice(t).join('\n')}`);
  const totals = totalsLine.trim().split(/\s+/).map(Number);
  const avgLine = lines.find((l) => l.includes('ms/cmd avg')) ?? '';
  const msPerCmd = avgLine.replace('ms/cmd avg', '').trim().split(/\s+/).map(Number);
  const errors = lines.filter((l) => l.startsWith('Error:'));
  return { commands, totals: totals.slice(0, commands.length), msPerCmd, errors };
}

function runImaptest(bin: string, port: number, user: string, mbox: string): Promise<LoadResult> {
  const argv = [`host=127.0.0.1`, `port=${port}`, `user=${user}`, `pass=${PASSWORD}`, `mbox=${mbox}`, `clients=${CLIENTS}`, `secs=${SECS}`, ...EXTRA];
  // A binary built against Debian's dovecot-dev without an rpath finds libdovecot here.
  const env = { ...process.env, LD_LIBRARY_PATH: ['/usr/lib/dovecot', process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') };
  return new Promise((resolve, reject) => {
    const child = spawn(bin, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        resolve(parseImaptest(out));
      } catch (err) {
        reject(new Error(`imaptest exited with ${code}: ${(err as Error).message}`));
      }
    });
  });
}

async function loadPosthorn(bin: string, mbox: string): Promise<LoadResult> {
  const child = spawn(process.execPath, [import.meta.filename, '--serve', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) throw new Error('posthorn child exited before listening');
  const { port } = JSON.parse(first.value as string) as { port: number };
  try {
    return await runImaptest(bin, port, USER, mbox);
  } finally {
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.stdin!.end();
    await exited;
  }
}

async function loadDovecot(bin: string, mbox: string): Promise<LoadResult | string> {
  const startedHere = !existsSync(DOVECOT_PID);
  // No pipes: the daemon would inherit them and spawnSync would wait for it to exit.
  const up = spawnSync(join(PEERS, 'dovecot-up.sh'), {
    env: { ...process.env, TUNE: 'perf', STORAGE: 'sdbox', ...(startedHere ? { FRESH: '1' } : {}) },
    stdio: 'ignore',
  });
  if (up.status !== 0) return `not started (dovecot-up.sh exited with ${up.status}; see ${PEERS}/README.md)`;
  try {
    return await runImaptest(bin, 10143, 'testuser', mbox);
  } finally {
    if (startedHere) spawnSync(join(PEERS, 'dovecot-down.sh'), { stdio: 'ignore' });
  }
}

// ---- report

function report(name: string, r: LoadResult): void {
  const w = 16;
  console.log(`${name}: ${CLIENTS} clients, ${SECS} s${EXTRA.length > 0 ? `, imaptest ${EXTRA.join(' ')}` : ''}`);
  console.log(`  ${'command'.padEnd(w)}${'cmds/s'.padStart(9)}${'avg ms'.padStart(9)}`);
  r.commands.forEach((c, i) => {
    console.log(`  ${(NAMES[c] ?? c).padEnd(w)}${(r.totals[i] / SECS).toFixed(1).padStart(9)}${String(r.msPerCmd[i] ?? '').padStart(9)}`);
  });
  console.log(`  ${'total'.padEnd(w)}${(sum(r.totals) / SECS).toFixed(1).padStart(9)}`);
  if (r.errors.length > 0) {
    // imaptest tracks every session's view of the mailbox and reports protocol violations it
    // sees under load; they are part of the result, not noise.
    const kinds = new Map<string, number>();
    for (const e of r.errors) {
      const kind = e.replace(/^Error: [^:]*: /, '').replace(/:[\s\S]*$/, '');
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    console.log(`  imaptest errors: ${r.errors.length} (${[...kinds].map(([k, n]) => `${n}× ${k}`).join('; ')})`);
    console.log(`    first: ${r.errors[0].slice(0, 200)}`);
  }
}

const sum = (v: number[]): number => v.reduce((a, b) => a + b, 0);

// imaptest's four-letter column heads: Fetc fetches metadata of up to 100 messages (ENVELOPE,
// BODYSTRUCTURE, FLAGS, HEADER.FIELDS...), Fet2 one message's HEADER, TEXT, [1] or whole
// body; Dele is STORE +FLAGS \Deleted ahead of the EXPUNGE.
const NAMES: Record<string, string> = {
  Logi: 'LOGIN', List: 'LIST', Stat: 'STATUS', Sele: 'SELECT', Fetc: 'FETCH', Fet2: 'FETCH body',
  Stor: 'STORE', Dele: 'STORE \\Deleted', Expu: 'EXPUNGE', Appe: 'APPEND', Logo: 'LOGOUT',
};

async function main(): Promise<void> {
  const bin = optString('--imaptest') ?? process.env.IMAPTEST;
  if (!bin || !existsSync(bin)) {
    if (bin) console.error(`imap-load: ${bin} does not exist`);
    console.error(NO_IMAPTEST);
    process.exit(2);
  }
  let mbox = optString('--mbox');
  let tmp: string | undefined;
  if (!mbox) {
    tmp = mkdtempSync(join(tmpdir(), 'posthorn-bench-mbox-'));
    mbox = join(tmp, 'load.mbox');
    const gen = spawnSync('/usr/bin/python3', [join(PEERS, 'gen-mbox.py'), mbox, '--count', String(MESSAGES), '--seed', '1'], { stdio: 'inherit' });
    if (gen.status !== 0) throw new Error(`gen-mbox.py exited with ${gen.status}`);
  }
  try {
    let posthorn: LoadResult | undefined;
    let dovecot: LoadResult | string | undefined;
    if (ONLY !== 'dovecot') {
      posthorn = await loadPosthorn(bin, mbox);
      report('posthorn', posthorn);
    }
    if (ONLY !== 'posthorn') {
      dovecot = await loadDovecot(bin, mbox);
      if (typeof dovecot === 'string') console.log(`dovecot: ${dovecot}`);
      else report('dovecot (TUNE=perf, sdbox)', dovecot);
    }
    if (posthorn && dovecot && typeof dovecot !== 'string') {
      const ratio = sum(posthorn.totals) / sum(dovecot.totals);
      console.log(`posthorn/dovecot total commands/s: ${(sum(posthorn.totals) / SECS).toFixed(1)} / ${(sum(dovecot.totals) / SECS).toFixed(1)} = ${ratio.toFixed(2)}`);
      const perCmd = posthorn.commands.map((c, i) => {
        const j = dovecot.commands.indexOf(c);
        return j < 0 || dovecot.totals[j] === 0 ? `${c} -` : `${c} ${(posthorn.totals[i] / dovecot.totals[j]).toFixed(2)}`;
      });
      console.log(`  per command: ${perCmd.join(', ')}`);
    }
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

if (args.includes('--serve')) await serve();
else await main();
