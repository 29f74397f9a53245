// POP3 download throughput (issue 5): an INBOX of 10,000 realistic mixed-size messages
// (/work/shared/peers/gen-mbox.py), downloaded over loopback by one client that logs in, STATs,
// and RETRs every message pipelined (a window of RETRs in flight), then QUITs without deleting.
// The same messages in Dovecot's POP3 (private instance via dovecot-up.sh, Maildir, TUNE=perf)
// in the same run; prints messages/s and MB/s per run, medians, and the ratio.
//
//   node_modules/.bin/node bench/pop3.ts [--count 10000] [--runs 3] [--window 32] [--no-dovecot]
//                                        [--profile-server DIR]   (V8 CPU profile of the server)
//
// The Posthorn server runs in a child process (this file with --serve), so client and server
// do not share an event loop, as with Dovecot. The generated mbox is cached in the temp dir
// (generation takes about a minute) as posthorn-bench-pop3-<count>.mbox.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, closeSync, existsSync, openSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { loadConfig } from '../src/server/config.ts';
import { startServer } from '../src/server/app.ts';
import { silentLogger } from '../src/server/log.ts';
import { hashPassword } from '../src/auth/password.ts';
import { ingestMessage } from '../src/delivery/explicit-target.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const COUNT = opt('--count', 10_000);
const RUNS = opt('--runs', 3);
const WINDOW = opt('--window', 32);
const NO_DOVECOT = args.includes('--no-dovecot');
const PROFILE_DIR = args.includes('--profile-server') ? args[args.indexOf('--profile-server') + 1] : null;
const PEERS = '/work/shared/peers';
const ADDRESS = 'bench@example.com';
const PASSWORD = 'bench-password';

function serverEnv(dir: string): Record<string, string> {
  return {
    POSTHORN_DATA_DIR: dir,
    POSTHORN_BIND: '127.0.0.1',
    POSTHORN_SMTP_PORT: '0',
    POSTHORN_SUBMISSION_PORT: '0',
    POSTHORN_SUBMISSIONS_PORT: '0',
    POSTHORN_IMAP_PORT: '0',
    POSTHORN_IMAPS_PORT: '0',
    POSTHORN_HTTP_PORT: '0',
    POSTHORN_POP3S_PORT: '0',
    POSTHORN_POP3_PORT: '2110',
    POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true',
    POSTHORN_LOG_LEVEL: 'warn',
  };
}

// ---- messages

function loadMessages(): Buffer[] {
  const mbox = join(tmpdir(), `posthorn-bench-pop3-${COUNT}.mbox`);
  if (!existsSync(mbox)) {
    console.log(`generating ${COUNT} messages with gen-mbox.py (cached as ${mbox}) ...`);
    const r = spawnSync('/usr/bin/python3', [join(PEERS, 'gen-mbox.py'), mbox, '--count', String(COUNT), '--seed', '5', '--crlf', '--max-attach-kb', '300'], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('gen-mbox.py failed');
  }
  // mboxrd with CRLF: "From " separator lines after a blank line; ">From " un-escaped.
  const text = readFileSync(mbox).toString('latin1');
  const out: Buffer[] = [];
  let start = text.indexOf('\r\n') + 2;
  for (;;) {
    const sep = text.indexOf('\r\n\r\nFrom ', start);
    const end = sep < 0 ? text.length - 2 : sep + 2;
    const body = text.slice(start, end).replace(/(^|\r\n)>(>*From )/g, '$1$2');
    out.push(Buffer.from(body, 'latin1'));
    if (sep < 0) break;
    start = text.indexOf('\r\n', sep + 4) + 2;
  }
  return out;
}

// ---- the client

interface RunResult {
  seconds: number;
  /** Connect, greeting, USER/PASS and STAT. */
  loginSeconds: number;
  messages: number;
  octets: number;
}

/** Logs in, STAT, RETR 1..n pipelined (WINDOW in flight), QUIT; counts RETR response octets. */
async function download(port: number, user: string, password: string): Promise<RunResult> {
  const started = process.hrtime.bigint();
  const socket = net.connect({ port, host: '127.0.0.1' });
  await once(socket, 'connect');
  let buf: Buffer = Buffer.alloc(0);
  let wake: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    wake?.();
  });
  const more = (): Promise<void> => new Promise((r) => (wake = r));
  const line = async (): Promise<string> => {
    for (;;) {
      const i = buf.indexOf('\r\n');
      if (i >= 0) {
        const l = buf.subarray(0, i).toString('latin1');
        buf = buf.subarray(i + 2);
        return l;
      }
      await more();
    }
  };
  const expectOk = async (): Promise<string> => {
    const l = await line();
    if (!l.startsWith('+OK')) throw new Error(`server said: ${l}`);
    return l;
  };
  /** One multi-line response; returns its octets from status line to terminator. */
  const multiline = async (): Promise<number> => {
    let from = 0;
    for (;;) {
      const s = buf.indexOf('\r\n');
      if (s >= 0) {
        if (buf[0] !== 0x2b) throw new Error(`server said: ${buf.subarray(0, s).toString()}`);
        const t = buf.indexOf('\r\n.\r\n', Math.max(s, from));
        if (t >= 0) {
          const n = t + 5;
          buf = buf.subarray(n);
          return n;
        }
        from = Math.max(s, buf.length - 4);
      }
      await more();
    }
  };
  await expectOk();
  socket.write(`USER ${user}\r\n`);
  await expectOk();
  socket.write(`PASS ${password}\r\n`);
  await expectOk();
  socket.write('STAT\r\n');
  const count = Number((await expectOk()).split(' ')[1]);
  const loginSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  let sent = 0;
  let octets = 0;
  const send = (): void => {
    const batch: string[] = [];
    while (sent < count && sent - received < WINDOW) batch.push(`RETR ${++sent}\r\n`);
    if (batch.length) socket.write(batch.join(''));
  };
  let received = 0;
  send();
  while (received < count) {
    octets += await multiline();
    received++;
    send();
  }
  socket.write('QUIT\r\n');
  await expectOk();
  socket.destroy();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, loginSeconds, messages: count, octets };
}

// ---- servers

async function fillPosthorn(dir: string, messages: Buffer[]): Promise<void> {
  const server = await startServer(loadConfig({ env: serverEnv(dir) }), { ephemeralPorts: true, log: silentLogger() });
  try {
    const { store } = server.deps;
    await store.addDomain('example.com');
    const account = await store.createAccount({ address: ADDRESS, passwordHash: await hashPassword(PASSWORD) });
    const inbox = await store.getMailbox(account.id, 'INBOX');
    if (!inbox) throw new Error('no INBOX');
    for (let i = 0; i < messages.length; i += 100) {
      await Promise.all(messages.slice(i, i + 100).map((m) => ingestMessage(server.deps, account.id, inbox.id, m)));
    }
  } finally {
    await server.stop();
  }
}

async function startPosthornChild(dir: string): Promise<{ child: ChildProcess; port: number }> {
  const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const child = spawn(process.execPath, [...profile, new URL(import.meta.url).pathname, '--serve', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const rl = createInterface({ input: child.stdout! });
  const [first] = (await once(rl, 'line')) as [string];
  return { child, port: (JSON.parse(first) as { pop3: number }).pop3 };
}

const DOVECOT_ENV = {
  ...process.env,
  LAB_RUN: join(tmpdir(), 'posthorn-bench-pop3-dovecot'),
  IMAP_PORT: '12143',
  IMAPS_PORT: '12993',
  POP3_PORT: '12110',
  POP3S_PORT: '12995',
  LMTP_PORT: '12024',
  NUSERS: '1',
  TUNE: 'perf',
  STORAGE: 'maildir',
  FRESH: '1',
};

function dovecotUp(messages: Buffer[]): boolean {
  if (spawnSync('sh', ['-c', 'command -v dovecot'], { stdio: 'ignore' }).status !== 0) {
    console.log('Dovecot is not installed (apt-get install dovecot-pop3d): Posthorn figures only.');
    return false;
  }
  // Output to a file, not a pipe: the Dovecot daemon inherits the script's stdout/stderr, and
  // a pipe would stay open (and spawnSync wait) for as long as Dovecot runs.
  mkdirSync(DOVECOT_ENV.LAB_RUN, { recursive: true });
  const logFile = join(DOVECOT_ENV.LAB_RUN, 'dovecot-up.log');
  const fd = openSync(logFile, 'w');
  const up = spawnSync('bash', [join(PEERS, 'dovecot-up.sh')], { env: DOVECOT_ENV, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  if (up.status !== 0) {
    console.log(`Dovecot did not start (see ${logFile}): Posthorn figures only.`);
    return false;
  }
  // Deliver the same bytes into test1's Maildir, as files with their size in the name (S=),
  // the way Dovecot's own delivery writes them.
  const home = join(DOVECOT_ENV.LAB_RUN, 'dovecot', 'mail', 'test1');
  const maildir = join(home, 'Maildir');
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(maildir, sub), { recursive: true });
  messages.forEach((m, i) => writeFileSync(join(maildir, 'new', `${1700000000 + i}.M${i}P1.bench,S=${m.length}`), m));
  const uid = Number(spawnSync('id', ['-u', 'vmail'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'vmail'], { encoding: 'utf8' }).stdout.trim());
  for (const p of [home, maildir, join(maildir, 'cur'), join(maildir, 'new'), join(maildir, 'tmp')]) chownSync(p, uid, gid);
  messages.forEach((_, i) => chownSync(join(maildir, 'new', `${1700000000 + i}.M${i}P1.bench,S=${messages[i].length}`), uid, gid));
  return true;
}

function dovecotDown(): void {
  spawnSync('bash', [join(PEERS, 'dovecot-down.sh')], { env: { ...DOVECOT_ENV, PURGE: '1' }, stdio: 'ignore' });
  rmSync(DOVECOT_ENV.LAB_RUN, { recursive: true, force: true });
}

// ---- report

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function report(name: string, runs: RunResult[]): { msgs: number; mbs: number } {
  runs.forEach((r, i) =>
    console.log(`  ${name} run ${i + 1}${i === 0 ? ' (cold)' : ''}: ${r.messages} messages, ${(r.octets / 1e6).toFixed(1)} MB in ${r.seconds.toFixed(2)} s = ${(r.messages / r.seconds).toFixed(0)} msg/s, ${(r.octets / 1e6 / r.seconds).toFixed(1)} MB/s (login+STAT ${(r.loginSeconds * 1000).toFixed(0)} ms)`),
  );
  const msgs = median(runs.map((r) => r.messages / r.seconds));
  const mbs = median(runs.map((r) => r.octets / 1e6 / r.seconds));
  console.log(`  ${name} median: ${msgs.toFixed(0)} msg/s, ${mbs.toFixed(1)} MB/s`);
  return { msgs, mbs };
}

async function main(): Promise<void> {
  const messages = loadMessages();
  const total = messages.reduce((a, m) => a + m.length, 0);
  console.log(`POP3 download: ${messages.length} messages, ${(total / 1e6).toFixed(1)} MB, ${RUNS} runs, ${WINDOW} RETRs in flight, loopback`);

  const dir = mkdtempSync(join(tmpdir(), 'posthorn-bench-pop3-'));
  let child: ChildProcess | null = null;
  try {
    let t = Date.now();
    await fillPosthorn(dir, messages);
    console.log(`  Posthorn INBOX filled in ${((Date.now() - t) / 1000).toFixed(1)} s (ingestMessage, durable)`);
    const started = await startPosthornChild(dir);
    child = started.child;
    const posthornRuns: RunResult[] = [];
    for (let i = 0; i < RUNS; i++) posthornRuns.push(await download(started.port, ADDRESS, PASSWORD));
    child.kill('SIGTERM');
    await once(child, 'exit');
    child = null;
    const p = report('Posthorn', posthornRuns);

    t = Date.now();
    if (NO_DOVECOT) console.log('  Dovecot skipped (--no-dovecot)');
    else if (dovecotUp(messages)) {
      try {
        console.log(`  Dovecot Maildir filled in ${((Date.now() - t) / 1000).toFixed(1)} s`);
        const dovecotRuns: RunResult[] = [];
        for (let i = 0; i < RUNS; i++) dovecotRuns.push(await download(Number(DOVECOT_ENV.POP3_PORT), 'test1', 'pass'));
        const d = report('Dovecot', dovecotRuns);
        if (dovecotRuns[0].octets !== posthornRuns[0].octets) {
          console.log(`  note: response octets differ (Posthorn ${posthornRuns[0].octets}, Dovecot ${dovecotRuns[0].octets}): status lines differ`);
        }
        console.log(`ratio Posthorn/Dovecot: ${(p.msgs / d.msgs).toFixed(2)}x messages/s, ${(p.mbs / d.mbs).toFixed(2)}x MB/s`);
      } finally {
        dovecotDown();
      }
    }
  } finally {
    if (child) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- entry: child mode serves an existing data dir until SIGTERM; otherwise the benchmark.
if (args[0] === '--serve') {
  const server = await startServer(loadConfig({ env: serverEnv(args[1]) }), { ephemeralPorts: true, log: silentLogger() });
  process.stdout.write(JSON.stringify({ pop3: server.ports.pop3 }) + '\n');
  process.once('SIGTERM', () => {
    server.stop().then(() => process.exit(0));
  });
} else {
  await main();
}
