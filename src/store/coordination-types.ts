// Coordination: the small amount of state that every node (and every worker process) of one
// installation must agree on besides the mail itself — who holds an exclusive lease, how many hits
// a key had in a time window, how many of a limited number of slots are taken. Callers give the
// keys their meaning; this contract knows none of it. Backends: coordination-memory.ts for the
// embedded single-process store; a networked backend (PostgreSQL) implements the same interface
// and runs the same contract suite (test/coordination-contract.ts).
//
// Implementation notes — rules every backend must keep:
// - Every operation is atomic: two callers racing for the last free lease or slot, on one node or
//   on two, cannot both win; a hit's returned count includes every hit recorded before it and no
//   later one, so concurrent hits on one key get distinct counts.
// - Time is the backend's: callers pass durations (ttlMs, windowMs), never timestamps, so nodes
//   whose clocks disagree still agree on expiry. A backend takes an injectable clock for tests.
// - A lease or slot whose holder stopped renewing is gone once its ttl has passed since the last
//   acquire or renew, so a node that dies loses its claims within one ttl. At exactly
//   acquired + ttl the claim has expired.
// - An expired claim is lost for good: renewing it answers false even if nobody took it
//   meanwhile (someone may have taken and given it back), and the holder must claim again.
// - Releasing what one does not hold (never held, expired, taken over by another owner) is a
//   no-op, so a release can always be sent, and sent twice.
// - Owners are opaque strings that must be unique across nodes (a node id plus a local id).

/** A caller-defined name, e.g. one per account and purpose. */
export type CoordinationKey = string;

/** Who holds a lease or slot; unique across every node of the installation. */
export type ClaimOwner = string;

/** One recorded hit: its id (to withdraw it later) and the key's count including it. */
export interface WindowHit {
  id: string;
  count: number;
}

export interface Coordination {
  // ---- exclusive leases: at most one owner per key at any time

  /**
   * Takes the lease on `key` for `ttlMs`. True when the caller now holds it: it was free,
   * expired, or already held by this owner (then this renews it). False when another owner holds it.
   */
  acquireLease(key: CoordinationKey, owner: ClaimOwner, ttlMs: number): Promise<boolean>;
  /** Extends a lease this owner still holds to now + ttlMs. False when it is not held (any more). */
  renewLease(key: CoordinationKey, owner: ClaimOwner, ttlMs: number): Promise<boolean>;
  /** Gives the lease back if this owner holds it; a no-op otherwise. */
  releaseLease(key: CoordinationKey, owner: ClaimOwner): Promise<void>;
  /** The current holder, or null when the lease is free or expired. */
  leaseOwner(key: CoordinationKey): Promise<ClaimOwner | null>;

  // ---- counters in a sliding time window
  // A key is always counted with the same windowMs; a hit counts until windowMs after it was
  // recorded. Counting at the start of an operation and withdrawing the hit when the operation
  // turns out not to count ("count at start, settle at end") keeps parallel operations from all
  // passing a limit at once.

  /** Records one hit on `key` now; returns its id and the key's count in the window including it. */
  recordHit(key: CoordinationKey, windowMs: number): Promise<WindowHit>;
  /** The number of hits on `key` in the window ending now. */
  countHits(key: CoordinationKey, windowMs: number): Promise<number>;
  /** Removes one earlier hit; a no-op when it is unknown, already withdrawn or aged out. */
  withdrawHit(key: CoordinationKey, hitId: string): Promise<void>;
  /** Forgets every hit on `key`. */
  clearHits(key: CoordinationKey): Promise<void>;
  /**
   * Every key that starts with `prefix` and has hits in its window, with its count (what an
   * operator lists: `posthorn auth blocked`). Each hit counts in the window it was recorded with.
   */
  countsByPrefix(prefix: string): Promise<{ key: CoordinationKey; count: number }[]>;

  // ---- slots: at most `limit` owners per key at any time, each freed on release or expiry

  /**
   * Takes one slot of `key` for `ttlMs` if fewer than `limit` are taken. An owner holds at most
   * one slot per key: claiming again renews it and answers true. False when the key is full.
   */
  claimSlot(key: CoordinationKey, owner: ClaimOwner, limit: number, ttlMs: number): Promise<boolean>;
  /** Extends this owner's slot to now + ttlMs. False when it holds none (any more). */
  renewSlot(key: CoordinationKey, owner: ClaimOwner, ttlMs: number): Promise<boolean>;
  /** Frees this owner's slot; a no-op when it holds none. */
  releaseSlot(key: CoordinationKey, owner: ClaimOwner): Promise<void>;
  /** How many unexpired slots of `key` are taken. */
  slotsTaken(key: CoordinationKey): Promise<number>;
}

/** The window-counter half of Coordination, which a backend may keep apart from leases and slots. */
export type WindowCounters = Pick<Coordination, 'recordHit' | 'countHits' | 'withdrawHit' | 'clearHits' | 'countsByPrefix'>;

/** What every backend refuses: a ttl or window must be a positive number of ms (RangeError). */
export function checkDuration(ms: number): void {
  if (!Number.isFinite(ms) || ms <= 0) throw new RangeError(`a ttl or window must be a positive number of ms, not ${ms}`);
}
