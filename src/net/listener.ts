// What src/server starts and stops: a list of listeners, each contributed by its protocol (SMTP,
// IMAP, POP3, HTTP …). A listener is known by its name only; adding one adds an entry to the
// list, not a case to a closed type.

import type net from 'node:net';
import { once } from 'node:events';

/** A listener of any protocol, started and stopped by src/server. */
export interface Listener {
  /** Also the name its bound port is reported under (BoundPorts). */
  readonly name: string;
  readonly port: number;
  /** Open connections, for the posthorn_connections gauge (when the listener tracks them). */
  readonly connectionCount?: number;
  /** Binds; resolves with the bound port. */
  listen(): Promise<number>;
  close(graceMs: number): Promise<void>;
}

/**
 * The port each running listener is bound to, by listener name. Written only by whoever starts
 * the listeners, as each one binds; read by what reports ports to clients (autoconfig). Distinct
 * from the configuration, which is never written at run time: with port 0 (tests) the bound
 * port is only known here.
 */
export type BoundPorts = Readonly<Record<string, number>>;

/**
 * The listeners of a protocol, given to it by src/server: per listener name, the port to bind
 * (0 for any free one), or null when the listener is disabled.
 */
export type ListenerPorts<Name extends string> = Readonly<Record<Name, number | null>>;

/** Binds `server` and resolves with the bound port. */
export async function listenOn(server: net.Server, port: number, bind: string): Promise<number> {
  server.listen(port, bind);
  await once(server, 'listening');
  return boundPort(server);
}

/** The port `server` is bound to; 0 while it is not listening. */
export function boundPort(server: net.Server): number {
  const addr = server.address();
  return typeof addr === 'object' && addr ? addr.port : 0;
}
