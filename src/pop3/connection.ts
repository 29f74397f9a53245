// One POP3 connection: the socket, its line reader, writes with backpressure, timeouts, STLS and
// graceful shutdown. The protocol itself (states, commands) is in session.ts; this file only
// moves bytes and decides when the connection ends.
//
// Implementation notes:
// - Lines are pulled one at a time (wire/pop3/line-reader.ts). While the session works on a
//   command, further input stays buffered; past HIGH_WATER octets the socket stops reading, so a
//   client that pipelines without end cannot grow our memory.
// - Before reading the next command we wait for the socket to drain when much output is
//   pending, so pipelined RETRs to a client that does not read cannot grow our memory either.
// - STLS (RFC 2595 §4): every byte received before the handshake is thrown away, and the socket
//   is paused before our reader lets go of it, so bytes arriving meanwhile go to TLS (where they
//   fail the handshake) and never to the command parser.
// - Shutdown: the command in progress finishes; then, instead of the next command, the client
//   gets "-ERR [SYS/TEMP] ... shutting down" and the connection closes without UPDATE.

import type net from 'node:net';
import type tls from 'node:tls';
import { upgradeToTls, isLoopback, writableAgain, type ConnectionInfo } from '../server/tcp-listener.ts';
import { LineReader, type LineEvent } from '../wire/pop3/line-reader.ts';
import { errLine, okLine } from '../wire/pop3/response.ts';
import type { Pop3Context } from './context.ts';
import { Pop3Session } from './session.ts';

/** RFC 2449 §4: command lines, including the keyword and CRLF, may be up to 255 octets. */
export const MAX_COMMAND_LINE = 255;
const HIGH_WATER = 64 * 1024;
const OUTPUT_HIGH_WATER = 1024 * 1024;

export type EndReason = 'quit' | 'client-closed' | 'timeout' | 'shutdown' | 'too-many-errors' | 'auth-failures' | 'tls-failed' | 'error';

/** What a session may do with its connection. */
export interface Pop3Io {
  readonly remote: string;
  readonly listener: string;
  /** TLS is active (implicit TLS or after STLS). */
  readonly secure: boolean;
  readonly loopback: boolean;
  write(data: string | Buffer): boolean;
  /** Several buffers in one system call (writev), without copying them together. */
  writev(chunks: readonly Buffer[]): boolean;
  /** Resolves when the socket can take more (or is closed). */
  drain(): Promise<void>;
  /** The next line, for SASL continuations; null when the connection is ending. */
  readLine(limit: number): Promise<LineEvent | null>;
  /** Sends "+OK", drops pipelined input and runs the TLS handshake (RFC 2595 §4). */
  startTls(): Promise<void>;
  /** Switches to the logged-in idle timeout. */
  authenticated(): void;
  /** Ends the connection after what was written has been sent. */
  end(reason: EndReason): void;
  readonly closed: boolean;
}

export class Pop3Connection implements Pop3Io {
  readonly remote: string;
  readonly listener: string;
  readonly loopback: boolean;
  secure: boolean;
  private socket: net.Socket | tls.TLSSocket;
  private readonly ctx: Pop3Context;
  private readonly info: ConnectionInfo;
  private readonly reader = new LineReader(MAX_COMMAND_LINE);
  private readonly session: Pop3Session;
  private waiter: (() => void) | null = null;
  private closedFlag = false;
  private endReason: EndReason | null = null;
  private timeoutMs: number;

  constructor(ctx: Pop3Context, socket: net.Socket, info: ConnectionInfo, listener: string) {
    this.ctx = ctx;
    this.socket = socket;
    this.info = info;
    this.listener = listener;
    this.remote = info.remoteAddress;
    this.loopback = isLoopback(info.remoteAddress);
    // Secure from the first byte on the implicit-TLS port; STARTTLS/STLS sets it later.
    this.secure = info.implicitTls;
    this.timeoutMs = ctx.preAuthTimeoutMs;
    this.session = new Pop3Session(ctx, this);
  }

  get closed(): boolean {
    return this.closedFlag || this.endReason !== null;
  }

  start(): void {
    this.attach(this.socket);
    const onShutdown = (): void => this.wake();
    this.info.shutdownSignal.addEventListener('abort', onShutdown, { once: true });
    this.ctx.metrics.session(this.listener);
    this.run()
      .catch((err: unknown) => {
        this.ctx.deps.log.error({ event: 'pop3-connection-error', protocol: 'pop3', remote: this.remote, err: (err as Error).message });
        this.endReason ??= 'error';
      })
      .finally(async () => {
        this.info.shutdownSignal.removeEventListener('abort', onShutdown);
        await this.session.finish(this.endReason ?? 'client-closed');
        if (!this.socket.destroyed) this.socket.end();
      });
  }

  private async run(): Promise<void> {
    this.write(okLine(`${this.ctx.deps.config.hostname} Posthorn POP3 ready`));
    for (;;) {
      if (this.socket.writableLength > OUTPUT_HIGH_WATER) await this.drain();
      const ev = await this.readLine(MAX_COMMAND_LINE);
      if (!ev) {
        if (this.info.shutdownSignal.aborted && !this.closed) {
          this.write(errLine('SYS/TEMP', 'Server shutting down, try again later'));
          this.end('shutdown');
        }
        return;
      }
      await this.session.handle(ev);
    }
  }

  // ---- input

  private readonly onData = (chunk: Buffer): void => {
    this.reader.push(chunk);
    if (this.reader.buffered > HIGH_WATER) this.socket.pause();
    this.wake();
  };

  private readonly onClose = (): void => {
    this.closedFlag = true;
    this.wake();
  };

  private readonly onTimeout = (): void => {
    // RFC 1939 §3: autologout without entering UPDATE — nothing is deleted.
    this.ctx.deps.log.info({ event: 'pop3-timeout', protocol: 'pop3', remote: this.remote });
    const socket = this.socket;
    if (!this.closed) this.write(errLine(null, 'Autologout: idle for too long'));
    this.end('timeout');
    socket.end();
    // A client that does not read cannot even take the goodbye: do not wait for it.
    setTimeout(() => socket.destroy(), 2000).unref();
  };

  private attach(socket: net.Socket): void {
    // Responses are written whole (one writev per RETR), so Nagle's algorithm only delays the
    // short ones (status lines, the next small message) behind an unacknowledged segment.
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('close', this.onClose);
    socket.on('timeout', this.onTimeout);
    socket.setTimeout(this.timeoutMs);
  }

  private detach(socket: net.Socket): void {
    socket.off('data', this.onData);
    socket.off('close', this.onClose);
    socket.off('timeout', this.onTimeout);
    socket.setTimeout(0);
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  async readLine(limit: number): Promise<LineEvent | null> {
    for (;;) {
      // Shutdown: the command in progress has finished; nothing further is started.
      if (this.closed || this.info.shutdownSignal.aborted) return null;
      const ev = this.reader.next(limit);
      if (ev) return ev;
      if (this.socket.isPaused()) this.socket.resume();
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  // ---- output

  write(data: string | Buffer): boolean {
    if (this.closedFlag || this.socket.destroyed || this.socket.writableEnded) return false;
    return this.socket.write(data);
  }

  writev(chunks: readonly Buffer[]): boolean {
    if (this.closedFlag || this.socket.destroyed || this.socket.writableEnded) return false;
    this.socket.cork();
    let ok = true;
    for (const c of chunks) if (c.length > 0) ok = this.socket.write(c);
    this.socket.uncork();
    return ok;
  }

  async drain(): Promise<void> {
    await writableAgain(this.socket, this.socket);
  }

  // ---- state changes

  async startTls(): Promise<void> {
    const raw = this.socket as net.Socket;
    raw.pause();
    this.detach(raw);
    const discarded = this.reader.discard();
    if (discarded > 0) {
      this.ctx.deps.log.warn({ event: 'pop3-stls-pipelined-input-discarded', protocol: 'pop3', remote: this.remote, octets: discarded });
    }
    await new Promise<void>((resolve) => raw.write(okLine('Begin TLS negotiation'), () => resolve()));
    try {
      const secure = await upgradeToTls(raw, this.ctx.deps.secureContext);
      this.socket = secure;
      this.secure = true;
      this.attach(secure);
    } catch (err) {
      this.ctx.deps.log.info({ event: 'pop3-tls-failed', protocol: 'pop3', remote: this.remote, err: (err as Error).message });
      this.endReason ??= 'tls-failed';
      this.closedFlag = true;
      raw.destroy();
    }
  }

  authenticated(): void {
    this.timeoutMs = this.ctx.idleTimeoutMs;
    this.socket.setTimeout(this.timeoutMs);
  }

  end(reason: EndReason): void {
    this.endReason ??= reason;
    this.wake();
  }
}
