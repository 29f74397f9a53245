// Object ids clients see, the same in JMAP (RFC 8620 §1.2 Id) and IMAP OBJECTID (RFC 8474 §4:
// MAILBOXID, EMAILID, THREADID — "the same as the ones used in JMAP" is the reason that RFC
// exists). A letter per type, then the store's integer id in base 36: an id of one type never
// reads as another's, and since the store never reuses an id (src/store/ids.ts), neither is this.
// RFC 8474 §5 objectid = 1*255(ALPHA / DIGIT / "_" / "-"), which these are.

export type ObjectKind = 'mailbox' | 'email' | 'thread' | 'identity' | 'submission' | 'push';

const PREFIX: Record<ObjectKind, string> = {
  mailbox: 'M',
  email: 'E',
  thread: 'T',
  identity: 'I',
  submission: 'S',
  push: 'P',
};

export function toObjectId(kind: ObjectKind, id: number): string {
  return PREFIX[kind] + id.toString(36);
}

/** The store id, or null when the string is not an id of this kind (such an id is simply not found). */
export function fromObjectId(kind: ObjectKind, id: unknown): number | null {
  if (typeof id !== 'string' || id.length < 2 || id.length > 14 || id[0] !== PREFIX[kind]) return null;
  const body = id.slice(1);
  if (!/^[0-9a-z]+$/.test(body) || (body.length > 1 && body[0] === '0')) return null;
  const n = parseInt(body, 36);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}
