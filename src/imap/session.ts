// One IMAP session: its state (state.ts), what the client enabled, and the command boundary —
// the only place where ImapNo/ImapBad (and any unexpected error) become tagged responses.
//
// Implementation notes — rules every change must keep:
// - Commands run one at a time (connection.ts pulls the next only when this one is done).
// - Everything that touches the selected view runs through exclusive(): commands, and the
//   bus-driven sync during IDLE, so two syncs never interleave their untagged responses.
// - After every command in the selected state the view is synced before the tagged response;
//   expunges are held back after FETCH, STORE and SEARCH (RFC 9051 §7.5.1; their UID forms may
//   announce them).
// - Internal details (store errors, stack traces) go to the log, never to the client.

import type { HeldClaim } from '../store/coordination-claims.ts';
import type { Account, ChangeEvent } from '../store/types.ts';
import { StoreError } from '../store/types.ts';
import { accountStanding, standingMessage } from '../auth/account-standing.ts';
import { SYSTEM_FLAGS } from '../mail/flags.ts';
import { taggedResponse, untagged, untaggedStatus, type Command, type Token, type EncodeOptions, type GrammarOptions } from '../wire/imap/index.ts';
import { capabilities } from './capabilities.ts';
import { refuseAppendLiteral } from './commands-append.ts';
import { COMMANDS } from './commands.ts';
import type { EndReason, ImapIo } from './connection.ts';
import type { ImapContext } from './context.ts';
import { ImapBad, ImapNo, storeErrorToNo } from './errors.ts';
import type { SessionState } from './state.ts';
import { syncView } from './sync.ts';
import type { SelectedMailboxView } from './view.ts';

/** Consecutive BAD commands before the connection is closed (a client speaking another protocol). */
const MAX_BAD_COMMANDS = 20;

export interface Completion {
  code?: string | null;
  text?: string;
  /** The handler wrote the tagged response itself (STARTTLS writes it before the handshake). */
  responded?: boolean;
}

export class ImapSession {
  readonly ctx: ImapContext;
  readonly io: ImapIo;
  readonly id: number;
  state: SessionState = { kind: 'not-authenticated' };
  /** ENABLEd (RFC 5161) or implicitly enabled extensions. */
  readonly enabled = { condstore: false, qresync: false, utf8: false, rev2: false };
  /** SEARCHRES result (RFC 5182): UIDs of the last SEARCH ... RETURN (SAVE). */
  savedResult: number[] | null = null;
  /** Set while IDLE waits for DONE (commands-idle.ts): bus events for the view call it at once. */
  idleListener: (() => void) | null = null;
  private badCount = 0;
  private unsubscribe: (() => void) | null = null;
  /** This session's place in its account's session count (claimed at login, released at finish). */
  private accountSlot: HeldClaim | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  /** APPEND bytes this session holds in ctx.appendBudget, until its command is done. */
  private appendReserved = 0;

  constructor(ctx: ImapContext, io: ImapIo) {
    this.ctx = ctx;
    this.io = io;
    this.id = ctx.nextSessionId();
  }

  // ---- what the connection asks

  greeting(): Buffer {
    return untaggedStatus('OK', `${this.ctx.deps.config.hostname} Posthorn IMAP ready`, `CAPABILITY ${this.capabilities().join(' ')}`);
  }

  capabilities(): string[] {
    return capabilities({
      authenticated: this.state.kind === 'authenticated' || this.state.kind === 'selected',
      secure: this.io.secure,
      plaintextAllowed: this.plaintextAllowed(),
      maxMessageBytes: this.ctx.deps.config.limits.maxMessageBytes,
    });
  }

  /** Passwords may be sent: over TLS, or on loopback when configured (RFC 9051 §6.2.3). */
  plaintextAllowed(): boolean {
    return this.io.secure || (this.io.loopback && this.ctx.deps.config.auth.allowPlaintextOnLoopback);
  }

  grammar(): GrammarOptions {
    return { utf8Accept: this.enabled.utf8 };
  }

  encodeOptions(): EncodeOptions {
    return { utf8: this.enabled.utf8 };
  }

  /**
   * Decides on a literal before its payload is read (RFC 9051 §7.6, RFC 7888): null to take it
   * (for a synchronising one the connection then sends "+"), or the tagged refusal. A refused
   * synchronising literal is never sent; a refused non-synchronising one is skipped as it
   * arrives, never buffered. So a 50 MB APPEND over quota, too large or to a missing mailbox is
   * never held in memory, and no command but APPEND can make the server buffer more than a
   * line's worth.
   */
  async refuseLiteral(tag: string, name: string, size: number, args: readonly Token[]): Promise<{ response: Buffer; bad: boolean } | null> {
    if (this.state.kind === 'not-authenticated' && name !== 'LOGIN' && name !== 'AUTHENTICATE') {
      return { response: taggedResponse(tag, 'BAD', 'Log in first'), bad: true };
    }
    if (name === 'APPEND' && this.state.kind !== 'not-authenticated') {
      const no = await refuseAppendLiteral(this, size, args);
      if (no) {
        this.releaseAppendMemory();
        return { response: taggedResponse(tag, 'NO', no.message, no.code), bad: false };
      }
      const limits = this.ctx.deps.config.limits;
      if (!(await this.ctx.appendBudget.reserve(size, limits.appendWaitSeconds * 1000))) {
        this.releaseAppendMemory();
        this.ctx.deps.log.warn({ event: 'imap-append-memory-full', protocol: 'imap', remote: this.io.remote, account: this.accountAddress(), octets: size });
        return { response: taggedResponse(tag, 'NO', 'Server busy, try again later', 'UNAVAILABLE'), bad: false };
      }
      this.appendReserved += size;
      return null;
    }
    // Only message data may be large; any other string fits in a command line's worth.
    if (size > this.ctx.deps.config.limits.maxLineBytes) return { response: taggedResponse(tag, 'BAD', 'Literal too large', 'TOOBIG'), bad: true };
    return null;
  }

  /** Counts a BAD; true when the connection was closed because of too many. */
  badCommand(): boolean {
    this.badCount++;
    if (this.badCount < MAX_BAD_COMMANDS) return false;
    this.io.write(untaggedStatus('BYE', 'Too many invalid commands'));
    this.io.end('protocol-error');
    return true;
  }

  // ---- state helpers for commands

  account(): Account {
    const st = this.state;
    if (st.kind === 'authenticated' || st.kind === 'selected') return st.account;
    throw new ImapBad('Not logged in');
  }

  accountId(): number {
    return this.account().id;
  }

  view(): SelectedMailboxView {
    if (this.state.kind !== 'selected') throw new ImapBad('No mailbox selected');
    return this.state.view;
  }

  write(data: Buffer): void {
    this.io.write(data);
  }

  send(data: Buffer): Promise<void> {
    return this.io.send(data);
  }

  /** Runs fn after everything queued before it (commands and IDLE pushes never interleave). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Enters the authenticated state (RFC 9051 §6.2) and listens for this account's changes. */
  loggedIn(account: Account, accountSlot: HeldClaim): void {
    this.accountSlot = accountSlot;
    this.state = { kind: 'authenticated', account };
    this.io.authenticated(Math.max(this.ctx.deps.config.limits.maxMessageBytes, this.ctx.deps.config.limits.maxLiteralBytes));
    this.unsubscribe = this.ctx.deps.bus.subscribe(account.id, (event) => this.onChange(event));
  }

  private onChange(event: ChangeEvent): void {
    // Outside IDLE nothing is pushed: the next command syncs from the change log anyway.
    if (!this.idleListener || this.state.kind !== 'selected') return;
    if (!event.mailboxIds.includes(this.state.view.mailboxId)) return;
    this.idleListener();
  }

  /**
   * False, after "* BYE" and ending the connection, when the logged-in account was removed or
   * disabled or its password changed since login.
   */
  async accountInGoodStanding(): Promise<boolean> {
    const st = this.state;
    if (st.kind !== 'authenticated' && st.kind !== 'selected') return true;
    let standing;
    try {
      standing = await accountStanding(this.ctx.deps.store, st.account);
    } catch (err) {
      // A store that cannot answer now is not a reason to end a session.
      this.logError('imap-account-check-failed', err);
      return true;
    }
    if (standing === 'valid') return true;
    this.ctx.deps.log.info({ event: 'session-ended', protocol: 'imap', remote: this.io.remote, account: st.account.address, reason: standing });
    this.io.write(untaggedStatus('BYE', standingMessage(standing)));
    this.io.end('account-changed');
    return false;
  }

  // ---- the command boundary

  async execute(tag: string, cmd: Command): Promise<void> {
    const uid = 'uid' in cmd && cmd.uid === true;
    const label = uid ? `UID ${cmd.name}` : cmd.name;
    const descriptor = COMMANDS.get(cmd.name);
    if (!(await this.accountInGoodStanding())) return;
    let status = 'OK' as 'OK' | 'NO' | 'BAD';
    let response = null as Buffer | null;
    await this.exclusive(async () => {
      try {
        if (!descriptor) throw new ImapBad(`${cmd.name} is not supported`);
        if (!descriptor.states.includes(this.state.kind)) {
          throw new ImapBad(this.state.kind === 'not-authenticated' ? 'Log in first' : this.state.kind === 'authenticated' && descriptor.states.includes('selected') ? 'No mailbox selected' : `${label} not allowed now`);
        }
        const done = (await descriptor.run(this, tag, cmd)) ?? {};
        if (done.responded) return;
        await this.afterCommand(cmd.name, uid);
        response = taggedResponse(tag, 'OK', done.text ?? `${label} completed`, done.code ?? null);
      } catch (err) {
        const e = this.toResponseError(err, label);
        status = e instanceof ImapBad ? 'BAD' : 'NO';
        if (status === 'NO') {
          try {
            await this.afterCommand(cmd.name, uid);
          } catch (syncErr) {
            this.logError('imap-sync-error', syncErr);
          }
        }
        response = taggedResponse(tag, status, e.message, e.code);
      }
    });
    this.ctx.metrics.command(label, status);
    if (status === 'BAD') this.badCommand();
    else this.badCount = 0;
    if (response) this.io.write(response);
    if (this.state.kind === 'logout') this.io.end('logout');
  }

  /** Brings the view up to date before the tagged response (RFC 9051 §7: any command may). */
  private async afterCommand(name: Command['name'], uid: boolean): Promise<void> {
    if (this.state.kind !== 'selected' || this.io.closed) return;
    // SORT and THREAD answer with sequence numbers too: held back like SEARCH.
    const holdExpunges = !uid && (name === 'FETCH' || name === 'STORE' || name === 'SEARCH' || name === 'SORT' || name === 'THREAD');
    await syncView(this, this.state.view, !holdExpunges);
  }

  private toResponseError(err: unknown, label: string): ImapNo | ImapBad {
    if (err instanceof ImapNo || err instanceof ImapBad) return err;
    if (err instanceof StoreError) {
      this.ctx.deps.log.info({ event: 'imap-store-error', protocol: 'imap', remote: this.io.remote, account: this.accountAddress(), command: label, code: err.code, err: err.message });
      return storeErrorToNo(err);
    }
    this.logError('imap-command-error', err, label);
    return new ImapNo('SERVERBUG', 'Internal error');
  }

  accountAddress(): string | undefined {
    const st = this.state;
    return st.kind === 'authenticated' || st.kind === 'selected' ? st.account.address : undefined;
  }

  logError(event: string, err: unknown, command?: string): void {
    this.ctx.deps.log.error({ event, protocol: 'imap', remote: this.io.remote, account: this.accountAddress(), command, err: (err as Error)?.message, stack: (err as Error)?.stack });
  }

  /**
   * RFC 7162 §3.1: a CONDSTORE-enabling command (FETCH MODSEQ, SEARCH MODSEQ, STORE
   * UNCHANGEDSINCE …) issued while a mailbox is selected makes the server report the mailbox's
   * HIGHESTMODSEQ in an untagged OK, once, since the client could not have seen it at SELECT.
   */
  enableCondstore(): void {
    if (this.enabled.condstore) return;
    this.enabled.condstore = true;
    if (this.state.kind === 'selected') this.write(untaggedStatus('OK', 'Highest', `HIGHESTMODSEQ ${this.state.view.modseq}`));
  }

  /**
   * A message's FLAGS as this session shows them: the stored flags, plus \Recent when this
   * session took the message as recent (RFC 3501 §2.3.2). IMAP4rev2 has no \Recent (RFC 9051
   * Appendix E).
   */
  flagsOut(uid: number, flags: string[]): string[] {
    if (this.state.kind !== 'selected') return flags;
    const view = this.state.view;
    // RFC 9051 §7.3.5: a keyword appears in FLAGS before any FETCH carries it.
    if (view.learnKeywords(flags)) this.announceFlags(view);
    if (this.enabled.rev2 || !view.recent.has(uid)) return flags;
    return ['\\Recent', ...flags];
  }

  /** Untagged FLAGS and PERMANENTFLAGS for the view's mailbox (RFC 9051 §7.3.5, §7.1). */
  announceFlags(view: SelectedMailboxView): void {
    const flags = [...SYSTEM_FLAGS, ...view.keywords.values()].join(' ');
    this.write(untagged(`FLAGS (${flags})`));
    this.write(untaggedStatus('OK', view.readOnly ? 'Read-only mailbox' : 'Flags permitted', `PERMANENTFLAGS (${view.readOnly ? '' : flags + ' \\*'})`));
  }

  /** Gives back the APPEND memory of the command that just ended (done, refused or abandoned). */
  releaseAppendMemory(): void {
    if (this.appendReserved === 0) return;
    this.ctx.appendBudget.release(this.appendReserved);
    this.appendReserved = 0;
  }

  /**
   * Gives back this session's place in the account's session count (at LOGOUT or disconnect).
   * Never rejects: a release that does not reach the backend is undone by expiry.
   */
  async releaseAccountSession(): Promise<void> {
    const slot = this.accountSlot;
    this.accountSlot = null;
    try {
      await slot?.release();
    } catch (err) {
      this.logError('imap-session-slot-release-failed', err);
    }
  }

  finish(reason: EndReason): void {
    void this.releaseAccountSession();
    this.releaseAppendMemory();
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.idleListener = null;
    this.ctx.deps.log.info({ event: 'imap-disconnect', protocol: 'imap', remote: this.io.remote, account: this.accountAddress(), reason });
  }
}
