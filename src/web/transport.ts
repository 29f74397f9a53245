// What a route may ask about how a request arrived: over TLS or not, and from which address.
// The HTTPS listener hands routes TLS sockets (`encrypted`); the plain listener plain ones.

import type { IncomingMessage } from 'node:http';
import { normaliseIp } from '../net/address.ts';

/** True when the request came over TLS (the HTTPS listener). */
export function overTls(req: IncomingMessage): boolean {
  return (req.socket as { encrypted?: boolean }).encrypted === true;
}

/** The client's address in the form limits and logs use ("::ffff:" prefix removed). */
export function clientAddress(req: IncomingMessage): string {
  return normaliseIp(req.socket.remoteAddress ?? 'unknown');
}
