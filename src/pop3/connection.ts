// One POP3 connection: its line reader on top of the pull loop of src/net/pull-connection.ts
// (read loop, backpressure, timeouts, STLS, shutdown). The protocol itself (states, commands)
// is in session.ts.
//
// Implementation notes (besides those of PullConnection):
// - Lines are pulled one at a time (wire/pop3/line-reader.ts), each with the limit the session
//   asks for: a command line, or a longer SASL continuation.
// - STLS (RFC 2595 §4): the line reader throws away everything it holds.
// - Timeout (RFC 1939 §3): autologout without entering UPDATE — nothing is deleted.
// - Shutdown: the command in progress finishes; then, instead of the next command, the client
//   gets "-ERR [SYS/TEMP] ... shutting down" and the connection closes without UPDATE.

import type net from 'node:net';
import type { ConnectionInfo } from '../net/tcp-listener.ts';
import { PullConnection, type PullProtocol } from '../net/pull-connection.ts';
import { LineReader, type LineEvent } from '../wire/pop3/line-reader.ts';
import { errLine, okLine } from '../wire/pop3/response.ts';
import type { Pop3Context } from './context.ts';
import { Pop3Session } from './session.ts';

/** RFC 2449 §4: command lines, including the keyword and CRLF, may be up to 255 octets. */
export const MAX_COMMAND_LINE = 255;
const POP3: PullProtocol = { name: 'pop3', startTlsCommand: 'stls', inputHighWater: 64 * 1024, outputHighWater: 1024 * 1024 };

/** 'account-changed': the account was removed or disabled, or its password changed (src/auth/account-standing.ts). */
export type EndReason = 'quit' | 'client-closed' | 'timeout' | 'shutdown' | 'too-many-errors' | 'auth-failures' | 'tls-failed' | 'error' | 'account-changed';

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

export class Pop3Connection extends PullConnection<LineEvent, EndReason> implements Pop3Io {
  private readonly ctx: Pop3Context;
  private readonly reader = new LineReader(MAX_COMMAND_LINE);
  private readonly session: Pop3Session;

  constructor(ctx: Pop3Context, socket: net.Socket, info: ConnectionInfo, listener: string) {
    super(POP3, ctx, socket, info, listener);
    this.ctx = ctx;
    this.session = new Pop3Session(ctx, this);
  }

  protected greeting(): string {
    return okLine(`${this.ctx.deps.config.hostname} Posthorn POP3 ready`);
  }

  protected goodbye(why: 'shutdown' | 'timeout'): string {
    return why === 'shutdown' ? errLine('SYS/TEMP', 'Server shutting down, try again later') : errLine(null, 'Autologout: idle for too long');
  }

  protected finish(reason: EndReason): Promise<void> {
    return this.session.finish(reason);
  }

  protected nextCommand(): LineEvent | null {
    return this.reader.next(MAX_COMMAND_LINE);
  }

  protected handle(ev: LineEvent): Promise<void> {
    return this.session.handle(ev);
  }

  protected bufferInput(chunk: Buffer): number {
    this.reader.push(chunk);
    return this.reader.buffered;
  }

  protected discardInput(): number {
    return this.reader.discard();
  }

  readLine(limit: number): Promise<LineEvent | null> {
    return this.pull(() => this.reader.next(limit));
  }

  async startTls(): Promise<void> {
    await this.negotiateTls(okLine('Begin TLS negotiation'));
  }

  authenticated(): void {
    this.setIdleTimeout(this.ctx.idleTimeoutMs);
  }
}
