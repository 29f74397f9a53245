// StateChange objects (RFC 8620 §7.1): which JMAP data types a store change touched, and the
// object pushed over EventSource, WebSocket and to push subscriptions.
//
// Mailbox, Email and Thread states are all the account's mod-sequence (src/jmap/ids.ts), so a
// change's new state is toState(event.modseq). Which types changed is read from the kinds:
// - message-added/-flags/-removed change Emails and Threads, and the counts of the Mailboxes
//   they are in (totalEmails, unreadEmails … RFC 8621 §2: a \Seen change moves unread counts;
//   the event does not say which flags moved, so every message change counts).
// - message-added also changes EmailDelivery (RFC 8621 §1.5). The event does not say whether
//   a message was delivered or put there by the user (IMAP APPEND, Email/import): every added
//   message counts as a delivery; a client at worst wakes up for its own APPEND.
// - mailbox-created/-renamed/-deleted and subscription change Mailboxes.

import type { ChangeKind } from '../../store/types.ts';
import { toAccountId } from '../ids.ts';

/** Type name → its new state string (RFC 8620 §7.1 TypeState). */
export type TypeState = Record<string, string>;

export interface StateChange {
  '@type': 'StateChange';
  changed: Record<string, TypeState>;
  /** RFC 8887 §4.3.5.1: only over WebSocket. */
  pushState?: string;
}

const BY_KIND: Record<ChangeKind, readonly string[]> = {
  'message-added': ['Email', 'Thread', 'Mailbox', 'EmailDelivery'],
  'message-flags': ['Email', 'Thread', 'Mailbox'],
  'message-removed': ['Email', 'Thread', 'Mailbox'],
  'mailbox-created': ['Mailbox'],
  'mailbox-renamed': ['Mailbox'],
  'mailbox-deleted': ['Mailbox'],
  'mailbox-attributes': ['Mailbox'],
  subscription: ['Mailbox'],
};

/** The data types whose state the change kinds moved, each at `state`. */
export function typeStatesFor(kinds: readonly ChangeKind[], state: string): TypeState {
  const out: TypeState = {};
  for (const kind of kinds) for (const type of BY_KIND[kind] ?? []) out[type] = state;
  return out;
}

/** Keeps the types a listener asked for (null: all); null when none is left. */
export function filterTypes(changed: TypeState, types: ReadonlySet<string> | null): TypeState | null {
  if (types === null) return Object.keys(changed).length ? changed : null;
  const out: TypeState = {};
  for (const [type, state] of Object.entries(changed)) if (types.has(type)) out[type] = state;
  return Object.keys(out).length ? out : null;
}

export function stateChange(accountId: number, changed: TypeState, pushState?: string): StateChange {
  return { '@type': 'StateChange', changed: { [toAccountId(accountId)]: changed }, ...(pushState !== undefined ? { pushState } : {}) };
}

/**
 * What one connection still has to send: only the latest state per type matters (a client that
 * learns of state s5 needs nothing about s4), so pending changes merge instead of queueing, and
 * a slow reader costs a map of a few types, never a growing buffer.
 */
export class PendingStates {
  private pending: TypeState = {};
  private count = 0;

  merge(changed: TypeState): void {
    for (const [type, state] of Object.entries(changed)) {
      if (!(type in this.pending)) this.count++;
      this.pending[type] = state;
    }
  }

  get isEmpty(): boolean {
    return this.count === 0;
  }

  take(): TypeState {
    const out = this.pending;
    this.pending = {};
    this.count = 0;
    return out;
  }
}
