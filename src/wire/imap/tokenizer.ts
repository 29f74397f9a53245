// IMAP argument tokenizer, one complete line at a time (RFC 9051 §4, §9 formal syntax).
//
// The CommandReader (reader.ts) cuts the input into lines and literal payloads; this file turns
// each line into tokens. A command may span several lines when it carries literals, so the
// tokenizer keeps its open lists on an explicit stack between lines: no recursion anywhere, and
// the nesting depth is checked before a frame is pushed (SECURITY-CASES.md: 100,000 "(").
//
// Token tree:
//   atom     — any run of ATOM-CHARs, plus "]" (ASTRING-CHAR), "%" and "*" (list wildcards and
//              sequence-set "*"), and a leading "\" (flags). NIL is an atom: only the grammar
//              knows whether NIL means "nothing" or a mailbox called NIL (RFC 9051 §4.5).
//   string   — quoted string, literal {N} / {N+} or literal8 ~{N}; bytes kept as sent, because
//              SEARCH CHARSET decides how to read them.
//   list     — "(" … ")".
//   section  — BODY[…]<o.n>, BODY.PEEK[…], BINARY[…], BINARY.PEEK[…], BINARY.SIZE[…]: "[" only
//              opens a section after one of those names, so "[Gmail]/Sent" stays an atom.

export interface AtomToken {
  type: 'atom';
  value: string;
}
export interface StringToken {
  type: 'string';
  value: Buffer;
  form: 'quoted' | 'literal' | 'literal8';
}
export interface ListToken {
  type: 'list';
  items: Token[];
}
export interface SectionToken {
  type: 'section';
  /** The fetch attribute name in upper case: "BODY", "BODY.PEEK", "BINARY", … */
  name: string;
  items: Token[];
  /** "<offset.length>" after the section (FETCH), length null for "<offset>". */
  partial: { offset: number; length: number | null } | null;
}
export type Token = AtomToken | StringToken | ListToken | SectionToken;

/** A literal announced at the end of a line: {N}, {N+} or ~{N} (RFC 9051 §4.3, RFC 7888, RFC 3516). */
export interface LiteralAnnouncement {
  size: number;
  sync: boolean;
  binary: boolean;
}

export type LineResult =
  | { kind: 'done' }
  | { kind: 'literal'; literal: LiteralAnnouncement }
  | { kind: 'error'; text: string; tooBig: boolean };

const SECTION_NAMES = new Set(['BODY', 'BODY.PEEK', 'BINARY', 'BINARY.PEEK', 'BINARY.SIZE']);

// Byte classes. Token bytes: %x21-7E except ( ) { DQUOTE; "[" and "]" are handled separately.
// "\" is kept for flags (\Seen); the grammar checks each argument's own character set.
const C_ATOM = 1;
const CLASS = new Uint8Array(256);
for (let b = 0x21; b < 0x7f; b++) CLASS[b] = C_ATOM;
for (const ch of '(){"') CLASS[ch.charCodeAt(0)] = 0;

const SP = 0x20;
const LPAREN = 0x28;
const RPAREN = 0x29;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const TILDE = 0x7e;
const LT = 0x3c;
const GT = 0x3e;
const DOT = 0x2e;
const PLUS = 0x2b;

/** Largest number a literal size or partial may have: IMAP numbers are 32-bit (RFC 9051 §9). */
const MAX_UINT32 = 4294967295;

interface Frame {
  items: Token[];
  section: SectionToken | null;
}

class LineError extends Error {
  readonly tooBig: boolean;
  constructor(text: string, tooBig = false) {
    super(text);
    this.tooBig = tooBig;
  }
}

/**
 * Tokenizes the arguments of one command, line by line. Not reusable: make one per command.
 * feedLine() returns 'literal' when the line ends with a literal announcement; the caller reads
 * the payload and hands it over with addLiteral() before feeding the next line.
 */
export class ArgumentTokenizer {
  readonly top: Token[] = [];
  private stack: Frame[] = [];
  private current: Frame;
  /** True after a complete token: the next byte must be SP, ")", "]" or the end of the line. */
  private needSep = false;
  private pendingLiteral: LiteralAnnouncement | null = null;
  private readonly maxDepth: number;

  constructor(maxDepth: number) {
    this.maxDepth = maxDepth;
    this.current = { items: this.top, section: null };
  }

  get depth(): number {
    return this.stack.length;
  }

  addLiteral(value: Buffer): void {
    const lit = this.pendingLiteral;
    if (!lit) throw new Error('addLiteral without a pending literal');
    this.pendingLiteral = null;
    this.current.items.push({ type: 'string', value, form: lit.binary ? 'literal8' : 'literal' });
    this.needSep = true;
  }

  /** Tokenizes line[start..end) (the line without its CRLF). */
  feedLine(line: Buffer, start: number, end: number): LineResult {
    try {
      return this.scan(line, start, end);
    } catch (e) {
      if (e instanceof LineError) return { kind: 'error', text: e.message, tooBig: e.tooBig };
      throw e;
    }
  }

  private scan(line: Buffer, start: number, end: number): LineResult {
    let i = start;
    while (i < end) {
      const b = line[i];
      if (b === SP) {
        if (!this.needSep) throw new LineError('Unexpected space');
        this.needSep = false;
        i++;
        continue;
      }
      if (b === RPAREN) {
        if (this.current.section || this.stack.length === 0) throw new LineError('Unexpected ")"');
        this.pop();
        this.needSep = true;
        i++;
        continue;
      }
      if (b === RBRACKET && this.current.section) {
        const section = this.current.section;
        this.pop();
        i++;
        if (i < end && line[i] === LT) i = this.partial(line, i + 1, end, section);
        this.needSep = true;
        continue;
      }
      if (this.needSep) throw new LineError('Missing space between arguments');
      if (b === LPAREN) {
        this.push({ items: [], section: null });
        i++;
        continue;
      }
      if (b === DQUOTE) {
        i = this.quoted(line, i + 1, end);
        this.needSep = true;
        continue;
      }
      if (b === LBRACE || (b === TILDE && i + 1 < end && line[i + 1] === LBRACE)) {
        const binary = b === TILDE;
        this.pendingLiteral = this.literal(line, binary ? i + 2 : i + 1, end, binary);
        return { kind: 'literal', literal: this.pendingLiteral };
      }
      i = this.atom(line, i, end);
    }
    if (this.stack.length > 0) throw new LineError(this.current.section ? 'Unterminated section "["' : 'Unterminated list "("');
    return { kind: 'done' };
  }

  private push(frame: Frame): void {
    if (this.stack.length >= this.maxDepth) throw new LineError('Too many nested lists');
    const list: Token = frame.section ?? { type: 'list', items: frame.items };
    this.current.items.push(list);
    this.stack.push(this.current);
    this.current = frame;
  }

  private pop(): void {
    this.current = this.stack.pop()!;
  }

  private atom(line: Buffer, start: number, end: number): number {
    let i = start;
    const inSection = this.current.section !== null;
    while (i < end) {
      const b = line[i];
      if (b === RBRACKET) {
        if (inSection) break;
        i++;
        continue;
      }
      if (b === LBRACKET) {
        const name = line.toString('latin1', start, i).toUpperCase();
        if (SECTION_NAMES.has(name)) {
          const section: SectionToken = { type: 'section', name, items: [], partial: null };
          this.push({ items: section.items, section });
          return i + 1;
        }
        i++;
        continue;
      }
      if (CLASS[b] !== C_ATOM) break;
      i++;
    }
    if (i === start || (i < end && line[i] !== SP && line[i] !== RPAREN && line[i] !== RBRACKET)) {
      const b = line[i];
      if (b === 0) throw new LineError('NUL in command');
      if (b >= 0x80) throw new LineError('8-bit character outside a string');
      if (b < 0x20 || b === 0x7f) throw new LineError('Control character in command');
      throw new LineError(`Unexpected character "${String.fromCharCode(b)}"`);
    }
    this.current.items.push({ type: 'atom', value: line.toString('latin1', start, i) });
    this.needSep = true;
    return i;
  }

  // RFC 9051 §4.3: quoted = DQUOTE *QUOTED-CHAR DQUOTE; QUOTED-CHAR excludes CR and LF, and "\"
  // may only escape DQUOTE or "\". NUL is not a CHAR at all (CVE-2019-11500 came from it).
  private quoted(line: Buffer, start: number, end: number): number {
    let i = start;
    let escapes = false;
    while (i < end) {
      const b = line[i];
      if (b === DQUOTE) break;
      if (b === BACKSLASH) {
        const n = line[i + 1];
        if (i + 1 >= end || (n !== DQUOTE && n !== BACKSLASH)) throw new LineError('Invalid escape in quoted string');
        escapes = true;
        i += 2;
        continue;
      }
      if (b === 0) throw new LineError('NUL in quoted string');
      if (b === 0x0d || b === 0x0a) throw new LineError('CR or LF in quoted string');
      i++;
    }
    if (i >= end) throw new LineError('Unterminated quoted string');
    let value: Buffer;
    if (!escapes) {
      value = Buffer.from(line.subarray(start, i));
    } else {
      value = Buffer.allocUnsafe(i - start);
      let o = 0;
      for (let j = start; j < i; j++) {
        if (line[j] === BACKSLASH) j++;
        value[o++] = line[j];
      }
      value = value.subarray(0, o);
    }
    this.current.items.push({ type: 'string', value, form: 'quoted' });
    return i + 1;
  }

  // RFC 9051 §4.3 literal = "{" number64 ["+"] "}" CRLF; RFC 3516 literal8 = "~{" number ["+"] "}".
  // Digits are counted as they are read, so "{" + 20 digits fails before any value is formed.
  private literal(line: Buffer, start: number, end: number, binary: boolean): LiteralAnnouncement {
    let i = start;
    let size = 0;
    while (i < end && line[i] >= 0x30 && line[i] <= 0x39) {
      size = size * 10 + (line[i] - 0x30);
      if (i - start >= 10 || size > MAX_UINT32) throw new LineError('Literal size too large', true);
      i++;
    }
    if (i === start) throw new LineError('Invalid literal size');
    let sync = true;
    if (i < end && line[i] === PLUS) {
      sync = false;
      i++;
    }
    if (i >= end || line[i] !== RBRACE) throw new LineError('Invalid literal');
    if (i + 1 !== end) throw new LineError('Literal must end the line');
    return { size, sync, binary };
  }

  // RFC 9051 §6.4.5: "<" number "." nz-number ">" in FETCH; "<" number ">" accepted for the
  // tokenizer's sake (the FETCH grammar insists on the length).
  private partial(line: Buffer, start: number, end: number, section: SectionToken): number {
    let i = start;
    const readNumber = (): number => {
      const from = i;
      let n = 0;
      while (i < end && line[i] >= 0x30 && line[i] <= 0x39) {
        n = n * 10 + (line[i] - 0x30);
        if (n > MAX_UINT32) throw new LineError('Partial range too large');
        i++;
      }
      if (i === from) throw new LineError('Invalid partial range');
      return n;
    };
    const offset = readNumber();
    let length: number | null = null;
    if (i < end && line[i] === DOT) {
      i++;
      length = readNumber();
    }
    if (i >= end || line[i] !== GT) throw new LineError('Invalid partial range');
    section.partial = { offset, length };
    return i + 1;
  }
}

/** Tag: 1*<any ASTRING-CHAR except "+"> (RFC 9051 §9). */
export function isValidTag(line: Buffer, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const b = line[i];
    if (b === PLUS || b === 0x25 || b === 0x2a || b === BACKSLASH) return false;
    if (CLASS[b] !== C_ATOM && b !== RBRACKET && b !== LBRACKET) return false;
  }
  return true;
}

/** Command name: an atom of letters (RFC 9051 §9 command names are all alphabetic). */
export function isValidCommandName(line: Buffer, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const b = line[i] | 0x20;
    if (b < 0x61 || b > 0x7a) return false;
  }
  return true;
}

/** The bytes of a string token as UTF-8 text; atoms as they are. */
export function tokenText(t: Token): string | null {
  if (t.type === 'atom') return t.value;
  if (t.type === 'string') return t.value.toString('utf8');
  return null;
}
