// In-process ChangeBus: the store publishes after each commit, sessions of the same account
// listen. Listeners are told "something changed up to modseq N" and re-read changesSince(), so a
// listener that throws or an event that is lost only delays an update (types.ts).

import type { AccountId, ChangeBus, ChangeEvent } from './types.ts';

type Listener = (event: ChangeEvent) => void;

export class InProcessChangeBus implements ChangeBus {
  private readonly listeners = new Map<AccountId, Set<Listener>>();
  private readonly onListenerError: (err: unknown, event: ChangeEvent) => void;

  constructor(opts: { onListenerError?: (err: unknown, event: ChangeEvent) => void } = {}) {
    this.onListenerError = opts.onListenerError ?? (() => {});
  }

  publish(event: ChangeEvent): void {
    const set = this.listeners.get(event.accountId);
    if (!set) return;
    // Iterate over a copy: a listener may unsubscribe itself (or others) while being called.
    for (const listener of [...set]) {
      try {
        listener(event);
      } catch (err) {
        // One broken session must not keep the others (or the publishing store) from the event.
        try {
          this.onListenerError(err, event);
        } catch {
          // The error reporter itself failed; nothing sensible is left to do with it.
        }
      }
    }
  }

  subscribe(accountId: AccountId, listener: Listener): () => void {
    let set = this.listeners.get(accountId);
    if (!set) {
      set = new Set();
      this.listeners.set(accountId, set);
    }
    // Wrap, so that subscribing the same function twice gives two independent subscriptions.
    const entry: Listener = (e) => listener(e);
    set.add(entry);
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      const current = this.listeners.get(accountId);
      if (!current) return;
      current.delete(entry);
      if (current.size === 0) this.listeners.delete(accountId);
    };
  }

  /** Number of listeners of an account (for metrics and tests). */
  listenerCount(accountId: AccountId): number {
    return this.listeners.get(accountId)?.size ?? 0;
  }
}
