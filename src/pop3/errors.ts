// Typed POP3 failures, thrown where a rule is broken and caught once at the command boundary
// (session.ts), which turns them into one "-ERR" line. Internal details never reach the client.

import type { RespCode } from '../wire/pop3/response.ts';

/** The command fails with "-ERR [code] text"; the session goes on. */
export class Pop3Error extends Error {
  readonly code: RespCode | null;
  /** A protocol violation (bad syntax, wrong state): counts towards the bad-command limit. */
  readonly bad: boolean;
  constructor(code: RespCode | null, text: string, opts: { bad?: boolean } = {}) {
    super(text);
    this.name = 'Pop3Error';
    this.code = code;
    this.bad = opts.bad ?? false;
  }
}

/** A syntax or sequence error: "-ERR text", counted as a bad command. */
export function badCommand(text: string): Pop3Error {
  return new Pop3Error(null, text, { bad: true });
}

/**
 * Failure in the middle of a multi-line response (a blob that cannot be read after "+OK" was
 * sent): no "-ERR" can be told apart from message content any more, so the connection is closed.
 */
export class BrokenResponse extends Error {
  constructor(message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'BrokenResponse';
  }
}
