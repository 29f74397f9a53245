// The open push connections (EventSource streams and WebSockets): bounded per account and for
// the whole server, since each holds a socket and a little memory for as long as the client
// likes; and closed together at shutdown, since the HTTP server's close() does not end them.

import type { AccountId } from '../../store/types.ts';

export interface PushConnectionLimits {
  perAccount: number;
  total: number;
}

export type OpenResult = { ok: true; release: () => void } | { ok: false; limit: 'account' | 'server' };

export class PushConnections {
  private readonly limits: PushConnectionLimits;
  private readonly perAccount = new Map<AccountId, number>();
  private readonly closers = new Set<() => void>();

  constructor(limits: PushConnectionLimits) {
    this.limits = limits;
  }

  /** Takes a slot for a connection; `close` ends it at shutdown. release() gives the slot back. */
  open(accountId: AccountId, close: () => void): OpenResult {
    if (this.closers.size >= this.limits.total) return { ok: false, limit: 'server' };
    const held = this.perAccount.get(accountId) ?? 0;
    if (held >= this.limits.perAccount) return { ok: false, limit: 'account' };
    this.perAccount.set(accountId, held + 1);
    const entry = (): void => close();
    this.closers.add(entry);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.closers.delete(entry);
        const left = (this.perAccount.get(accountId) ?? 1) - 1;
        if (left > 0) this.perAccount.set(accountId, left);
        else this.perAccount.delete(accountId);
      },
    };
  }

  get size(): number {
    return this.closers.size;
  }

  closeAll(): void {
    for (const close of [...this.closers]) {
      try {
        close();
      } catch {
        // A connection that cannot be closed cleanly is already gone.
      }
    }
  }
}
