// The POP3 listeners (issue 5): `pop3` (plaintext with STLS, RFC 2595) and `pop3s` (implicit
// TLS, RFC 8314), each only when its port is configured (a port of 0 disables it). Both share
// one Pop3Context, so the maildrop lock (RFC 1939 §4) holds across them.
//
// Implicit TLS is done here, per connection, with the same upgradeToTls() that STLS uses,
// rather than by TcpListener's `secureContext` option: tls.createServer() ignores a
// `secureContext` option (it only reads key/cert style options), so that listener answers every
// handshake with alert 40. Wrapping each accepted socket works with a SecureContext as given.

import type { ServerDeps, Service } from '../server/deps.ts';
import { bindPort } from '../server/deps.ts';
import { TcpListener, upgradeToTls } from '../server/tcp-listener.ts';
import { errLine } from '../wire/pop3/response.ts';
import { createPop3Context, type Pop3Options } from './context.ts';
import { Pop3Connection } from './connection.ts';

export type { Pop3Options } from './context.ts';

export function pop3Services(deps: ServerDeps, opts: Pop3Options = {}): Service[] {
  const ctx = createPop3Context(deps, opts);
  const services: Service[] = [];
  for (const name of ['pop3', 'pop3s'] as const) {
    if (deps.config.ports[name] === 0) continue;
    services.push(
      new TcpListener({
        name,
        bind: deps.config.bind,
        port: bindPort(deps, name),
        maxConnectionsPerIp: deps.config.limits.maxConnectionsPerIp,
        log: deps.log,
        handler: {
          onConnection: (socket, info) => {
            if (name === 'pop3') {
              new Pop3Connection(ctx, socket, info, name, false).start();
              return;
            }
            // A client that never completes the handshake is dropped like a silent one.
            socket.setTimeout(ctx.preAuthTimeoutMs, () => socket.destroy());
            upgradeToTls(socket, deps.secureContext).then(
              (secure) => {
                socket.setTimeout(0);
                new Pop3Connection(ctx, secure, info, name, true).start();
              },
              (err: unknown) => {
                deps.log.debug({ event: 'tls-error', protocol: name, remote: info.remoteAddress, err: (err as Error).message });
                socket.destroy();
              },
            );
          },
          onRefused: (socket) => {
            socket.end(errLine('SYS/TEMP', 'Too many connections from your address, try again later'));
          },
        },
      }),
    );
  }
  return services;
}
