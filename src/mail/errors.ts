// The error every mail operation refuses with, whether a rule refused it (a malformed flag or
// mailbox name, src/mail/) or the store did (quota, a missing mailbox, a locked database).
// Protocols map the code to their own replies (IMAP NO [..], SMTP 5xx, POP3 -ERR, JMAP SetError).
// It lives here, below the store, so the rules the store enforces need nothing from the store.

/** Thrown by rules and by the store. */
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
