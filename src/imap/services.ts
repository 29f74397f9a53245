// The IMAP listeners (issue 4): `imap` (plaintext with STARTTLS, RFC 9051 §6.2.1) and `imaps`
// (implicit TLS, RFC 8314), each only when its port is configured (a port of 0 disables it).
//
// Implicit TLS is done per connection with upgradeToTls() (as for POP3): tls.createServer()
// ignores a `secureContext` option, so TcpListener's own TLS mode cannot be used with one.

import type { ServerDeps, Service } from '../server/deps.ts';
import { bindPort } from '../server/deps.ts';
import { TcpListener, upgradeToTls } from '../server/tcp-listener.ts';
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
        log: deps.log,
        handler: {
          onConnection: (socket, info) => {
            if (name === 'imap') {
              new ImapConnection(ctx, socket, info, name, false).start();
              return;
            }
            // A client that never completes the handshake is dropped like a silent one.
            socket.setTimeout(ctx.preAuthTimeoutMs, () => socket.destroy());
            upgradeToTls(socket, deps.secureContext).then(
              (secure) => {
                socket.setTimeout(0);
                new ImapConnection(ctx, secure, info, name, true).start();
              },
              (err: unknown) => {
                deps.log.debug({ event: 'tls-error', protocol: name, remote: info.remoteAddress, err: (err as Error).message });
                socket.destroy();
              },
            );
          },
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
