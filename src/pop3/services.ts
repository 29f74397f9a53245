// The POP3 listeners (issue 5): `pop3` (plaintext with STLS, RFC 2595) and `pop3s` (implicit
// TLS, RFC 8314), each only when its port is configured (a port of 0 disables it). Both share
// one Pop3Context, so the maildrop lock (RFC 1939 §4) holds across them.
// TcpListener does the implicit-TLS handshake of pop3s (with the pre-login timeout).

import type { ServerDeps, Service } from '../server/deps.ts';
import { bindPort } from '../server/deps.ts';
import { TcpListener } from '../server/tcp-listener.ts';
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
        secureContext: name === 'pop3s' ? deps.secureContext : undefined,
        handshakeTimeoutMs: ctx.preAuthTimeoutMs,
        log: deps.log,
        handler: {
          onConnection: (socket, info) => new Pop3Connection(ctx, socket, info, name, info.implicitTls).start(),
          onRefused: (socket) => {
            socket.end(errLine('SYS/TEMP', 'Too many connections from your address, try again later'));
          },
        },
      }),
    );
  }
  return services;
}
