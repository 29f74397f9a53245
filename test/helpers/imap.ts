// Shared by the IMAP suites: a real Posthorn server in a temp data dir with only the IMAP
// listeners, accounts made through the store, deliveries through ingestMessage, a raw IMAP
// client for what real clients refuse to send, and a runner for Python's imaplib.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import { execFile } from 'node:child_process';
import { loadConfig, type Config } from '../../src/server/config.ts';
import { startServer, type RunningServer } from '../../src/server/app.ts';
import { silentLogger } from '../../src/server/log.ts';
import { hashPassword } from '../../src/auth/password.ts';
import { ingestMessage } from '../../src/delivery/explicit-target.ts';
import type { Account, AppendResult, Mailbox } from '../../src/store/types.ts';
import { requirePythonFor } from './tools.ts';

export interface ImapTestServer {
  dir: string;
  server: RunningServer;
  imap: number;
  imaps: number;
  addAccount(address: string, password: string, quotaBytes?: number | null): Promise<Account>;
  mailbox(account: Account, name: string): Promise<Mailbox>;
  deliver(account: Account, raw: string | Buffer, opts?: { mailbox?: string; flags?: string[]; internalDate?: number }): Promise<AppendResult>;
  stop(): Promise<void>;
}

/**
 * Configuration with only the IMAP listeners on 127.0.0.1 and data in `dir`. The IMAP ports are
 * non-zero only to enable the listeners: start with ephemeralPorts to bind free ones.
 */
export function imapTestConfig(dir: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    env: {
      POSTHORN_DATA_DIR: dir,
      POSTHORN_BIND: '127.0.0.1',
      POSTHORN_HOSTNAME: 'imap.test',
      POSTHORN_SMTP_PORT: '0',
      POSTHORN_SUBMISSION_PORT: '0',
      POSTHORN_SUBMISSIONS_PORT: '0',
      POSTHORN_POP3_PORT: '0',
      POSTHORN_POP3S_PORT: '0',
      POSTHORN_HTTP_PORT: '0',
      POSTHORN_HTTPS_PORT: '0',
      POSTHORN_IMAP_PORT: '2143',
      POSTHORN_IMAPS_PORT: '2993',
      ...env,
    },
  });
}

export async function startImapServer(env: Record<string, string> = {}, limits: Partial<Config['limits']> = {}): Promise<ImapTestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'posthorn-imap-'));
  const config = imapTestConfig(dir, env);
  Object.assign(config.limits, limits);
  const server = await startServer(config, { ephemeralPorts: true, log: silentLogger() });
  const deps = server.deps;
  return {
    dir,
    server,
    imap: server.ports.imap ?? 0,
    imaps: server.ports.imaps ?? 0,
    async addAccount(address, password, quotaBytes = null) {
      const domain = address.slice(address.indexOf('@') + 1);
      if (!(await deps.store.getDomain(domain))) await deps.store.addDomain(domain);
      return deps.store.createAccount({ address, passwordHash: await hashPassword(password), quotaBytes });
    },
    async mailbox(account, name) {
      const m = await deps.store.getMailbox(account.id, name);
      if (!m) throw new Error(`no mailbox ${name}`);
      return m;
    },
    async deliver(account, raw, opts = {}) {
      const m = await deps.store.getMailbox(account.id, opts.mailbox ?? 'INBOX');
      if (!m) throw new Error('no mailbox');
      const bytes = typeof raw === 'string' ? Buffer.from(raw) : raw;
      return ingestMessage(deps, account.id, m.id, bytes, { flags: opts.flags, internalDate: opts.internalDate });
    },
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function message(subject: string, body = 'Hello there.\r\n', extra = ''): string {
  return `From: Alice <alice@example.org>\r\nTo: Bob <bob@example.com>\r\nSubject: ${subject}\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\nMessage-ID: <${subject.replace(/\W/g, '')}.${Math.random().toString(36).slice(2)}@example.org>\r\n${extra}\r\n${body}`;
}

/** A line-level IMAP client over a raw socket: sends exactly what it is told. */
export class RawImap {
  private socket: net.Socket | tls.TLSSocket;
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(socket: net.Socket | tls.TLSSocket) {
    this.socket = socket;
    this.attach(socket);
  }

  private attach(socket: net.Socket): void {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** `from` (plaintext only): the local address to connect from; another loopback address is another client. */
  static async connect(port: number, opts: { tls?: boolean; from?: string } = {}): Promise<RawImap> {
    const socket = opts.tls
      ? tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false })
      : net.connect({ port, host: '127.0.0.1', localAddress: opts.from });
    await new Promise<void>((resolve, reject) => {
      socket.once(opts.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    return new RawImap(socket);
  }

  /** Connects, reads the greeting and logs in (plaintext LOGIN: the server must allow it on loopback). */
  static async login(port: number, address: string, password: string): Promise<RawImap> {
    const c = await RawImap.connect(port);
    const greeting = await c.line();
    if (!greeting?.startsWith('* OK ')) throw new Error(`unexpected greeting: ${greeting}`);
    const r = await c.command('L', `LOGIN ${address} "${password}"`);
    if (!r.at(-1)?.startsWith('L OK')) throw new Error(`LOGIN ${address} failed: ${r.join(' | ')}`);
    return c;
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** The next line without CRLF; null at close. Literals come back inside the line text as sent. */
  async line(timeoutMs = 10_000): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.buf.indexOf('\n');
      if (i !== -1) {
        const line = this.buf.subarray(0, i).toString('utf8').replace(/\r$/, '');
        this.buf = this.buf.subarray(i + 1);
        return line;
      }
      if (this.closed) return null;
      if (Date.now() > deadline) throw new Error('timeout waiting for a line');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Lines up to and including the tagged response for `tag`. */
  async until(tag: string): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const l = await this.line();
      if (l === null) throw new Error(`closed before ${tag}: ${out.join(' | ')}`);
      out.push(l);
      if (l.startsWith(tag + ' ')) return out;
    }
  }

  async command(tag: string, text: string): Promise<string[]> {
    this.send(`${tag} ${text}\r\n`);
    return this.until(tag);
  }

  /** Bytes buffered and not yet read as lines. */
  get pending(): string {
    return this.buf.toString('utf8');
  }

  async upgrade(): Promise<void> {
    const raw = this.socket as net.Socket;
    raw.removeAllListeners('data');
    const secure = tls.connect({ socket: raw, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.attach(secure);
  }

  async waitClosed(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection still open');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Runs a Python script with imaplib; returns its stdout (throws with stderr on failure). */
export function python(script: string, args: string[] = []): Promise<string> {
  const python3 = requirePythonFor(script);
  const dir = mkdtempSync(join(tmpdir(), 'posthorn-imap-py-'));
  const file = join(dir, 'script.py');
  writeFileSync(file, script);
  return new Promise((resolve, reject) => {
    execFile(python3, [file, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      rmSync(dir, { recursive: true, force: true });
      if (err) reject(new Error(`python failed: ${err.message}\n${stderr}\n${stdout}`));
      else resolve(stdout);
    });
  });
}
