// Typed IMAP command failures (DESIGN.md §4). Handlers throw these where a rule is broken; the
// session catches them once at the command boundary and writes the tagged response. Store
// errors are mapped here, in one place, to RFC 5530 response codes.

import { StoreError } from '../store/types.ts';

/** A tagged NO (RFC 9051 §7.1.2) with an optional response code ("NONEXISTENT", "OVERQUOTA" …). */
export class ImapNo extends Error {
  readonly code: string | null;
  constructor(code: string | null, text: string) {
    super(text);
    this.name = 'ImapNo';
    this.code = code;
  }
}

/** A tagged BAD (RFC 9051 §7.1.3): the command is not valid here (state, arguments). */
export class ImapBad extends Error {
  readonly code: string | null;
  constructor(text: string, code: string | null = null) {
    super(text);
    this.name = 'ImapBad';
    this.code = code;
  }
}

/** The response a store failure becomes (RFC 5530 codes); the detail goes to the log only. */
export function storeErrorToNo(err: StoreError): ImapNo {
  switch (err.code) {
    case 'NOT_FOUND':
      return new ImapNo('NONEXISTENT', 'No such mailbox');
    case 'ALREADY_EXISTS':
      return new ImapNo('ALREADYEXISTS', 'Mailbox already exists');
    case 'OVER_QUOTA':
      return new ImapNo('OVERQUOTA', 'Quota exceeded');
    case 'INVALID':
      return new ImapNo('CANNOT', 'Invalid name or argument');
    case 'CANNOT':
      return new ImapNo('CANNOT', 'Operation not permitted');
    case 'HAS_CHILDREN':
      return new ImapNo('HASCHILDREN', 'Mailbox has children');
    case 'UNAVAILABLE':
      return new ImapNo('UNAVAILABLE', 'Temporary failure, try again later');
  }
}

/** Runs a store call and turns its StoreError into the matching ImapNo. */
export async function storeCall<T>(fn: () => Promise<T>, override: Partial<Record<StoreError['code'], ImapNo>> = {}): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof StoreError) throw override[err.code] ?? storeErrorToNo(err);
    throw err;
  }
}
