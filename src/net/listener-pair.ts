// The two listeners of a protocol we write ourselves: one in the clear (with STARTTLS/STLS) and
// one with implicit TLS (RFC 8314), each only when its port is given (null disables it).

import type net from 'node:net';
import type { ListenerPorts } from './listener.ts';
import type { ConnectionInfo, TcpService } from './tcp-listener.ts';

export interface ListenerPairOptions<Name extends string> {
  ports: ListenerPorts<Name>;
  plain: Name;
  implicitTls: Name;
  /** Also the time a client gets to finish the implicit-TLS handshake. */
  preAuthTimeoutMs: number;
  /** Takes over an accepted connection (after the handshake on the implicit-TLS listener). */
  accept: (socket: net.Socket, info: ConnectionInfo, name: Name) => void;
  /** Sent instead of the greeting to an address with too many connections; then the connection ends. */
  refusal: Buffer | string;
}

export function listenerPair<Name extends string>(opts: ListenerPairOptions<Name>): TcpService[] {
  const services: TcpService[] = [];
  for (const name of [opts.plain, opts.implicitTls]) {
    const port = opts.ports[name];
    if (port === null) continue;
    services.push({
      name,
      port,
      implicitTls: name === opts.implicitTls,
      handshakeTimeoutMs: opts.preAuthTimeoutMs,
      handler: {
        onConnection: (socket, info) => opts.accept(socket, info, name),
        onRefused: (socket) => socket.end(opts.refusal),
      },
    });
  }
  return services;
}
