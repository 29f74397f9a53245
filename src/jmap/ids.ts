// JMAP ids and states for the store's integer ids (RFC 8620 §1.2: 1–255 characters of the
// URL-safe base64 alphabet). A letter per object type keeps an id of one type from ever being
// read as another's; the store's ids are never reused (src/store/ids.ts), so neither are these.

export type JmapObjectKind = 'mailbox' | 'email' | 'thread' | 'identity' | 'submission' | 'push';

const PREFIX: Record<JmapObjectKind, string> = {
  mailbox: 'M',
  email: 'E',
  thread: 'T',
  identity: 'I',
  submission: 'S',
  push: 'P',
};

export function toJmapId(kind: JmapObjectKind, id: number): string {
  return PREFIX[kind] + id.toString(36);
}

/** The store id, or null when the string is not an id of this kind (such an id is simply not found). */
export function fromJmapId(kind: JmapObjectKind, id: unknown): number | null {
  if (typeof id !== 'string' || id.length < 2 || id.length > 14 || id[0] !== PREFIX[kind]) return null;
  const body = id.slice(1);
  if (!/^[0-9a-z]+$/.test(body) || (body.length > 1 && body[0] === '0')) return null;
  const n = parseInt(body, 36);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

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
