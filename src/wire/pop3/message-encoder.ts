// A stored message as POP3 transmits it in a RETR or TOP response (RFC 1939 §3, §7):
// - every line ends with CRLF: a bare LF (stored by a client that appended with Unix line ends)
//   becomes CRLF; a bare CR inside a line is left alone, as it does not end a line;
// - a line that begins with "." gets another "." in front (byte-stuffing), undone by the client;
// - a message whose last line has no line end gets a CRLF, then the terminating "." CRLF.
// Fed the message in chunks of any size, so a 50 MB message streams in bounded memory.
//
// `octets` counts the message as the client ends up with it (after un-stuffing): the stored
// bytes plus the CRs added and the final CRLF if one was added. This is the size LIST and STAT
// report (RFC 1939 §11: the size as transmitted, not as stored), and the same code path that
// produces RETR measures it, so the two can never disagree.

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const CR_BUF = Buffer.from([CR]);
const DOT_BUF = Buffer.from([DOT]);
const LF_DOT = Buffer.from('\n.');
const END = Buffer.from('.\r\n');
const CRLF_END = Buffer.from('\r\n.\r\n');

export interface EncoderOptions {
  /**
   * TOP (RFC 1939 §7): send the header, the blank line after it, and this many lines of the
   * body. Omitted: the whole message (RETR).
   */
  bodyLines?: number;
  /** Only count `octets`; encode() returns empty buffers. For LIST/STAT sizes. */
  measureOnly?: boolean;
  /**
   * The caller knows the message has CRLF line ends only and ends with a line end (its size
   * as transmitted equals its stored size): only dot-stuffing is left to do, found with one
   * native search per chunk instead of a look at every line. Ignored for TOP.
   */
  crlfClean?: boolean;
}

export class MessageEncoder {
  /** Octets of the message as transmitted, without stuffing and without the final ".\r\n". */
  octets = 0;
  /** TOP has sent all it should: feed no more (further input is ignored). */
  done = false;
  private lineStart = true;
  /** The last byte of the current line so far was CR. */
  private prevCr = false;
  /** Octets of the current line so far (line end excluded). */
  private lineLen = 0;
  private inHeader: boolean;
  private bodyLinesLeft: number;
  private readonly measureOnly: boolean;
  private readonly crlfClean: boolean;

  constructor(opts: EncoderOptions = {}) {
    this.inHeader = opts.bodyLines !== undefined;
    this.bodyLinesLeft = opts.bodyLines ?? Infinity;
    this.measureOnly = opts.measureOnly ?? false;
    this.crlfClean = (opts.crlfClean ?? false) && opts.bodyLines === undefined && !this.measureOnly;
  }

  encode(chunk: Uint8Array): Buffer {
    const input = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.done || input.length === 0) return Buffer.alloc(0);
    if (this.crlfClean) return this.stuffOnly(input);
    const pieces: Buffer[] = [];
    const n = input.length;
    let runStart = 0;
    let pos = 0;
    let consumedTo = n;
    while (pos < n) {
      if (this.lineStart) {
        this.lineStart = false;
        this.lineLen = 0;
        this.prevCr = false;
        if (input[pos] === DOT && !this.measureOnly) {
          pieces.push(input.subarray(runStart, pos), DOT_BUF);
          runStart = pos;
        }
      }
      const lf = input.indexOf(LF, pos);
      if (lf < 0) {
        this.lineLen += n - pos;
        this.prevCr = input[n - 1] === CR;
        break;
      }
      if (lf > pos) {
        this.lineLen += lf - pos;
        this.prevCr = input[lf - 1] === CR;
      }
      if (!this.prevCr) {
        // Bare LF: insert the CR before it.
        this.octets++;
        if (!this.measureOnly) {
          pieces.push(input.subarray(runStart, lf), CR_BUF);
          runStart = lf;
        }
      }
      const empty = this.lineLen - (this.prevCr ? 1 : 0) === 0;
      this.lineStart = true;
      pos = lf + 1;
      if (this.inHeader) {
        // The first empty line ends the header (RFC 5322 §2.1); TOP sends it too.
        if (empty) {
          this.inHeader = false;
          if (this.bodyLinesLeft <= 0) this.done = true;
        }
      } else if (this.bodyLinesLeft !== Infinity) {
        this.bodyLinesLeft--;
        if (this.bodyLinesLeft <= 0) this.done = true;
      }
      if (this.done) {
        consumedTo = pos;
        break;
      }
    }
    this.octets += consumedTo;
    if (this.measureOnly) return Buffer.alloc(0);
    pieces.push(input.subarray(runStart, consumedTo));
    return pieces.length === 1 ? pieces[0] : Buffer.concat(pieces);
  }

  /** Fast path for CRLF-clean messages: a "." after every LF (and at the start) gets another. */
  private stuffOnly(input: Buffer): Buffer {
    const pieces: Buffer[] = [];
    let runStart = 0;
    if (this.lineStart && input[0] === DOT) pieces.push(DOT_BUF);
    for (let i = input.indexOf(LF_DOT); i >= 0; i = input.indexOf(LF_DOT, i + 1)) {
      pieces.push(input.subarray(runStart, i + 1), DOT_BUF);
      runStart = i + 1;
    }
    this.lineStart = input[input.length - 1] === LF;
    this.octets += input.length;
    if (pieces.length === 0) return input;
    pieces.push(input.subarray(runStart));
    return Buffer.concat(pieces);
  }

  /**
   * The end of the response: CRLF if the message's last line had none, then "." CRLF.
   * Counts the added CRLF into `octets`.
   */
  finish(): Buffer {
    if (!this.lineStart && !this.done) {
      this.octets += 2;
      this.lineStart = true;
      return CRLF_END;
    }
    return END;
  }
}

/** Size as transmitted (see MessageEncoder.octets) of a message given in chunks. */
export function measureChunks(chunks: Iterable<Uint8Array>): number {
  const enc = new MessageEncoder({ measureOnly: true });
  for (const c of chunks) enc.encode(c);
  enc.finish();
  return enc.octets;
}
