// Incremental, bounded IMAP command reader (DESIGN.md §4; RFC 9051 §2.2, §4.3, §7.6; RFC 7888).
//
// Feed it Buffer chunks of any size with push(); pull events with next() until it returns null.
// Pulling (rather than callbacks) lets the session switch modes between two events: after an
// AUTHENTICATE or IDLE command it calls expectLine() before asking for the next event, after
// STARTTLS it throws the buffered bytes away (SECURITY-CASES.md: "a STARTTLS\r\nb CAPABILITY"),
// after COMPRESS it takes them to inflate.
//
// Limits are checked before anything is allocated for them: a line is only cut once its end is
// seen within maxLineBytes; a literal's announced size is compared with the limits before the
// session is told to send "+"; its payload is collected chunk by chunk as it arrives, never
// allocated from the announced size. Nesting depth is bounded in the tokenizer.
//
// A line ends at LF, with or without the CR before it: some clients and scripts send bare LF,
// and since IMAP carries message data only in literals, accepting it cannot smuggle anything.
//
// Recovery after bad input: a syntax error discards the rest of the command and the reader
// carries on with the next one ("error", fatal: false). If the client is already sending a
// non-synchronising literal we refuse, its bytes would be read as commands (command injection
// through message data), so the error is fatal: the session answers BAD [TOOBIG], BYE, closes.

import { ArgumentTokenizer, isValidCommandName, isValidTag, type LiteralAnnouncement, type Token } from './tokenizer.ts';

export interface ReaderLimits {
  /** Longest line, without CRLF and literal payloads. */
  maxLineBytes: number;
  /** Largest synchronising literal {N} or ~{N}. */
  maxLiteralBytes: number;
  /** Largest non-synchronising literal {N+}; 4096 when the server advertises LITERAL- (RFC 7888 LITERAL-). */
  maxNonSyncLiteralBytes: number;
  /** All lines and literals of one command together. */
  maxCommandBytes: number;
  /** Deepest nesting of "(" and "[". */
  maxDepth: number;
}

export const DEFAULT_READER_LIMITS: ReaderLimits = {
  maxLineBytes: 64 * 1024,
  maxLiteralBytes: 64 * 1024 * 1024,
  maxNonSyncLiteralBytes: 64 * 1024 * 1024,
  maxCommandBytes: 65 * 1024 * 1024,
  maxDepth: 64,
};

export interface RawCommand {
  tag: string;
  /** Command name in upper case ("UID" for UID commands: the sub-command is the first argument). */
  name: string;
  args: Token[];
  /** Bytes the command occupied on the wire, literals included. */
  size: number;
}

export type ReaderEvent =
  | { kind: 'command'; command: RawCommand }
  /**
   * A synchronising literal is within the limits: send "+ Ready for literal data" (RFC 9051 §7.6),
   * or answer the command and call refuseLiteral(). args: the arguments before the literal.
   */
  | { kind: 'continue'; tag: string; name: string; size: number; args: readonly Token[] }
  /**
   * A non-synchronising literal {N+} within the limits is on its way (RFC 7888): accept it by
   * doing nothing, or answer the command and call refuseLiteral(): its payload and the rest of
   * the command are then skipped as they arrive, never held in memory.
   */
  | { kind: 'literal'; tag: string; name: string; size: number; args: readonly Token[] }
  /** The line requested with expectLine(), without its CRLF. */
  | { kind: 'line'; line: Buffer }
  /**
   * Bad input. Reply "<tag> BAD [code] text" (or "* BAD" when tag is null). fatal: the stream
   * cannot be resynchronised; the session sends BYE and closes.
   */
  | { kind: 'error'; tag: string | null; code: 'TOOBIG' | null; text: string; fatal: boolean };

interface CommandInProgress {
  tag: string;
  name: string;
  tokenizer: ArgumentTokenizer;
  size: number;
}

interface LiteralInProgress {
  remaining: number;
  chunks: Buffer[];
  /** False while skipping the payload of a command that already failed. */
  keep: boolean;
}

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const PLUS = 0x2b;
const LBRACE = 0x7b;
const RBRACE = 0x7d;

/** RFC 9051 §6.3.13 idle-done = "DONE" (ABNF strings are case-insensitive), for a 'line' event. */
export function isIdleDone(line: Buffer): boolean {
  return line.length === 4 && line.toString('latin1').toUpperCase() === 'DONE';
}

export class CommandReader {
  private limits: ReaderLimits;
  /** Input; the unconsumed bytes are buf[pos, end). */
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private end = 0;
  /** buf is our own growable buffer (writable past end), not a caller's chunk. */
  private owned = false;
  /** No LF in buf[pos, scanned): where the next search for a line end starts. */
  private scanned = 0;
  private cmd: CommandInProgress | null = null;
  private literal: LiteralInProgress | null = null;
  /** The bad command continues on the next line (after a skipped literal): skip it too. */
  private discarding = false;
  /** Bytes skipped for the current bad command; bounded by maxCommandBytes like a good one. */
  private discarded = 0;
  private rawLine = false;
  private dead = false;
  /** Set between a 'continue' or 'literal' event and the first byte of its literal. */
  private announced: 'sync' | 'non-sync' | null = null;

  constructor(limits: Partial<ReaderLimits> = {}) {
    this.limits = { ...DEFAULT_READER_LIMITS, ...limits };
  }

  /** Changes limits from the next line on (e.g. larger literals after login). */
  setLimits(limits: Partial<ReaderLimits>): void {
    this.limits = { ...this.limits, ...limits };
  }

  get currentLimits(): Readonly<ReaderLimits> {
    return this.limits;
  }

  /** Bytes received and not yet consumed by next(). */
  get bufferedBytes(): number {
    return this.end - this.pos;
  }

  /** True in the middle of a command (between its first line and its end). */
  get inCommand(): boolean {
    return this.cmd !== null || this.literal !== null || this.discarding;
  }

  /**
   * Appends input. Zero-copy when everything before was consumed; otherwise the unconsumed tail
   * and the chunk go into a buffer that grows by doubling, so a line trickled one byte per
   * packet costs linear, not quadratic, copying. The session pauses its socket while a command
   * runs, so at most one partial line (≤ maxLineBytes) stays here between events.
   * The reader takes ownership of the chunk: do not modify it afterwards (socket chunks never are).
   */
  push(chunk: Buffer): void {
    if (this.dead || chunk.length === 0) return;
    const rest = this.end - this.pos;
    if (rest === 0) {
      this.buf = chunk;
      this.owned = false;
      this.pos = 0;
      this.end = chunk.length;
      this.scanned = 0;
      return;
    }
    if (this.owned && this.end + chunk.length <= this.buf.length) {
      chunk.copy(this.buf, this.end);
      this.end += chunk.length;
      return;
    }
    const size = Math.max(rest + chunk.length, rest * 2, 4096);
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, this.pos, this.end);
    chunk.copy(grown, rest);
    this.scanned = Math.max(0, this.scanned - this.pos);
    this.buf = grown;
    this.owned = true;
    this.pos = 0;
    this.end = rest + chunk.length;
  }

  /** The next line is returned raw as a 'line' event (AUTHENTICATE responses, IDLE's DONE). */
  expectLine(): void {
    if (this.inCommand) throw new Error('expectLine() in the middle of a command');
    this.rawLine = true;
  }

  /**
   * After a 'continue' event: the session answered the command (NO [TOOBIG], [OVERQUOTA] …)
   * instead of sending "+", so the client will not send the literal (RFC 9051 §7.6).
   */
  refuseLiteral(): void {
    if (this.announced === null) throw new Error('refuseLiteral() without a pending literal');
    const nonSync = this.announced === 'non-sync';
    this.announced = null;
    this.cmd = null;
    if (!nonSync) {
      this.literal = null;
      return;
    }
    // The client sends it anyway: skip the payload, then the rest of the command.
    this.literal!.keep = false;
    this.discarding = true;
    this.discarded = this.literal!.remaining;
  }

  /** Removes and returns the unconsumed input (STARTTLS discards it; COMPRESS inflates it). */
  takeBuffered(): Buffer {
    const rest = Buffer.from(this.buf.subarray(this.pos, this.end));
    this.reset();
    return rest;
  }

  private reset(): void {
    this.buf = Buffer.alloc(0);
    this.owned = false;
    this.pos = 0;
    this.end = 0;
    this.scanned = 0;
  }

  next(): ReaderEvent | null {
    while (!this.dead) {
      if (this.literal) {
        if (!this.readLiteral()) return null;
        continue;
      }
      const lineEnd = this.findLineEnd();
      if (lineEnd === -1) {
        if (this.end - this.pos > this.limits.maxLineBytes + 1) {
          return this.fatal(this.cmd?.tag ?? null, 'TOOBIG', 'Line too long');
        }
        return null;
      }
      const start = this.pos;
      this.pos = lineEnd + 1;
      const end = lineEnd > start && this.buf[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd;
      if (end - start > this.limits.maxLineBytes) {
        return this.fatal(this.cmd?.tag ?? null, 'TOOBIG', 'Line too long');
      }
      if (this.rawLine) {
        this.rawLine = false;
        return { kind: 'line', line: Buffer.from(this.buf.subarray(start, end)) };
      }
      if (this.discarding) {
        const ev = this.skipRestOfCommand(start, end);
        if (ev) return ev;
        continue;
      }
      const ev = this.line(start, end);
      if (ev) return ev;
    }
    return null;
  }

  private findLineEnd(): number {
    const limit = Math.min(this.end, this.pos + this.limits.maxLineBytes + 2);
    const from = Math.max(this.pos, this.scanned);
    if (from >= limit) return -1;
    const i = this.buf.subarray(0, limit).indexOf(LF, from);
    if (i === -1) {
      this.scanned = limit;
      return -1;
    }
    return i;
  }

  private fatal(tag: string | null, code: 'TOOBIG' | null, text: string): ReaderEvent {
    this.dead = true;
    this.cmd = null;
    this.literal = null;
    this.reset();
    return { kind: 'error', tag, code, text, fatal: true };
  }

  private line(start: number, end: number): ReaderEvent | null {
    const buf = this.buf;
    let argStart = end;
    if (!this.cmd) {
      if (start === end) return { kind: 'error', tag: null, code: null, text: 'Empty command line', fatal: false };
      let sp = buf.indexOf(SP, start);
      if (sp === -1 || sp > end) sp = end;
      if (!isValidTag(buf, start, sp)) {
        return this.failLine(null, start, end, 'Invalid tag');
      }
      const tag = buf.toString('latin1', start, sp);
      if (sp === end) return this.failLine(tag, start, end, 'Missing command');
      let nameEnd = buf.indexOf(SP, sp + 1);
      if (nameEnd === -1 || nameEnd > end) nameEnd = end;
      if (!isValidCommandName(buf, sp + 1, nameEnd)) return this.failLine(tag, start, end, 'Invalid command name');
      const name = buf.toString('latin1', sp + 1, nameEnd).toUpperCase();
      this.cmd = { tag, name, tokenizer: new ArgumentTokenizer(this.limits.maxDepth), size: 0 };
      argStart = nameEnd < end ? nameEnd + 1 : end;
    } else {
      argStart = start;
    }
    const cmd = this.cmd;
    cmd.size += end - start + 2;
    if (cmd.size > this.limits.maxCommandBytes) return this.failLine(cmd.tag, start, end, 'Command too long', 'TOOBIG');
    const res = cmd.tokenizer.feedLine(buf, argStart, end);
    if (res.kind === 'error') return this.failLine(cmd.tag, start, end, res.text, res.tooBig ? 'TOOBIG' : null);
    if (res.kind === 'done') {
      this.cmd = null;
      return { kind: 'command', command: { tag: cmd.tag, name: cmd.name, args: cmd.tokenizer.top, size: cmd.size } };
    }
    return this.announce(cmd, res.literal);
  }

  private announce(cmd: CommandInProgress, lit: LiteralAnnouncement): ReaderEvent | null {
    const max = lit.sync ? this.limits.maxLiteralBytes : this.limits.maxNonSyncLiteralBytes;
    if (lit.size > max || cmd.size + lit.size > this.limits.maxCommandBytes) {
      this.cmd = null;
      // The client waits for "+" before sending a synchronising literal: a BAD is enough.
      if (lit.sync) return { kind: 'error', tag: cmd.tag, code: 'TOOBIG', text: 'Literal too large', fatal: false };
      return this.fatal(cmd.tag, 'TOOBIG', 'Non-synchronizing literal too large');
    }
    cmd.size += lit.size;
    this.literal = { remaining: lit.size, chunks: [], keep: true };
    this.announced = lit.sync ? 'sync' : 'non-sync';
    return { kind: lit.sync ? 'continue' : 'literal', tag: cmd.tag, name: cmd.name, size: lit.size, args: [...cmd.tokenizer.top] };
  }

  /** Returns true when the literal is complete. */
  private readLiteral(): boolean {
    const lit = this.literal!;
    const avail = this.end - this.pos;
    if (avail === 0 && lit.remaining > 0) return false;
    this.announced = null;
    const take = Math.min(avail, lit.remaining);
    if (take > 0) {
      if (lit.keep) {
        // A whole pushed chunk is kept as it is (push() takes ownership); a part of one is
        // copied, so a small literal never keeps a large chunk alive.
        const whole = !this.owned && this.pos === 0 && take === this.end;
        lit.chunks.push(whole ? this.buf : Buffer.from(this.buf.subarray(this.pos, this.pos + take)));
      }
      this.pos += take;
      lit.remaining -= take;
    }
    if (lit.remaining > 0) return false;
    this.literal = null;
    if (lit.keep) {
      this.cmd!.tokenizer.addLiteral(lit.chunks.length === 1 ? lit.chunks[0] : Buffer.concat(lit.chunks));
    }
    return true;
  }

  /**
   * Ends a bad command. The rest of the line is dropped; if the line announces a
   * non-synchronising literal, the client sends it anyway, so its payload and the following
   * line are skipped too (or, when the size is unacceptable, the stream is given up).
   */
  private failLine(tag: string | null, start: number, end: number, text: string, code: 'TOOBIG' | null = null): ReaderEvent {
    this.cmd = null;
    const next = this.trailingNonSync(start, end);
    if (next === 'fatal') return this.fatal(tag, code, text);
    if (next !== null) {
      this.literal = { remaining: next, chunks: [], keep: false };
      this.discarding = true;
      this.discarded = end - start + next;
    }
    return { kind: 'error', tag, code, text, fatal: false };
  }

  private skipRestOfCommand(start: number, end: number): ReaderEvent | null {
    const next = this.trailingNonSync(start, end);
    if (next === 'fatal') return this.fatal(null, 'TOOBIG', 'Non-synchronizing literal too large');
    if (next === null) {
      this.discarding = false;
      return null;
    }
    this.discarded += end - start + next;
    if (this.discarded > this.limits.maxCommandBytes) return this.fatal(null, 'TOOBIG', 'Command too long');
    this.literal = { remaining: next, chunks: [], keep: false };
    return null;
  }

  /** Size of a {N+} / ~{N+} ending the line; null if none; 'fatal' if it cannot be skipped. */
  private trailingNonSync(start: number, end: number): number | 'fatal' | null {
    const buf = this.buf;
    if (end - start < 4 || buf[end - 1] !== RBRACE || buf[end - 2] !== PLUS) return null;
    let i = end - 3;
    while (i >= start && buf[i] >= 0x30 && buf[i] <= 0x39) i--;
    const digits = end - 3 - i;
    if (i < start || buf[i] !== LBRACE || digits === 0) return null;
    if (digits > 10) return 'fatal';
    const n = Number(buf.toString('latin1', i + 1, end - 2));
    return n > this.limits.maxNonSyncLiteralBytes ? 'fatal' : n;
  }
}
