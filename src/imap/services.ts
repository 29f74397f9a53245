// The IMAP listeners (issue 4): `imap` (plaintext with STARTTLS, RFC 9051 §6.2.1) and `imaps`
// (implicit TLS, RFC 8314), each only when its port is configured (a port of 0 disables it).
// TcpListener does the implicit-TLS handshake of imaps (with the pre-login timeout).

import type { ServerDeps, Service } from '../server/deps.ts';
import { bindPort } from '../server/deps.ts';
import { TcpListener } from '../server/tcp-listener.ts';
import { untaggedStatus } from '../wire/imap/index.ts';
import { ImapConnection } from './connection.ts';
import { createImapContext } from './context.ts';

export function imapServices(deps: ServerDeps): Service[] {
  const ctx = createImapContext(deps);
  const services: Service[] = [];
  for (const name of ['imap', 'imaps'] as const) {
    if (deps.config.ports[name] === 0) continue;
    services.push(
      new TcpListener({
        name,
        bind: deps.config.bind,
        port: bindPort(deps, name),
        maxConnectionsPerIp: deps.config.limits.maxConnectionsPerIp,
        secureContext: name === 'imaps' ? deps.secureContext : undefined,
        handshakeTimeoutMs: ctx.preAuthTimeoutMs,
        log: deps.log,
        handler: {
          onConnection: (socket, info) => new ImapConnection(ctx, socket, info, name, info.implicitTls).start(),
          onRefused: (socket) => {
            // RFC 9051 §7.1.5: BYE as the greeting refuses the connection.
            socket.end(untaggedStatus('BYE', 'Too many connections from your address, try again later'));
          },
        },
      }),
    );
  }
  return services;
}
