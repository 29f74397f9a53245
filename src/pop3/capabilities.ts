// CAPA (RFC 2449 §5): what this server offers, in this state, on this connection.

import type { Pop3Session } from './session.ts';
import { retentionDays } from './maildrop.ts';

export function capabilities(session: Pop3Session): string[] {
  const caps = ['TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING'];
  // RFC 2449 §6.2/§6.3 and RFC 2595 §4: no password mechanism is advertised where it would be
  // refused; before TLS the client is pointed at STLS instead.
  if (session.plaintextAllowed()) caps.push('USER', 'SASL PLAIN');
  // RFC 2595 §4: STLS only in AUTHORIZATION and only while not yet encrypted.
  if (!session.io.secure && session.state.kind === 'authorization') caps.push('STLS');
  caps.push(expireCapability(session));
  caps.push('IMPLEMENTATION Posthorn');
  return caps;
}

/**
 * RFC 2449 §6.7: the minimum retention of (retrieved) messages in days, or NEVER. Before login
 * the server default, tagged USER because accounts may have their own setting; after login the
 * account's own value.
 */
function expireCapability(session: Pop3Session): string {
  if (session.state.kind === 'transaction') {
    const days = retentionDays(session.ctx, session.state.account);
    return `EXPIRE ${days === null ? 'NEVER' : days}`;
  }
  const days = session.ctx.deps.config.pop3.retentionDays;
  return `EXPIRE ${days === null ? 'NEVER' : days} USER`;
}
