// AUTHORIZATION state commands: CAPA (RFC 2449 §5), STLS (RFC 2595 §4), USER/PASS (RFC 1939 §7),
// AUTH PLAIN (RFC 5034, RFC 4616). APOP is not offered: it needs the plaintext password on the
// server, and Posthorn stores only memory-hard hashes (DESIGN.md §6).

import { multiline, okLine, errLine, continuationLine } from '../wire/pop3/response.ts';
import type { AuthResult } from '../auth/authenticator.ts';
import { Pop3Error, badCommand } from './errors.ts';
import { capabilities } from './capabilities.ts';
import type { Pop3Command, Pop3Session } from './session.ts';

/** Failed logins allowed in one connection before it is closed. */
export const MAX_AUTH_FAILURES = 3;

/** A SASL continuation may be longer than a command line (RFC 5034 §4 lets the client send an
 * initial response only within 255 octets; a longer one comes as a continuation). */
const MAX_SASL_LINE = 4096;

function requirePlaintextAllowed(session: Pop3Session): void {
  if (!session.plaintextAllowed()) {
    // RFC 3206 §4 SYS/PERM: retrying will not help; the user must change the client's settings.
    throw new Pop3Error('SYS/PERM', 'Plaintext authentication is only allowed over TLS: use STLS or the POP3S port');
  }
}

const CAPA: Pop3Command = {
  name: 'CAPA',
  states: ['authorization', 'transaction'],
  async run(session) {
    session.io.write(multiline('Capability list follows', capabilities(session)));
  },
};

const STLS: Pop3Command = {
  name: 'STLS',
  states: ['authorization'],
  async run(session, input) {
    if (input.args.length > 0) throw badCommand('STLS takes no arguments');
    if (session.io.secure) throw new Pop3Error(null, 'TLS is already active');
    await session.io.startTls();
    // RFC 2595 §4: all knowledge obtained before the handshake (a USER name) is discarded.
    session.state = { kind: 'authorization', user: null };
  },
};

const USER: Pop3Command = {
  name: 'USER',
  states: ['authorization'],
  async run(session, input) {
    requirePlaintextAllowed(session);
    if (input.args.length !== 1) throw badCommand('Usage: USER name');
    session.state = { kind: 'authorization', user: input.args[0] };
    // The same answer for every name: nothing tells whether the account exists.
    session.io.write(okLine('Send PASS'));
  },
};

const PASS: Pop3Command = {
  name: 'PASS',
  states: ['authorization'],
  async run(session, input) {
    requirePlaintextAllowed(session);
    if (session.state.kind !== 'authorization' || session.state.user === null) throw badCommand('USER first');
    const user = session.state.user;
    session.state = { kind: 'authorization', user: null };
    // RFC 1939 §7: the password is the whole rest of the line, spaces included.
    await login(session, user, input.rest, 'USER');
  },
};

const AUTH: Pop3Command = {
  name: 'AUTH',
  states: ['authorization'],
  async run(session, input) {
    if (input.args.length === 0) {
      // The RFC 1734-era listing that many clients still send before choosing a mechanism.
      session.io.write(multiline('Supported mechanisms follow', session.plaintextAllowed() ? ['PLAIN'] : []));
      return;
    }
    const mechanism = input.args[0].toUpperCase();
    if (mechanism !== 'PLAIN') throw new Pop3Error(null, 'Unsupported authentication mechanism');
    requirePlaintextAllowed(session);
    if (input.args.length > 2) throw badCommand('Usage: AUTH PLAIN [initial-response]');
    let response = input.args[1];
    if (response === undefined) {
      // RFC 5034 §4: empty challenge, the client answers on its own line.
      session.io.write(continuationLine());
      const ev = await session.io.readLine(MAX_SASL_LINE);
      if (!ev) return;
      if (ev.kind === 'too-long') throw badCommand('Authentication response too long');
      response = ev.line.toString('latin1');
    }
    // RFC 5034 §4: "*" cancels the exchange.
    if (response === '*') throw new Pop3Error(null, 'Authentication cancelled');
    const credentials = decodePlain(response);
    if (!credentials) throw badCommand('Invalid SASL PLAIN response');
    if (credentials.authzid !== '' && credentials.authzid.toLowerCase() !== credentials.authcid.toLowerCase()) {
      // Acting for another user is not supported; refuse like a bad password (RFC 4616 §2).
      await countFailure(session, credentials.authcid, 'authzid-mismatch');
      return;
    }
    await login(session, credentials.authcid, credentials.password, 'PLAIN');
  },
};

/** RFC 4616 §2: base64 of authzid NUL authcid NUL passwd; "=" is an empty response (RFC 5034 §4). */
export function decodePlain(response: string): { authzid: string; authcid: string; password: string } | null {
  const text = response === '=' ? '' : response;
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  const parts = Buffer.from(text, 'base64').toString('utf8').split('\0');
  if (parts.length !== 3 || parts[1] === '') return null;
  return { authzid: parts[0], authcid: parts[1], password: parts[2] };
}

async function login(session: Pop3Session, user: string, password: string, mechanism: string): Promise<void> {
  const result: AuthResult = await session.ctx.deps.auth.authenticate(user, password, { ip: session.io.remote, protocol: 'pop3' });
  if (session.io.closed) return;
  if (result.ok) {
    await session.enterTransaction(result.account, mechanism);
    return;
  }
  if (result.reason === 'rate-limited') {
    session.ctx.metrics.login('rate-limited');
    session.ctx.deps.log.warn({ event: 'login-failed', protocol: 'pop3', remote: session.io.remote, user, mechanism, reason: 'rate-limited' });
    // RFC 3206 §4 SYS/TEMP: try again later. The connection is of no further use.
    session.io.write(errLine('SYS/TEMP', 'Too many failed logins, try again later'));
    session.io.end('auth-failures');
    return;
  }
  if (result.reason === 'busy') {
    session.ctx.metrics.login('busy');
    session.ctx.deps.log.warn({ event: 'login-failed', protocol: 'pop3', remote: session.io.remote, user, mechanism, reason: 'busy' });
    // RFC 3206 §4 SYS/TEMP: the server could not check the password now; the session stays usable.
    session.io.write(errLine('SYS/TEMP', 'Too many logins in progress, try again'));
    return;
  }
  if (result.reason === 'disabled') {
    session.ctx.metrics.login('failed');
    session.ctx.deps.log.warn({ event: 'login-failed', protocol: 'pop3', remote: session.io.remote, user, mechanism, reason: 'disabled' });
    throw new Pop3Error('SYS/PERM', 'Account disabled');
  }
  await countFailure(session, user, 'invalid');
}

/** A failed login: the same text for an unknown user and a wrong password (RFC 3206 §5 AUTH). */
async function countFailure(session: Pop3Session, user: string, reason: string): Promise<void> {
  session.ctx.metrics.login('failed');
  session.authFailures++;
  session.ctx.deps.log.warn({ event: 'login-failed', protocol: 'pop3', remote: session.io.remote, user, reason, attempt: session.authFailures });
  session.io.write(errLine('AUTH', 'Authentication failed'));
  if (session.authFailures >= MAX_AUTH_FAILURES) {
    session.io.write(errLine(null, 'Too many failed logins, closing connection'));
    session.io.end('auth-failures');
  }
}

export const AUTH_COMMANDS: readonly Pop3Command[] = [CAPA, STLS, USER, PASS, AUTH];
