// Who is asking: HTTP Basic credentials (RFC 7617) checked by the shared Authenticator, so a web
// login is counted and limited exactly like an IMAP, POP3 or SMTP one (DESIGN.md §6).

import type { IncomingMessage } from 'node:http';
import type { Account } from '../store/types.ts';
import { normaliseAddress } from '../mail/address.ts';
import type { HttpContext } from './types.ts';
import { basicCredentials, remoteIp } from './clientconfig/http.ts';

export type HttpAuthResult =
  | { ok: true; account: Account }
  /**
   * 401: no or wrong credentials (answer with a challenge); 429: too many failures (RFC 6585
   * §4); 503: too many checks running, try again; 403: the account is disabled.
   */
  | { ok: false; status: 401 | 403 | 429 | 503; message: string };

/** The `WWW-Authenticate` value for a 401 (RFC 7617 §2, §2.1: UTF-8 credentials). */
export const BASIC_CHALLENGE = 'Basic realm="Posthorn", charset="UTF-8"';

export async function authenticateRequest(req: IncomingMessage, ctx: HttpContext): Promise<HttpAuthResult> {
  const credentials = basicCredentials(req);
  if (!credentials) return { ok: false, status: 401, message: 'Log in with your email address and password.' };
  const ip = remoteIp(req);
  const result = await ctx.auth.authenticate(credentials.username, credentials.password, { ip, protocol: 'http' });
  if (result.ok) return { ok: true, account: result.account };
  // Only a well-formed address is logged as the account: a password typed into the user field stays out of the log.
  ctx.log.info({ event: 'login-failed', account: normaliseAddress(credentials.username) ?? undefined, ip, protocol: 'http', reason: result.reason, path: req.url });
  if (result.reason === 'rate-limited') return { ok: false, status: 429, message: 'Too many failed logins; try again later.' };
  if (result.reason === 'busy') return { ok: false, status: 503, message: 'Too many logins in progress; try again.' };
  if (result.reason === 'disabled') return { ok: false, status: 403, message: 'This account is disabled.' };
  return { ok: false, status: 401, message: 'Wrong email address or password.' };
}
