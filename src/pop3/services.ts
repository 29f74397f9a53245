// The POP3 listeners: `pop3` (plaintext with STLS, RFC 2595) and `pop3s` (implicit TLS,
// RFC 8314). Both share one Pop3Context, so the maildrop lock (RFC 1939 §4) holds across them;
// src/server binds them.

import type { TcpService } from '../net/tcp-listener.ts';
import { listenerPair } from '../net/listener-pair.ts';
import { errLine } from '../wire/pop3/response.ts';
import { createPop3Context, type Pop3Options } from './context.ts';
import { Pop3Connection } from './connection.ts';
import type { Pop3Deps } from './deps.ts';

export type { Pop3Options } from './context.ts';

export function pop3Services(deps: Pop3Deps, opts: Pop3Options = {}): TcpService[] {
  const ctx = createPop3Context(deps, opts);
  return listenerPair({
    ports: deps.ports,
    plain: 'pop3',
    implicitTls: 'pop3s',
    preAuthTimeoutMs: ctx.preAuthTimeoutMs,
    accept: (socket, info, name) => new Pop3Connection(ctx, socket, info, name).start(),
    refusal: errLine('SYS/TEMP', 'Too many connections from your address, try again later'),
  });
}
