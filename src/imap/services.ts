// The IMAP listeners: `imap` (plaintext with STARTTLS, RFC 9051 §6.2.1) and `imaps` (implicit
// TLS, RFC 8314). Both share one ImapContext (per-account session counts, metrics); src/server
// binds them.

import type { TcpService } from '../net/tcp-listener.ts';
import { listenerPair } from '../net/listener-pair.ts';
import { untaggedStatus } from '../wire/imap/index.ts';
import { ImapConnection } from './connection.ts';
import { createImapContext } from './context.ts';
import type { ImapDeps } from './deps.ts';

export function imapServices(deps: ImapDeps): TcpService[] {
  const ctx = createImapContext(deps);
  return listenerPair({
    ports: deps.ports,
    plain: 'imap',
    implicitTls: 'imaps',
    preAuthTimeoutMs: ctx.preAuthTimeoutMs,
    accept: (socket, info, name) => new ImapConnection(ctx, socket, info, name).start(),
    // RFC 9051 §7.1.5: BYE as the greeting refuses the connection.
    refusal: untaggedStatus('BYE', 'Too many connections from your address, try again later'),
  });
}
