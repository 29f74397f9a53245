// The ways an administration request can be refused. Every use case throws these for what the
// caller got wrong, so a front end (the CLI, the REST API) maps a code to its own answer (an
// exit status, an HTTP status) without reading the message. Anything else that escapes a use
// case (a StoreError UNAVAILABLE, a disk error) is the server's trouble, not the caller's.

import { StoreError } from '../../store/types.ts';

export type AdminErrorCode =
  /** Malformed input, or a value a rule refuses (a short password, a negative quota). */
  | 'INVALID'
  /** The domain, user or alias the request names does not exist. */
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  /** The domain of a new user or alias is not hosted here. */
  | 'NOT_HOSTED'
  /** A domain that still has users cannot be removed. */
  | 'HAS_CHILDREN';

export class AdminError extends Error {
  readonly code: AdminErrorCode;
  /** What the refusal is about (a domain, an address, an alias source), normalised where it could be. */
  readonly subject: string;
  constructor(code: AdminErrorCode, message: string, subject: string) {
    super(message);
    this.name = 'AdminError';
    this.code = code;
    this.subject = subject;
  }
}

const CALLER_STORE_ERRORS: Partial<Record<StoreError['code'], AdminErrorCode>> = {
  NOT_FOUND: 'NOT_FOUND',
  ALREADY_EXISTS: 'ALREADY_EXISTS',
  INVALID: 'INVALID',
  HAS_CHILDREN: 'HAS_CHILDREN',
};

/**
 * Runs one store call; a refusal that is the caller's doing (the checks before it raced with
 * another administrator, or the store's own validation caught something) becomes an AdminError.
 */
export async function storeCall<T>(subject: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const code = err instanceof StoreError ? CALLER_STORE_ERRORS[err.code] : undefined;
    if (code) throw new AdminError(code, (err as Error).message, subject);
    throw err;
  }
}
