// The outbound queue as part of the store contract (DESIGN.md §3 `queue`): one row per queued
// message, one per recipient, in the same database as the mail, so every node that shares the
// store shares the queue.
//
// Implementation notes — rules every backend keeps:
// - enqueue() resolves only after its commit is durable (fsynced): the 250 that follows it
//   promises a message a crash cannot lose.
// - A recipient is attempted only under a claim: claimDue() leases due, unclaimed recipients to
//   one owner until an expiry, atomically, so two workers (in one process or on two nodes) never
//   attempt the same recipient at once. A crashed worker's lease runs out and the recipient is
//   claimed again by whoever asks next. Attempt results are recorded only by the current holder
//   of the claim: a worker whose lease was taken over cannot overwrite the newer attempt.
// - The claim is in columns, not in a held row lock or an open transaction: an attempt is a
//   network conversation of seconds to minutes, which no transaction may span.
// - The body is a blob (BlobStore, content-addressed) named by blobId, put durably before the
//   row that refers to it is committed; isBlobReferenced() counts queued messages, so blob
//   garbage collection never removes a body that still waits for delivery.
// - `now` is the caller's clock. Nodes sharing one database keep their clocks in step (NTP), as
//   retry times already require; a lease lasts minutes, so seconds of skew do not matter.
// - A message leaves the queue when none of its recipients is pending any more.

export type RecipientState = 'pending' | 'delivered' | 'failed';

export interface QueuedRecipient {
  id: number;
  messageId: number;
  address: string;
  /** Lower-case domain of the address: recipients are delivered grouped by (message, domain). */
  domain: string;
  state: RecipientState;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  /** Enhanced status code of the last failure (RFC 3463), for the DSN. */
  lastStatus: string | null;
  /** The host that gave the last answer, for the DSN's Remote-MTA. */
  lastRemote: string | null;
  delayNotified: boolean;
  /** The worker holding the claim, or null. A claim whose expiry has passed holds nothing. */
  claimedBy: string | null;
  claimedUntil: number | null;
}

export interface QueuedMessage {
  id: number;
  /** '' is the null reverse-path <>: never bounced to. */
  sender: string;
  createdAt: number;
  size: number;
  /** The body in the BlobStore. */
  blobId: string;
  /** True for a DSN we generated: its failure is logged, never bounced again. */
  isBounce: boolean;
}

export interface QueueListing extends QueuedMessage {
  recipients: QueuedRecipient[];
}

export interface EnqueueInput {
  sender: string;
  /** Duplicates are queued once. */
  recipients: string[];
  /** Already durable in the BlobStore. */
  blobId: string;
  size: number;
  isBounce?: boolean;
  now?: number;
}

export interface ClaimRequest {
  /** Who attempts: unique per worker (a runner in one process on one node). */
  owner: string;
  now: number;
  /** The claim lasts until now + leaseMs unless renewed. */
  leaseMs: number;
  /** At most this many recipients. */
  limit: number;
}

export interface AttemptOutcome {
  recipientId: number;
  state: RecipientState;
  /** For 'pending': when to try again. */
  nextAttemptAt?: number;
  error?: string | null;
  status?: string | null;
  remote?: string | null;
  delayNotified?: boolean;
}

/** A message carried over from another queue (an older Posthorn's queue.db), with its progress. */
export interface CarriedMessage {
  sender: string;
  createdAt: number;
  blobId: string;
  size: number;
  isBounce: boolean;
  recipients: Omit<QueuedRecipient, 'id' | 'messageId' | 'claimedBy' | 'claimedUntil'>[];
}

export interface DeliveryQueue {
  /** Queues a message for its recipients, all due now. Returns the message id. */
  enqueue(input: EnqueueInput): Promise<number>;
  /**
   * Claims pending recipients that are due at `now` and not claimed by anyone else (no claim, or
   * an expired one), oldest first; returns them with the new claim. Atomic: of two concurrent
   * claims, each recipient goes to one.
   */
  claimDue(request: ClaimRequest): Promise<QueuedRecipient[]>;
  /** Extends the owner's claims that it still holds to `until`; returns the ids still held. */
  renewClaims(owner: string, recipientIds: number[], until: number): Promise<number[]>;
  /** Gives back claims without an attempt (shutdown): they are due again at once. */
  releaseClaims(owner: string, recipientIds: number[]): Promise<void>;
  /**
   * Records attempt results and ends their claims, for the recipients `owner` still holds; the
   * others (claim taken over, message dropped) are left as they are. Returns the ids recorded.
   */
  recordAttempts(owner: string, outcomes: AttemptOutcome[]): Promise<number[]>;
  /** When something can next be claimed (a next attempt or a lease expiry); null when nothing is pending. */
  nextDue(): Promise<number | null>;
  getMessage(id: number): Promise<QueuedMessage | null>;
  list(): Promise<QueueListing[]>;
  /** Makes pending recipients due now: all, or those of one message. Returns how many. */
  retry(messageId: number | null, now?: number): Promise<number>;
  /** Removes a message and its recipients without bouncing. Returns true when it existed. */
  drop(messageId: number): Promise<boolean>;
  /**
   * Adds carried-over messages once per `source`: in the same commit as the messages the source
   * is remembered, and a source carried in before adds nothing and returns false.
   */
  carryIn(source: string, messages: CarriedMessage[], now?: number): Promise<boolean>;
}
