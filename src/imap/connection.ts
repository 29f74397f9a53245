// One IMAP connection: the incremental command reader, literals, COMPRESS=DEFLATE and corked
// writes on top of the pull loop of src/net/pull-connection.ts (read loop, backpressure,
// timeouts, STARTTLS, shutdown). Protocol behaviour (states, commands) lives in session.ts and
// the command files.
//
// Implementation notes — rules every change must keep (besides those of PullConnection):
// - Literals: a synchronizing literal gets its "+" (or its refusal) before its bytes are read;
//   a refused one is skipped by the reader, so the stream stays in sync.
// - STARTTLS (RFC 9051 §6.2.1): the reader gives up everything it holds to the discard.
// - Shutdown: the command in progress finishes; then "* BYE Server shutting down" and close.
// - COMPRESS=DEFLATE (RFC 4978): after the OK, input goes socket → inflate → reader and output
//   writes → deflate → socket, flushed (Z_SYNC_FLUSH) once per turn of the event loop. The
//   inflater is paused with the socket, so a small compressed "bomb" cannot expand into memory
//   faster than commands are read.

import type net from 'node:net';
import zlib from 'node:zlib';
import type { ConnectionInfo } from '../net/tcp-listener.ts';
import { PullConnection, type PullProtocol } from '../net/pull-connection.ts';
import { writableAgain } from '../net/backpressure.ts';
import { CommandReader, parseCommand, taggedResponse, untaggedStatus, continuation, type ReaderEvent } from '../wire/imap/index.ts';
import type { ImapContext } from './context.ts';
import { ImapSession } from './session.ts';

const IMAP: PullProtocol = { name: 'imap', startTlsCommand: 'starttls', inputHighWater: 256 * 1024, outputHighWater: 256 * 1024 };
/** Literal limits before login: enough for a LOGIN password, too small to be a weapon. */
export const PRE_AUTH_LITERAL_BYTES = 8 * 1024;

/** 'account-changed': the account was removed or disabled, or its password changed (src/auth/account-standing.ts). */
export type EndReason = 'logout' | 'client-closed' | 'timeout' | 'shutdown' | 'protocol-error' | 'tls-failed' | 'error' | 'account-changed';

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

type LineOrError = Extract<ReaderEvent, { kind: 'line' | 'error' }>;

export class ImapConnection extends PullConnection<ReaderEvent, EndReason> implements ImapIo {
  private readonly ctx: ImapContext;
  private readonly reader = new CommandReader({ maxLiteralBytes: PRE_AUTH_LITERAL_BYTES, maxNonSyncLiteralBytes: PRE_AUTH_LITERAL_BYTES, maxCommandBytes: 64 * 1024 });
  private readonly session: ImapSession;
  private inflate: zlib.InflateRaw | null = null;
  private deflate: zlib.DeflateRaw | null = null;
  private flushScheduled = false;
  /** The socket is corked until the next tick: the responses of one step leave in one segment. */
  private corked = false;

  constructor(ctx: ImapContext, socket: net.Socket, info: ConnectionInfo, listener: string) {
    super(IMAP, ctx, socket, info, listener);
    this.ctx = ctx;
    this.session = new ImapSession(ctx, this);
    this.reader.setLimits({ maxLineBytes: ctx.deps.config.limits.maxLineBytes });
  }

  protected greeting(): Buffer {
    return this.session.greeting();
  }

  protected goodbye(why: 'shutdown' | 'timeout'): Buffer {
    // RFC 9051 §5.4: an autologout timer of at least 30 minutes after login; shorter before.
    return untaggedStatus('BYE', why === 'shutdown' ? 'Server shutting down' : 'Autologout: idle for too long');
  }

  protected finish(reason: EndReason): void {
    this.session.finish(reason);
  }

  protected nextCommand(): ReaderEvent | null {
    return this.reader.next();
  }

  protected async handle(ev: ReaderEvent): Promise<void> {
    switch (ev.kind) {
      case 'continue':
      case 'literal': {
        const refusal = await this.session.refuseLiteral(ev.tag, ev.name, ev.size, ev.args);
        if (refusal) {
          this.write(refusal.response);
          this.reader.refuseLiteral();
          if (refusal.bad) this.session.badCommand();
        } else if (ev.kind === 'continue') {
          this.write(continuation());
        }
        return;
      }
      case 'error':
        this.session.releaseAppendMemory();
        this.write(ev.tag ? taggedResponse(ev.tag, 'BAD', ev.text, ev.code) : untaggedStatus('BAD', ev.text, ev.code));
        if (ev.fatal) {
          this.write(untaggedStatus('BYE', 'Protocol error, closing'));
          this.end('protocol-error');
          return;
        }
        this.session.badCommand();
        return;
      case 'line':
        // Only requested through readLine(); never reached here.
        return;
      case 'command': {
        const parsed = parseCommand(ev.command, this.session.grammar());
        if (!parsed.ok) {
          this.session.releaseAppendMemory();
          this.write(taggedResponse(parsed.tag, parsed.error.kind === 'bad' ? 'BAD' : 'NO', parsed.error.text, parsed.error.code));
          if (parsed.error.kind === 'bad') this.session.badCommand();
          return;
        }
        await this.session.execute(parsed.tag, parsed.command);
        this.session.releaseAppendMemory();
        return;
      }
    }
  }

  // ---- input

  protected bufferInput(chunk: Buffer): number {
    this.reader.push(chunk);
    return this.reader.bufferedBytes;
  }

  protected discardInput(): number {
    return this.reader.takeBuffered().length;
  }

  protected override receive(chunk: Buffer): void {
    if (this.inflate) this.inflate.write(chunk);
    else this.input(chunk);
  }

  protected override pauseInput(): void {
    super.pauseInput();
    this.inflate?.pause();
  }

  protected override resumeInput(): void {
    super.resumeInput();
    if (this.inflate?.isPaused()) this.inflate.resume();
  }

  async readLine(): Promise<Buffer | null> {
    this.reader.expectLine();
    // Shutdown ends an IDLE (or a SASL exchange) too: the BYE follows in the pull loop.
    const ev = await this.pull(() => this.lineOrError());
    if (!ev) return null;
    if (ev.kind === 'line') return ev.line;
    this.write(untaggedStatus('BYE', ev.text, ev.code));
    this.end('protocol-error');
    return null;
  }

  private lineOrError(): LineOrError | null {
    for (;;) {
      const ev = this.reader.next();
      if (!ev) return null;
      if (ev.kind === 'line' || ev.kind === 'error') return ev;
    }
  }

  // ---- output

  override write(data: Buffer): boolean {
    if (!this.writable) return false;
    if (this.deflate) {
      const ok = this.deflate.write(data);
      this.scheduleFlush();
      return ok && !this.socket.writableNeedDrain;
    }
    // Without Nagle (the listener sets no-delay) every write would be its own TCP segment: FETCH
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

  override async drain(): Promise<void> {
    if (this.deflate) await writableAgain(this.deflate, this.socket);
    await super.drain();
  }

  protected override closeOutput(): void {
    // What is still inside the compressor (a BYE, a tagged OK) goes out before the end.
    const socket = this.socket;
    if (this.deflate) this.deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => socket.end());
    else socket.end();
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
    inflate.on('data', (chunk: Buffer) => this.input(chunk));
    inflate.on('error', (err) => {
      this.log.info({ event: 'imap-inflate-error', protocol: 'imap', remote: this.remote, err: err.message });
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
    this.inflate = inflate;
    this.deflate = deflate;
    if (pending.length > 0) inflate.write(pending);
  }

  // ---- state changes

  startTls(ok: Buffer): Promise<boolean> {
    return this.negotiateTls(ok);
  }

  authenticated(maxLiteralBytes: number): void {
    this.reader.setLimits({
      maxLiteralBytes,
      maxNonSyncLiteralBytes: maxLiteralBytes,
      maxCommandBytes: maxLiteralBytes + 64 * 1024,
    });
    this.setIdleTimeout(this.ctx.idleTimeoutMs);
  }
}
