// Shared by the SMTP and queue tests: a Posthorn with its SMTP listeners on free loopback ports,
// a fixed-answer DNS resolver (tests never query real DNS), accounts, a raw SMTP socket client
// for what real clients refuse to send, and a peer SMTP server to deliver to.
//

import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import { loadConfig, type Config } from '../src/server/config.ts';
import { silentLogger } from '../src/server/log.ts';
import { startServer } from '../src/server/app.ts';
import { hashPassword } from '../src/auth/password.ts';
import type { ServerDeps } from '../src/server/deps.ts';
import { smtpServices, type SmtpService } from '../src/smtp/services.ts';
import type { OutboundOptions, OutboundQueue } from '../src/server/outbound.ts';
import type { SmtpRole } from '../src/smtp/session.ts';
import { smtpDepsFrom } from '../src/server/protocols.ts';
import { staticResolver, type DnsResolver } from '../src/net/dns.ts';
import type { Account } from '../src/store/types.ts';
import type { DeliveryRules } from '../src/delivery/rules.ts';
import { requireTool } from './helpers/tools.ts';

export const HOSTNAME = 'mx.posthorn.test';

export interface Harness {
  dir: string;
  config: Config;
  deps: ServerDeps;
  services: SmtpService[];
  /** The server's outbound side: outbox, queue, runner (their runner delivers what the listeners accept). */
  outbound: OutboundQueue;
  ports: Record<string, number>;
  /** Stops everything; removes the data directory unless `keep`. */
  stop(keep?: boolean): Promise<void>;
  /** Messages in an account's INBOX, as raw text, oldest first. */
  inbox(address: string): Promise<string[]>;
  addAccount(address: string, password?: string, quotaBytes?: number | null): Promise<Account>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  smtp?: OutboundOptions;
  roles?: ('smtp' | 'submission' | 'submissions')[];
  limits?: Partial<Config['limits']>;
  /** Reuse a data directory (a restart); by default a new one. */
  dir?: string;
  /** Where local deliveries are filed (the server's default: INBOX). */
  deliveryRules?: DeliveryRules;
}

export const PASSWORD = 'correct horse battery';

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'posthorn-smtp-'));
  const roles = opts.roles ?? ['smtp', 'submission', 'submissions'];
  // A certificate made with openssl: the tests then do not depend on certificate generation.
  const certFile = join(dir, 'test-cert.pem');
  const keyFile = join(dir, 'test-key.pem');
  execFileSync(requireTool('openssl'), ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/CN=${HOSTNAME}`, '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  const env: Record<string, string> = {
    POSTHORN_DATA_DIR: dir,
    POSTHORN_BIND: '127.0.0.1',
    POSTHORN_HOSTNAME: HOSTNAME,
    POSTHORN_TLS_CERT: certFile,
    POSTHORN_TLS_KEY: keyFile,
    POSTHORN_IMAP_PORT: '0',
    POSTHORN_IMAPS_PORT: '0',
    POSTHORN_POP3_PORT: '0',
    POSTHORN_POP3S_PORT: '0',
    POSTHORN_HTTP_PORT: '0',
    POSTHORN_HTTPS_PORT: '0',
    POSTHORN_SMTP_PORT: roles.includes('smtp') ? '1' : '0',
    POSTHORN_SUBMISSION_PORT: roles.includes('submission') ? '1' : '0',
    POSTHORN_SUBMISSIONS_PORT: roles.includes('submissions') ? '1' : '0',
    ...opts.env,
  };
  // The real server with its SMTP listeners off (given our outbound settings: resolver, MX port,
  // schedule); ours are then made from its deps and its outbound queue.
  const config = loadConfig({ env: { ...env, POSTHORN_SMTP_PORT: '0', POSTHORN_SUBMISSION_PORT: '0', POSTHORN_SUBMISSIONS_PORT: '0' } });
  Object.assign(config.limits, opts.limits);
  const smtpOpts: OutboundOptions = { resolver: staticResolver({}), ...opts.smtp };
  const server = await startServer(config, { ephemeralPorts: true, log: silentLogger(), deliveryRules: opts.deliveryRules, outbound: smtpOpts });
  const deps: ServerDeps = server.deps;
  const { store, blobs } = deps;
  const enabled = (role: SmtpRole): number | null => (env[`POSTHORN_${role.toUpperCase()}_PORT`] === '0' ? null : 0);
  const smtpDeps = { ...smtpDepsFrom(deps), ports: { smtp: enabled('smtp'), submission: enabled('submission'), submissions: enabled('submissions') } };
  const services = smtpServices(smtpDeps, server.outbound);
  // The runtime record of bound ports, as the server keeps it for its own listeners.
  const ports = server.ports;
  for (const s of services) ports[s.name] = await s.listen();
  return {
    dir,
    config,
    deps,
    services,
    outbound: server.outbound,
    ports,
    async stop(keep = false) {
      await Promise.all(services.map((s) => s.close(100)));
      await server.stop();
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
    async inbox(address) {
      const account = await store.getAccountByAddress(address);
      if (!account) throw new Error(`no account ${address}`);
      const box = await store.getMailbox(account.id, 'INBOX');
      const list = await store.listMessages(box!.accountId, box!.id);
      return Promise.all(list.map(async (m) => (await blobs.get(m.blobId)).toString('utf8')));
    },
    async addAccount(address, password = PASSWORD, quotaBytes = null) {
      const domain = address.slice(address.indexOf('@') + 1);
      if (!(await store.getDomain(domain))) await store.addDomain(domain);
      return store.createAccount({ address, passwordHash: await hashPassword(password), quotaBytes });
    },
  };
}

/** Files left in the blob store's temp area (a client dropping mid-DATA must leave none). */
export function blobTempFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (/tmp|\.part$|^\./i.test(e.name)) out.push(join(d, e.name));
    }
  };
  walk(join(dir, 'blobs'));
  return out;
}

/**
 * A raw SMTP client: writes exactly the bytes given and reads replies. `replies(n)` resolves
 * with the next n complete replies (multi-line replies count once).
 */
export class RawSmtp {
  socket: net.Socket | tls.TLSSocket;
  private buffer = '';
  private complete: string[] = [];
  private waiters: { n: number; resolve: (r: string[]) => void; reject: (e: Error) => void }[] = [];
  closed = false;

  private constructor(socket: net.Socket | tls.TLSSocket) {
    this.socket = socket;
    this.attach(socket);
  }

  private attach(socket: net.Socket | tls.TLSSocket): void {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w.reject(new Error(`connection closed; got ${JSON.stringify(this.complete)}`));
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number, implicitTls = false): Promise<RawSmtp> {
    const socket = implicitTls
      ? tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false })
      : net.connect({ port, host: '127.0.0.1' });
    await once(socket, implicitTls ? 'secureConnect' : 'connect');
    return new RawSmtp(socket);
  }

  private onData(d: Buffer): void {
    this.buffer += d.toString('utf8');
    let idx;
    let current = '';
    while ((idx = this.buffer.indexOf('\r\n')) >= 0) {
      const line = this.buffer.slice(0, idx);
      this.buffer = this.buffer.slice(idx + 2);
      current += (current ? '\n' : '') + line;
      if (/^\d{3} /.test(line) || /^\d{3}$/.test(line)) {
        this.complete.push(current);
        current = '';
      }
    }
    if (current) this.buffer = current.split('\n').map((l) => l + '\r\n').join('') + this.buffer;
    this.flush();
  }

  private flush(): void {
    while (this.waiters.length > 0 && this.complete.length >= this.waiters[0].n) {
      const w = this.waiters.shift()!;
      w.resolve(this.complete.splice(0, w.n));
    }
  }

  replies(n = 1): Promise<string[]> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ n, resolve, reject });
      this.flush();
      if (this.closed && this.waiters.length > 0) reject(new Error(`connection closed; got ${JSON.stringify(this.complete)}`));
    });
  }

  async reply(): Promise<string> {
    return (await this.replies(1))[0];
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Sends one command line and returns its reply. */
  async cmd(line: string): Promise<string> {
    this.write(line + '\r\n');
    return this.reply();
  }

  /** STARTTLS handshake on the same socket, after the 220 reply. */
  async startTls(): Promise<void> {
    const secure = tls.connect({ socket: this.socket as net.Socket, rejectUnauthorized: false });
    await once(secure, 'secureConnect');
    this.socket.removeAllListeners('data');
    this.socket = secure;
    this.attach(secure);
  }

  /** Resolves when the server has closed the connection. */
  async closedByServer(): Promise<void> {
    if (this.closed) return;
    await once(this.socket, 'close');
  }

  end(): void {
    this.socket.destroy();
  }
}

/** A loopback port nobody listens on (bound, then released). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Code and enhanced code of a reply, e.g. "550 5.1.1". */
export function codes(reply: string): string {
  const last = reply.split('\n').pop()!;
  const m = /^(\d{3})[ -](\d\.\d{1,3}\.\d{1,3})?/.exec(last);
  return m ? (m[2] ? `${m[1]} ${m[2]}` : m[1]) : reply;
}

export function message(opts: { from?: string; to?: string; subject?: string; body?: string; extra?: string } = {}): string {
  return [
    `From: ${opts.from ?? 'Sender <sender@remote.test>'}`,
    `To: ${opts.to ?? 'alice@posthorn.test'}`,
    `Subject: ${opts.subject ?? 'Hello'}`,
    'Date: Thu, 26 Nov 2026 05:00:00 +0000',
    `Message-ID: <${Math.random().toString(36).slice(2)}@remote.test>`,
    ...(opts.extra ? [opts.extra] : []),
    '',
    opts.body ?? 'Hello there.',
    '',
  ].join('\r\n');
}

/** MAIL/RCPT/DATA in one go over an open RawSmtp; returns the reply to the end of data. */
export async function sendRaw(c: RawSmtp, from: string, to: string[], body: string): Promise<{ rcpt: string[]; data: string }> {
  const mail = await c.cmd(`MAIL FROM:<${from}>`);
  if (!mail.startsWith('250')) throw new Error(`MAIL refused: ${mail}`);
  const rcpt: string[] = [];
  for (const r of to) rcpt.push(await c.cmd(`RCPT TO:<${r}>`));
  if (!rcpt.some((r) => r.startsWith('250'))) return { rcpt, data: '' };
  const go = await c.cmd('DATA');
  if (!go.startsWith('354')) throw new Error(`DATA refused: ${go}`);
  c.write(body.replace(/^\./gm, '..') + '.\r\n');
  return { rcpt, data: await c.reply() };
}

export type { DnsResolver };

export interface PeerMessage {
  from: string;
  to: string[];
  raw: string;
  secure: boolean;
  user: string | null;
}

export interface Peer {
  port: number;
  messages: PeerMessage[];
  /** RCPT attempts seen, in order. */
  rcptLog: string[];
  /** Resolves once `n` messages have been accepted in total. */
  received(n: number): Promise<PeerMessage[]>;
  close(): Promise<void>;
}

export interface PeerOptions {
  /** Reply for a RCPT: null accepts; otherwise [code, text]. `attempt` counts RCPTs for that address from 1. */
  rcpt?: (address: string, attempt: number) => [number, string] | null;
  auth?: { user: string; pass: string };
}

/** A second SMTP server on loopback for outbound tests (smtp-server with its own test certificate). */
export async function startPeer(opts: PeerOptions = {}): Promise<Peer> {
  const { SMTPServer } = await import('smtp-server');
  const messages: PeerMessage[] = [];
  const rcptLog: string[] = [];
  const attempts = new Map<string, number>();
  const waiters: { n: number; resolve: (m: PeerMessage[]) => void }[] = [];
  const server = new SMTPServer({
    logger: false,
    authOptional: !opts.auth,
    disabledCommands: opts.auth ? [] : ['AUTH'],
    // Replies carry the enhanced code the test wrote into the text.
    hideENHANCEDSTATUSCODES: true,
    onAuth(auth, _session, cb) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) return cb(null, { user: auth.username });
      cb(Object.assign(new Error('5.7.8 bad credentials'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, cb) {
      const n = (attempts.get(address.address) ?? 0) + 1;
      attempts.set(address.address, n);
      rcptLog.push(address.address);
      const verdict = opts.rcpt?.(address.address, n) ?? null;
      if (verdict) return cb(Object.assign(new Error(verdict[1]), { responseCode: verdict[0] }));
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          secure: session.secure,
          user: (session.user as string | undefined) ?? null,
        });
        cb();
        for (const w of waiters.splice(0)) {
          if (messages.length >= w.n) w.resolve(messages.slice());
          else waiters.push(w);
        }
      });
    },
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  return {
    port: (server.server.address() as net.AddressInfo).port,
    messages,
    rcptLog,
    received(n) {
      if (messages.length >= n) return Promise.resolve(messages.slice());
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Waits for the next ChangeEvent of an account (a delivery into one of its mailboxes). */
export async function nextDelivery(h: Harness, address: string): Promise<void> {
  const account = await h.deps.store.getAccountByAddress(address);
  await new Promise<void>((resolve) => {
    const off = h.deps.bus.subscribe(account!.id, () => {
      off();
      resolve();
    });
  });
}

/** An authenticated submission over implicit TLS; returns the reply to the end of data. */
export async function submit(h: Harness, user: string, to: string[], body: string, from = user): Promise<string> {
  const c = await RawSmtp.connect(h.ports.submissions, true);
  await c.reply();
  await c.cmd('EHLO client.test');
  const auth = await c.cmd(`AUTH PLAIN ${Buffer.from(`\0${user}\0${PASSWORD}`).toString('base64')}`);
  if (!auth.startsWith('235')) throw new Error(`AUTH failed: ${auth}`);
  const r = await sendRaw(c, from, to, body);
  c.end();
  return r.data;
}
