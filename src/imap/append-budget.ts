// The memory all IMAP APPENDs of the process may hold at once. A message arrives as a literal
// and is kept whole until it is stored; with 50 sessions per account and 50 MiB per message,
// one account could otherwise make the server hold gigabytes. Each APPEND literal reserves its
// size before the client is told to send it ("+") or, for {N+}, before its bytes are read on
// (the connection stops reading meanwhile, so the socket's own buffers fill and TCP holds the
// sender back). Reservations are granted first come, first served; one that waits too long is
// refused, and the session answers NO [UNAVAILABLE].

interface Waiter {
  bytes: number;
  grant: () => void;
}

export class AppendBudget {
  readonly capacity: number;
  private used = 0;
  private readonly waiters: Waiter[] = [];

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get reserved(): number {
    return this.used;
  }

  /**
   * Reserves `bytes` (a message larger than the whole budget may still come when nothing else
   * is held). Resolves true once granted, false after waitMs without room or when `signal` aborts.
   */
  reserve(bytes: number, waitMs: number, signal?: AbortSignal): Promise<boolean> {
    const need = Math.min(bytes, this.capacity);
    if (this.waiters.length === 0 && this.used + need <= this.capacity) {
      this.used += need;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        bytes: need,
        grant: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', giveUp);
          resolve(true);
        },
      };
      const giveUp = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i < 0) return;
        this.waiters.splice(i, 1);
        clearTimeout(timer);
        signal?.removeEventListener('abort', giveUp);
        resolve(false);
        // The head of the queue may have been what held the others back.
        this.grantWaiting();
      };
      const timer = setTimeout(giveUp, waitMs);
      signal?.addEventListener('abort', giveUp, { once: true });
      this.waiters.push(waiter);
    });
  }

  release(bytes: number): void {
    this.used -= Math.min(bytes, this.capacity);
    if (this.used < 0) this.used = 0;
    this.grantWaiting();
  }

  private grantWaiting(): void {
    while (this.waiters.length > 0 && this.used + this.waiters[0].bytes <= this.capacity) {
      const w = this.waiters.shift()!;
      this.used += w.bytes;
      w.grant();
    }
  }
}
