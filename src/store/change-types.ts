// The change log and the change bus (DESIGN.md §1): every mutation of mail data takes one new
// mod-sequence of its account and leaves rows in the change log; after its commit one
// ChangeEvent goes out on the bus. Readers — IMAP sync and QRESYNC (RFC 7162), JMAP /changes
// (RFC 8620 §5.2), push — read what changed from the log, never from the event, so a lost
// event delays an update and never loses one. IMAP and JMAP read the same rows: one truth.

import type { AccountId, EmailId, MailboxId, MessageId, ThreadId } from './ids.ts';

export type ChangeKind =
  | 'message-added'
  | 'message-flags'
  | 'message-removed'
  | 'mailbox-created'
  | 'mailbox-renamed'
  | 'mailbox-deleted'
  /** Sort order or role (setMailboxAttributes). */
  | 'mailbox-attributes'
  | 'subscription';

export interface Change {
  modseq: number;
  kind: ChangeKind;
  mailboxId: MailboxId | null;
  uid: number | null;
  messageId: MessageId | null;
  /** The Email a message row belongs to (null for mailbox rows). */
  emailId: EmailId | null;
  threadId: ThreadId | null;
}

/**
 * What changesSince() read. `complete` is false when `since` lies below the account's horizon
 * (rows up to the horizon were pruned): the caller then compares full state instead (IMAP:
 * the view against the mailbox; JMAP: cannotCalculateChanges, RFC 8620 §5.2).
 */
export interface ChangesSince {
  changes: Change[];
  complete: boolean;
}

/** The object types whose changes JMAP asks for (RFC 8620 §5.2, RFC 8621 §2.2, §3.2, §4.3). */
export type ChangedObjectType = 'Mailbox' | 'Email' | 'Thread';

/** RFC 8620 §5.2 /changes, as the store can answer it. States are account mod-sequences. */
export interface ObjectChanges {
  oldState: number;
  newState: number;
  hasMoreChanges: boolean;
  created: number[];
  updated: number[];
  destroyed: number[];
}

export interface ChangeEvent {
  accountId: AccountId;
  modseq: number;
  kinds: ChangeKind[];
  mailboxIds: MailboxId[];
}

export interface ChangeLog {
  /**
   * Changes with modseq > since, ascending. Only the latest row per message and mailbox is
   * kept: a newer flag change replaces older flags rows, a removal replaces the message's
   * added/flags rows in that mailbox. Enough to catch up (current state is read from the
   * message), and the log grows with messages, not with changes.
   */
  changesSince(accountId: AccountId, since: number, mailboxId?: MailboxId): Promise<ChangesSince>;
  /**
   * Ids of the objects of one type created, updated or destroyed after `since`, at most
   * maxChanges of them (then hasMoreChanges, and newState is the state they bring the caller
   * to). An object created and destroyed after `since` is in none of the lists (RFC 8620 §5.2
   * SHOULD). null when the log cannot say: `since` is below the horizon or above the account's
   * current mod-sequence.
   */
  objectChanges(accountId: AccountId, type: ChangedObjectType, since: number, maxChanges?: number): Promise<ObjectChanges | null>;
  /**
   * Drops every change row at or below upToModseq and raises the account's horizon to it;
   * returns how many rows went. Afterwards changesSince() below the horizon is incomplete.
   */
  pruneChanges(accountId: AccountId, upToModseq: number): Promise<number>;
  /** The modseq below which this account's log is incomplete (0: complete from the start). */
  changeHorizon(accountId: AccountId): Promise<number>;
}

export interface ChangeBus {
  publish(event: ChangeEvent): void;
  /** Returns an unsubscribe function. */
  subscribe(accountId: AccountId, listener: (event: ChangeEvent) => void): () => void;
}
