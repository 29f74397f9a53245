// The POP3 listeners (issue 5): `pop3` (plaintext with STLS, RFC 2595) and `pop3s` (implicit
// TLS, RFC 8314). Both share one Pop3Context, so the maildrop lock (RFC 1939 §4) holds across them.

import type { ServerDeps, Service } from '../server/deps.ts';
import { listenerPair } from '../server/listener-pair.ts';
import { errLine } from '../wire/pop3/response.ts';
import { createPop3Context, type Pop3Options } from './context.ts';
import { Pop3Connection } from './connection.ts';

export type { Pop3Options } from './context.ts';

export function pop3Services(deps: ServerDeps, opts: Pop3Options = {}): Service[] {
  const ctx = createPop3Context(deps, opts);
  return listenerPair(deps, {
    plain: 'pop3',
    implicitTls: 'pop3s',
    preAuthTimeoutMs: ctx.preAuthTimeoutMs,
    handler: (name) => ({
      onConnection: (socket, info) => new Pop3Connection(ctx, socket, info, name).start(),
      onRefused: (socket) => {
        socket.end(errLine('SYS/TEMP', 'Too many connections from your address, try again later'));
      },
    }),
  });
}
