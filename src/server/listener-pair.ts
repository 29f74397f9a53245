// The two listeners of a protocol we write ourselves: one in the clear (with STARTTLS/STLS) and
// one with implicit TLS (RFC 8314), each only when its port is configured (0 disables it).

import type { ListenerName, ServerDeps, Service } from './deps.ts';
import { bindPort } from './deps.ts';
import { TcpListener, type ProtocolHandler } from './tcp-listener.ts';

export interface ListenerPairOptions {
  plain: ListenerName;
  implicitTls: ListenerName;
  /** Also the time a client gets to finish the implicit-TLS handshake. */
  preAuthTimeoutMs: number;
  handler: (name: ListenerName) => ProtocolHandler;
}

export function listenerPair(deps: ServerDeps, opts: ListenerPairOptions): Service[] {
  const services: Service[] = [];
  for (const name of [opts.plain, opts.implicitTls]) {
    if (deps.config.ports[name] === 0) continue;
    services.push(
      new TcpListener({
        name,
        bind: deps.config.bind,
        port: bindPort(deps, name),
        maxConnectionsPerIp: deps.config.limits.maxConnectionsPerIp,
        secureContext: name === opts.implicitTls ? deps.secureContext : undefined,
        handshakeTimeoutMs: opts.preAuthTimeoutMs,
        log: deps.log,
        handler: opts.handler(name),
      }),
    );
  }
  return services;
}
