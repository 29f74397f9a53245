// RFC 1939 §4: the server acquires an exclusive-access lock on the maildrop when a session
// enters the TRANSACTION state, so that no two sessions work on (and delete from) the same
// maildrop. One MaildropLocks is shared by every POP3 listener of the process (pop3 and pop3s,
// see services.ts), so a session on 995 and one on 110 exclude each other too. The lock is
// released when the session ends, however it ends (QUIT, drop, timeout, shutdown).
//
// Scope: one process. Several Posthorn nodes on one PostgreSQL would need the lock in the store;
// the embedded SQLite store is single-process by construction.

import type { AccountId } from '../store/types.ts';

export class MaildropLocks {
  private readonly holders = new Map<AccountId, number>();

  /** Takes the lock for `owner` (a session id); false when another session holds it. */
  tryAcquire(accountId: AccountId, owner: number): boolean {
    const holder = this.holders.get(accountId);
    if (holder !== undefined && holder !== owner) return false;
    this.holders.set(accountId, owner);
    return true;
  }

  /** Releases the lock if `owner` holds it (a no-op otherwise, so it is safe to call twice). */
  release(accountId: AccountId, owner: number): void {
    if (this.holders.get(accountId) === owner) this.holders.delete(accountId);
  }

  isLocked(accountId: AccountId): boolean {
    return this.holders.has(accountId);
  }
}
