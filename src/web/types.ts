// What an HTTP route gets. Routes are plain async functions; the server (src/web/server.ts)
// tries them in order and answers 404 when none handled the request.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../server/config.ts';
import type { MailStore } from '../store/types.ts';
import type { Authenticator } from '../mail/auth.ts';
import type { Logger } from '../server/log.ts';

export interface HttpContext {
  config: Config;
  store: MailStore;
  auth: Authenticator;
  log: Logger;
}

/** Returns true when it answered the request. `url` is already parsed (path and query). */
export type Route = (req: IncomingMessage, res: ServerResponse, url: URL, ctx: HttpContext) => Promise<boolean>;
