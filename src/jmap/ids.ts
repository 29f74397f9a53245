// JMAP ids and states for the store's integer ids (RFC 8620 §1.2: 1–255 characters of the
// URL-safe base64 alphabet). Object ids are shared with IMAP OBJECTID (src/mail/object-ids.ts).

import { fromObjectId, toObjectId, type ObjectKind } from '../mail/object-ids.ts';

export type JmapObjectKind = ObjectKind;

/** JMAP and IMAP OBJECTID share the ids (src/mail/object-ids.ts). */
export const toJmapId = toObjectId;
export const fromJmapId = fromObjectId;

/** The account id as JMAP shows it (RFC 8620 §1.6.2). */
export function toAccountId(accountId: number): string {
  return 'A' + accountId.toString(36);
}

export function fromAccountId(id: unknown): number | null {
  if (typeof id !== 'string' || !/^A[0-9a-z]{1,12}$/.test(id)) return null;
  const n = parseInt(id.slice(1), 36);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/**
 * Mailbox, Email and Thread states are the account's mod-sequence (RFC 8620 §5.1 "state"): the
 * change log answers /changes from any of them (src/store/change-types.ts).
 */
export function toState(modseq: number): string {
  return 's' + modseq.toString(36);
}

export function fromState(state: unknown): number | null {
  if (typeof state !== 'string' || !/^s[0-9a-z]{1,12}$/.test(state)) return null;
  const n = parseInt(state.slice(1), 36);
  return Number.isSafeInteger(n) ? n : null;
}
