// JMAP push over EventSource at scale (RFC 8620 §7.3): N EventSource clients on one account or
// spread over many, then IMAP STOREs by another session; we time from sending the STORE to the
// "state" event read by each client of that account, and report latency percentiles (per
// client, and until the last client of a fan-out heard it), plus the server's resident memory
// and heap per open connection.
//
//   node_modules/.bin/node bench/jmap-push.ts [--connections 1000] [--accounts 1] [--events 50]
//
// --accounts 1: every client on one account (one change fans out to N streams);
// --accounts N: one client per account (a change reaches one stream, N bus subscriptions).
// The server runs in a child process (this file with --serve), so client and server do not
// share an event loop; memory is the server's (after a forced GC) before and after the
// connections opened, divided by N.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ImapFlow } from 'imapflow';
import { loadConfig } from '../src/server/config.ts';
import { startServer } from '../src/server/app.ts';
import { silentLogger } from '../src/server/log.ts';
import { hashPassword } from '../src/auth/password.ts';
import { ingestMessage } from '../src/delivery/explicit-target.ts';
import net from 'node:net';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const CONNECTIONS = opt('--connections', 1000);
const ACCOUNTS = Math.min(opt('--accounts', 1), CONNECTIONS);
const EVENTS = opt('--events', 50);
const PASSWORD = 'bench-password';
const address = (i: number): string => `push${i}@example.com`;
const now = (): number => performance.now();

// ---- server side (child process)

async function serve(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'posthorn-bench-push-'));
  const config = loadConfig({
    env: {
      POSTHORN_DATA_DIR: dir, POSTHORN_BIND: '127.0.0.1', POSTHORN_HOSTNAME: 'bench.test', POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true',
      POSTHORN_SMTP_PORT: '0', POSTHORN_SUBMISSION_PORT: '0', POSTHORN_SUBMISSIONS_PORT: '0', POSTHORN_POP3_PORT: '0',
      POSTHORN_POP3S_PORT: '0', POSTHORN_IMAPS_PORT: '0', POSTHORN_IMAP_PORT: '2143', POSTHORN_HTTP_PORT: '8080',
    },
  });
  config.limits.maxConnectionsPerIp = 1_000_000;
  config.jmap.maxPushConnectionsPerAccount = CONNECTIONS;
  config.jmap.maxPushConnections = CONNECTIONS + 10;
  const server = await startServer(config, { ephemeralPorts: true, log: silentLogger() });
  const { store } = server.deps;
  await store.addDomain('example.com');
  const hash = await hashPassword(PASSWORD);
  for (let i = 0; i < ACCOUNTS; i++) {
    const a = await store.createAccount({ address: address(i), passwordHash: hash });
    const inbox = (await store.getMailbox(a.id, 'INBOX'))!;
    await ingestMessage(server.deps, a.id, inbox.id, Buffer.from(`From: b@example.org\r\nSubject: push bench\r\n\r\nhello\r\n`), {});
  }
  const out = (o: object): void => void process.stdout.write(JSON.stringify(o) + '\n');
  out({ http: server.ports.http, imap: server.ports.imap });
  for await (const line of createInterface({ input: process.stdin })) {
    const cmd = JSON.parse(line) as { cmd: string };
    if (cmd.cmd === 'memory') {
      (globalThis as { gc?: () => void }).gc?.();
      const m = process.memoryUsage();
      out({ rss: m.rss, heap: m.heapUsed });
    } else if (cmd.cmd === 'stop') {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
      out({ stopped: true });
      process.exit(0);
    }
  }
}

// ---- client side

/**
 * An EventSource client on a raw socket: the bench measures the server, so the client does the
 * least it can (a fetch body stream per client costs more client time than the server spends).
 * It counts "state" events as they arrive; waiters are resolved with the arrival time.
 */
class RawEventStream {
  private readonly socket: net.Socket;
  private tail = '';
  private waiters: ((t: number) => void)[] = [];
  status = 0;
  private readonly headersDone: Promise<number>;

  constructor(port: number, path: string, authorization: string) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.setNoDelay(true);
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nAuthorization: ${authorization}\r\n\r\n`);
    this.headersDone = new Promise((resolve, reject) => {
      let head = '';
      const onData = (chunk: Buffer): void => {
        head += chunk.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        this.status = Number(head.slice(9, 12));
        this.socket.off('data', onData);
        this.socket.on('data', (c: Buffer) => this.onData(c.toString('latin1')));
        this.onData(head.slice(end + 4));
        resolve(this.status);
      };
      this.socket.on('data', onData);
      this.socket.once('error', reject);
      this.socket.once('close', () => resolve(this.status));
    });
  }

  opened(): Promise<number> {
    return this.headersDone;
  }

  private onData(text: string): void {
    const t = now();
    const all = this.tail + text;
    let count = all.split('event: state').length - 1;
    this.tail = all.slice(-16);
    if (this.tail.includes('event: state')) {
      count -= 1;
      this.tail = this.tail.slice(this.tail.indexOf('event: state') + 1);
    }
    while (count-- > 0) this.waiters.shift()?.(t);
  }

  nextState(): Promise<number> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.socket.destroy();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  // fetch's default agent has no per-origin connection limit: every stream is its own connection.
  const child = spawn(process.execPath, ['--expose-gc', import.meta.filename, '--serve', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const read = async (): Promise<any> => JSON.parse((await lines.next()).value as string);
  const ask = async (cmd: string): Promise<any> => {
    child.stdin!.write(JSON.stringify({ cmd }) + '\n');
    return read();
  };
  const { http, imap } = await read();
  const path = '/jmap/eventsource?types=*&closeafter=no&ping=0';
  const auth = (i: number): string => 'Basic ' + Buffer.from(`${address(i)}:${PASSWORD}`).toString('base64');

  const before = await ask('memory');
  const streams: { account: number; client: RawEventStream }[] = [];
  const opened = now();
  // Logins are memory-hard password checks: a few at a time, as the authenticator allows.
  const BATCH = 8;
  for (let i = 0; i < CONNECTIONS; i += BATCH) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(BATCH, CONNECTIONS - i) }, async (_, j) => {
        const account = (i + j) % ACCOUNTS;
        for (;;) {
          const client = new RawEventStream(http, path, auth(account));
          if ((await client.opened()) === 200) return { account, client };
          client.close();
          if (client.status !== 503 && client.status !== 429) throw new Error(`eventsource answered ${client.status}`);
        }
      }),
    );
    streams.push(...batch);
  }
  const openSeconds = (now() - opened) / 1000;
  const afterOpen = await ask('memory');

  const imapClients = new Map<number, ImapFlow>();
  const imapFor = async (account: number): Promise<ImapFlow> => {
    let c = imapClients.get(account);
    if (!c) {
      c = new ImapFlow({ host: '127.0.0.1', port: imap, secure: false, auth: { user: address(account), pass: PASSWORD }, logger: false, tls: { rejectUnauthorized: false } });
      await c.connect();
      await c.mailboxOpen('INBOX');
      imapClients.set(account, c);
    }
    return c;
  };

  const perClient: number[] = [];
  const fanOut: number[] = [];
  const storeAck: number[] = [];
  const storesPerAccount = new Map<number, number>();
  for (let e = 0; e < EVENTS; e++) {
    const account = e % ACCOUNTS;
    const c = await imapFor(account);
    const listeners = streams.filter((s) => s.account === account);
    const start = now();
    const heard = listeners.map((s) => s.client.nextState().then((t) => t - start));
    // Each STORE really changes the flag (set, then clear, per account), so each makes an event.
    const flagged = (storesPerAccount.get(account) ?? 0) % 2 === 1;
    storesPerAccount.set(account, (storesPerAccount.get(account) ?? 0) + 1);
    await (flagged ? c.messageFlagsRemove('1', ['\\Flagged']) : c.messageFlagsAdd('1', ['\\Flagged']));
    storeAck.push(now() - start);
    const times = await Promise.all(heard);
    perClient.push(...times);
    fanOut.push(Math.max(...times));
  }
  for (const c of imapClients.values()) await c.logout().catch(() => {});
  for (const s of streams) s.client.close();
  await ask('stop');

  const sort = (a: number[]): number[] => [...a].sort((x, y) => x - y);
  const ms = (v: number): string => `${v.toFixed(2)} ms`;
  const pc = sort(perClient);
  const fo = sort(fanOut);
  const sa = sort(storeAck);
  console.log(`jmap-push: ${CONNECTIONS} EventSource clients on ${ACCOUNTS} account(s), ${EVENTS} IMAP STOREs`);
  console.log(`  opened in ${openSeconds.toFixed(1)} s (each a Basic login)`);
  console.log(`  STORE → state event, per client: p50 ${ms(percentile(pc, 50))}  p99 ${ms(percentile(pc, 99))}  (${pc.length} samples)`);
  console.log(`  STORE → last client of the account: p50 ${ms(percentile(fo, 50))}  p99 ${ms(percentile(fo, 99))}`);
  console.log(`  STORE → tagged OK at the IMAP client: p50 ${ms(percentile(sa, 50))}  p99 ${ms(percentile(sa, 99))}`);
  console.log(`  server memory per open connection: RSS ${((afterOpen.rss - before.rss) / CONNECTIONS / 1024).toFixed(1)} KiB, heap ${((afterOpen.heap - before.heap) / CONNECTIONS / 1024).toFixed(1)} KiB`);
  process.exit(0);
}

if (args.includes('--serve')) await serve();
else await main();
