// Not-authenticated state (RFC 9051 §6.2): STARTTLS, LOGIN, AUTHENTICATE PLAIN (RFC 4616) with
// SASL-IR (RFC 4959). Passwords only over TLS, or on loopback when configured (LOGINDISABLED
// otherwise). Every failure of a known or unknown user reads the same (no user enumeration);
// attempts go through the authenticator's limiter, shared with SMTP, POP3 and the web.

import { continuation, decodePlain, parseSaslResponse, taggedResponse } from '../wire/imap/index.ts';
import { command } from './descriptor.ts';
import { ImapBad, ImapNo } from './errors.ts';
import type { Completion, ImapSession } from './session.ts';
import { NOT_AUTHENTICATED } from './state.ts';

// RFC 9051 §6.2.1: the tagged OK, then the handshake; bytes pipelined after the command are
// discarded (connection.ts), and the session starts over without any state from before.
const starttls = command({
  name: 'STARTTLS',
  states: NOT_AUTHENTICATED,
  run: async (s, tag) => {
    if (s.io.secure) throw new ImapBad('TLS is already active');
    await s.io.startTls(taggedResponse(tag, 'OK', 'Begin TLS negotiation now'));
    return { responded: true };
  },
});

function requirePrivacy(s: ImapSession): void {
  // RFC 9051 §6.2.3: LOGIN must fail while LOGINDISABLED is advertised; RFC 5530 PRIVACYREQUIRED.
  if (!s.plaintextAllowed()) throw new ImapNo('PRIVACYREQUIRED', 'Plaintext authentication requires TLS (use STARTTLS)');
}

async function authenticate(s: ImapSession, user: string, password: string): Promise<Completion> {
  let result;
  try {
    result = await s.ctx.deps.auth.authenticate(user, password, { ip: s.io.remote, protocol: 'imap' });
  } catch (err) {
    s.logError('imap-auth-error', err);
    s.ctx.metrics.login('unavailable');
    throw new ImapNo('UNAVAILABLE', 'Authentication is temporarily unavailable');
  }
  const log = { protocol: 'imap', remote: s.io.remote, account: user.slice(0, 320) };
  if (!result.ok) {
    s.ctx.deps.log.info({ event: 'imap-login-failed', ...log, reason: result.reason });
    if (result.reason === 'rate-limited') {
      s.ctx.metrics.login('rate-limited');
      throw new ImapNo('UNAVAILABLE', 'Too many failed attempts, try again later');
    }
    if (result.reason === 'busy') {
      s.ctx.metrics.login('busy');
      throw new ImapNo('UNAVAILABLE', 'Too many logins in progress, try again');
    }
    s.ctx.metrics.login('failed');
    // The same answer for an unknown user, a wrong password and a disabled account.
    throw new ImapNo('AUTHENTICATIONFAILED', 'Authentication failed');
  }
  let slot;
  try {
    slot = await s.ctx.claimAccountSession(result.account.id, s.id);
  } catch (err) {
    s.logError('imap-session-slot-error', err);
    s.ctx.metrics.login('unavailable');
    throw new ImapNo('UNAVAILABLE', 'Authentication is temporarily unavailable');
  }
  if (!slot) {
    s.ctx.deps.log.warn({ event: 'imap-login-refused', ...log, account: result.account.address, reason: 'too-many-sessions' });
    // RFC 5530 §3: LIMIT, an administrative limit such as the number of sessions.
    throw new ImapNo('LIMIT', 'Too many connections for this account, close another client first');
  }
  s.loggedIn(result.account, slot);
  s.ctx.metrics.login('ok');
  s.ctx.deps.log.info({ event: 'imap-login', ...log, account: result.account.address });
  // RFC 9051 §6.2.3: the capabilities change at login; say so in the tagged OK.
  return { code: `CAPABILITY ${s.capabilities().join(' ')}`, text: 'Logged in' };
}

// RFC 9051 §6.2.3
const login = command({
  name: 'LOGIN',
  states: NOT_AUTHENTICATED,
  run: async (s, _tag, cmd) => {
    requirePrivacy(s);
    return authenticate(s, cmd.user, cmd.password);
  },
});

// RFC 9051 §6.2.2, RFC 4959 (initial response), RFC 4616 (PLAIN).
const authenticateCommand = command({
  name: 'AUTHENTICATE',
  states: NOT_AUTHENTICATED,
  run: async (s, _tag, cmd) => {
    if (cmd.mechanism !== 'PLAIN') throw new ImapNo(null, 'Unsupported authentication mechanism');
    requirePrivacy(s);
    let data = cmd.initialResponse;
    if (data === null) {
      s.write(continuation(''));
      const line = await s.io.readLine();
      if (line === null) throw new ImapBad('Connection closed');
      const response = parseSaslResponse(line);
      // RFC 9051 §6.2.2: "*" cancels, answered with BAD.
      if (response.kind === 'cancel') throw new ImapBad('Authentication cancelled');
      if (response.kind === 'bad') throw new ImapBad(response.text);
      data = response.data;
    }
    const creds = decodePlain(data);
    if ('error' in creds) throw new ImapBad(creds.error);
    // RFC 4616 §2: acting as someone else (authzid) is not allowed here.
    if (creds.authzid !== '' && creds.authzid.toLowerCase() !== creds.authcid.toLowerCase()) {
      throw new ImapNo('AUTHORIZATIONFAILED', 'Authorization identity not allowed');
    }
    return authenticate(s, creds.authcid, creds.password);
  },
});

export const authCommands = [starttls, login, authenticateCommand];
