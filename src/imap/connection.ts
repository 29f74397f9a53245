// One IMAP connection: the socket, the incremental command reader, writes with backpressure,
// timeouts, STARTTLS and graceful shutdown. Protocol behaviour (states, commands) lives in
// session.ts and the command files; this file only moves bytes and decides when to stop.
//
// Implementation notes — rules every change must keep:
// - Pull, do not buffer (src/wire/imap/index.ts): after a 'command' event nothing more is read
//   until the command has finished, so a mode switch (STARTTLS, AUTHENTICATE, IDLE) applies to
//   exactly the bytes after it. While a command runs the socket is paused once the reader holds
//   more than HIGH_WATER octets: a client that pipelines without end cannot grow our memory.
// - Output: before the next command is read, and inside long responses (session.send), we wait
//   for 'drain' when the socket's buffer is full, so a client that never reads makes us stop,
//   not buffer.
// - STARTTLS (RFC 9051 §6.2.1): everything received before the handshake is thrown away (the
//   CVE-2011-0411 injection: "a STARTTLS\r\nb CAPABILITY\r\n" in one packet never answers b).
// - Shutdown: the command in progress finishes; then "* BYE Server shutting down" and close.
// - COMPRESS=DEFLATE (RFC 4978): after the OK, input goes socket → inflate → reader and output
//   writes → deflate → socket, flushed (Z_SYNC_FLUSH) once per turn of the event loop. The
//   inflater is paused with the socket, so a small compressed "bomb" cannot expand into memory
//   faster than commands are read.

import type net from 'node:net';
import type tls from 'node:tls';
import zlib from 'node:zlib';
import { upgradeToTls, isLoopback, writableAgain, type ConnectionInfo } from '../server/tcp-listener.ts';
import { CommandReader, parseCommand, taggedResponse, untaggedStatus, continuation, type ReaderEvent } from '../wire/imap/index.ts';
import type { ImapContext } from './context.ts';
import { ImapSession } from './session.ts';

const HIGH_WATER = 256 * 1024;
const OUTPUT_HIGH_WATER = 256 * 1024;
/** Literal limits before login: enough for a LOGIN password, too small to be a weapon. */
export const PRE_AUTH_LITERAL_BYTES = 8 * 1024;

export type EndReason = 'logout' | 'client-closed' | 'timeout' | 'shutdown' | 'protocol-error' | 'tls-failed' | 'error';

/** What a session may do with its connection. */
export interface ImapIo {
  readonly remote: string;
  readonly listener: string;
  readonly loopback: boolean;
  /** TLS is active (implicit TLS or after STARTTLS). */
  readonly secure: boolean;
  readonly closed: boolean;
  readonly shutdownSignal: AbortSignal;
  write(data: Buffer): boolean;
  /** Writes and, when the socket's buffer is full, waits until it drains. */
  send(data: Buffer): Promise<void>;
  /** The next raw line (AUTHENTICATE responses, IDLE's DONE); null when the connection ends. */
  readLine(): Promise<Buffer | null>;
  /** Writes the tagged OK, discards pipelined input and runs the handshake; false on failure. */
  startTls(ok: Buffer): Promise<boolean>;
  /** After login: larger literals, the logged-in idle timeout. */
  authenticated(maxLiteralBytes: number): void;
  /** Ends the connection after what was written has been sent. */
  end(reason: EndReason): void;
  /** COMPRESS=DEFLATE is active. */
  readonly compressed: boolean;
  /** Writes the tagged OK uncompressed, then compresses both directions (RFC 4978 §3). */
  startCompression(ok: Buffer): void;
}

export class ImapConnection implements ImapIo {
  readonly remote: string;
  readonly listener: string;
  readonly loopback: boolean;
  secure: boolean;
  private socket: net.Socket | tls.TLSSocket;
  private readonly ctx: ImapContext;
  private readonly info: ConnectionInfo;
  private readonly reader = new CommandReader({ maxLiteralBytes: PRE_AUTH_LITERAL_BYTES, maxNonSyncLiteralBytes: PRE_AUTH_LITERAL_BYTES, maxCommandBytes: 64 * 1024 });
  private readonly session: ImapSession;
  private waiter: (() => void) | null = null;
  private closedFlag = false;
  private endReason: EndReason | null = null;
  private inflate: zlib.InflateRaw | null = null;
  private deflate: zlib.DeflateRaw | null = null;
  private flushScheduled = false;
  /** The socket is corked until the next tick: the responses of one step leave in one segment. */
  private corked = false;

  constructor(ctx: ImapContext, socket: net.Socket, info: ConnectionInfo, listener: string) {
    this.ctx = ctx;
    this.socket = socket;
    this.info = info;
    this.listener = listener;
    this.remote = info.remoteAddress;
    this.loopback = isLoopback(info.remoteAddress);
    // Secure from the first byte on the implicit-TLS port; STARTTLS/STLS sets it later.
    this.secure = info.implicitTls;
    this.session = new ImapSession(ctx, this);
    this.reader.setLimits({ maxLineBytes: ctx.deps.config.limits.maxLineBytes });
  }

  get closed(): boolean {
    return this.closedFlag || this.endReason !== null;
  }

  get shutdownSignal(): AbortSignal {
    return this.info.shutdownSignal;
  }

  start(): void {
    this.attach(this.socket);
    this.socket.setTimeout(this.ctx.preAuthTimeoutMs);
    const onShutdown = (): void => this.wake();
    this.info.shutdownSignal.addEventListener('abort', onShutdown, { once: true });
    this.ctx.metrics.session(this.listener);
    this.run()
      .catch((err: unknown) => {
        this.ctx.deps.log.error({ event: 'imap-connection-error', protocol: 'imap', remote: this.remote, err: (err as Error).message, stack: (err as Error).stack });
        this.endReason ??= 'error';
      })
      .finally(() => {
        this.info.shutdownSignal.removeEventListener('abort', onShutdown);
        this.session.finish(this.endReason ?? 'client-closed');
        if (this.socket.destroyed) return;
        // What is still inside the compressor (a BYE, a tagged OK) goes out before the end.
        if (this.deflate) this.deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => this.socket.end());
        else this.socket.end();
      });
  }

  private async run(): Promise<void> {
    this.write(this.session.greeting());
    for (;;) {
      if (this.socket.writableLength > OUTPUT_HIGH_WATER) await this.drainSocket();
      const ev = await this.nextEvent();
      if (!ev) {
        if (this.info.shutdownSignal.aborted && !this.closed) {
          this.write(untaggedStatus('BYE', 'Server shutting down'));
          this.end('shutdown');
        }
        return;
      }
      switch (ev.kind) {
        case 'continue':
        case 'literal': {
          const refusal = await this.session.refuseLiteral(ev.tag, ev.name, ev.size, ev.args);
          if (refusal) {
            this.write(refusal.response);
            this.reader.refuseLiteral();
            if (refusal.bad && this.session.badCommand()) return;
          } else if (ev.kind === 'continue') {
            this.write(continuation());
          }
          break;
        }
        case 'error':
          this.session.releaseAppendMemory();
          this.write(ev.tag ? taggedResponse(ev.tag, 'BAD', ev.text, ev.code) : untaggedStatus('BAD', ev.text, ev.code));
          if (ev.fatal) {
            this.write(untaggedStatus('BYE', 'Protocol error, closing'));
            this.end('protocol-error');
            return;
          }
          if (this.session.badCommand()) return;
          break;
        case 'line':
          // Only requested through readLine(); never reached here.
          break;
        case 'command': {
          const parsed = parseCommand(ev.command, this.session.grammar());
          if (!parsed.ok) {
            this.session.releaseAppendMemory();
            this.write(taggedResponse(parsed.tag, parsed.error.kind === 'bad' ? 'BAD' : 'NO', parsed.error.text, parsed.error.code));
            if (parsed.error.kind === 'bad' && this.session.badCommand()) return;
            break;
          }
          await this.session.execute(parsed.tag, parsed.command);
          this.session.releaseAppendMemory();
          if (this.closed) return;
          break;
        }
      }
    }
  }

  // ---- input

  private readonly onData = (chunk: Buffer): void => {
    this.reader.push(chunk);
    if (this.reader.bufferedBytes > HIGH_WATER) {
      this.socket.pause();
      this.inflate?.pause();
    }
    this.wake();
  };

  private readonly onCompressedData = (chunk: Buffer): void => {
    this.inflate?.write(chunk);
  };

  private resumeInput(): void {
    if (this.socket.isPaused()) this.socket.resume();
    if (this.inflate?.isPaused()) this.inflate.resume();
  }

  private readonly onClose = (): void => {
    this.closedFlag = true;
    this.wake();
  };

  private readonly onTimeout = (): void => {
    // RFC 9051 §5.4: an autologout timer of at least 30 minutes after login; shorter before.
    this.ctx.deps.log.info({ event: 'imap-timeout', protocol: 'imap', remote: this.remote });
    if (!this.closed) this.write(untaggedStatus('BYE', 'Autologout: idle for too long'));
    this.end('timeout');
    this.socket.destroySoon();
  };

  private attach(socket: net.Socket): void {
    socket.on('data', this.inflate ? this.onCompressedData : this.onData);
    socket.on('close', this.onClose);
    socket.on('timeout', this.onTimeout);
  }

  private detach(socket: net.Socket): void {
    socket.off('data', this.onData);
    socket.off('data', this.onCompressedData);
    socket.off('close', this.onClose);
    socket.off('timeout', this.onTimeout);
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  private async nextEvent(): Promise<ReaderEvent | null> {
    for (;;) {
      // Shutdown: the command in progress has finished; nothing further is started.
      if (this.closed || this.info.shutdownSignal.aborted) return null;
      const ev = this.reader.next();
      if (ev) return ev;
      this.resumeInput();
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  async readLine(): Promise<Buffer | null> {
    this.reader.expectLine();
    for (;;) {
      // Shutdown ends an IDLE (or a SASL exchange) too: the BYE follows in run().
      if (this.closed || this.info.shutdownSignal.aborted) return null;
      const ev = this.reader.next();
      if (ev) {
        if (ev.kind === 'line') return ev.line;
        if (ev.kind === 'error') {
          this.write(untaggedStatus('BYE', ev.text, ev.code));
          this.end('protocol-error');
          return null;
        }
        continue;
      }
      this.resumeInput();
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  // ---- output

  write(data: Buffer): boolean {
    if (this.closedFlag || this.socket.destroyed || this.socket.writableEnded) return false;
    if (this.deflate) {
      const ok = this.deflate.write(data);
      this.scheduleFlush();
      return ok && !this.socket.writableNeedDrain;
    }
    // Without Nagle (TcpListener sets no-delay) every write would be its own TCP segment: FETCH
    // 1:* writes one response per message. Cork until the next tick, so what one step of a
    // command writes goes out together; awaiting drain lets the tick pass, so backpressure
    // still works, and an IDLE push leaves at once.
    if (!this.corked) {
      this.corked = true;
      const socket = this.socket;
      socket.cork();
      process.nextTick(() => {
        this.corked = false;
        socket.uncork();
      });
    }
    return this.socket.write(data);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      if (this.deflate && !this.socket.destroyed) this.deflate.flush(zlib.constants.Z_SYNC_FLUSH);
    });
  }

  get compressed(): boolean {
    return this.deflate !== null;
  }

  startCompression(ok: Buffer): void {
    this.socket.write(ok);
    // Everything after the command is already compressed (RFC 4978 §3).
    const pending = this.reader.takeBuffered();
    const inflate = zlib.createInflateRaw();
    const deflate = zlib.createDeflateRaw();
    const socket = this.socket;
    inflate.on('data', this.onData);
    inflate.on('error', (err) => {
      this.ctx.deps.log.info({ event: 'imap-inflate-error', protocol: 'imap', remote: this.remote, err: err.message });
      this.end('protocol-error');
      socket.destroy();
    });
    deflate.on('data', (chunk: Buffer) => {
      if (socket.destroyed) return;
      // Backpressure: the compressor waits for the socket, and write() reports the socket's state.
      if (!socket.write(chunk)) {
        deflate.pause();
        socket.once('drain', () => deflate.resume());
      }
    });
    socket.off('data', this.onData);
    socket.on('data', this.onCompressedData);
    this.inflate = inflate;
    this.deflate = deflate;
    if (pending.length > 0) inflate.write(pending);
  }

  async send(data: Buffer): Promise<void> {
    if (!this.write(data)) await this.drainSocket();
  }

  private async drainSocket(): Promise<void> {
    if (this.deflate) await writableAgain(this.deflate, this.socket);
    await writableAgain(this.socket, this.socket);
  }

  // ---- state changes

  async startTls(ok: Buffer): Promise<boolean> {
    const raw = this.socket as net.Socket;
    raw.pause();
    this.detach(raw);
    // RFC 9051 §6.2.1 / CVE-2011-0411: bytes that arrived with or after the command are dropped.
    const discarded = this.reader.takeBuffered();
    if (discarded.length > 0) {
      this.ctx.deps.log.warn({ event: 'imap-starttls-pipelined-input-discarded', protocol: 'imap', remote: this.remote, octets: discarded.length });
    }
    await new Promise<void>((resolve) => raw.write(ok, () => resolve()));
    try {
      const secure = await upgradeToTls(raw, this.ctx.deps.secureContext);
      this.socket = secure;
      this.secure = true;
      this.attach(secure);
      secure.setTimeout(this.ctx.preAuthTimeoutMs);
      return true;
    } catch (err) {
      this.ctx.deps.log.info({ event: 'imap-tls-failed', protocol: 'imap', remote: this.remote, err: (err as Error).message });
      this.endReason ??= 'tls-failed';
      this.closedFlag = true;
      raw.destroy();
      return false;
    }
  }

  authenticated(maxLiteralBytes: number): void {
    this.reader.setLimits({
      maxLiteralBytes,
      maxNonSyncLiteralBytes: maxLiteralBytes,
      maxCommandBytes: maxLiteralBytes + 64 * 1024,
    });
    this.socket.setTimeout(this.ctx.idleTimeoutMs);
  }

  end(reason: EndReason): void {
    this.endReason ??= reason;
    this.wake();
  }
}
