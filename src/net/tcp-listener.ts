// One TCP (or implicit-TLS) listener for a protocol whose sessions we write ourselves (IMAP,
// POP3). It owns what every protocol needs the same way: binding, implicit TLS, a per-IP
// connection limit, the set of open connections, and a bounded graceful shutdown.
//
// Implementation notes:
// - The protocol handler owns each socket it is given; the listener only tracks it.
// - At shutdown the listener stops accepting, aborts `shutdownSignal` (sessions finish the
//   command in progress, say goodbye and close), and after the grace period destroys the rest.

import net from 'node:net';
import type tls from 'node:tls';
import { once } from 'node:events';
import type { Logger } from '../observe/log.ts';
import type { Listener } from './listener.ts';
import { listenOn, boundPort } from './listener.ts';
import { remoteIp } from './address.ts';
import { upgradeToTls } from './tls.ts';

export interface ConnectionInfo {
  id: number;
  remoteAddress: string;
  remotePort: number;
  localPort: number;
  /** The connection started with TLS (implicit TLS port). */
  implicitTls: boolean;
  /** Aborted when the server shuts down: finish the current command, say goodbye, close. */
  shutdownSignal: AbortSignal;
}

export interface ProtocolHandler {
  /** Called for each accepted connection; the handler owns the socket from here on. */
  onConnection(socket: net.Socket, info: ConnectionInfo): void;
  /** Called instead of onConnection when this IP has too many connections; write a refusal and end. */
  onRefused(socket: net.Socket, reason: 'too-many-connections'): void;
}

/** What a protocol contributes for one of its listeners; src/server adds where and how to bind. */
export interface TcpService {
  name: string;
  /** 0: any free port. */
  port: number;
  /** RFC 8314 implicit TLS: TLS from the first byte. */
  implicitTls: boolean;
  /** A client that does not finish the implicit-TLS handshake in this time is dropped. */
  handshakeTimeoutMs: number;
  handler: ProtocolHandler;
}

export interface TcpListenerOptions {
  name: string;
  bind: string;
  port: number;
  /**
   * When set, the listener speaks TLS from the first byte (RFC 8314 implicit TLS). Each accepted
   * socket is wrapped with upgradeToTls(): tls.createServer() would ignore a ready SecureContext
   * (it builds its own from key/cert options), so the same path as STARTTLS serves both.
   */
  secureContext?: tls.SecureContext;
  /** A client that does not finish the TLS handshake in this time is dropped (default 30 s). */
  handshakeTimeoutMs?: number;
  maxConnectionsPerIp: number;
  handler: ProtocolHandler;
  log: Logger;
}

export class TcpListener implements Listener {
  readonly name: string;
  private readonly opts: TcpListenerOptions;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly perIp = new Map<string, number>();
  private readonly shutdown = new AbortController();
  private nextId = 1;

  constructor(opts: TcpListenerOptions) {
    this.name = opts.name;
    this.opts = opts;
    this.server = net.createServer((socket) => this.accept(socket));
  }

  /** Hands the socket to `deliver` in the clear, or after the implicit-TLS handshake. */
  private secure(socket: net.Socket, deliver: (s: net.Socket) => void): void {
    const context = this.opts.secureContext;
    if (!context) {
      deliver(socket);
      return;
    }
    socket.setTimeout(this.opts.handshakeTimeoutMs ?? 30_000, () => socket.destroy());
    upgradeToTls(socket, context).then(
      (secure) => {
        socket.setTimeout(0);
        deliver(secure);
      },
      (err: unknown) => {
        // A failed handshake is the client's problem, not ours: log at debug and drop it.
        this.opts.log.debug({ event: 'tls-error', protocol: this.name, remote: remoteIp(socket), err: (err as Error).message });
        socket.destroy();
      },
    );
  }

  listen(): Promise<number> {
    return listenOn(this.server, this.opts.port, this.opts.bind);
  }

  get port(): number {
    return boundPort(this.server);
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  private accept(socket: net.Socket): void {
    const ip = remoteIp(socket);
    const count = this.perIp.get(ip) ?? 0;
    socket.on('error', () => socket.destroy());
    if (count >= this.opts.maxConnectionsPerIp || this.shutdown.signal.aborted) {
      this.opts.log.warn({ event: 'connection-refused', protocol: this.name, remote: ip, reason: 'too-many-connections' });
      this.secure(socket, (s) => this.opts.handler.onRefused(s, 'too-many-connections'));
      return;
    }
    this.perIp.set(ip, count + 1);
    this.sockets.add(socket);
    // Request/response protocols: Nagle's algorithm would hold a short reply behind an
    // unacknowledged segment until the client's delayed ACK (~40 ms). Sessions coalesce their
    // own writes instead. Set on the TCP socket itself, so it holds under implicit TLS too.
    socket.setNoDelay(true);
    socket.once('close', () => {
      this.sockets.delete(socket);
      const left = (this.perIp.get(ip) ?? 1) - 1;
      if (left <= 0) this.perIp.delete(ip);
      else this.perIp.set(ip, left);
    });
    const info: ConnectionInfo = {
      id: this.nextId++,
      remoteAddress: ip,
      remotePort: socket.remotePort ?? 0,
      localPort: socket.localPort ?? 0,
      implicitTls: this.opts.secureContext !== undefined,
      shutdownSignal: this.shutdown.signal,
    };
    this.secure(socket, (s) => this.opts.handler.onConnection(s, info));
  }

  /** Stops accepting, asks sessions to finish, and destroys what is left after graceMs. */
  async close(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.shutdown.abort();
    if (this.sockets.size > 0) {
      const allClosed = Promise.all([...this.sockets].map((s) => (s.destroyed ? null : once(s, 'close'))));
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), graceMs);
      });
      const outcome = await Promise.race([allClosed, timeout]);
      clearTimeout(timer);
      if (outcome === 'timeout') for (const s of this.sockets) s.destroy();
    }
    await closed;
  }
}
