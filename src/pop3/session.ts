// The POP3 session state machine (RFC 1939 §3): AUTHORIZATION → TRANSACTION → UPDATE.
// State is a tagged union, so a maildrop exists exactly when the session is logged in; a
// dispatch table says in which states each command is legal (commands-auth.ts, commands-mail.ts).
//
// Implementation notes — rules every change must keep:
// - Errors are caught here, once: Pop3Error → "-ERR [code] text"; anything else is logged and
//   the client gets "-ERR [SYS/TEMP]" without details; a failure after "+OK" of a multi-line
//   response closes the connection (BrokenResponse).
// - The maildrop lock is taken right after authentication succeeds, before the maildrop is read;
//   the Coordination backend makes sure two logins cannot both get it. It is released in
//   finish(), whatever ends the session, and confirmed still held before UPDATE deletes.
// - finish() never deletes: only QUIT in TRANSACTION (UPDATE state) does (RFC 1939 §6).

import type { Account } from '../store/types.ts';
import type { HeldClaim } from '../store/coordination-claims.ts';
import { accountStanding, standingMessage } from '../auth/account-standing.ts';
import type { LineEvent } from '../wire/pop3/line-reader.ts';
import { parseCommandLine, isHttpRequestLine } from '../wire/pop3/command.ts';
import { errLine, okLine } from '../wire/pop3/response.ts';
import type { Pop3Context } from './context.ts';
import type { EndReason, Pop3Io } from './connection.ts';
import { Pop3Error, BrokenResponse, badCommand } from './errors.ts';
import { Maildrop } from './maildrop.ts';
import { AUTH_COMMANDS } from './commands-auth.ts';
import { MAIL_COMMANDS } from './commands-mail.ts';

export type SessionState =
  | { kind: 'authorization'; user: string | null }
  | { kind: 'transaction'; account: Account; maildrop: Maildrop };

export type StateKind = SessionState['kind'];

export interface CommandInput {
  args: string[];
  /** The argument text verbatim (PASS). */
  rest: string;
}

/** One command: where it is legal and what it does (DESIGN.md §4: `{ name, states, run }`). */
export interface Pop3Command {
  name: string;
  states: readonly StateKind[];
  run(session: Pop3Session, input: CommandInput): Promise<void>;
}

/** Unknown, malformed or out-of-state commands allowed before the connection is dropped. */
export const MAX_BAD_COMMANDS = 10;

const COMMANDS = new Map<string, Pop3Command>([...AUTH_COMMANDS, ...MAIL_COMMANDS].map((c) => [c.name, c]));

export class Pop3Session {
  readonly ctx: Pop3Context;
  readonly io: Pop3Io;
  readonly id: number;
  state: SessionState = { kind: 'authorization', user: null };
  private badCommands = 0;
  authFailures = 0;
  private lockedAccount: Account | null = null;
  private lock: HeldClaim | null = null;
  private readonly startedAt: number;
  private deletedAtQuit = 0;
  private finished = false;

  constructor(ctx: Pop3Context, io: Pop3Io) {
    this.ctx = ctx;
    this.io = io;
    this.id = ctx.nextSessionId();
    this.startedAt = Date.now();
  }

  /** Plaintext passwords (USER/PASS, AUTH PLAIN): only over TLS, or on loopback when configured. */
  plaintextAllowed(): boolean {
    return this.io.secure || (this.io.loopback && this.ctx.deps.config.auth.allowPlaintextOnLoopback);
  }

  async handle(ev: LineEvent): Promise<void> {
    try {
      if (ev.kind === 'too-long') throw badCommand('Line too long');
      if (isHttpRequestLine(ev.line)) {
        this.ctx.deps.log.warn({ event: 'pop3-http-request', protocol: 'pop3', remote: this.io.remote });
        this.io.write(errLine(null, 'This is a POP3 server'));
        this.io.end('too-many-errors');
        return;
      }
      const parsed = parseCommandLine(ev.line);
      if (parsed.kind === 'invalid') throw badCommand(`Invalid command: ${parsed.reason}`);
      const command = COMMANDS.get(parsed.keyword);
      if (!command) throw badCommand('Unknown command');
      if (!command.states.includes(this.state.kind)) {
        throw badCommand(this.state.kind === 'authorization' ? 'Not logged in' : `${command.name} is not allowed after login`);
      }
      if (this.state.kind === 'transaction' && !(await this.accountInGoodStanding(this.state.account))) return;
      await command.run(this, { args: parsed.args, rest: parsed.rest });
    } catch (err) {
      this.fail(err);
    }
  }

  /**
   * False, after "-ERR [AUTH]" and ending the connection, when the account was removed or
   * disabled or its password changed since login. The session ends without the UPDATE state
   * (RFC 1939 §6): no message marked for deletion is deleted.
   */
  private async accountInGoodStanding(account: Account): Promise<boolean> {
    let standing;
    try {
      standing = await accountStanding(this.ctx.deps.store, account);
    } catch {
      return true; // a store that cannot answer now is not a reason to end a session
    }
    if (standing === 'valid') return true;
    this.ctx.deps.log.info({ event: 'session-ended', protocol: 'pop3', remote: this.io.remote, account: account.address, reason: standing });
    // RFC 3206 §4: [AUTH], the credentials the session stands on are no longer good.
    this.io.write(errLine('AUTH', standingMessage(standing)));
    this.io.end('account-changed');
    return false;
  }

  private fail(err: unknown): void {
    if (err instanceof Pop3Error) {
      this.io.write(errLine(err.code, err.message));
      if (err.bad && ++this.badCommands >= MAX_BAD_COMMANDS) {
        this.io.write(errLine(null, 'Too many bad commands, closing connection'));
        this.io.end('too-many-errors');
      }
      return;
    }
    this.ctx.deps.log.error({
      event: 'pop3-command-error',
      protocol: 'pop3',
      remote: this.io.remote,
      account: this.lockedAccount?.address,
      err: (err as Error).message,
    });
    if (err instanceof BrokenResponse) {
      this.io.end('error');
      return;
    }
    this.io.write(errLine('SYS/TEMP', 'Temporary server error, try again later'));
  }

  /**
   * Authentication succeeded: lock the maildrop (RFC 1939 §4), apply retention, take the
   * snapshot and enter TRANSACTION.
   */
  async enterTransaction(account: Account, mechanism: string): Promise<void> {
    const { locks, deps } = this.ctx;
    const log = { protocol: 'pop3', remote: this.io.remote, account: account.address };
    const lock = await locks.acquire(account.id, this.id, {
      onLost: () => deps.log.warn({ event: 'pop3-lock-lost', ...log }),
      onError: (err) => deps.log.warn({ event: 'pop3-lock-renew-failed', ...log, err: (err as Error)?.message }),
    });
    if (!lock) {
      this.ctx.metrics.login('in-use');
      deps.log.warn({ event: 'login-failed', ...log, reason: 'maildrop-in-use' });
      throw new Pop3Error('IN-USE', 'Maildrop already locked by another session');
    }
    this.lock = lock;
    this.lockedAccount = account;
    let opened: Awaited<ReturnType<typeof Maildrop.open>>;
    try {
      opened = await Maildrop.open(this.ctx, account);
    } catch (err) {
      await this.releaseLock();
      throw err;
    }
    if (this.io.closed) return; // dropped meanwhile; finish() releases the lock
    this.state = { kind: 'transaction', account, maildrop: opened.maildrop };
    this.io.authenticated();
    this.ctx.metrics.login('ok');
    deps.log.info({
      event: 'login',
      protocol: 'pop3',
      listener: this.io.listener,
      remote: this.io.remote,
      account: account.address,
      mechanism,
      tls: this.io.secure,
      messages: opened.maildrop.entries.length,
      expired: opened.expired,
    });
    this.io.write(okLine(`Logged in, ${opened.maildrop.entries.length} messages`));
  }

  /** QUIT in TRANSACTION: the UPDATE state (RFC 1939 §6). */
  async update(maildrop: Maildrop): Promise<number> {
    // Deleting needs the exclusive lock (RFC 1939 §4): if it expired meanwhile, another session
    // may be working on the maildrop, so nothing is deleted.
    if (maildrop.deletedUids().length > 0 && !(await this.lock?.confirm())) throw new Error('maildrop lock lost before UPDATE');
    const removed = await maildrop.commit();
    this.deletedAtQuit = removed;
    if (removed > 0) this.ctx.metrics.deleted(removed);
    return removed;
  }

  /** Never throws: a release the backend did not get is undone by expiry. */
  private async releaseLock(): Promise<void> {
    const lock = this.lock;
    const account = this.lockedAccount;
    this.lock = null;
    this.lockedAccount = null;
    try {
      await lock?.release();
    } catch (err) {
      this.ctx.deps.log.warn({ event: 'pop3-lock-release-failed', protocol: 'pop3', remote: this.io.remote, account: account?.address, err: (err as Error)?.message });
    }
  }

  /** The connection is over (QUIT, drop, timeout, shutdown). Never deletes anything. */
  async finish(reason: EndReason): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    const account = this.lockedAccount;
    const maildrop = this.state.kind === 'transaction' ? this.state.maildrop : null;
    try {
      // RETR marks already counted for the client are written even when it dropped.
      if (maildrop) await maildrop.settle();
    } finally {
      await this.releaseLock();
      this.ctx.deps.log.info({
        event: 'session-end',
        protocol: 'pop3',
        listener: this.io.listener,
        remote: this.io.remote,
        account: account?.address,
        reason,
        retrieved: maildrop?.retrievedCount ?? 0,
        deleted: this.deletedAtQuit,
        durationMs: Date.now() - this.startedAt,
      });
    }
  }
}
