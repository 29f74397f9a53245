// Reading typed values out of a command's token tree (RFC 9051 §9 formal syntax).
//
// The grammar files walk the tokens with an Args cursor. Any mismatch throws ArgError, which
// parseCommand() (commands.ts) catches once and returns as a typed WireError: client input never
// escapes as an exception.

import { decodeMailboxUtf7 } from './utf7.ts';
import { parseSequenceSet, type SequenceSet } from './sequence.ts';
import type { StringToken, Token } from './tokenizer.ts';

/** A refused command: "BAD" for syntax, "NO" for well-formed requests we cannot serve (BADCHARSET). */
export interface WireError {
  kind: 'bad' | 'no';
  /** Response code to put in brackets, e.g. "BADCHARSET (UTF-8 US-ASCII)"; null for none. */
  code: string | null;
  text: string;
}

export class ArgError extends Error {
  readonly kind: 'bad' | 'no';
  readonly code: string | null;
  constructor(text: string, kind: 'bad' | 'no' = 'bad', code: string | null = null) {
    super(text);
    this.kind = kind;
    this.code = code;
  }
}

export function bad(text: string): never {
  throw new ArgError(text);
}

/** What the session has enabled that changes how arguments read (RFC 9051 §6.3.1, RFC 6855). */
export interface GrammarOptions {
  /** UTF8=ACCEPT (or IMAP4rev2) enabled: mailbox names are UTF-8, not modified UTF-7. */
  utf8Accept?: boolean;
}

/**
 * A mailbox name argument: always the wire spelling, and the decoded name when it decodes.
 * A name that does not decode is not a syntax error: the session answers NO [CANNOT]
 * (SECURITY-CASES.md), so it is carried as ok: false rather than thrown.
 */
export type MailboxArg = { ok: true; wire: string; name: string } | { ok: false; wire: string; reason: string };

// ASTRING-CHAR: ATOM-CHAR or "]" — no list wildcards, no "\" (RFC 9051 §9).
const ASTRING_ATOM = /^[!#$&'+,\-./0-9:;<=>?@A-Z[\]^_`a-z|}~]+$/;
// list-char = ATOM-CHAR / list-wildcards / resp-specials.
const LIST_ATOM = /^[!#$%&'*+,\-./0-9:;<=>?@A-Z[\]^_`a-z|}~]+$/;
// flag = "\" atom / atom; atom excludes "]" too.
const FLAG = /^\\?[!#$&'+,\-./0-9:;<=>?@A-Z[^_`a-z|}~]+$/;
const NUMBER = /^(0|[1-9][0-9]{0,9})$/;
const NUMBER64 = /^(0|[1-9][0-9]{0,18})$/;
const MAX_MODSEQ = 9223372036854775807n;

export function describe(t: Token | undefined): string {
  if (!t) return 'end of command';
  if (t.type === 'atom') return t.value.length > 40 ? 'atom' : `"${t.value}"`;
  return t.type;
}

export class Args {
  private readonly items: Token[];
  private i = 0;
  readonly options: GrammarOptions;

  constructor(items: Token[], options: GrammarOptions = {}) {
    this.items = items;
    this.options = options;
  }

  get done(): boolean {
    return this.i >= this.items.length;
  }

  get remaining(): number {
    return this.items.length - this.i;
  }

  peek(): Token | undefined {
    return this.items[this.i];
  }

  /** Upper-case atom at the cursor, without consuming it; null if not an atom. */
  peekKeyword(): string | null {
    const t = this.items[this.i];
    return t && t.type === 'atom' ? t.value.toUpperCase() : null;
  }

  next(what: string): Token {
    const t = this.items[this.i];
    if (!t) bad(`Missing ${what}`);
    this.i++;
    return t;
  }

  end(): void {
    if (!this.done) bad(`Unexpected ${describe(this.peek())} after arguments`);
  }

  atom(what: string): string {
    const t = this.next(what);
    if (t.type !== 'atom') bad(`Expected ${what}, got ${describe(t)}`);
    return t.value;
  }

  keyword(what: string): string {
    return this.atom(what).toUpperCase();
  }

  /** Consumes the keyword if it is next (case-insensitive). */
  accept(keyword: string): boolean {
    if (this.peekKeyword() === keyword) {
      this.i++;
      return true;
    }
    return false;
  }

  astringBytes(what: string): Buffer {
    const t = this.next(what);
    if (t.type === 'string') return stringValue(t, what);
    if (t.type === 'atom' && ASTRING_ATOM.test(t.value)) return Buffer.from(t.value, 'latin1');
    bad(`Invalid ${what}`);
  }

  astring(what: string): string {
    return this.astringBytes(what).toString('utf8');
  }

  /** string = quoted / literal (no atoms). */
  string(what: string): Buffer {
    const t = this.next(what);
    if (t.type !== 'string') bad(`Expected ${what} as a string, got ${describe(t)}`);
    return stringValue(t, what);
  }

  /** nstring = string / NIL. */
  nstring(what: string): string | null {
    const t = this.next(what);
    if (t.type === 'atom' && t.value.toUpperCase() === 'NIL') return null;
    if (t.type !== 'string') bad(`Expected ${what}`);
    return stringValue(t, what).toString('utf8');
  }

  /** number (RFC 9051 §9): 0..4294967295. */
  number(what: string): number {
    const text = this.atom(what);
    if (!NUMBER.test(text) || Number(text) > 4294967295) bad(`Invalid ${what}`);
    return Number(text);
  }

  nzNumber(what: string): number {
    const n = this.number(what);
    if (n === 0) bad(`Invalid ${what}`);
    return n;
  }

  /**
   * mod-sequence-value (RFC 7162 §7): up to 63 bits on the wire. Our own mod-sequences stay far
   * below 2^53, so a larger value (a client that synchronised with another server) is clamped
   * to Number.MAX_SAFE_INTEGER: it is still "greater than anything here", which is all that
   * CHANGEDSINCE, UNCHANGEDSINCE, QRESYNC and SEARCH MODSEQ compare.
   */
  modseq(what: string, allowZero = false): number {
    const text = this.atom(what);
    if (!NUMBER64.test(text) || BigInt(text) > MAX_MODSEQ) bad(`Invalid ${what}`);
    const n = Math.min(Number(text), Number.MAX_SAFE_INTEGER);
    if (n === 0 && !allowZero) bad(`Invalid ${what}`);
    return n;
  }

  list(what: string): Args {
    const t = this.next(what);
    if (t.type !== 'list') bad(`Expected ${what} list, got ${describe(t)}`);
    return new Args(t.items, this.options);
  }

  /** A parenthesised list if one is next, else null (nothing consumed). */
  optionalList(): Args | null {
    const t = this.peek();
    if (!t || t.type !== 'list') return null;
    this.i++;
    return new Args(t.items, this.options);
  }

  sequenceSet(what = 'sequence set', allowSaved = true): SequenceSet {
    const set = parseSequenceSet(this.atom(what), allowSaved);
    if (!set) bad(`Invalid ${what}`);
    return set;
  }

  /** A mailbox argument (RFC 9051 §9 mailbox = "INBOX" / astring). */
  mailbox(what = 'mailbox name'): MailboxArg {
    return decodeMailbox(this.astringBytes(what), this.options);
  }

  /** A LIST pattern: list-mailbox = 1*list-char / string (wildcards allowed in atoms). */
  listPattern(what: string): MailboxArg {
    const t = this.next(what);
    if (t.type === 'string') return decodeMailbox(stringValue(t, what), this.options);
    if (t.type === 'atom' && LIST_ATOM.test(t.value)) return decodeMailbox(Buffer.from(t.value, 'latin1'), this.options);
    bad(`Invalid ${what}`);
  }

  flag(what = 'flag'): string {
    const f = this.atom(what);
    if (!FLAG.test(f)) bad(`Invalid ${what}`);
    return f;
  }

  /** flag-list = "(" [flag *(SP flag)] ")". */
  flagList(): string[] {
    const list = this.list('flag');
    const flags: string[] = [];
    while (!list.done) flags.push(list.flag());
    return flags;
  }
}

/** RFC 3516 §4.3: literal8 is only for message data (APPEND), never for an ordinary string. */
function stringValue(t: StringToken, what: string): Buffer {
  if (t.form === 'literal8') bad(`${what} cannot be a literal8`);
  return t.value;
}

export function decodeMailbox(bytes: Buffer, options: GrammarOptions): MailboxArg {
  if (options.utf8Accept) {
    const wire = bytes.toString('utf8');
    if (!Buffer.from(wire, 'utf8').equals(bytes)) return { ok: false, wire, reason: 'invalid UTF-8' };
    // The same rule the modified UTF-7 decoder applies: no controls (NUL, CR, LF …) in a name.
    if (/[\u0000-\u001f\u007f-\u009f]/.test(wire)) return { ok: false, wire, reason: 'control character' };
    // RFC 6855 §3: after ENABLE UTF8=ACCEPT names are sent and received as UTF-8, as they are;
    // "&" is then ordinary text, not a modified UTF-7 shift.
    return { ok: true, wire, name: wire };
  }
  const wire = bytes.toString('latin1');
  const decoded = decodeMailboxUtf7(wire);
  if (!decoded.ok) return { ok: false, wire, reason: decoded.reason };
  return { ok: true, wire, name: decoded.value };
}
