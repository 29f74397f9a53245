// The web listeners: plain HTTP and HTTPS, one class. Health and metrics for operators first,
// then the application routes (client autoconfiguration, the plaintext guard, CORS, JMAP …)
// tried in order. Both listeners are given the same route list; what plain HTTP may serve to
// whom is decided by the guard in that list (plaintext-guard.ts), not here.
//
// Implementation notes:
// - HTTPS is node:https with the server's key and certificate (the pair behind the
//   SecureContext the other TLS listeners use): node:tls servers build their own context from
//   PEM and would ignore a ready SecureContext for clients that send no SNI.
// - Every answer carries X-Content-Type-Options: nosniff; every HTTPS answer also carries
//   Strict-Transport-Security (RFC 6797 §7.1), never a plain one (§7.2). Browsers ignore it on a
//   connection whose certificate they do not trust (§8.1), so the generated self-signed
//   certificate cannot lock anybody out.

import http from 'node:http';
import https from 'node:https';
import type { HttpContext, Route, UpgradeHandler } from './types.ts';
import type { MetricsExposition } from '../observe/metrics.ts';
import type { KeyPair } from '../net/tls.ts';
import { listenOn, boundPort, type Listener } from '../net/listener.ts';

export interface HttpServerOptions {
  bind: string;
  port: number;
  ctx: HttpContext;
  routes: Route[];
  metrics: MetricsExposition;
  /** True once every listener is up; /healthz answers 503 until then and during shutdown. */
  isReady: () => boolean;
  /** HTTPS with this key and certificate (PEM); plain HTTP without. */
  tls?: KeyPair;
  /** A client that does not finish the TLS handshake in this time is dropped (default 30 s). */
  handshakeTimeoutMs?: number;
  /** Upgrade requests (WebSocket) go here; without it they are refused by closing the socket. */
  upgrade?: UpgradeHandler;
}

/** One year, the value HSTS preload lists ask for (RFC 6797 §6.1.1 max-age). */
const HSTS = 'max-age=31536000';

const TIMEOUTS = { headersTimeout: 20_000, requestTimeout: 60_000 };

export class HttpListener implements Listener {
  /** "https" with TLS, else "http": also the name its bound port is reported under. */
  readonly name: string;
  private readonly server: http.Server | https.Server;
  private readonly opts: HttpServerOptions;

  constructor(opts: HttpServerOptions) {
    this.opts = opts;
    this.name = opts.tls ? 'https' : 'http';
    const requests = opts.metrics.counter('posthorn_http_requests_total', 'HTTP requests answered, by status code');
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      res.on('finish', () => requests({ status: String(res.statusCode) }));
      this.handle(req, res).catch((err: unknown) => {
        opts.ctx.log.error({ event: 'http-error', protocol: this.name, path: req.url, err: (err as Error).message, stack: (err as Error).stack });
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
          res.end('Internal server error\n');
        } else {
          res.destroy();
        }
      });
    };
    if (opts.tls) {
      const server = https.createServer(
        { ...TIMEOUTS, key: opts.tls.key, cert: opts.tls.cert, handshakeTimeout: opts.handshakeTimeoutMs ?? 30_000, ALPNProtocols: ['http/1.1'] },
        onRequest,
      );
      // A failed handshake is the client's problem, not ours: log at debug and drop it.
      server.on('tlsClientError', (err, socket) => {
        opts.ctx.log.debug({ event: 'tls-error', protocol: this.name, remote: socket.remoteAddress, err: err.message });
        socket.destroy();
      });
      this.server = server;
    } else {
      this.server = http.createServer(TIMEOUTS, onRequest);
    }
    this.server.keepAliveTimeout = 5_000;
    const upgrade = opts.upgrade;
    if (upgrade) this.server.on('upgrade', (req, socket, head) => upgrade.upgrade(req, socket, head, opts.ctx));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (this.opts.tls) res.setHeader('Strict-Transport-Security', HSTS);
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz') {
      const ready = this.opts.isReady();
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end(ready ? 'ok\n' : 'starting or stopping\n');
      return;
    }
    if (url.pathname === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' });
      res.end(this.opts.metrics.render());
      return;
    }
    for (const route of this.opts.routes) {
      if (await route(req, res, url, this.opts.ctx)) return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Not found\n');
  }

  listen(): Promise<number> {
    return listenOn(this.server, this.opts.port, this.opts.bind);
  }

  get port(): number {
    return boundPort(this.server);
  }

  async close(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.opts.upgrade?.closeAll();
    this.server.closeIdleConnections();
    const timer = setTimeout(() => this.server.closeAllConnections(), graceMs);
    await closed;
    clearTimeout(timer);
  }
}
