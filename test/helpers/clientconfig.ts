// A real HTTP server on 127.0.0.1 in front of the client set-up routes, for their tests. The
// context is read on every request, so a test may change ctx.ports between requests.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { clientConfigRoutes, mobileconfigRoute } from '../../src/web/clientconfig/index.ts';
import type { HttpContext } from '../../src/web/types.ts';

export async function serveClientConfig(ctx: HttpContext): Promise<{ base: string; server: Server; close: () => Promise<void> }> {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      for (const route of [...clientConfigRoutes, mobileconfigRoute]) if (await route(req, res, url, ctx)) return;
      res.writeHead(404).end('no route\n');
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
