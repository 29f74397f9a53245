// A large mailbox over IMAP (issue 4): N messages in INBOX, then one client times SELECT,
// FETCH 1:* (UID FLAGS), FETCH of 50 headers, UID SEARCH TEXT <word>, UID SEARCH SUBJECT,
// SORT (DATE) and a STORE on every message. Prints each time (median of --runs).
//
//   node_modules/.bin/node bench/imap-mailbox.ts [--count 100000] [--runs 3]
//
// The messages share a few blobs (the store deduplicates content) but each has its own row and
// summary, as after real deliveries; filling goes through the store directly to save time.
// The server runs in a child process (this file with --serve).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { loadConfig } from '../src/server/config.ts';
import { startServer } from '../src/server/app.ts';
import { silentLogger } from '../src/server/log.ts';
import { hashPassword } from '../src/mail/password.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const COUNT = opt('--count', 100_000);
const RUNS = opt('--runs', 3);

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
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
  const variants = [];
  for (let v = 0; v < 64; v++) {
    const raw = Buffer.from(
      `From: Sender ${v} <s${v}@example.org>\r\nTo: big@example.com\r\nSubject: Report ${words[v % 8]} ${v}\r\n` +
        `Date: ${new Date(Date.UTC(2026, 0, 1 + v)).toUTCString()}\r\nMessage-ID: <${v}@example.org>\r\n\r\n` +
        `${'Lorem ipsum dolor sit amet. '.repeat(20 + v)}${words[(v * 3) % 8]}${v === 7 ? ' needle' : ''}\r\n`,
    );
    const blob = await blobs.put(raw);
    const parsed = parse(raw);
    variants.push({ blob, parsed });
  }
  const t0 = Date.now();
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < COUNT; i++) {
    const v = variants[i % variants.length];
    pending.push(store.appendMessage(account.id, inbox.id, { blobId: v.blob.id, size: v.blob.size, summary: v.parsed.summary, searchText: v.parsed.searchText, flags: i % 3 ? ['\\Seen'] : [] }));
    if (pending.length >= 500) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  process.stdout.write(JSON.stringify({ port: config.ports.imap, fillSeconds: (Date.now() - t0) / 1000 }) + '\n');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'stop') {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    }
  }
}

class Client {
  private socket: net.Socket;
  private buf = '';
  private waiter: { tag: string; resolve: () => void } | null = null;
  constructor(port: number) {
    this.socket = net.connect({ port, host: '127.0.0.1' });
    this.socket.setEncoding('latin1');
    this.socket.on('data', (d: string) => {
      this.buf += d;
      const w = this.waiter;
      if (!w) return;
      const i = this.buf.lastIndexOf(`\r\n${w.tag} `);
      if (i !== -1 && this.buf.indexOf('\r\n', i + 2) !== -1) {
        this.waiter = null;
        this.buf = '';
        w.resolve();
      }
    });
  }
  async run(tag: string, command: string): Promise<number> {
    const t = performance.now();
    await new Promise<void>((resolve) => {
      this.buf = '\r\n' + this.buf;
      this.waiter = { tag, resolve };
      this.socket.write(`${tag} ${command}\r\n`);
    });
    return performance.now() - t;
  }
  close(): void {
    this.socket.destroy();
  }
}

async function main(): Promise<void> {
  const child = spawn(process.execPath, [import.meta.filename, '--serve', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const { port, fillSeconds } = JSON.parse((await lines.next()).value as string) as { port: number; fillSeconds: number };
  console.log(`imap-mailbox: ${COUNT} messages in INBOX (filled in ${fillSeconds.toFixed(1)} s)`);
  const ops: [string, string][] = [
    ['SELECT INBOX', 'SELECT INBOX'],
    ['FETCH 1:* (UID FLAGS)', 'FETCH 1:* (UID FLAGS)'],
    ['UID FETCH last 50 (ENVELOPE BODY.PEEK[HEADER])', `UID FETCH ${COUNT - 49}:* (UID ENVELOPE BODY.PEEK[HEADER])`],
    ['UID SEARCH SUBJECT delta', 'UID SEARCH SUBJECT delta'],
    ['UID SEARCH TEXT needle', 'UID SEARCH TEXT needle'],
    ['UID SORT (DATE) UTF-8 ALL', 'UID SORT (DATE) UTF-8 ALL'],
    ['STORE 1:* +FLAGS.SILENT ($bench)', 'STORE 1:* +FLAGS.SILENT ($bench)'],
  ];
  const times = new Map<string, number[]>(ops.map(([name]) => [name, []]));
  for (let r = 0; r < RUNS; r++) {
    const c = new Client(port);
    await c.run('l', 'LOGIN big@example.com pw');
    let n = 0;
    for (const [name, cmd] of ops) times.get(name)!.push(await c.run(`t${n++}`, cmd));
    await c.run('u', 'UNSELECT');
    c.close();
  }
  for (const [name, list] of times) {
    list.sort((a, b) => a - b);
    console.log(`  ${name.padEnd(48)} median ${list[Math.floor(list.length / 2)].toFixed(0).padStart(6)} ms  (${list.map((t) => t.toFixed(0)).join(', ')})`);
  }
  child.stdin!.write('stop\n');
}

if (args.includes('--serve')) await serve();
else await main();
