// Holding a lease or slot of the Coordination contract for as long as a connection lasts: claim
// it, renew it on a heartbeat (every third of its ttl, so one late beat does not lose it), and
// give it back when done. If the holder's process dies, the heartbeat stops with it and the
// backend lets the claim expire one ttl later.
//
// A heartbeat that finds the claim gone (the event loop stalled past the ttl and the backend
// expired it) marks it lost and stops; the holder learns it from `lost` or confirm() before doing
// anything that needs the claim. A heartbeat that fails (backend unreachable) is reported and
// retried on the next beat: the backend, not this process, decides whether the claim expired.

import type { ClaimOwner, Coordination, CoordinationKey } from './coordination-types.ts';

export interface HeldClaim {
  readonly key: CoordinationKey;
  readonly owner: ClaimOwner;
  /** True once a heartbeat or confirm() found the claim expired. */
  readonly lost: boolean;
  /** Renews the claim now: true while it is still held. Call it before an action that needs it. */
  confirm(): Promise<boolean>;
  /** Stops the heartbeat and gives the claim back. Safe to call twice, also after it was lost. */
  release(): Promise<void>;
}

export interface HoldOptions {
  ttlMs: number;
  /** Called once when the claim is found expired. */
  onLost?: () => void;
  /** Called when a heartbeat could not reach the backend. */
  onError?: (err: unknown) => void;
}

/** Takes the lease on `key` and keeps it alive; null when another owner holds it. */
export async function holdLease(coordination: Coordination, key: CoordinationKey, owner: ClaimOwner, opts: HoldOptions): Promise<HeldClaim | null> {
  if (!(await coordination.acquireLease(key, owner, opts.ttlMs))) return null;
  return new Heartbeat(key, owner, opts, {
    renew: () => coordination.renewLease(key, owner, opts.ttlMs),
    release: () => coordination.releaseLease(key, owner),
  });
}

/** Takes one of `limit` slots of `key` and keeps it alive; null when all are taken. */
export async function holdSlot(coordination: Coordination, key: CoordinationKey, owner: ClaimOwner, limit: number, opts: HoldOptions): Promise<HeldClaim | null> {
  if (!(await coordination.claimSlot(key, owner, limit, opts.ttlMs))) return null;
  return new Heartbeat(key, owner, opts, {
    renew: () => coordination.renewSlot(key, owner, opts.ttlMs),
    release: () => coordination.releaseSlot(key, owner),
  });
}

class Heartbeat implements HeldClaim {
  readonly key: CoordinationKey;
  readonly owner: ClaimOwner;
  private lostFlag = false;
  private released = false;
  private beating = false;
  private readonly timer: NodeJS.Timeout;
  private readonly opts: HoldOptions;
  private readonly ops: { renew(): Promise<boolean>; release(): Promise<void> };

  constructor(key: CoordinationKey, owner: ClaimOwner, opts: HoldOptions, ops: { renew(): Promise<boolean>; release(): Promise<void> }) {
    this.key = key;
    this.owner = owner;
    this.opts = opts;
    this.ops = ops;
    this.timer = setInterval(() => this.beat(), Math.max(1, Math.floor(opts.ttlMs / 3)));
    // The heartbeat alone never keeps the process running.
    this.timer.unref();
  }

  get lost(): boolean {
    return this.lostFlag;
  }

  async confirm(): Promise<boolean> {
    if (this.lostFlag || this.released) return false;
    const held = await this.ops.renew();
    if (!held) this.markLost();
    return held && !this.released;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    await this.ops.release();
  }

  private beat(): void {
    if (this.beating) return; // the previous renewal is still on its way
    this.beating = true;
    this.ops
      .renew()
      .then((held) => {
        if (!held && !this.released) this.markLost();
      })
      .catch((err: unknown) => this.opts.onError?.(err))
      .finally(() => {
        this.beating = false;
      });
  }

  private markLost(): void {
    clearInterval(this.timer);
    if (this.lostFlag) return;
    this.lostFlag = true;
    this.opts.onLost?.();
  }
}
