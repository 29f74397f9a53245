// A bound on the password hashes running at once. Each check is an argon2id over 19 MiB on
// the thread pool; a flood of wrong passwords from many connections would otherwise queue
// without limit, and an honest user's first login would wait behind all of them.
//
// - At most `running` hashes at a time (the thread pool has four threads by default, which
//   also serve file I/O), then at most `queued` waiting, first come first served.
// - At most `perClient` running or waiting per suspect address: one attacking address cannot
//   take the queue, so a login from another address finds room. A clean address is not held to
//   it: a mail client opens several connections at once and logs in on each.
// - Two queues: attempts from an address with no recent failure ('clean') are served before
//   those from an address that has failed lately ('suspect'), each queue bounded on its own. A
//   flood from many addresses fails fast and becomes suspect, so an honest login from an address
//   that is not attacking waits only for the hashes already running.
// - Past any bound the attempt is refused at once ('busy'), never queued: the protocols answer
//   with a temporary failure and the client tries again later.

export interface HashGateLimits {
  running: number;
  queued: number;
  perClient: number;
}

export type HashPriority = 'clean' | 'suspect';

export const DEFAULT_HASH_GATE: HashGateLimits = { running: 2, queued: 16, perClient: 2 };

export class HashGate {
  private readonly limits: HashGateLimits;
  private active = 0;
  private readonly waiting: Record<HashPriority, (() => void)[]> = { clean: [], suspect: [] };
  private readonly perClient = new Map<string, number>();

  constructor(limits: HashGateLimits = DEFAULT_HASH_GATE) {
    this.limits = limits;
  }

  /** Runs fn when a place is free, or answers 'busy' at once when none can be had. */
  async run<T>(client: string, fn: () => Promise<T>, priority: HashPriority = 'clean'): Promise<{ busy: true } | { busy: false; value: T }> {
    const mine = this.perClient.get(client) ?? 0;
    if (priority === 'suspect' && mine >= this.limits.perClient) return { busy: true };
    const queue = this.waiting[priority];
    if (this.active >= this.limits.running && queue.length >= this.limits.queued) return { busy: true };
    this.perClient.set(client, mine + 1);
    try {
      if (this.active >= this.limits.running) await new Promise<void>((resolve) => queue.push(resolve));
      else this.active++;
      try {
        return { busy: false, value: await fn() };
      } finally {
        // Hand the place straight to the next waiter (clean ones first), or give it back.
        const next = this.waiting.clean.shift() ?? this.waiting.suspect.shift();
        if (next) next();
        else this.active--;
      }
    } finally {
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left <= 0) this.perClient.delete(client);
      else this.perClient.set(client, left);
    }
  }

  /** Hashes running and waiting now (for metrics and tests). */
  get load(): { running: number; waiting: number } {
    return { running: this.active, waiting: this.waiting.clean.length + this.waiting.suspect.length };
  }
}
