// The sending side of an account in the store contract: the identities it sends as, the
// messages it submitted and how each recipient fared, and its vacation response with the memory
// of whom it answered (RFC 8621 §6, §7, §8; RFC 3834). These are not mail data: they change
// without a mod-sequence, so each type keeps a state counter of its own per account, and a log
// of which object changed at which state, from which /changes is answered (RFC 8620 §5.2).
//
// Implementation notes — rules every backend keeps:
// - Every write of an object takes one new state of its type and logs the object under it, in
//   the same transaction; states of a type never decrease and are never reused.
// - The default identity (the account's own address) is made by ensureDefaultIdentity and can
//   be changed but not removed (CANNOT); every other identity can be.
// - A submission's recipients that went into the outbound queue follow the queue: when the
//   queue records an attempt for one (DeliveryQueue.recordAttempts), its delivery status and
//   reply change in the same transaction, and the submission counts as updated.
// - The memory of auto-replies is shared by every node (one row per account and sender), and
//   claiming a reply is atomic, so two deliveries at once on two nodes answer once.

import type { AccountId, EmailId, ThreadId } from './ids.ts';
import type { ObjectChanges } from './change-types.ts';

/** Types whose state the store counts apart from the mail mod-sequence. */
export type AccountObjectType = 'Identity' | 'EmailSubmission' | 'VacationResponse';

/** RFC 8621 §4.1.2.3 EmailAddress. */
export interface AddressValue {
  name: string | null;
  email: string;
}

export interface IdentityFields {
  name: string;
  email: string;
  replyTo: AddressValue[] | null;
  bcc: AddressValue[] | null;
  textSignature: string;
  htmlSignature: string;
}

export interface IdentityRecord extends IdentityFields {
  id: number;
  /** The account's own address, made by the server; it cannot be removed. */
  isDefault: boolean;
}

/** RFC 8621 §7 Address: an SMTP address with its MAIL/RCPT parameters. */
export interface SmtpAddressValue {
  email: string;
  parameters: Record<string, string | null> | null;
}

export interface SubmissionEnvelope {
  mailFrom: SmtpAddressValue;
  rcptTo: SmtpAddressValue[];
}

/** RFC 8621 §7 DeliveryStatus.delivered. */
export type DeliveredState = 'queued' | 'yes' | 'no' | 'unknown';

export interface RecipientStatus {
  /** The rcptTo address. */
  address: string;
  delivered: DeliveredState;
  /** The last SMTP reply for this recipient ("250 2.0.0 …" once accepted or delivered). */
  smtpReply: string;
}

export interface SubmissionInput {
  identityId: number;
  emailId: EmailId;
  threadId: ThreadId;
  envelope: SubmissionEnvelope;
  sendAt: number;
  recipients: (RecipientStatus & {
    /** Where the recipient waits in the outbound queue: its message and queued address. */
    queued?: { messageId: number; address: string };
  })[];
}

export interface SubmissionRecord {
  id: number;
  identityId: number;
  emailId: EmailId;
  threadId: ThreadId;
  envelope: SubmissionEnvelope;
  /** ms since the epoch. */
  sendAt: number;
  recipients: RecipientStatus[];
}

/** RFC 8621 §8.1 VacationResponse, dates in ms since the epoch. */
export interface VacationSettings {
  isEnabled: boolean;
  fromDate: number | null;
  toDate: number | null;
  subject: string | null;
  textBody: string | null;
  htmlBody: string | null;
}

export const VACATION_OFF: Readonly<VacationSettings> = Object.freeze({ isEnabled: false, fromDate: null, toDate: null, subject: null, textBody: null, htmlBody: null });

export interface SendingStore {
  /** The current state of a type for the account (0 before its first change). */
  objectState(accountId: AccountId, type: AccountObjectType): Promise<number>;
  /**
   * Objects of the type created, updated or destroyed after `since` (ObjectChanges as the mail
   * log gives them: whole states only, at most maxChanges ids). null when `since` is not a state
   * of this type (above the current one, or negative).
   */
  accountObjectChanges(accountId: AccountId, type: AccountObjectType, since: number, maxChanges?: number): Promise<ObjectChanges | null>;

  /** Makes the default identity (the account's own address) unless it exists. */
  ensureDefaultIdentity(accountId: AccountId): Promise<void>;
  /** Every identity of the account, ascending id. */
  listIdentities(accountId: AccountId): Promise<IdentityRecord[]>;
  createIdentity(accountId: AccountId, fields: IdentityFields): Promise<IdentityRecord>;
  /** The email of an identity never changes (RFC 8621 §6.1). NOT_FOUND for an unknown id. */
  updateIdentity(accountId: AccountId, id: number, fields: Partial<Omit<IdentityFields, 'email'>>): Promise<IdentityRecord>;
  /** NOT_FOUND for an unknown id, CANNOT for the default identity. */
  destroyIdentity(accountId: AccountId, id: number): Promise<void>;

  createSubmission(accountId: AccountId, input: SubmissionInput): Promise<SubmissionRecord>;
  /** By id (unknown ones left out), or all of the account when ids is null; ascending id. */
  getSubmissions(accountId: AccountId, ids: number[] | null): Promise<SubmissionRecord[]>;
  /** Forgets the submission (the mail is not recalled). NOT_FOUND for an unknown id. */
  destroySubmission(accountId: AccountId, id: number): Promise<void>;

  /** VACATION_OFF until set. */
  getVacationResponse(accountId: AccountId): Promise<VacationSettings>;
  /** Replaces the settings and forgets whom the account answered, so a new absence answers anew. */
  setVacationResponse(accountId: AccountId, settings: VacationSettings): Promise<void>;
  /**
   * True when the account may auto-reply to `sender` now, and remembers it: false when it
   * answered that sender less than periodMs before `now` (RFC 3834 §2: once per period).
   */
  claimAutoReply(accountId: AccountId, sender: string, now: number, periodMs: number): Promise<boolean>;
}
