// One connection of a line protocol we write ourselves (IMAP, POP3, ManageSieve): the socket,
// the pull loop, writes with backpressure, timeouts, STARTTLS and graceful shutdown. The protocol
// subclass owns its reader (how bytes become commands) and its session (what commands do); this
// class only moves bytes and decides when the connection ends.
//
// Implementation notes — rules every change must keep:
// - Pull, do not buffer: the next command is taken from the reader only when the previous one
//   has finished, so a mode switch (STARTTLS, AUTHENTICATE, IDLE) applies to exactly the bytes
//   after it. Input is still buffered while a command runs, but once the reader holds more than
//   `inputHighWater` octets the socket is paused: a client that pipelines without end cannot
//   grow our memory.
// - Output: before the next command is taken we wait for 'drain' when more than
//   `outputHighWater` octets are pending, so a client that never reads makes us stop, not buffer.
// - STARTTLS (RFC 3207 §4.2, RFC 2595 §4, RFC 9051 §6.2.1): the socket is paused and detached
//   before the reader lets go of what it holds, and everything received before the handshake is
//   thrown away (the CVE-2011-0411 injection: "a STARTTLS\r\nb CAPABILITY\r\n" in one packet
//   never answers b). Bytes arriving meanwhile go to TLS, where they fail the handshake.
// - Timeouts: the pre-login one until the protocol calls setIdleTimeout(); on expiry the client
//   gets the protocol's goodbye, and a client that does not read it is dropped 2 s later.
// - Shutdown: the command in progress finishes; then the protocol's goodbye and close.

import type net from 'node:net';
import type tls from 'node:tls';
import type { Logger } from '../observe/log.ts';
import type { ConnectionInfo } from './tcp-listener.ts';
import { isLoopback } from './address.ts';
import { upgradeToTls } from './tls.ts';
import { writableAgain } from './backpressure.ts';

/** Why a connection ended, as far as this layer can tell; protocols add their own reasons. */
export type ConnectionEndReason = 'client-closed' | 'timeout' | 'shutdown' | 'tls-failed' | 'error';

/** What stays the same for every connection of a protocol. */
export interface PullProtocol {
  /** For log events and fields: 'imap', 'pop3'. */
  name: string;
  /** The STARTTLS command's name, for the discarded-input log event: 'starttls', 'stls'. */
  startTlsCommand: string;
  /** Octets the reader may hold before the socket stops being read. */
  inputHighWater: number;
  /** Octets of pending output past which the next command waits for the client to read. */
  outputHighWater: number;
}

/** What the connections of a protocol share (its context satisfies this). */
export interface PullShared {
  deps: { log: Logger; secureContext: tls.SecureContext };
  /** Silence allowed before login, ms. */
  preAuthTimeoutMs: number;
  metrics: { session(listener: string): void };
}

/** A client that does not even take the timeout goodbye is dropped after this long. */
const GOODBYE_GRACE_MS = 2000;

export abstract class PullConnection<Input, Reason extends string> {
  readonly remote: string;
  readonly listener: string;
  readonly loopback: boolean;
  /** TLS is active: secure from the first byte on the implicit-TLS port; STARTTLS sets it later. */
  secure: boolean;
  protected socket: net.Socket | tls.TLSSocket;
  protected readonly log: Logger;
  private readonly protocol: PullProtocol;
  private readonly shared: PullShared;
  private readonly info: ConnectionInfo;
  private waiter: (() => void) | null = null;
  private closedFlag = false;
  private outputClosed = false;
  private endReason: Reason | ConnectionEndReason | null = null;
  private timeoutMs: number;

  /** `listener`: the listener that accepted the connection. */
  constructor(protocol: PullProtocol, shared: PullShared, socket: net.Socket, info: ConnectionInfo, listener: string) {
    this.protocol = protocol;
    this.shared = shared;
    this.socket = socket;
    this.info = info;
    this.log = shared.deps.log;
    this.listener = listener;
    this.remote = info.remoteAddress;
    this.loopback = isLoopback(info.remoteAddress);
    this.secure = info.implicitTls;
    this.timeoutMs = shared.preAuthTimeoutMs;
  }

  // ---- what the protocol provides

  /** The first thing the client gets. */
  protected abstract greeting(): Buffer | string;
  /** The last thing the client gets when the server shuts down or the connection timed out. */
  protected abstract goodbye(why: 'shutdown' | 'timeout'): Buffer | string;
  /** Hands received bytes to the protocol's reader; returns the octets it now holds. */
  protected abstract bufferInput(chunk: Buffer): number;
  /** Throws away everything the reader holds (STARTTLS); returns how many octets that was. */
  protected abstract discardInput(): number;
  /** The next command from the reader, or null when it needs more bytes. */
  protected abstract nextCommand(): Input | null;
  /** Runs one command (or answers one malformed one). */
  protected abstract handle(input: Input): Promise<void>;
  /** The session's own clean-up once the connection has ended. */
  protected abstract finish(reason: Reason | ConnectionEndReason): void | Promise<void>;

  // ---- life cycle

  get closed(): boolean {
    return this.closedFlag || this.endReason !== null;
  }

  get shutdownSignal(): AbortSignal {
    return this.info.shutdownSignal;
  }

  start(): void {
    this.shared.metrics.session(this.listener);
    this.attach(this.socket);
    const onShutdown = (): void => this.wake();
    this.info.shutdownSignal.addEventListener('abort', onShutdown, { once: true });
    const protocol = this.protocol.name;
    this.run()
      .catch((err: unknown) => {
        this.log.error({ event: `${protocol}-connection-error`, protocol, remote: this.remote, err: (err as Error).message, stack: (err as Error).stack });
        this.endReason ??= 'error';
      })
      .finally(async () => {
        this.info.shutdownSignal.removeEventListener('abort', onShutdown);
        try {
          await this.finish(this.endReason ?? 'client-closed');
        } finally {
          this.shutOutput();
        }
      })
      .catch((err: unknown) => {
        this.log.error({ event: `${protocol}-connection-error`, protocol, remote: this.remote, err: (err as Error).message, stack: (err as Error).stack });
      });
  }

  private async run(): Promise<void> {
    this.write(this.greeting());
    for (;;) {
      if (this.closed) return;
      if (this.socket.writableLength > this.protocol.outputHighWater) await this.drain();
      const input = await this.pull(() => this.nextCommand());
      if (input === null) {
        if (this.info.shutdownSignal.aborted && !this.closed) {
          this.write(this.goodbye('shutdown'));
          this.end('shutdown');
        }
        return;
      }
      await this.handle(input);
    }
  }

  /** Ends the connection after what was written has been sent. */
  end(reason: Reason | ConnectionEndReason): void {
    this.endReason ??= reason;
    this.wake();
  }

  // ---- input

  /**
   * Waits until `take` returns something; null when the connection is ending (closed, or the
   * server shuts down: the command in progress has finished and nothing further is started).
   */
  protected async pull<T>(take: () => T | null): Promise<T | null> {
    for (;;) {
      if (this.closed || this.info.shutdownSignal.aborted) return null;
      const got = take();
      if (got !== null) return got;
      this.resumeInput();
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  /** Bytes as they come from the socket (a compression layer overrides this to inflate them first). */
  protected receive(chunk: Buffer): void {
    this.input(chunk);
  }

  /** Bytes for the reader. */
  protected input(chunk: Buffer): void {
    if (this.bufferInput(chunk) > this.protocol.inputHighWater) this.pauseInput();
    this.wake();
  }

  protected pauseInput(): void {
    this.socket.pause();
  }

  protected resumeInput(): void {
    if (this.socket.isPaused()) this.socket.resume();
  }

  private readonly onData = (chunk: Buffer): void => this.receive(chunk);

  private readonly onClose = (): void => {
    this.closedFlag = true;
    this.wake();
  };

  private readonly onTimeout = (): void => {
    const protocol = this.protocol.name;
    this.log.info({ event: `${protocol}-timeout`, protocol, remote: this.remote });
    const socket = this.socket;
    if (!this.closed) this.write(this.goodbye('timeout'));
    this.end('timeout');
    this.shutOutput();
    // A client that does not read cannot even take the goodbye: do not wait for it.
    setTimeout(() => socket.destroy(), GOODBYE_GRACE_MS).unref();
  };

  private attach(socket: net.Socket): void {
    // Each step's output is written together (corked, or one writev), so Nagle's algorithm
    // would only delay the short replies behind an unacknowledged segment.
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

  protected wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  // ---- output

  /** False when the connection cannot take more output (closed, or ending). */
  protected get writable(): boolean {
    return !(this.closedFlag || this.socket.destroyed || this.socket.writableEnded);
  }

  write(data: Buffer | string): boolean {
    if (!this.writable) return false;
    return this.socket.write(data);
  }

  /** Several buffers in one system call (writev), without copying them together. */
  writev(chunks: readonly Buffer[]): boolean {
    if (!this.writable) return false;
    this.socket.cork();
    let ok = true;
    for (const c of chunks) if (c.length > 0) ok = this.socket.write(c);
    this.socket.uncork();
    return ok;
  }

  /** Writes and, when the socket's buffer is full, waits until it drains. */
  async send(data: Buffer): Promise<void> {
    if (!this.write(data)) await this.drain();
  }

  /** Resolves when the socket can take more (or is closed). */
  async drain(): Promise<void> {
    await writableAgain(this.socket, this.socket);
  }

  /** Ends the socket after what was written; a compression layer flushes itself first. */
  protected closeOutput(): void {
    this.socket.end();
  }

  private shutOutput(): void {
    if (this.outputClosed || this.socket.destroyed) return;
    this.outputClosed = true;
    this.closeOutput();
  }

  // ---- state changes

  /** Sends `ok` in the clear, drops pipelined input and runs the TLS handshake; false on failure (then the connection is closed). */
  protected async negotiateTls(ok: Buffer | string): Promise<boolean> {
    const protocol = this.protocol.name;
    const raw = this.socket as net.Socket;
    raw.pause();
    this.detach(raw);
    const discarded = this.discardInput();
    if (discarded > 0) {
      this.log.warn({ event: `${protocol}-${this.protocol.startTlsCommand}-pipelined-input-discarded`, protocol, remote: this.remote, octets: discarded });
    }
    await new Promise<void>((resolve) => raw.write(ok, () => resolve()));
    try {
      const secure = await upgradeToTls(raw, this.shared.deps.secureContext);
      this.socket = secure;
      this.secure = true;
      this.attach(secure);
      return true;
    } catch (err) {
      this.log.info({ event: `${protocol}-tls-failed`, protocol, remote: this.remote, err: (err as Error).message });
      this.endReason ??= 'tls-failed';
      this.closedFlag = true;
      raw.destroy();
      return false;
    }
  }

  /** After login: the (longer) logged-in idle timeout, ms. */
  protected setIdleTimeout(ms: number): void {
    this.timeoutMs = ms;
    this.socket.setTimeout(ms);
  }
}
