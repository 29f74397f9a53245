// A large mailbox over IMAP (issue 4): N messages in INBOX, then one client times SELECT,
// FETCH 1:* (UID FLAGS), FETCH of 50 headers, UID SEARCH TEXT <word>, UID SEARCH SUBJECT,
// SORT (DATE) and a STORE on every message. Prints each time (median of --runs).
//
//   node_modules/.bin/node bench/imap-mailbox.ts [--count 100000] [--runs 3] [--dovecot | --only-dovecot]
//
// --dovecot: the same timing against Debian's Dovecot in the same run, after Posthorn's, with
// the same N messages (the same bytes, the same \Seen flags) and the same client code and
// command strings; prints a table of medians and the ratio Posthorn ms / Dovecot ms.
// --only-dovecot: Dovecot's figures alone (for iterating on the Dovecot side).
// Dovecot is a private instance started here by /work/shared/peers/dovecot-up.sh (TUNE=perf,
// Maildir, its own ports 13143…, user test1, in a temp dir) and stopped and deleted again at
// the end. The messages are written straight into test1's Maildir cur/ (one file each, as its
// own delivery would store them; no FTS plugin), and Dovecot indexes them on the first SELECT.
// If Dovecot is missing (/work/shared/peers/install.sh installs it) or does not start, the
// reason is printed and Posthorn's figures still are.
//
// Warm-up: on each server, one session logs in and SELECTs once before the timed runs; that
// first SELECT is printed on its own ("cold": Dovecot builds its index from the Maildir there)
// and is not in the medians. Run 1 can still be slower on Dovecot (its header cache fills on
// the first SEARCH SUBJECT / SORT / ENVELOPE), which is why the per-run times are printed too.
// The STORE adds a keyword new in each run ($bench1, $bench2, …), so every run changes every
// message (with one keyword for all runs, runs 2+ would time a no-op).
//
// The messages share a few blobs (the store deduplicates content) but each has its own row and
// summary, as after real deliveries; filling goes through the store directly to save time.
// The server runs in a child process (this file with --serve).

import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { loadConfig } from '../src/server/config.ts';
import { startServer } from '../src/server/app.ts';
import { silentLogger } from '../src/server/log.ts';
import { hashPassword } from '../src/auth/password.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const COUNT = opt('--count', 100_000);
const RUNS = opt('--runs', 3);
const ONLY_DOVECOT = args.includes('--only-dovecot');
const WITH_DOVECOT = ONLY_DOVECOT || args.includes('--dovecot');

// ---- the messages (both servers get these bytes)

const VARIANTS = 64;
const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];

/** Variant v of the test message; message i of the mailbox is variant i % VARIANTS. */
function variantMessage(v: number): Buffer {
  return Buffer.from(
    `From: Sender ${v} <s${v}@example.org>\r\nTo: big@example.com\r\nSubject: Report ${WORDS[v % 8]} ${v}\r\n` +
      `Date: ${new Date(Date.UTC(2026, 0, 1 + v)).toUTCString()}\r\nMessage-ID: <${v}@example.org>\r\n\r\n` +
      `${'Lorem ipsum dolor sit amet. '.repeat(20 + v)}${WORDS[(v * 3) % 8]}${v === 7 ? ' needle' : ''}\r\n`,
  );
}

/** Message i is \Seen unless i is a multiple of 3. */
const isSeen = (i: number): boolean => i % 3 !== 0;

// ---- Posthorn (child process)

async function serve(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'posthorn-bench-mailbox-'));
  const config = loadConfig({
    env: {
      POSTHORN_DATA_DIR: dir, POSTHORN_BIND: '127.0.0.1', POSTHORN_HOSTNAME: 'bench.test', POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true',
      POSTHORN_SMTP_PORT: '0', POSTHORN_SUBMISSION_PORT: '0', POSTHORN_SUBMISSIONS_PORT: '0', POSTHORN_POP3_PORT: '0',
      POSTHORN_POP3S_PORT: '0', POSTHORN_HTTP_PORT: '0', POSTHORN_IMAPS_PORT: '0', POSTHORN_IMAP_PORT: '2143',
    },
  });
  const server = await startServer(config, { ephemeralPorts: true, log: silentLogger() });
  const { store, blobs, parse } = server.deps;
  await store.addDomain('example.com');
  const account = await store.createAccount({ address: 'big@example.com', passwordHash: await hashPassword('pw') });
  const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
  const variants = [];
  for (let v = 0; v < VARIANTS; v++) {
    const raw = variantMessage(v);
    const blob = await blobs.put(raw);
    const parsed = parse(raw);
    variants.push({ blob, parsed });
  }
  const t0 = Date.now();
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < COUNT; i++) {
    const v = variants[i % variants.length];
    pending.push(store.appendMessage(account.id, inbox.id, { blobId: v.blob.id, size: v.blob.size, summary: v.parsed.summary, searchText: v.parsed.searchText, flags: isSeen(i) ? ['\\Seen'] : [] }));
    if (pending.length >= 500) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  process.stdout.write(JSON.stringify({ port: server.ports.imap, fillSeconds: (Date.now() - t0) / 1000 }) + '\n');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'stop') {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    }
  }
}

// ---- the client (the same code times both servers)

interface Reply {
  ms: number;
  /** Everything the server sent for the command, up to and including the tagged line. */
  text: string;
}

class Client {
  private socket: net.Socket;
  private chunks: string[] = [];
  /** The end of what arrived so far, long enough to hold a tagged line's start split across reads. */
  private carry = '';
  private waiter: { tag: string; resolve: () => void } | null = null;
  readonly greeting: Promise<void>;
  constructor(port: number) {
    this.socket = net.connect({ port, host: '127.0.0.1' });
    this.socket.setEncoding('latin1');
    let greeted: () => void;
    this.greeting = new Promise((resolve) => (greeted = resolve));
    let greeting: string | null = '';
    this.socket.on('data', (d: string) => {
      if (greeting !== null) {
        greeting += d;
        if (greeting.includes('\r\n')) {
          greeting = null;
          greeted();
        }
        return;
      }
      this.chunks.push(d);
      const w = this.waiter;
      if (!w) return;
      // Only the new data and a short tail of the old are searched: FETCH 1:* is megabytes.
      const s = this.carry + d;
      const marker = `\r\n${w.tag} `;
      const i = s.indexOf(marker);
      if (i !== -1 && s.indexOf('\r\n', i + 2) !== -1) {
        this.waiter = null;
        w.resolve();
      } else {
        this.carry = i !== -1 ? s.slice(i) : s.slice(-(marker.length - 1));
      }
    });
  }
  async run(tag: string, command: string): Promise<Reply> {
    await this.greeting;
    this.chunks = [];
    // The tagged line can be the whole reply (no untagged data before it).
    this.carry = '\r\n';
    const t = performance.now();
    await new Promise<void>((resolve) => {
      this.waiter = { tag, resolve };
      this.socket.write(`${tag} ${command}\r\n`);
    });
    const ms = performance.now() - t;
    return { ms, text: this.chunks.join('') };
  }
  close(): void {
    this.socket.destroy();
  }
}

/** What a reply amounts to, to check that both servers answered the same question. */
function outcome(text: string): string {
  // The reply ends with the tagged line and its CRLF.
  const lineStart = text.lastIndexOf('\r\n', text.length - 3) + 2;
  const tagged = text.slice(lineStart === 1 ? 0 : lineStart).trim();
  if (tagged.split(' ')[1] !== 'OK') return tagged;
  const hits = /^\* (?:SEARCH|SORT)( [^\r\n]*)?\r\n/m.exec(text);
  if (hits) return `${hits[1] ? hits[1].trim().split(' ').length : 0} UIDs`;
  const fetches = text.match(/^\* \d+ FETCH /gm)?.length ?? 0;
  const exists = /^\* (\d+) EXISTS/m.exec(text);
  if (exists) return `${exists[1]} EXISTS`;
  return fetches ? `${fetches} FETCH responses` : 'OK';
}

interface Op {
  name: string;
  command: (run: number) => string;
}

const OPS: Op[] = [
  { name: 'SELECT INBOX', command: () => 'SELECT INBOX' },
  { name: 'FETCH 1:* (UID FLAGS)', command: () => 'FETCH 1:* (UID FLAGS)' },
  { name: 'UID FETCH last 50 (ENVELOPE BODY.PEEK[HEADER])', command: () => `UID FETCH ${COUNT - 49}:* (UID ENVELOPE BODY.PEEK[HEADER])` },
  { name: 'UID SEARCH SUBJECT delta', command: () => 'UID SEARCH SUBJECT delta' },
  { name: 'UID SEARCH TEXT needle', command: () => 'UID SEARCH TEXT needle' },
  { name: 'UID SORT (DATE) UTF-8 ALL', command: () => 'UID SORT (DATE) UTF-8 ALL' },
  { name: 'STORE 1:* +FLAGS.SILENT ($bench<run>)', command: (run) => `STORE 1:* +FLAGS.SILENT ($bench${run + 1})` },
];

interface Timings {
  /** The first SELECT after filling, in a session of its own before the runs. */
  coldSelect: number;
  times: Map<string, number[]>;
  /** Per operation, the outcome of the last run (hit counts, FETCH counts). */
  outcomes: Map<string, string>;
}

async function timeServer(port: number, user: string, password: string): Promise<Timings> {
  const login = async (c: Client): Promise<void> => {
    const r = await c.run('l', `LOGIN ${user} ${password}`);
    if (outcome(r.text) !== 'OK') throw new Error(`LOGIN ${user} on port ${port}: ${outcome(r.text)}`);
  };
  const warm = new Client(port);
  await login(warm);
  const coldSelect = (await warm.run('w', 'SELECT INBOX')).ms;
  await warm.run('z', 'LOGOUT');
  warm.close();
  const times = new Map<string, number[]>(OPS.map((op) => [op.name, []]));
  const outcomes = new Map<string, string>();
  for (let r = 0; r < RUNS; r++) {
    const c = new Client(port);
    await login(c);
    let n = 0;
    for (const op of OPS) {
      const tag = `t${n++}`;
      const reply = await c.run(tag, op.command(r));
      times.get(op.name)!.push(reply.ms);
      outcomes.set(op.name, outcome(reply.text));
    }
    await c.run('u', 'UNSELECT');
    await c.run('z', 'LOGOUT');
    c.close();
  }
  return { coldSelect, times, outcomes };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function printTimings(t: Timings): void {
  console.log(`  ${'first SELECT INBOX after filling (cold, not in medians)'.padEnd(48)} ${t.coldSelect.toFixed(0).padStart(6)} ms`);
  for (const [name, list] of t.times) {
    console.log(`  ${name.padEnd(48)} median ${median(list).toFixed(0).padStart(6)} ms  (${list.map((x) => x.toFixed(0)).join(', ')})`);
  }
}

// ---- Posthorn

async function posthorn(): Promise<Timings> {
  const child = spawn(process.execPath, [import.meta.filename, '--serve', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const { port, fillSeconds } = JSON.parse((await lines.next()).value as string) as { port: number; fillSeconds: number };
  console.log(`imap-mailbox: ${COUNT} messages in INBOX (filled in ${fillSeconds.toFixed(1)} s)`);
  try {
    const t = await timeServer(port, 'big@example.com', 'pw');
    printTimings(t);
    return t;
  } finally {
    // Wait for it to exit, so that Dovecot's turn does not share the CPUs with it.
    const exited = once(child, 'exit');
    child.stdin!.write('stop\n');
    await exited;
  }
}

// ---- Dovecot

const DOVECOT_PEERS = '/work/shared/peers';
const DOVECOT_IMAP_PORT = 13143;

function dovecotEnv(labRun: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    LAB_RUN: labRun,
    IMAP_PORT: String(DOVECOT_IMAP_PORT),
    IMAPS_PORT: '13993',
    POP3_PORT: '13110',
    POP3S_PORT: '13995',
    LMTP_PORT: '13024',
    NUSERS: '1',
    TUNE: 'perf',
    STORAGE: 'maildir',
    FRESH: '1',
  };
}

/** Starts a private Dovecot in labRun; returns why not, or null when it is up. */
function dovecotUp(labRun: string): string | null {
  if (spawnSync('sh', ['-c', 'command -v dovecot'], { stdio: 'ignore' }).status !== 0) {
    return `Dovecot is not installed (${DOVECOT_PEERS}/install.sh installs it)`;
  }
  // Output to a file, not a pipe: the daemon inherits the script's stdout/stderr, and
  // spawnSync would wait on an open pipe for as long as Dovecot runs.
  const logFile = join(labRun, 'dovecot-up.log');
  const fd = openSync(logFile, 'w');
  const up = spawnSync('bash', [join(DOVECOT_PEERS, 'dovecot-up.sh')], { env: dovecotEnv(labRun), stdio: ['ignore', fd, fd] });
  closeSync(fd);
  if (up.status !== 0) {
    const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-8).join('\n    ');
    return `dovecot-up.sh exited with ${up.status ?? up.signal}:\n    ${tail}`;
  }
  return null;
}

function dovecotDown(labRun: string): void {
  spawnSync('bash', [join(DOVECOT_PEERS, 'dovecot-down.sh')], { env: { ...dovecotEnv(labRun), PURGE: '1' }, stdio: 'ignore' });
}

/**
 * Writes the messages into test1's Maildir cur/ as Dovecot's own delivery would leave them:
 * one file each, unique names whose order is the message order (Dovecot gives UIDs in name
 * order), the size in the name (S=, W=: the messages are CRLF already), \Seen as ":2,S".
 */
function fillMaildir(labRun: string): void {
  const home = join(labRun, 'dovecot', 'mail', 'test1');
  const cur = join(home, 'Maildir', 'cur');
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(home, 'Maildir', sub), { recursive: true });
  const bodies = Array.from({ length: VARIANTS }, (_, v) => variantMessage(v));
  const base = 1_700_000_000;
  for (let i = 0; i < COUNT; i++) {
    const m = bodies[i % VARIANTS];
    writeFileSync(join(cur, `${base + i}.M${i}P${process.pid}.bench,S=${m.length},W=${m.length}:2,${isSeen(i) ? 'S' : ''}`), m);
  }
  const owner = spawnSync('id', ['-u', 'vmail'], { encoding: 'utf8' }).stdout.trim() + ':' + spawnSync('id', ['-g', 'vmail'], { encoding: 'utf8' }).stdout.trim();
  const chown = spawnSync('chown', ['-R', owner, home], { stdio: 'inherit' });
  if (chown.status !== 0) throw new Error(`chown -R ${owner} ${home} failed`);
}

async function dovecot(): Promise<Timings | null> {
  const labRun = mkdtempSync(join(tmpdir(), 'posthorn-bench-mailbox-dovecot-'));
  // Ctrl-C must not leave the daemon running.
  const interrupted = (): void => {
    dovecotDown(labRun);
    rmSync(labRun, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  try {
    const why = dovecotUp(labRun);
    if (why) {
      console.log(`dovecot: not measured: ${why}`);
      return null;
    }
    const t0 = Date.now();
    fillMaildir(labRun);
    const version = spawnSync('dovecot', ['--version'], { encoding: 'utf8' }).stdout.trim().split(' ')[0];
    console.log(`dovecot ${version} (same run, TUNE=perf, Maildir, no FTS): ${COUNT} messages in INBOX (Maildir files written in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    const t = await timeServer(DOVECOT_IMAP_PORT, 'test1', 'pass');
    printTimings(t);
    return t;
  } catch (e) {
    console.log(`dovecot: not measured: ${(e as Error).message}`);
    return null;
  } finally {
    dovecotDown(labRun);
    rmSync(labRun, { recursive: true, force: true });
    process.removeListener('SIGINT', interrupted);
  }
}

function printComparison(p: Timings, d: Timings): void {
  const cell = (s: string, w: number): string => s.padStart(w);
  console.log(`\nPosthorn vs Dovecot, ${COUNT} messages, medians of ${RUNS} run(s); ratio = Posthorn ms / Dovecot ms (> 1: Posthorn slower)`);
  console.log(`  ${'operation'.padEnd(56)}${cell('Posthorn ms', 12)}${cell('Dovecot ms', 12)}${cell('ratio', 8)}   result`);
  const row = (name: string, pm: number, dm: number, result: string): void =>
    console.log(`  ${name.padEnd(56)}${cell(pm.toFixed(0), 12)}${cell(dm.toFixed(0), 12)}${cell((pm / dm).toFixed(2), 8)}   ${result}`);
  row('first SELECT INBOX after filling (cold, not a median)', p.coldSelect, d.coldSelect, '');
  for (const op of OPS) {
    const [po, dov] = [p.outcomes.get(op.name), d.outcomes.get(op.name)];
    row(op.name, median(p.times.get(op.name)!), median(d.times.get(op.name)!), po === dov ? `${po} (both)` : `DIFFERS: Posthorn ${po}, Dovecot ${dov}`);
  }
}

async function main(): Promise<void> {
  const p = ONLY_DOVECOT ? null : await posthorn();
  if (!WITH_DOVECOT) return;
  const d = await dovecot();
  if (p && d) printComparison(p, d);
}

if (args.includes('--serve')) await serve();
else await main();
