// The HTTP listener: health and metrics for operators, then the application routes
// (client autoconfiguration now; webmail, JMAP and the admin API later) tried in order.

import http from 'node:http';
import type { HttpContext, Route, UpgradeHandler } from './types.ts';
import type { MetricsExposition } from '../observe/metrics.ts';
import { listenOn, boundPort, type Listener } from '../net/listener.ts';

export interface HttpServerOptions {
  bind: string;
  port: number;
  ctx: HttpContext;
  routes: Route[];
  metrics: MetricsExposition;
  /** True once every listener is up; /healthz answers 503 until then and during shutdown. */
  isReady: () => boolean;
  /** Upgrade requests (WebSocket) go here; without it they are refused by closing the socket. */
  upgrade?: UpgradeHandler;
}

export class HttpListener implements Listener {
  readonly name = 'http';
  private readonly server: http.Server;
  private readonly opts: HttpServerOptions;

  constructor(opts: HttpServerOptions) {
    this.opts = opts;
    const requests = opts.metrics.counter('posthorn_http_requests_total', 'HTTP requests answered, by status code');
    this.server = http.createServer({ headersTimeout: 20_000, requestTimeout: 60_000 }, (req, res) => {
      res.on('finish', () => requests({ status: String(res.statusCode) }));
      this.handle(req, res).catch((err: unknown) => {
        opts.ctx.log.error({ event: 'http-error', path: req.url, err: (err as Error).message, stack: (err as Error).stack });
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
          res.end('Internal server error\n');
        } else {
          res.destroy();
        }
      });
    });
    this.server.keepAliveTimeout = 5_000;
    const upgrade = opts.upgrade;
    if (upgrade) this.server.on('upgrade', (req, socket, head) => upgrade.upgrade(req, socket, head, opts.ctx));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
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
