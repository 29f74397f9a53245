// RFC 1939 §4: the server acquires an exclusive-access lock on the maildrop when a session
// enters the TRANSACTION state, so that no two sessions work on (and delete from) the same
// maildrop. The lock is a lease of the Coordination backend, so it holds across every POP3
// listener of the process (pop3 and pop3s share one MaildropLocks, see services.ts) and across
// every node on a shared backend. It is released when the session ends, however it ends (QUIT,
// drop, timeout, shutdown); if the node dies instead, the lease expires MAILDROP_LOCK_TTL_MS after
// its last heartbeat (coordination-claims.ts), and the maildrop is free again.

import { randomUUID } from 'node:crypto';
import type { AccountId } from '../store/types.ts';
import type { Coordination } from '../store/coordination-types.ts';
import { holdLease, type HeldClaim } from '../store/coordination-claims.ts';

/** How long a lock outlives its last heartbeat: the wait for a maildrop of a node that died. */
export const MAILDROP_LOCK_TTL_MS = 10_000;

export interface MaildropLockEvents {
  /** The heartbeat found the lock expired (the process stalled longer than the ttl). */
  onLost?: () => void;
  onError?: (err: unknown) => void;
}

export class MaildropLocks {
  private readonly coordination: Coordination;
  /** Makes session ids, which count from 1 in every process, unique across nodes. */
  private readonly node = randomUUID();

  constructor(coordination: Coordination) {
    this.coordination = coordination;
  }

  /** Takes the lock for session `sessionId`; null when another session holds it. */
  acquire(accountId: AccountId, sessionId: number, events: MaildropLockEvents = {}): Promise<HeldClaim | null> {
    return holdLease(this.coordination, `maildrop/${accountId}`, `${this.node}/${sessionId}`, { ttlMs: MAILDROP_LOCK_TTL_MS, ...events });
  }
}
