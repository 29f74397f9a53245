// One Coordination made of two backends: leases and slots from one (in memory for the embedded
// store: they must die with the process that holds them), window counters from another (a file,
// so they outlive a restart and the command line can read and clear them).

import type { ClaimOwner, Coordination, CoordinationKey, WindowCounters, WindowHit } from './coordination-types.ts';

export class SplitCoordination implements Coordination {
  private readonly claims: Coordination;
  private readonly counters: WindowCounters;

  constructor(claims: Coordination, counters: WindowCounters) {
    this.claims = claims;
    this.counters = counters;
  }

  acquireLease(key: CoordinationKey, owner: ClaimOwner, ttlMs: number): Promise<boolean> {
    return this.claims.acquireLease(key, owner, ttlMs);
  }
  renewLease(key: CoordinationKey, owner: ClaimOwner, ttlMs: number): Promise<boolean> {
    return this.claims.renewLease(key, owner, ttlMs);
  }
  releaseLease(key: CoordinationKey, owner: ClaimOwner): Promise<void> {
    return this.claims.releaseLease(key, owner);
  }
  leaseOwner(key: CoordinationKey): Promise<ClaimOwner | null> {
    return this.claims.leaseOwner(key);
  }
  claimSlot(key: CoordinationKey, owner: ClaimOwner, limit: number, ttlMs: number): Promise<boolean> {
    return this.claims.claimSlot(key, owner, limit, ttlMs);
  }
  renewSlot(key: CoordinationKey, owner: ClaimOwner, ttlMs: number): Promise<boolean> {
    return this.claims.renewSlot(key, owner, ttlMs);
  }
  releaseSlot(key: CoordinationKey, owner: ClaimOwner): Promise<void> {
    return this.claims.releaseSlot(key, owner);
  }
  slotsTaken(key: CoordinationKey): Promise<number> {
    return this.claims.slotsTaken(key);
  }

  recordHit(key: CoordinationKey, windowMs: number): Promise<WindowHit> {
    return this.counters.recordHit(key, windowMs);
  }
  countHits(key: CoordinationKey, windowMs: number): Promise<number> {
    return this.counters.countHits(key, windowMs);
  }
  withdrawHit(key: CoordinationKey, hitId: string): Promise<void> {
    return this.counters.withdrawHit(key, hitId);
  }
  clearHits(key: CoordinationKey): Promise<void> {
    return this.counters.clearHits(key);
  }
  countsByPrefix(prefix: string): Promise<{ key: CoordinationKey; count: number }[]> {
    return this.counters.countsByPrefix(prefix);
  }
}
