// JMAP push subscriptions as part of the store contract (RFC 8620 §7.2): kept with the
// accounts, so whichever node sees a change can push it to the subscriber's URL.
//
// Implementation notes — rules every backend keeps:
// - A subscription belongs to one account (the credentials that created it, RFC 8620 §7.2.1)
//   and goes when the account goes.
// - `verificationCode` is the code the server sent in its PushVerification (§7.2.2); the
//   subscription is `verified` once the client echoed it back. Unverified subscriptions get no
//   StateChange.
// - `expiresAt` (ms since the epoch, or null) is honoured by every reader: an expired
//   subscription is never listed as active and is removed by deleteExpiredPushSubscriptions.

import type { AccountId } from './ids.ts';

/** RFC 8291 §3.2 keys of a subscription whose pushes are encrypted (base64url, as the client gave them). */
export interface PushKeys {
  p256dh: string;
  auth: string;
}

export interface PushSubscriptionRecord {
  id: number;
  accountId: AccountId;
  deviceClientId: string;
  url: string;
  keys: PushKeys | null;
  verificationCode: string;
  verified: boolean;
  expiresAt: number | null;
  /** JMAP type names to push, or null for all (RFC 8620 §7.2 "types"). */
  types: string[] | null;
  createdAt: number;
}

export interface NewPushSubscription {
  accountId: AccountId;
  deviceClientId: string;
  url: string;
  keys: PushKeys | null;
  verificationCode: string;
  expiresAt: number | null;
  types: string[] | null;
  now?: number;
}

export interface PushSubscriptionPatch {
  verified?: boolean;
  expiresAt?: number | null;
  types?: string[] | null;
}

export interface PushSubscriptionStore {
  createPushSubscription(input: NewPushSubscription): Promise<PushSubscriptionRecord>;
  /** The account's subscriptions, oldest first; with `now`, only those not yet expired. */
  listPushSubscriptions(accountId: AccountId, now?: number): Promise<PushSubscriptionRecord[]>;
  /** null when the account has no such subscription. */
  updatePushSubscription(accountId: AccountId, id: number, patch: PushSubscriptionPatch): Promise<PushSubscriptionRecord | null>;
  /** false when the account has no such subscription. */
  deletePushSubscription(accountId: AccountId, id: number): Promise<boolean>;
  /** Accounts with at least one verified subscription not expired at `now`. */
  accountsWithPushSubscriptions(now: number): Promise<AccountId[]>;
  /** Removes every subscription expired at `now`; returns how many went. */
  deleteExpiredPushSubscriptions(now: number): Promise<number>;
}
