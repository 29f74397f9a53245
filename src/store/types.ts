// The store's contract: every protocol (SMTP, IMAP, POP3, JMAP, admin) goes through these
// operations and nothing else. Backends (sqlite/, later postgres/) implement them; one contract
// test suite (test/store-contract.ts) runs against each.
//
// Implementation notes — rules every backend and every change must keep:
// - Each mutation is ONE transaction: rows, counters, the account's modseq and the change log.
// - After the commit (never before, never inside it) the store publishes one ChangeEvent on the
//   ChangeBus. Listeners read what changed from changesSince(); the event carries no payload
//   they must trust, so a lost event delays an update and never loses one.
// - UIDs are strictly ascending per mailbox and never reused (RFC 9051 §2.3.1.1); UIDVALIDITY
//   stays unless that cannot be kept; MODSEQ never decreases (RFC 7162 §3.1).
// - account.usedBytes always equals the sum of the sizes of the account's messages.
// - A blob is durable (fsynced) before the row that refers to it is committed.
//
// All operations are async so that a networked backend (PostgreSQL) can implement the same
// interface; the SQLite backend is synchronous underneath.

import type { MessageKeyName } from '../mail/message-keys.ts';
import type { MessageSummary } from '../wire/mime/types.ts';

export type AccountId = number;
export type MailboxId = number;
/** Immutable id of one message instance; kept across MOVE, new on COPY. Also the POP3 UIDL and JMAP Email id source. */
export type MessageId = number;

export interface Domain {
  id: number;
  name: string; // lower-case, IDNA A-label form
  createdAt: number; // ms since epoch
  dkimSelector: string | null;
  dkimPrivateKeyPem: string | null;
}

export interface Account {
  id: AccountId;
  address: string; // lower-case local@domain
  domainId: number;
  passwordHash: string;
  /** null = unlimited */
  quotaBytes: number | null;
  usedBytes: number;
  messageCount: number;
  /** Highest modseq handed out in this account (all mailboxes share one sequence). */
  modseq: number;
  /** POP3 server-side retention of retrieved mail in days (RFC 2449 EXPIRE); null = keep until deleted. */
  popRetentionDays: number | null;
  createdAt: number;
  disabled: boolean;
}

export interface Alias {
  id: number;
  /** `local@domain`, or `@domain` for a catch-all. Lower-case. */
  source: string;
  /** A local account address or an external address. */
  target: string;
}

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
   * IMAP4rev1 \Recent (RFC 3501 §2.3.2): the highest UID some session has taken as recent.
   * Messages above it are recent to the next session that learns of them.
   */
  recentUid: number;
  createdAt: number;
}

export interface MessageRecord {
  id: MessageId;
  mailboxId: MailboxId;
  uid: number;
  modseq: number;
  /** System flags (`\Seen` …) and keywords, as given, de-duplicated case-insensitively, sorted. */
  flags: string[];
  internalDate: number; // ms since epoch
  size: number; // octets of the stored (RFC 5322) message
  blobId: string; // sha-256 hex
  /** When POP3 first retrieved this message (for EXPIRE retention), else null. */
  popRetrievedAt: number | null;
}

export interface MessageWithSummary extends MessageRecord {
  summary: MessageSummary;
}

export type ChangeKind =
  | 'message-added'
  | 'message-flags'
  | 'message-removed'
  | 'mailbox-created'
  | 'mailbox-renamed'
  | 'mailbox-deleted'
  | 'subscription';

export interface Change {
  modseq: number;
  kind: ChangeKind;
  mailboxId: MailboxId | null;
  uid: number | null;
  messageId: MessageId | null;
}

export interface ChangeEvent {
  accountId: AccountId;
  modseq: number;
  kinds: ChangeKind[];
  mailboxIds: MailboxId[];
}

export type FlagMode = 'add' | 'remove' | 'replace';

export interface SetFlagsResult {
  /** Messages whose flags changed (or were matched, with replace), with their new state. */
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

export type RecipientTarget =
  | { kind: 'local'; account: Account }
  | { kind: 'external'; address: string };

/** Thrown by the store; protocols map these to their own replies (IMAP NO [..], SMTP 5xx, …). */
export class StoreError extends Error {
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string) {
    super(message);
    this.name = 'StoreError';
    this.code = code;
  }
}

export type StoreErrorCode =
  | 'NOT_FOUND' // no such account/mailbox/domain/alias
  | 'ALREADY_EXISTS'
  | 'OVER_QUOTA'
  | 'INVALID' // malformed name or argument
  | 'CANNOT' // forbidden operation (delete INBOX, rename into own child …)
  | 'HAS_CHILDREN' // domain with accounts
  | 'UNAVAILABLE'; // temporary: database locked, disk full

export interface MailStore {
  // ---- domains
  addDomain(name: string, dkim?: { selector: string; privateKeyPem: string }): Promise<Domain>;
  getDomain(name: string): Promise<Domain | null>;
  listDomains(): Promise<Domain[]>;
  /** Refuses (HAS_CHILDREN) while accounts exist in the domain; removes its aliases. */
  removeDomain(name: string): Promise<void>;

  // ---- accounts
  /** Creates the account and its INBOX, Drafts, Sent, Junk, Trash and Archive (subscribed). */
  createAccount(input: { address: string; passwordHash: string; quotaBytes?: number | null }): Promise<Account>;
  getAccount(id: AccountId): Promise<Account | null>;
  getAccountByAddress(address: string): Promise<Account | null>;
  listAccounts(domain?: string): Promise<Account[]>;
  setPasswordHash(accountId: AccountId, hash: string): Promise<void>;
  setQuota(accountId: AccountId, quotaBytes: number | null): Promise<void>;
  setPopRetention(accountId: AccountId, days: number | null): Promise<void>;
  /** Removes the account, its mailboxes, messages (blob refs released) and aliases pointing to it. */
  removeAccount(accountId: AccountId): Promise<void>;

  // ---- aliases
  addAlias(source: string, target: string): Promise<Alias>;
  listAliases(domain?: string): Promise<Alias[]>;
  /** Removes source→target, or every alias of source when target is omitted. Returns how many. */
  removeAlias(source: string, target?: string): Promise<number>;
  /**
   * Where mail for this address goes: the account itself, else its aliases, else the domain's
   * catch-all. Alias targets that are local accounts resolve to them (one level plus chains up
   * to a small depth, loops ignored). Empty array: unknown recipient. null: domain not hosted.
   */
  resolveRecipient(address: string): Promise<RecipientTarget[] | null>;

  // ---- mailboxes
  listMailboxes(accountId: AccountId): Promise<Mailbox[]>;
  getMailbox(accountId: AccountId, name: string): Promise<Mailbox | null>;
  getMailboxById(accountId: AccountId, id: MailboxId): Promise<Mailbox | null>;
  getMailboxByRole(accountId: AccountId, role: SpecialUse): Promise<Mailbox | null>;
  /** Creates missing parents too (RFC 9051 §6.3.4). */
  createMailbox(accountId: AccountId, name: string, role?: SpecialUse | null): Promise<Mailbox>;
  /**
   * Renames with all children (RFC 9051 §6.3.6). Renaming INBOX moves its messages to a new
   * mailbox and leaves INBOX empty.
   */
  renameMailbox(accountId: AccountId, from: string, to: string): Promise<void>;
  /** Deletes the mailbox and its messages. INBOX cannot be deleted (CANNOT). */
  deleteMailbox(accountId: AccountId, name: string): Promise<void>;
  /** Subscriptions are independent of existence (RFC 9051 §6.3.9). */
  setSubscribed(accountId: AccountId, name: string, subscribed: boolean): Promise<void>;
  listSubscriptions(accountId: AccountId): Promise<string[]>;
  /**
   * Takes the \Recent messages up to upToUid (RFC 3501 §2.3.2: recent to one session only):
   * raises the mailbox's recent mark and returns the previous one, so the caller owns the UIDs
   * in (previous, upToUid]. Not a change of mail data: no mod-sequence, no change-log row.
   */
  claimRecent(mailboxId: MailboxId, upToUid: number): Promise<number>;
  /** Messages above the recent mark (STATUS RECENT), counted through the (mailbox, uid) index. */
  countRecent(mailboxId: MailboxId): Promise<number>;

  // ---- messages
  /** Quota-checked (OVER_QUOTA) in the same transaction that inserts. */
  appendMessage(accountId: AccountId, mailboxId: MailboxId, input: AppendInput): Promise<AppendResult>;
  /** Several messages in one mutation: all of them or none (IMAP MULTIAPPEND, RFC 3502 §6.3.11). Results in input order. */
  appendMessages(accountId: AccountId, mailboxId: MailboxId, inputs: AppendInput[]): Promise<AppendResult[]>;
  /** Every message of a mailbox, ascending UID, without summaries (cheap: for session views). */
  listMessages(mailboxId: MailboxId): Promise<MessageRecord[]>;
  /**
   * listMessages with SEARCH/SORT keys (src/mail/message-keys.ts) kept at ingest: keys[i] is the
   * value of names[i]. One read, so records and keys always agree.
   */
  listMessagesWithKeys(mailboxId: MailboxId, names: readonly MessageKeyName[]): Promise<{ record: MessageRecord; keys: (string | number | null)[] }[]>;
  getMessages(mailboxId: MailboxId, uids: number[]): Promise<MessageWithSummary[]>;
  getMessageById(accountId: AccountId, id: MessageId): Promise<MessageWithSummary | null>;
  /** The parser's search text of each message (IMAP SEARCH BODY/TEXT), ascending UID; "" when none was stored. */
  getSearchTexts(mailboxId: MailboxId, uids: number[]): Promise<{ uid: number; text: string }[]>;
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
   * is omitted) that carry \Deleted. Returns the removed UIDs, ascending.
   */
  expunge(accountId: AccountId, mailboxId: MailboxId, opts: { uids?: number[]; onlyDeleted: boolean }): Promise<number[]>;
  copyMessages(accountId: AccountId, from: MailboxId, uids: number[], to: MailboxId): Promise<CopyResult>;
  /** Keeps each message's MessageId; new UIDs in the destination (RFC 6851). */
  moveMessages(accountId: AccountId, from: MailboxId, uids: number[], to: MailboxId): Promise<CopyResult>;
  markPopRetrieved(accountId: AccountId, mailboxId: MailboxId, uids: number[], at: number): Promise<void>;
  /**
   * POP3 sizes (RFC 1939 §11: octets as transmitted) remembered for the blobs of a mailbox's
   * messages. A pure function of the immutable blob, measured by POP3 and kept with it.
   */
  pop3Sizes(mailboxId: MailboxId): Promise<Map<string, number>>;
  rememberPop3Sizes(sizes: ReadonlyMap<string, number>): Promise<void>;

  // ---- changes and quota
  /**
   * Changes with modseq > since, ascending. Used by IMAP (CONDSTORE/QRESYNC) and JMAP. Only the
   * latest row per message and mailbox is kept: a newer flag change replaces older flags rows, a
   * removal replaces the message's added/flags rows in that mailbox. Enough to catch up (current
   * state is read from the message), and the log grows with messages, not with changes.
   */
  changesSince(accountId: AccountId, since: number, mailboxId?: MailboxId): Promise<Change[]>;
  quota(accountId: AccountId): Promise<QuotaInfo>;

  // ---- maintenance
  /** Blob ids referenced by no message (for BlobStore garbage collection). */
  isBlobReferenced(blobId: string): Promise<boolean>;
  close(): Promise<void>;
}

export interface BlobStore {
  /** Writes durably (temp file, fsync, rename, fsync dir) unless identical content exists. */
  put(content: Uint8Array): Promise<{ id: string; size: number }>;
  get(id: string): Promise<Buffer>;
  /** Byte range [start, end) of a blob, for FETCH BODY[x]<partial> without reading it all. */
  read(id: string, start: number, end: number): Promise<Buffer>;
  has(id: string): Promise<boolean>;
  delete(id: string): Promise<void>;
  /** Every stored blob id with its modification time (for garbage collection). */
  list(): AsyncIterable<{ id: string; mtimeMs: number }>;
}

export interface ChangeBus {
  publish(event: ChangeEvent): void;
  /** Returns an unsubscribe function. */
  subscribe(accountId: AccountId, listener: (event: ChangeEvent) => void): () => void;
}
