// Coordination for the embedded store (coordination-types.ts), kept in this process's memory.
//
// Why memory for leases and slots: the embedded store serves mail from one process (its
// ChangeBus is in-process too, so a second serving process on the same file would already miss
// IDLE notifications), and the CLI, the only other process on the file, takes no leases or
// slots. In memory, a dying process takes its claims with it, which is exactly what expiry is
// for; in the mail database every heartbeat would be a write with an fsync. The embedded server
// keeps its window counters in a file instead (sqlite/window-counters.ts, joined in
// coordination-split.ts) so the CLI can read them; this class counts too, for tests and for a
// process that needs nothing shared. Several serving processes or nodes need a shared backend
// for the bus anyway, and get this contract from it (PostgreSQL).
//
// Every method body is synchronous, so each operation is atomic in the event loop; they are async
// only to keep the contract's shape.
//
// Memory is bounded: at most maxCounterKeys keys with hits (the key hit least recently is
// forgotten first) and at most MAX_HITS_PER_KEY hits per key (the oldest go first; a limiter's
// limits are far below). Expired leases and slots are dropped when their key is next touched and
// by a sweep each time the number of keys doubles.

import { checkDuration, type ClaimOwner, type Coordination, type CoordinationKey, type WindowHit } from './coordination-types.ts';

export interface InProcessCoordinationOptions {
  /** The clock that measures ttls and windows (tests move it by hand). */
  now?: () => number;
  /** Keys with hits remembered at most (default 100,000). */
  maxCounterKeys?: number;
}

const MAX_HITS_PER_KEY = 10_000;
const FIRST_SWEEP_AT = 1024;

interface Hit {
  id: string;
  at: number;
  /** The window it was recorded with: it counts until at + windowMs. */
  windowMs: number;
}

export class InProcessCoordination implements Coordination {
  private readonly now: () => number;
  private readonly maxCounterKeys: number;
  private readonly leases = new Map<CoordinationKey, { owner: ClaimOwner; expiresAt: number }>();
  /** Hits per key, oldest first; the Map is ordered by each key's latest hit. */
  private readonly hits = new Map<CoordinationKey, Hit[]>();
  /** Slot holders per key: owner → expiry. */
  private readonly slots = new Map<CoordinationKey, Map<ClaimOwner, number>>();
  private nextHitId = 0;
  private sweepAt = FIRST_SWEEP_AT;

  constructor(opts: InProcessCoordinationOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.maxCounterKeys = opts.maxCounterKeys ?? 100_000;
  }

  // ---- leases

  async acquireLease(key: CoordinationKey, owner: ClaimOwner, ttlMs: number): Promise<boolean> {
    checkDuration(ttlMs);
    const now = this.now();
    const lease = this.leases.get(key);
    if (lease && lease.expiresAt > now && lease.owner !== owner) return false;
    this.leases.set(key, { owner, expiresAt: now + ttlMs });
    this.maybeSweep();
    return true;
  }

  async renewLease(key: CoordinationKey, owner: ClaimOwner, ttlMs: number): Promise<boolean> {
    checkDuration(ttlMs);
    const now = this.now();
    const lease = this.leases.get(key);
    if (!lease || lease.owner !== owner) return false;
    if (lease.expiresAt <= now) {
      this.leases.delete(key);
      return false;
    }
    lease.expiresAt = now + ttlMs;
    return true;
  }

  async releaseLease(key: CoordinationKey, owner: ClaimOwner): Promise<void> {
    if (this.leases.get(key)?.owner === owner) this.leases.delete(key);
  }

  async leaseOwner(key: CoordinationKey): Promise<ClaimOwner | null> {
    const lease = this.leases.get(key);
    if (!lease) return null;
    if (lease.expiresAt <= this.now()) {
      this.leases.delete(key);
      return null;
    }
    return lease.owner;
  }

  // ---- window counters

  async recordHit(key: CoordinationKey, windowMs: number): Promise<WindowHit> {
    checkDuration(windowMs);
    const list = this.liveHits(key, windowMs) ?? [];
    const hit = { id: String(++this.nextHitId), at: this.now(), windowMs };
    list.push(hit);
    if (list.length > MAX_HITS_PER_KEY) list.shift();
    // Re-insert so that the Map stays ordered by latest hit, then forget the stalest key.
    this.hits.delete(key);
    this.hits.set(key, list);
    if (this.hits.size > this.maxCounterKeys) {
      const stalest = this.hits.keys().next().value;
      if (stalest !== undefined) this.hits.delete(stalest);
    }
    return { id: hit.id, count: list.length };
  }

  async countHits(key: CoordinationKey, windowMs: number): Promise<number> {
    checkDuration(windowMs);
    return this.liveHits(key, windowMs)?.length ?? 0;
  }

  async withdrawHit(key: CoordinationKey, hitId: string): Promise<void> {
    const list = this.hits.get(key);
    if (!list) return;
    const i = list.findIndex((h) => h.id === hitId);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.hits.delete(key);
  }

  async clearHits(key: CoordinationKey): Promise<void> {
    this.hits.delete(key);
  }

  async countsByPrefix(prefix: string): Promise<{ key: CoordinationKey; count: number }[]> {
    const now = this.now();
    const out: { key: CoordinationKey; count: number }[] = [];
    for (const [key, list] of this.hits) {
      if (!key.startsWith(prefix)) continue;
      const count = list.filter((h) => h.at + h.windowMs > now).length;
      if (count > 0) out.push({ key, count });
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** The key's hits with those older than the window dropped; undefined when none are left. */
  private liveHits(key: CoordinationKey, windowMs: number): Hit[] | undefined {
    const list = this.hits.get(key);
    if (!list) return undefined;
    const cutoff = this.now() - windowMs;
    let aged = 0;
    while (aged < list.length && list[aged].at <= cutoff) aged++;
    if (aged > 0) list.splice(0, aged);
    if (list.length === 0) {
      this.hits.delete(key);
      return undefined;
    }
    return list;
  }

  // ---- slots

  async claimSlot(key: CoordinationKey, owner: ClaimOwner, limit: number, ttlMs: number): Promise<boolean> {
    checkDuration(ttlMs);
    const now = this.now();
    const holders = this.liveSlots(key, now) ?? new Map<ClaimOwner, number>();
    if (!holders.has(owner) && holders.size >= limit) return false;
    holders.set(owner, now + ttlMs);
    this.slots.set(key, holders);
    this.maybeSweep();
    return true;
  }

  async renewSlot(key: CoordinationKey, owner: ClaimOwner, ttlMs: number): Promise<boolean> {
    checkDuration(ttlMs);
    const now = this.now();
    const holders = this.liveSlots(key, now);
    if (!holders?.has(owner)) return false;
    holders.set(owner, now + ttlMs);
    return true;
  }

  async releaseSlot(key: CoordinationKey, owner: ClaimOwner): Promise<void> {
    const holders = this.slots.get(key);
    if (!holders) return;
    holders.delete(owner);
    if (holders.size === 0) this.slots.delete(key);
  }

  async slotsTaken(key: CoordinationKey): Promise<number> {
    return this.liveSlots(key, this.now())?.size ?? 0;
  }

  /** The key's unexpired slot holders; undefined when none are left. */
  private liveSlots(key: CoordinationKey, now: number): Map<ClaimOwner, number> | undefined {
    const holders = this.slots.get(key);
    if (!holders) return undefined;
    for (const [owner, expiresAt] of holders) if (expiresAt <= now) holders.delete(owner);
    if (holders.size === 0) {
      this.slots.delete(key);
      return undefined;
    }
    return holders;
  }

  /** Drops expired leases and slots of keys nobody touches any more, once the key count has doubled. */
  private maybeSweep(): void {
    if (this.leases.size + this.slots.size < this.sweepAt) return;
    const now = this.now();
    for (const [key, lease] of this.leases) if (lease.expiresAt <= now) this.leases.delete(key);
    for (const key of [...this.slots.keys()]) this.liveSlots(key, now);
    this.sweepAt = Math.max(FIRST_SWEEP_AT, 2 * (this.leases.size + this.slots.size));
  }
}
