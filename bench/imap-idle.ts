// IMAP IDLE at scale (issue 4): N connections log in, SELECT INBOX and IDLE, one account each;
// then deliveries (ingestMessage, as SMTP does) and flag changes (another session's STORE, done
// through the store) hit one account at a time, and we time from the store commit to the
// untagged line ("* n EXISTS", "* n FETCH") read at that account's idling client. Prints
// latency percentiles and the server's resident memory per idle connection.
//
//   node_modules/.bin/node bench/imap-idle.ts [--connections 1000] [--events 300] [--dovecot]
//
// --dovecot: the same measurement against Dovecot in the same run (private instance from
// /work/shared/peers/dovecot-up.sh, users test1..test200): idlers on min(N, 100) users,
// deliveries over LMTP (timed to the 250 after DATA), flag changes by a second IMAP session
// (timed to its tagged OK). Dovecot is stopped again if this run started it.
//
// The server runs in a child process (this file with --serve), so client and server do not
// share an event loop. Times are absolute (performance.timeOrigin + now()) on one machine.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
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
const CONNECTIONS = opt('--connections', 1000);
const EVENTS = opt('--events', 300);
const PASSWORD = 'bench-password';
const now = (): number => performance.timeOrigin + performance.now();
const address = (i: number): string => `idle${i}@example.com`;

function message(i: number): Buffer {
  return Buffer.from(`From: bench@example.org\r\nTo: someone@example.com\r\nSubject: idle bench ${i}\r\nMessage-ID: <${i}.${Date.now()}@example.org>\r\n\r\nhello ${i}\r\n`);
}

// ---- server side (child process)

async function serve(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'posthorn-bench-idle-'));
  const config = loadConfig({
    env: {
      POSTHORN_DATA_DIR: dir, POSTHORN_BIND: '127.0.0.1', POSTHORN_HOSTNAME: 'bench.test', POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true',
      POSTHORN_SMTP_PORT: '0', POSTHORN_SUBMISSION_PORT: '0', POSTHORN_SUBMISSIONS_PORT: '0', POSTHORN_POP3_PORT: '0',
      POSTHORN_POP3S_PORT: '0', POSTHORN_HTTP_PORT: '0', POSTHORN_IMAPS_PORT: '0', POSTHORN_IMAP_PORT: '2143',
    },
  });
  config.limits.maxConnectionsPerIp = 1_000_000;
  const server = await startServer(config, { ephemeralPorts: true, log: silentLogger() });
  const { store } = server.deps;
  await store.addDomain('example.com');
  const hash = await hashPassword(PASSWORD);
  const accounts: { id: number; inbox: number; uid: number | null }[] = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    const a = await store.createAccount({ address: address(i), passwordHash: hash });
    const inbox = (await store.getMailbox(a.id, 'INBOX'))!;
    accounts.push({ id: a.id, inbox: inbox.id, uid: null });
  }
  const out = (o: object): void => {
    process.stdout.write(JSON.stringify(o) + '\n');
  };
  out({ port: server.ports.imap });
  let seq = 0;
  for await (const line of createInterface({ input: process.stdin })) {
    const cmd = JSON.parse(line) as { cmd: string; account?: number };
    if (cmd.cmd === 'rss') {
      (globalThis as { gc?: () => void }).gc?.();
      const m = process.memoryUsage();
      out({ rss: m.rss, heap: m.heapUsed, external: m.external });
    } else if (cmd.cmd === 'deliver') {
      const a = accounts[cmd.account!];
      const started = now();
      const r = await ingestMessage(server.deps, a.id, a.inbox, message(++seq));
      out({ started, committed: now() });
      a.uid = r.uid;
    } else if (cmd.cmd === 'flag') {
      const a = accounts[cmd.account!];
      const started = now();
      await store.setFlags(a.id, a.inbox, [a.uid!], 'add', [`$bench${++seq}`]);
      out({ started, committed: now() });
    } else if (cmd.cmd === 'stop') {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
      out({ stopped: true });
      process.exit(0);
    }
  }
}

// ---- client side

class IdleClient {
  readonly socket: net.Socket;
  private buf = '';
  private waiters: { re: RegExp; resolve: (t: number) => void }[] = [];
  constructor(port: number) {
    this.socket = net.connect({ port, host: '127.0.0.1' });
    this.socket.setEncoding('latin1');
    this.socket.on('data', (d: string) => {
      const t = now();
      this.buf += d;
      let i: number;
      while ((i = this.buf.indexOf('\n')) !== -1) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        const w = this.waiters.findIndex((x) => x.re.test(line));
        if (w !== -1) this.waiters.splice(w, 1)[0].resolve(t);
      }
    });
  }
  send(text: string): void {
    this.socket.write(text);
  }
  wait(re: RegExp): Promise<number> {
    return new Promise((resolve) => this.waiters.push({ re, resolve }));
  }
  async start(i: number, user = address(i), password = PASSWORD): Promise<void> {
    await this.wait(/^\* OK/);
    const logged = this.wait(/^a OK/);
    this.socket.write(`a LOGIN ${user} ${password}\r\n`);
    await logged;
    const selected = this.wait(/^b OK/);
    this.socket.write('b SELECT INBOX\r\n');
    await selected;
    const idling = this.wait(/^\+ idling/);
    this.socket.write('c IDLE\r\n');
    await idling;
  }
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const child = spawn(process.execPath, ['--expose-gc', import.meta.filename, '--serve', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const ask = async (o: object | null): Promise<Record<string, number>> => {
    if (o) child.stdin!.write(JSON.stringify(o) + '\n');
    return JSON.parse((await lines.next()).value as string);
  };
  const { port } = await ask(null);
  // Warm-up: argon2 (19 MiB per login) grows the allocator's pool once; measure after it.
  const PARALLEL = 8;
  const warm = Array.from({ length: PARALLEL }, () => new IdleClient(port));
  await Promise.all(warm.map((c, j) => c.start(j)));
  for (const c of warm) c.socket.destroy();
  await new Promise((r) => setTimeout(r, 200));
  const base = await ask({ cmd: 'rss' });
  const t0 = Date.now();
  const clients: IdleClient[] = [];
  // Logins cost an argon2 hash each; a few in parallel keep the server's CPU busy.
  for (let i = 0; i < CONNECTIONS; i += PARALLEL) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(CONNECTIONS, i + PARALLEL); j++) {
      const c = new IdleClient(port);
      clients.push(c);
      batch.push(c.start(j));
    }
    await Promise.all(batch);
  }
  const setupSeconds = (Date.now() - t0) / 1000;
  const idle = await ask({ cmd: 'rss' });
  const perConn = (idle.rss - base.rss) / CONNECTIONS;
  const heapPerConn = (idle.heap - base.heap) / CONNECTIONS;
  const externalPerConn = (idle.external - base.external) / CONNECTIONS;
  const exists: number[] = [];
  const flags: number[] = [];
  const existsFromStart: number[] = [];
  const flagsFromStart: number[] = [];
  for (let k = 0; k < EVENTS; k++) {
    const target = Math.floor(Math.random() * CONNECTIONS);
    const c = clients[target];
    const seen = c.wait(/^\* \d+ EXISTS/);
    const delivered = await ask({ cmd: 'deliver', account: target });
    const t1 = await seen;
    exists.push(t1 - delivered.committed);
    existsFromStart.push(t1 - delivered.started);
    const fetched = c.wait(/^\* \d+ FETCH/);
    const flagged = await ask({ cmd: 'flag', account: target });
    const t2 = await fetched;
    flags.push(t2 - flagged.committed);
    flagsFromStart.push(t2 - flagged.started);
  }
  for (const list of [exists, flags, existsFromStart, flagsFromStart]) list.sort((a, b) => a - b);
  const fmt = (v: number): string => v.toFixed(2);
  console.log(`imap-idle: ${CONNECTIONS} idling connections (one account each), set up in ${setupSeconds.toFixed(1)} s`);
  console.log(`  server memory per idle connection: RSS ${(perConn / 1024).toFixed(1)} KiB, JS heap ${(heapPerConn / 1024).toFixed(1)} KiB, external ${(externalPerConn / 1024).toFixed(1)} KiB`);
  const line = (what: string, v: number[]): void =>
    console.log(`  ${what} (${v.length}): p50 ${fmt(pct(v, 50))} ms, p99 ${fmt(pct(v, 99))} ms, max ${fmt(v[v.length - 1])} ms`);
  // The store publishes on the bus right after its commit, before ingestMessage's caller
  // resumes: "from the acknowledgement" can be negative (the idler hears first).
  line('delivery acknowledged (ingestMessage resolved) → "* n EXISTS" at the idler', exists);
  line('delivery started (blob write, parse, commit) → "* n EXISTS" at the idler', existsFromStart);
  line('flag change acknowledged (setFlags resolved) → "* n FETCH" at the idler', flags);
  line('flag change started → "* n FETCH" at the idler', flagsFromStart);
  for (const c of clients) c.socket.destroy();
  await ask({ cmd: 'stop' });
}

const DOVECOT_PEERS = '/work/shared/peers';
const DOVECOT_PID = '/tmp/peerlab/dovecot/run/master.pid';

/** Sends one message over LMTP (RFC 2033) and resolves at the 250 for its recipient. */
async function lmtpDeliver(rcpt: string, body: Buffer): Promise<number> {
  const c = new IdleClient(10024);
  await c.wait(/^220/);
  const step = async (line: string, expect: RegExp): Promise<number> => {
    const w = c.wait(expect);
    c.send(line);
    return w;
  };
  await step('LHLO bench\r\n', /^250 /);
  await step('MAIL FROM:<bench@example.org>\r\n', /^250/);
  await step(`RCPT TO:<${rcpt}>\r\n`, /^250/);
  await step('DATA\r\n', /^354/);
  const t = await step(body.toString('latin1') + '.\r\n', /^250/);
  c.socket.destroy();
  return t;
}

async function dovecot(): Promise<void> {
  const startedHere = !existsSync(DOVECOT_PID);
  // No pipes: the daemon would inherit them and spawnSync would wait for it to exit.
  const up = spawnSync(join(DOVECOT_PEERS, 'dovecot-up.sh'), { env: { ...process.env, TUNE: 'perf' }, stdio: 'ignore' });
  if (up.status !== 0) {
    console.log(`dovecot: not started (dovecot-up.sh exited with ${up.status}; see /work/shared/peers/README.md)`);
    return;
  }
  try {
    // 100: with 200 idlers this private Dovecot stopped answering logins (its process limits).
    const n = Math.min(CONNECTIONS, 100);
    const events = Math.min(EVENTS, 40);
    const idlers: IdleClient[] = [];
    for (let i = 0; i < n; i += 8) {
      const batch: Promise<void>[] = [];
      for (let j = i; j < Math.min(n, i + 8); j++) {
        const c = new IdleClient(10143);
        idlers.push(c);
        batch.push(c.start(j, `test${j + 1}`, 'pass'));
      }
      await Promise.all(batch);
    }
    const exists: number[] = [];
    const flags: number[] = [];
    for (let k = 0; k < events; k++) {
      const target = Math.floor(Math.random() * n);
      if (process.env.BENCH_DEBUG) console.error('event', k, 'user', target + 1);
      const seen = idlers[target].wait(/^\* \d+ EXISTS/);
      const acked = await lmtpDeliver(`test${target + 1}@example.com`, message(k));
      exists.push((await seen) - acked);
      const actor = new IdleClient(10143);
      await actor.wait(/^\* OK/);
      const logged = actor.wait(/^a OK/);
      actor.send(`a LOGIN test${target + 1} pass\r\n`);
      await logged;
      const selected = actor.wait(/^b OK/);
      actor.send('b SELECT INBOX\r\n');
      await selected;
      const fetched = idlers[target].wait(/^\* \d+ FETCH/);
      const stored = actor.wait(/^c OK/);
      actor.send(`c STORE 1:* +FLAGS.SILENT ($bench${k})\r\n`);
      const t = await stored;
      flags.push((await fetched) - t);
      actor.socket.destroy();
    }
    exists.sort((a, b) => a - b);
    flags.sort((a, b) => a - b);
    const fmt = (v: number): string => v.toFixed(1);
    console.log(`dovecot (same run, TUNE=perf): ${n} idling connections`);
    console.log(`  LMTP 250 → "* n EXISTS" at the idler (${events}): p50 ${fmt(pct(exists, 50))} ms, p99 ${fmt(pct(exists, 99))} ms`);
    console.log(`  STORE OK in another session → "* n FETCH" at the idler (${events}): p50 ${fmt(pct(flags, 50))} ms, p99 ${fmt(pct(flags, 99))} ms`);
    for (const c of idlers) c.socket.destroy();
  } finally {
    if (startedHere) spawnSync(join(DOVECOT_PEERS, 'dovecot-down.sh'), { stdio: 'ignore' });
  }
}

if (args.includes('--serve')) await serve();
else {
  if (!args.includes('--only-dovecot')) await main();
  if (args.includes('--dovecot') || args.includes('--only-dovecot')) await dovecot();
}
