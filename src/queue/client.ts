// One outbound SMTP transaction per (message, domain): every recipient of that domain goes in
// the same envelope (RFC 5321 §3.3). The wire is nodemailer's SMTPConnection: it already does
// PIPELINING, SIZE, 8BITMIME/SMTPUTF8 negotiation, STARTTLS, AUTH for a smarthost, dot-stuffing
// (RFC 5321 §4.5.2) and reports one reply per recipient, which is what the queue needs; writing
// a client of our own would repeat that without adding anything.
//
// TLS is opportunistic (RFC 3207 as deployed): STARTTLS when offered, certificates not verified
// (most MX certificates do not match, and without DANE/MTA-STS a failed check could only mean
// falling back to plaintext, which is worse). A smarthost can require a verified TLS session.

import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { RouteHost } from './route.ts';

export interface RelayHost {
  host: string;
  port: number;
  /** Implicit TLS (port 465) instead of STARTTLS. */
  secure: boolean;
  user?: string;
  password?: string;
  /** Refuse to send without a verified TLS session. */
  requireTls?: boolean;
}

export interface ClientOptions {
  /** Our name in EHLO. */
  hostname: string;
  connectTimeoutMs: number;
  /** Per-command inactivity limit (RFC 5321 §4.5.3.2 suggests minutes; DATA end 10 minutes). */
  socketTimeoutMs: number;
  relay?: RelayHost | null;
}

export interface RecipientResult {
  address: string;
  /** 'sent' = 2xx; 'temporary' = 4xx or no answer; 'permanent' = 5xx. */
  kind: 'sent' | 'temporary' | 'permanent';
  status: string;
  reply: string;
}

/** The connection could not be used at all (refused, timeout, greeting failure): try the next host. */
export class HostUnreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostUnreachable';
  }
}

interface NodemailerError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  recipient?: string;
  rejectedErrors?: NodemailerError[];
}

function enhancedOf(reply: string, code: number): string {
  const m = /^\d{3}[ -](\d\.\d{1,3}\.\d{1,3})\b/.exec(reply);
  if (m) return m[1];
  return code >= 500 ? '5.0.0' : code >= 400 ? '4.0.0' : '2.0.0';
}

function classify(address: string, err: NodemailerError): RecipientResult {
  const code = err.responseCode ?? 0;
  const reply = (err.response ?? err.message).replace(/\r?\n/g, ' ');
  if (code >= 500) return { address, kind: 'permanent', status: enhancedOf(reply, code), reply };
  return { address, kind: 'temporary', status: code >= 400 ? enhancedOf(reply, code) : '4.4.1', reply };
}

export async function sendToHost(target: RouteHost, sender: string, recipients: string[], body: Buffer, opts: ClientOptions): Promise<RecipientResult[]> {
  const relay = opts.relay ?? null;
  const conn = new SMTPConnection({
    host: target.address,
    port: target.port,
    name: opts.hostname,
    secure: relay?.secure ?? false,
    requireTLS: relay?.requireTls ?? false,
    opportunisticTLS: !(relay?.requireTls ?? false),
    tls: { rejectUnauthorized: relay?.requireTls ?? false, servername: target.host },
    connectionTimeout: opts.connectTimeoutMs,
    greetingTimeout: opts.connectTimeoutMs,
    socketTimeout: opts.socketTimeoutMs,
    logger: false,
  });
  const failures: Error[] = [];
  conn.on('error', (err: Error) => failures.push(err));
  try {
    await new Promise<void>((resolve, reject) => {
      conn.once('error', reject);
      conn.connect(() => {
        conn.removeListener('error', reject);
        resolve();
      });
    });
  } catch (err) {
    conn.close();
    throw new HostUnreachable(`${target.host} [${target.address}]:${target.port}: ${(err as Error).message}`);
  }
  try {
    if (relay?.user) {
      await new Promise<void>((resolve, reject) =>
        conn.login({ user: relay.user, pass: relay.password ?? '' } as never, (err) => (err ? reject(err) : resolve())),
      );
    }
    const info = await new Promise<{ accepted: string[]; rejectedErrors?: NodemailerError[]; response: string }>((resolve, reject) =>
      conn.send({ from: sender, to: recipients, size: body.byteLength, use8BitMime: true }, body, (err, result) =>
        err ? reject(err) : resolve(result as never),
      ),
    );
    const results: RecipientResult[] = [];
    const reply = info.response.replace(/\r?\n/g, ' ');
    for (const address of info.accepted) results.push({ address, kind: 'sent', status: enhancedOf(reply, 250), reply });
    for (const err of info.rejectedErrors ?? []) results.push(classify(err.recipient ?? '', err));
    return results;
  } catch (e) {
    const err = e as NodemailerError;
    if (err.rejectedErrors && err.rejectedErrors.length > 0) {
      // Every recipient was refused at RCPT: each keeps its own reply.
      return err.rejectedErrors.map((r) => classify(r.recipient ?? '', r));
    }
    if (err.responseCode === undefined) {
      // No SMTP reply (connection lost mid-transaction, timeout): the whole attempt is temporary.
      throw new HostUnreachable(`${target.host} [${target.address}]: ${err.message}`);
    }
    // MAIL FROM, DATA or end-of-data refused: one verdict for the whole envelope.
    return recipients.map((address) => classify(address, err));
  } finally {
    conn.quit();
    conn.close();
  }
}
