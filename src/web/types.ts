// What an HTTP route gets. Routes are plain async functions; the server (src/web/server.ts)
// tries them in order and answers 404 when none handled the request.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { MailStore } from '../store/types.ts';
import type { Authenticator } from '../auth/authenticator.ts';
import type { Logger } from '../observe/log.ts';
import type { BoundPorts } from '../net/listener.ts';

export interface HttpContext {
  /** The name clients connect to (autoconfig documents, profiles). */
  hostname: string;
  /**
   * The port each running listener is bound to, by listener name (imap, submission …); read on
   * every request, so documents name the ports that actually listen. A listener that is not
   * running is absent (or 0).
   */
  ports: BoundPorts;
  store: MailStore;
  auth: Authenticator;
  log: Logger;
}

/** Returns true when it answered the request. `url` is already parsed (path and query). */
export type Route = (req: IncomingMessage, res: ServerResponse, url: URL, ctx: HttpContext) => Promise<boolean>;

/**
 * Takes over connections that ask for a protocol upgrade (RFC 9110 §7.8; RFC 6455 WebSocket) and
 * holds long-lived ones, which the HTTP server's close() does not end: closeAll() does, at shutdown.
 */
export interface UpgradeHandler {
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, ctx: HttpContext): void;
  closeAll(): void;
}
