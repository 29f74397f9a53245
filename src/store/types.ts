// The store's contract: every protocol (SMTP, IMAP, POP3, JMAP, admin) goes through these
// operations and nothing else. Backends (sqlite/, later postgres/) implement them; one contract
// test suite (test/store-contract.ts) runs against each.
//
// Split by concern, so a backend and a reader see what belongs together:
// - directory-types.ts  domains, accounts, aliases, recipient resolution
// - mail-types.ts       mailboxes, messages, Emails and threads (the message model is there)
// - change-types.ts     the change log (IMAP QRESYNC and JMAP /changes) and the change bus
// - queue-types.ts      the outbound queue: recipients claimed before an attempt, bodies as blobs
// - upload-types.ts     blobs an account uploaded (JMAP), and which blobs an account may read
// - sending-types.ts    identities, submissions, the vacation response (states of their own)
// - BlobStore (below)   message bodies, content-addressed
// A protocol depends on the parts it uses; MailStore is what one backend offers as a whole.
//
// Implementation notes — rules every backend and every change must keep:
// - Each mutation is ONE transaction: rows, counters, the account's modseq and the change log.
// - After the commit (never before, never inside it) the store publishes one ChangeEvent on the
//   ChangeBus. Listeners read what changed from changesSince(); the event carries no payload
//   they must trust, so a lost event delays an update and never loses one.
// - UIDs are strictly ascending per mailbox and never reused (RFC 9051 §2.3.1.1); UIDVALIDITY
//   stays unless that cannot be kept; MODSEQ never decreases (RFC 7162 §3.1).
// - account.usedBytes always equals the sum of the sizes of the account's messages.
// - All messages of one Email carry the same flags apart from \Deleted (mail-types.ts).
// - A blob is durable (fsynced) before the row that refers to it is committed.
//
// All operations are async so that a networked backend (PostgreSQL) can implement the same
// interface; the SQLite backend is synchronous underneath.

import type { DirectoryStore } from './directory-types.ts';
import type { MailboxStore, MessageStore } from './mail-types.ts';
import type { ChangeLog } from './change-types.ts';
import type { DeliveryQueue } from './queue-types.ts';
import type { PushSubscriptionStore } from './push-subscription-types.ts';
import type { UploadStore } from './upload-types.ts';
import type { SendingStore } from './sending-types.ts';

export type * from './ids.ts';
export type * from './directory-types.ts';
export type * from './mail-types.ts';
export type * from './change-types.ts';
export type * from './push-subscription-types.ts';
export type * from './upload-types.ts';
export type * from './sending-types.ts';

export { StoreError, type StoreErrorCode } from '../mail/errors.ts';

/** The mail data of accounts: what IMAP, POP3 and JMAP read and change. */
export interface MailData extends MailboxStore, MessageStore, ChangeLog {}

export interface MailStore extends DirectoryStore, MailData, UploadStore, SendingStore {
  /** The outbound queue (queue-types.ts). */
  readonly queue: DeliveryQueue;
  /** JMAP push subscriptions (push-subscription-types.ts). */
  readonly pushSubscriptions: PushSubscriptionStore;
  /** Whether a message or a queued message refers to the blob (for BlobStore garbage collection). */
  isBlobReferenced(blobId: string): Promise<boolean>;
  close(): Promise<void>;
}

export interface BlobStore {
  /** Resolves once the content is durable (written unless identical content exists). */
  put(content: Uint8Array): Promise<{ id: string; size: number }>;
  get(id: string): Promise<Buffer>;
  /** Byte range [start, end) of a blob, for FETCH BODY[x]<partial> without reading it all. */
  read(id: string, start: number, end: number): Promise<Buffer>;
  has(id: string): Promise<boolean>;
  delete(id: string): Promise<void>;
  /** Every stored blob id with its modification time (for garbage collection). */
  list(): AsyncIterable<{ id: string; mtimeMs: number }>;
  /** Releases what the store holds open (after the last put has resolved). */
  close?(): Promise<void>;
}
