// The IMAP listeners (issue 4): `imap` (plaintext with STARTTLS, RFC 9051 §6.2.1) and `imaps`
// (implicit TLS, RFC 8314). Both share one ImapContext (per-account session counts, metrics).

import type { ServerDeps, Service } from '../server/deps.ts';
import { listenerPair } from '../server/listener-pair.ts';
import { untaggedStatus } from '../wire/imap/index.ts';
import { ImapConnection } from './connection.ts';
import { createImapContext } from './context.ts';

export function imapServices(deps: ServerDeps): Service[] {
  const ctx = createImapContext(deps);
  return listenerPair(deps, {
    plain: 'imap',
    implicitTls: 'imaps',
    preAuthTimeoutMs: ctx.preAuthTimeoutMs,
    handler: (name) => ({
      onConnection: (socket, info) => new ImapConnection(ctx, socket, info, name).start(),
      onRefused: (socket) => {
        // RFC 9051 §7.1.5: BYE as the greeting refuses the connection.
        socket.end(untaggedStatus('BYE', 'Too many connections from your address, try again later'));
      },
    }),
  });
}
