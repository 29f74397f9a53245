// The mail side of the store contract: mailboxes, messages, Emails and threads of one account.
// Every read and write names the account, so no call can reach another account's mail by a
// mailbox or message id alone.
//
// The model (see docs/ARCHITECTURE.md "The message model"):
// - An **Email** (RFC 8621 §4.1.1) is one message of an account: its blob, its thread, its
//   received date and keywords. It has a stable id across moves and belongs to a *set* of
//   mailboxes.
// - A **message** is an Email's presence in one mailbox: its IMAP UID there (RFC 9051 §2.3.1.1),
//   its mod-sequence (RFC 7162) and its flags. COPY within an account adds a message to the same
//   Email (unless the Email is in the destination already: a set holds a mailbox once, so that
//   copy becomes a new Email); MOVE keeps the message and its Email; APPEND and delivery make a
//   new Email.
// - Flags are the Email's keywords, mirrored on every one of its messages, so IMAP in any
//   mailbox and JMAP see the same \Seen, \Flagged, $Junk… — except \Deleted, which stays with the
//   message it was set on: IMAP's delete-then-expunge is per mailbox, and a message carrying it
//   is not visible to JMAP (RFC 8621 §4.1.1, "keywords").

import type { MessageKeyName } from '../mail/message-keys.ts';
import type { MessageSummary } from '../wire/mime/types.ts';
import type { AccountId, EmailId, MailboxId, MessageId, ThreadId } from './ids.ts';

/** RFC 6154 special-use roles. */
export type SpecialUse = '\\Drafts' | '\\Sent' | '\\Junk' | '\\Trash' | '\\Archive' | '\\All' | '\\Flagged';

export interface Mailbox {
  id: MailboxId;
  accountId: AccountId;
  /** Full hierarchical name, UTF-8, separator '/'. "INBOX" is always spelled so. */
  name: string;
  role: SpecialUse | null;
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
  /** Counters kept by every mutation, so STATUS never scans messages. */
  messageCount: number;
  unseenCount: number;
  sizeBytes: number;
  deletedCount: number;
  /**
   * The highest UID some reader has claimed as a new arrival (see claimArrivals); messages above
   * it are new to the next reader that claims them. IMAP's \Recent is built on it.
   */
  arrivalMark: number;
  /** Where a client lists it among its siblings (RFC 8621 §2 sortOrder): 0 ≤ n < 2^31, default 0. */
  sortOrder: number;
  createdAt: number;
}

/**
 * What a mailbox holds as JMAP counts it (RFC 8621 §2): messages without \Deleted only; unread
 * is without \Seen and without \Draft; a thread counts when one of its Emails is here (unread:
 * one of its unread Emails is here).
 */
export interface MailboxCounts {
  mailboxId: MailboxId;
  emails: number;
  unreadEmails: number;
  threads: number;
  unreadThreads: number;
}

/** Attributes of a mailbox that no IMAP command but its role (RFC 6154) names. */
export interface MailboxAttributes {
  sortOrder?: number;
  role?: SpecialUse | null;
}

export interface MessageRecord {
  id: MessageId;
  emailId: EmailId;
  threadId: ThreadId;
  mailboxId: MailboxId;
  uid: number;
  modseq: number;
  /** System flags (`\Seen` …) and keywords, as given, de-duplicated case-insensitively, sorted. */
  flags: string[];
  internalDate: number; // ms since epoch
  size: number; // octets of the stored (RFC 5322) message
  blobId: string; // sha-256 hex
  /** When the message was first downloaded for keeping elsewhere (POP3 RETR), for retention; else null. */
  downloadedAt: number | null;
}

export interface MessageWithSummary extends MessageRecord {
  summary: MessageSummary;
}

/** An Email as JMAP shows it (RFC 8621 §4.1): every mailbox it is visible in, one keyword set. */
export interface EmailRecord {
  id: EmailId;
  threadId: ThreadId;
  blobId: string;
  size: number;
  receivedAt: number;
  /** The shared flags, without \Deleted. */
  keywords: string[];
  /** Its messages that do not carry \Deleted, ascending mailbox id. */
  mailboxes: { mailboxId: MailboxId; uid: number; messageId: MessageId }[];
  summary: MessageSummary;
}

export interface ThreadRecord {
  id: ThreadId;
  /** Its visible Emails, oldest received first (RFC 8621 §3). */
  emailIds: EmailId[];
}

export type FlagMode = 'add' | 'remove' | 'replace';

export interface SetFlagsResult {
  /** Messages of the mailbox whose flags changed (or were matched, with replace), with their new state. */
  updated: { uid: number; modseq: number; flags: string[] }[];
  /** UIDs refused because their modseq > unchangedSince (RFC 7162 §3.1.3). */
  modified: number[];
}

export interface AppendInput {
  blobId: string;
  size: number;
  flags?: string[];
  internalDate?: number;
  summary: MessageSummary;
  /** Text for SEARCH BODY/TEXT (from the parser); a backend may index it. */
  searchText?: string;
}

export interface AppendResult {
  id: MessageId;
  emailId: EmailId;
  threadId: ThreadId;
  uid: number;
  modseq: number;
  uidValidity: number;
}

export interface CopyResult {
  uidValidity: number; // of the destination
  /** Pairs in source-UID order (RFC 4315 COPYUID). */
  mapping: { sourceUid: number; destUid: number }[];
}

export interface QuotaInfo {
  usedBytes: number;
  limitBytes: number | null;
  messageCount: number;
}

/**
 * A condition on an Email, in the terms of RFC 8621 §4.4.1, that the store evaluates (in SQL on
 * SQLite). Keyword conditions name stored flags (`\Seen`, `$junk`), compared without case.
 * Text conditions carry terms already lower-cased: every term must occur (as a substring) for
 * the condition to hold; no terms: it holds.
 */
export type EmailCondition =
  | { kind: 'and' | 'or'; conditions: EmailCondition[] }
  /** None of the conditions holds (RFC 8620 §5.5 FilterOperator NOT). */
  | { kind: 'not'; conditions: EmailCondition[] }
  | { kind: 'inMailbox'; mailboxId: MailboxId }
  /** In at least one mailbox not in the list. */
  | { kind: 'inMailboxOtherThan'; mailboxIds: MailboxId[] }
  /** receivedAt < before, receivedAt >= after (ms). */
  | { kind: 'receivedBefore'; at: number }
  | { kind: 'receivedAfter'; at: number }
  /** size >= min, size < max. */
  | { kind: 'minSize'; size: number }
  | { kind: 'maxSize'; size: number }
  | { kind: 'hasFlag'; flag: string }
  /** The flag on all, some or none of the visible Emails of the Email's thread. */
  | { kind: 'threadFlag'; flag: string; quantifier: 'all' | 'some' | 'none' }
  | { kind: 'hasAttachment'; value: boolean }
  /** In the decoded field (the SEARCH keys of src/mail/message-keys.ts). */
  | { kind: 'fieldContains'; field: 'subject' | 'from' | 'to' | 'cc' | 'bcc'; terms: string[] }
  /**
   * In the search text (decoded header values and text bodies, AppendInput.searchText). A backend
   * with a word index may also require the words of an ASCII term to begin words of the text
   * (SQLite does); other terms match anywhere.
   */
  | { kind: 'textContains'; terms: string[] }
  /** One of these Emails (a set the caller worked out itself). */
  | { kind: 'emailIds'; ids: EmailId[] };

/** RFC 4790 collations for the text sort keys (RFC 8620 §5.5 Comparator "collation"). */
export type EmailCollation = 'i;ascii-casemap' | 'i;unicode-casemap' | 'i;octet' | 'i;ascii-numeric';

/** RFC 8621 §4.4.2 sort properties; the keyword ones name a stored flag. */
export type EmailSortKey =
  | { key: 'receivedAt' | 'sentAt' | 'size'; ascending: boolean }
  | { key: 'subject' | 'from' | 'to'; ascending: boolean; collation: EmailCollation }
  | { key: 'hasFlag' | 'allInThreadHaveFlag' | 'someInThreadHaveFlag'; ascending: boolean; flag: string };

export interface EmailQuery {
  filter: EmailCondition | null;
  /** Ties are broken by receivedAt, newest first, then by Email id in the same direction. */
  sort: EmailSortKey[];
  /** Only the first Email of each thread, in sort order (RFC 8621 §4.4.3). */
  collapseThreads: boolean;
  /**
   * Where the window starts: `position` (negative: counted from the end, clamped to 0), or,
   * when `anchor` is given, the anchor's index plus `anchorOffset` (clamped to 0).
   */
  position: number;
  anchor: EmailId | null;
  anchorOffset: number;
  /** null: to the end. */
  limit: number | null;
  calculateTotal: boolean;
}

export interface EmailQueryResult {
  /** The window, in sort order; empty when the anchor was not found. */
  emailIds: EmailId[];
  threadIds: ThreadId[];
  /** Index of the first id in the full result. */
  position: number;
  /** The number of results, when it was asked for or had to be counted anyway; else null. */
  total: number | null;
  anchorFound: boolean;
}

export interface MailboxStore {
  listMailboxes(accountId: AccountId): Promise<Mailbox[]>;
  getMailbox(accountId: AccountId, name: string): Promise<Mailbox | null>;
  getMailboxById(accountId: AccountId, id: MailboxId): Promise<Mailbox | null>;
  getMailboxByRole(accountId: AccountId, role: SpecialUse): Promise<Mailbox | null>;
  /**
   * Creates missing parents too (RFC 9051 §6.3.4). `opts` sets the new mailbox's sort order and
   * subscribes its name in the same mutation.
   */
  createMailbox(accountId: AccountId, name: string, role?: SpecialUse | null, opts?: { sortOrder?: number; subscribed?: boolean }): Promise<Mailbox>;
  /** Changes the sort order and/or role of one mailbox (INVALID for an out-of-range value, NOT_FOUND). */
  setMailboxAttributes(accountId: AccountId, mailboxId: MailboxId, attributes: MailboxAttributes): Promise<void>;
  /** The JMAP counts of every mailbox of the account, in one read. */
  mailboxCounts(accountId: AccountId): Promise<MailboxCounts[]>;
  /**
   * Mailboxes whose own record (created, renamed, subscribed, attributes) changed in (since,
   * until], as opposed to only their messages: what RFC 8621 §2.2 updatedProperties needs.
   */
  mailboxRecordChanges(accountId: AccountId, since: number, until: number): Promise<MailboxId[]>;
  /**
   * Renames with all children (RFC 9051 §6.3.6). Renaming INBOX moves its messages to a new
   * mailbox and leaves INBOX empty.
   */
  renameMailbox(accountId: AccountId, from: string, to: string): Promise<void>;
  /**
   * Deletes the mailbox and its messages. INBOX cannot be deleted (CANNOT). With onlyIfEmpty it
   * refuses (CANNOT) while a message without \Deleted is in it, checked in the same transaction.
   */
  deleteMailbox(accountId: AccountId, name: string, opts?: { onlyIfEmpty?: boolean }): Promise<void>;
  /** Subscriptions are independent of existence (RFC 9051 §6.3.9). */
  setSubscribed(accountId: AccountId, name: string, subscribed: boolean): Promise<void>;
  listSubscriptions(accountId: AccountId): Promise<string[]>;
  /**
   * Claims the new arrivals up to upToUid for one reader: raises the mailbox's arrival mark and
   * returns the previous one, so the caller owns the UIDs in (previous, upToUid] (IMAP \Recent,
   * RFC 3501 §2.3.2: recent to one session only). Not a change of mail data: no mod-sequence.
   */
  claimArrivals(accountId: AccountId, mailboxId: MailboxId, upToUid: number): Promise<number>;
  /** Messages above the arrival mark (IMAP STATUS RECENT), counted through the (mailbox, uid) index. */
  countUnclaimedArrivals(accountId: AccountId, mailboxId: MailboxId): Promise<number>;
}

export interface MessageStore {
  /** A new Email with one message. Quota-checked (OVER_QUOTA) in the same transaction that inserts. */
  appendMessage(accountId: AccountId, mailboxId: MailboxId, input: AppendInput): Promise<AppendResult>;
  /** Several messages in one mutation: all of them or none (IMAP MULTIAPPEND, RFC 3502 §6.3.11). Results in input order. */
  appendMessages(accountId: AccountId, mailboxId: MailboxId, inputs: AppendInput[]): Promise<AppendResult[]>;
  /** Every message of a mailbox, ascending UID, without summaries (cheap: for session views). */
  listMessages(accountId: AccountId, mailboxId: MailboxId): Promise<MessageRecord[]>;
  /**
   * listMessages with SEARCH/SORT keys (src/mail/message-keys.ts) kept at ingest: keys[i] is the
   * value of names[i]. One read, so records and keys always agree.
   */
  listMessagesWithKeys(accountId: AccountId, mailboxId: MailboxId, names: readonly MessageKeyName[]): Promise<{ record: MessageRecord; keys: (string | number | null)[] }[]>;
  getMessages(accountId: AccountId, mailboxId: MailboxId, uids: number[]): Promise<MessageWithSummary[]>;
  getMessageById(accountId: AccountId, id: MessageId): Promise<MessageWithSummary | null>;
  /** The parser's search text of each message (IMAP SEARCH BODY/TEXT), ascending UID; "" when none was stored. */
  getSearchTexts(accountId: AccountId, mailboxId: MailboxId, uids: number[]): Promise<{ uid: number; text: string }[]>;
  /**
   * Changes flags of messages of one mailbox. Every other message of the same Emails takes the
   * same change (keywords are the Email's), except for \Deleted, which only the named messages take.
   */
  setFlags(
    accountId: AccountId,
    mailboxId: MailboxId,
    uids: number[],
    mode: FlagMode,
    flags: string[],
    unchangedSince?: number,
  ): Promise<SetFlagsResult>;
  /**
   * Removes messages. With onlyDeleted, only those (of uids, or of the whole mailbox when uids
   * is omitted) that carry \Deleted. Returns the removed UIDs, ascending. An Email whose last
   * message goes is destroyed, and a thread whose last Email goes.
   */
  expunge(accountId: AccountId, mailboxId: MailboxId, opts: { uids?: number[]; onlyDeleted: boolean }): Promise<number[]>;
  /** New messages of the same Emails in `to` (new Emails where one is there already). */
  copyMessages(accountId: AccountId, from: MailboxId, uids: number[], to: MailboxId): Promise<CopyResult>;
  /** Keeps each message's MessageId and EmailId; new UIDs in the destination (RFC 6851). */
  moveMessages(accountId: AccountId, from: MailboxId, uids: number[], to: MailboxId): Promise<CopyResult>;
  /** Records the first download (downloadedAt) of these messages; not a change clients see. */
  markDownloaded(accountId: AccountId, mailboxId: MailboxId, uids: number[], at: number): Promise<void>;
  /**
   * Facts derived from a blob alone, remembered with it (a blob is immutable, so they never go
   * stale): `kind` names the measure, chosen by its owner (POP3 keeps its octets as transmitted,
   * RFC 1939 §11). Returns the known values for the blobs of one mailbox's messages.
   */
  blobMeasures(accountId: AccountId, mailboxId: MailboxId, kind: string): Promise<Map<string, number>>;
  rememberBlobMeasures(kind: string, values: ReadonlyMap<string, number>): Promise<void>;

  /** Emails by id across mailboxes (JMAP Email/get); unknown or invisible ids are left out. */
  getEmails(accountId: AccountId, ids: EmailId[]): Promise<EmailRecord[]>;
  /** The visible Emails whose message is stored in this blob, ascending id (JMAP Blob/lookup, RFC 9404 §4.3). */
  emailIdsWithBlob(accountId: AccountId, blobId: string): Promise<EmailId[]>;
  /**
   * Visible Emails that match, sorted, as a window (JMAP Email/query, RFC 8621 §4.4). A mailbox
   * of another account, like an unknown one, holds nothing.
   */
  queryEmails(accountId: AccountId, query: EmailQuery): Promise<EmailQueryResult>;
  /** The search text of each visible Email (see AppendInput.searchText), with its blob and summary; unknown ids left out. */
  getEmailSearchTexts(accountId: AccountId, ids: EmailId[]): Promise<{ id: EmailId; blobId: string; summary: MessageSummary; text: string }[]>;
  /** Threads by id (JMAP Thread/get); unknown ids and threads with no visible Email are left out. */
  getThreads(accountId: AccountId, ids: number[]): Promise<ThreadRecord[]>;
  quota(accountId: AccountId): Promise<QuotaInfo>;
}
