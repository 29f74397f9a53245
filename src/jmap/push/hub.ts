// Where push connections learn of changes: one ChangeBus subscription per account with
// listeners on this node, fanned out to every EventSource, WebSocket and push-subscription
// sender of that account; and announce() for the data types the mail store's change kinds do
// not cover (Identity, EmailSubmission, VacationResponse, Quota …).
//
// Implementation notes:
// - Listeners are told "these types now have these states" and nothing else: like every bus
//   reader they learn what changed from /changes, so a lost notification delays a client, never
//   misleads it.
// - A listener that throws is logged and the others still hear the change (as on the bus).
// - Fan-out runs in its own turn of the event loop (setImmediate), not inside the bus's publish:
//   the store publishes from its commit path, and the client whose STORE or APPEND made the
//   change gets its answer without waiting for thousands of streams to be written.
// - Catching up (a reconnecting client's Last-Event-ID or pushState) reads the change log, so
//   it covers the mail types; announced types are pushed live only.

import type { AccountId, ChangeBus, MailStore } from '../../store/types.ts';
import type { Logger } from '../../observe/log.ts';
import { fromState, toState } from '../ids.ts';
import { type TypeState, typeStatesFor } from './state-change.ts';

/** `modseq` is the account's mod-sequence the change brought it to, or null for an announced type. */
export type PushListener = (changed: TypeState, modseq: number | null) => void;

/**
 * How other method families announce a change of their types. Call it after the change is
 * committed, with the new state as the type's /get returns it:
 * `ctx.deps.push.announce(ctx.accountId, { Identity: newState })`.
 */
export interface StateAnnouncer {
  announce(accountId: AccountId, changed: TypeState): void;
}

interface AccountListeners {
  listeners: Set<PushListener>;
  unsubscribe: () => void;
}

export class PushHub implements StateAnnouncer {
  private readonly bus: ChangeBus;
  private readonly log: Logger;
  private readonly accounts = new Map<AccountId, AccountListeners>();

  constructor(bus: ChangeBus, log: Logger) {
    this.bus = bus;
    this.log = log;
  }

  /** Returns the unsubscribe function. */
  subscribe(accountId: AccountId, listener: PushListener): () => void {
    let entry = this.accounts.get(accountId);
    if (!entry) {
      const listeners = new Set<PushListener>();
      const unsubscribe = this.bus.subscribe(accountId, (event) => {
        const changed = typeStatesFor(event.kinds, toState(event.modseq));
        setImmediate(() => this.deliver(accountId, listeners, changed, event.modseq));
      });
      entry = { listeners, unsubscribe };
      this.accounts.set(accountId, entry);
    }
    const own: PushListener = (changed, modseq) => listener(changed, modseq);
    entry.listeners.add(own);
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      const current = this.accounts.get(accountId);
      if (!current) return;
      current.listeners.delete(own);
      if (current.listeners.size === 0) {
        current.unsubscribe();
        this.accounts.delete(accountId);
      }
    };
  }

  announce(accountId: AccountId, changed: TypeState): void {
    const entry = this.accounts.get(accountId);
    if (entry && Object.keys(changed).length) setImmediate(() => this.deliver(accountId, entry.listeners, changed, null));
  }

  /** Accounts with listeners on this node (metrics, tests). */
  get accountCount(): number {
    return this.accounts.size;
  }

  private deliver(accountId: AccountId, listeners: Set<PushListener>, changed: TypeState, modseq: number | null): void {
    if (Object.keys(changed).length === 0) return;
    for (const listener of [...listeners]) {
      try {
        listener(changed, modseq);
      } catch (err) {
        this.log.error({ event: 'jmap-push-listener-failed', account: accountId, err: (err as Error).message });
      }
    }
  }
}

/**
 * What a client that was told everything up to `pushState` has missed: the mail types the log
 * shows as changed since, at the account's current state (all of them when the log no longer
 * reaches back). `modseq` is the account's current mod-sequence; null when pushState is not one
 * this server issued.
 */
export async function catchUp(store: MailStore, accountId: AccountId, pushState: string): Promise<{ changed: TypeState; modseq: number } | null> {
  const since = fromState(pushState);
  if (since === null) return null;
  const account = await store.getAccount(accountId);
  if (!account) return null;
  if (account.modseq <= since) return { changed: {}, modseq: account.modseq };
  const changes = await store.changesSince(accountId, since);
  const kinds = changes.complete ? [...new Set(changes.changes.map((c) => c.kind))] : (['message-added', 'mailbox-created'] as const);
  return { changed: typeStatesFor([...kinds], toState(account.modseq)), modseq: account.modseq };
}
