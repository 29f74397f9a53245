// Shared by the POP3 suites: a real Posthorn server in a temp data dir with only the POP3
// listeners, accounts made through the store, messages delivered with ingestMessage, a raw
// line-level POP3 client for what real clients refuse to send, and a runner for Python's poplib.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { execFile } from 'node:child_process';
import { loadConfig } from '../../src/server/config.ts';
import { startServer, type RunningServer } from '../../src/server/app.ts';
import { silentLogger } from '../../src/server/log.ts';
import { hashPassword } from '../../src/auth/password.ts';
import { ingestMessage } from '../../src/delivery/explicit-target.ts';
import type { Listener } from '../../src/net/listener.ts';
import { pop3DepsFrom, tcpListeners } from '../../src/server/protocols.ts';
import type { Account, AppendResult, Mailbox } from '../../src/store/types.ts';
import { pop3Services } from '../../src/pop3/services.ts';
import { requirePythonFor } from './tools.ts';

export interface Pop3TestServer {
  dir: string;
  server: RunningServer;
  /** Bound ports of the POP3 listeners in use (the clocked ones when a clock was given). */
  pop3: number;
  pop3s: number;
  addAccount(address: string, password: string): Promise<Account>;
  inbox(account: Account): Promise<Mailbox>;
  deliver(account: Account, raw: string | Buffer, opts?: { flags?: string[] }): Promise<AppendResult>;
  /** Stops the server and starts a new one on the same data directory. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  /** Runs extra POP3 listeners with this clock and reports their ports instead. */
  now?: () => number;
  /** Contents of a TOML config file for the server. */
  configToml?: string;
}

export async function startPop3Server(opts: StartOptions = {}): Promise<Pop3TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'posthorn-pop3-'));
  const env = {
    POSTHORN_DATA_DIR: dir,
    POSTHORN_BIND: '127.0.0.1',
    POSTHORN_HOSTNAME: 'pop.test',
    POSTHORN_SMTP_PORT: '0',
    POSTHORN_SUBMISSION_PORT: '0',
    POSTHORN_SUBMISSIONS_PORT: '0',
    POSTHORN_IMAP_PORT: '0',
    POSTHORN_IMAPS_PORT: '0',
    POSTHORN_HTTP_PORT: '0',
    POSTHORN_HTTPS_PORT: '0',
    POSTHORN_POP3_PORT: '2110',
    POSTHORN_POP3S_PORT: '2995',
    ...opts.env,
  };
  if (opts.configToml !== undefined) {
    const file = join(dir, 'posthorn.toml');
    writeFileSync(file, opts.configToml);
    Object.assign(env, { POSTHORN_CONFIG: file });
  }
  let server!: RunningServer;
  let clocked: Listener[] = [];
  const result: Pop3TestServer = {
    dir,
    server,
    pop3: 0,
    pop3s: 0,
    async addAccount(address, password) {
      const store = result.server.deps.store;
      const domain = address.split('@')[1];
      if (!(await store.getDomain(domain))) await store.addDomain(domain);
      return store.createAccount({ address, passwordHash: await hashPassword(password) });
    },
    async inbox(account) {
      const box = await result.server.deps.store.getMailbox(account.id, 'INBOX');
      if (!box) throw new Error('no INBOX');
      return box;
    },
    async deliver(account, raw, o = {}) {
      const box = await result.inbox(account);
      const bytes = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
      return ingestMessage(result.server.deps, account.id, box.id, bytes, { flags: o.flags });
    },
    async restart() {
      await stopAll();
      await boot();
    },
    async stop() {
      await stopAll();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  async function boot(): Promise<void> {
    const config = loadConfig({ env });
    server = await startServer(config, { ephemeralPorts: true, log: silentLogger() });
    result.server = server;
    result.pop3 = server.ports.pop3 ?? 0;
    result.pop3s = server.ports.pop3s ?? 0;
    if (opts.now) {
      clocked = tcpListeners(server.deps, pop3Services(pop3DepsFrom(server.deps), { now: opts.now }));
      for (const s of clocked) {
        const port = await s.listen();
        if (s.name === 'pop3') result.pop3 = port;
        if (s.name === 'pop3s') result.pop3s = port;
      }
    }
  }
  async function stopAll(): Promise<void> {
    await Promise.all(clocked.map((s) => s.close(1000)));
    clocked = [];
    await server.stop();
  }
  await boot();
  return result;
}

/** A line-level POP3 client over a raw socket, for transcripts and for what clients won't send. */
export class RawPop3 {
  socket: net.Socket | tls.TLSSocket;
  private buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private ended = false;

  private constructor(socket: net.Socket | tls.TLSSocket) {
    this.socket = socket;
    this.listen(socket);
  }

  static async connect(port: number, opts: { tls?: boolean; localAddress?: string } = {}): Promise<RawPop3> {
    const local = opts.localAddress ? { localAddress: opts.localAddress } : {};
    const socket = opts.tls
      ? tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, ...local })
      : net.connect({ port, host: '127.0.0.1', ...local });
    await once(socket, opts.tls ? 'secureConnect' : 'connect');
    const client = new RawPop3(socket);
    return client;
  }

  private listen(socket: net.Socket): void {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** True once the server has closed the connection. */
  get closed(): boolean {
    return this.ended;
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** The next line without CRLF; null when the connection closed first. */
  async line(): Promise<string | null> {
    for (;;) {
      const i = this.buffer.indexOf('\r\n');
      if (i >= 0) {
        const line = this.buffer.subarray(0, i).toString('latin1');
        this.buffer = this.buffer.subarray(i + 2);
        return line;
      }
      if (this.ended) return null;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** Sends a command and returns its status line. */
  async command(cmd: string): Promise<string | null> {
    this.send(cmd + '\r\n');
    return this.line();
  }

  /** The lines of a multi-line response body (after its status line), un-stuffed. */
  async multiline(): Promise<string[]> {
    const lines: string[] = [];
    for (;;) {
      const l = await this.line();
      if (l === null) throw new Error('connection closed inside a multi-line response');
      if (l === '.') return lines;
      lines.push(l.startsWith('.') ? l.slice(1) : l);
    }
  }

  /** Waits for the server to close the connection. */
  async waitClosed(): Promise<void> {
    while (!this.ended) await new Promise<void>((r) => this.waiters.push(r));
  }

  /** Upgrades to TLS after "+OK" to STLS; what was buffered unread is returned (must be empty). */
  async upgrade(): Promise<string> {
    const leftover = this.buffer.toString('latin1');
    this.buffer = Buffer.alloc(0);
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('close');
    const secure = tls.connect({ socket: this.socket, rejectUnauthorized: false });
    await once(secure, 'secureConnect');
    this.socket = secure;
    this.listen(secure);
    return leftover;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Runs a Python script with Debian's /usr/bin/python3; returns its parsed JSON stdout. */
export async function runPython<T>(script: string, args: string[] = []): Promise<T> {
  const python3 = requirePythonFor(script);
  const dir = mkdtempSync(join(tmpdir(), 'posthorn-py-'));
  const file = join(dir, 'client.py');
  writeFileSync(file, script);
  try {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(python3, [file, ...args], { maxBuffer: 256 * 1024 * 1024, timeout: 120_000 }, (err, out, errOut) => {
        if (err) reject(new Error(`python failed: ${err.message}\n${errOut}`));
        else resolve(out);
      });
    });
    return JSON.parse(stdout) as T;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a program, resolving with its exit code and output (never rejects on a non-zero exit). */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? Number((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export function message(subject: string, body: string, eol = '\r\n'): string {
  return [`From: Sender <sender@example.org>`, `To: user@example.com`, `Subject: ${subject}`, `Message-ID: <${subject.replace(/\W/g, '')}@example.org>`, `Date: Thu, 26 Nov 2026 05:00:00 +0000`, '', body, ''].join(eol);
}
