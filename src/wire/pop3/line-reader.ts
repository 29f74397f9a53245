// Incremental, bounded reader of POP3 client lines (RFC 1939 §3: commands end with CRLF).
// Fed bytes in arbitrary chunks; hands out one line at a time on request (pull), so the session
// decides the limit for each line (a command, or a longer SASL continuation) and can throw away
// whatever was pipelined behind STLS (RFC 2595 §4, the CVE-2011-0411 injection).
//
// Implementation notes:
// - Memory is bounded by the caller's limit: a line that grows past it is dropped while it is
//   still arriving (only its length is counted), and reported once its end arrives, so the
//   stream stays in sync and the next line is read normally.
// - A bare LF also ends a line (lenient, as most servers are); the CR before LF is not part of
//   the line. Bytes are not decoded here.
// - Complete lines that the session has not asked for yet stay buffered; `buffered` lets the
//   connection stop reading from the socket until the session catches up.

export type LineEvent =
  | { kind: 'line'; line: Buffer }
  /** A line longer than the limit; `length` counts its octets without the line end. */
  | { kind: 'too-long'; length: number };

const LF = 0x0a;
const CR = 0x0d;

export class LineReader {
  private buf: Buffer = Buffer.alloc(0);
  private start = 0;
  /** Octets of an over-long line dropped so far, or -1 when not dropping. */
  private dropped = -1;
  private limit: number;

  /** `limit`: longest line accepted, in octets without the CRLF. */
  constructor(limit: number) {
    this.limit = limit;
  }

  /** Octets received and not yet handed out. */
  get buffered(): number {
    return this.buf.length - this.start;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.start >= this.buf.length) {
      this.buf = data;
      this.start = 0;
    } else {
      this.buf = Buffer.concat([this.buf.subarray(this.start), data]);
      this.start = 0;
    }
    this.trimOverlong();
  }

  /**
   * The next complete line, or null when more bytes are needed. `limit` overrides the limit
   * given to the constructor from this line on (until changed again).
   */
  next(limit?: number): LineEvent | null {
    if (limit !== undefined && limit !== this.limit) {
      this.limit = limit;
      this.trimOverlong();
    }
    const lf = this.buf.indexOf(LF, this.start);
    if (lf < 0) {
      this.trimOverlong();
      return null;
    }
    let end = lf;
    if (end > this.start && this.buf[end - 1] === CR) end--;
    const length = end - this.start;
    const line = this.buf.subarray(this.start, end);
    this.start = lf + 1;
    if (this.start >= this.buf.length) {
      this.buf = Buffer.alloc(0);
      this.start = 0;
    }
    if (this.dropped >= 0) {
      const total = this.dropped + length;
      this.dropped = -1;
      return { kind: 'too-long', length: total };
    }
    if (length > this.limit) return { kind: 'too-long', length };
    // Copy: the caller may keep the line while the buffer is reused.
    return { kind: 'line', line: Buffer.from(line) };
  }

  /** Throws away everything buffered (STLS: nothing sent before the handshake may be used). */
  discard(): number {
    const n = this.buffered;
    this.buf = Buffer.alloc(0);
    this.start = 0;
    this.dropped = -1;
    return n;
  }

  /**
   * When the first buffered line has no end yet and is already longer than the limit (plus a
   * CR that may precede its LF), drop what we have of it and remember only its length.
   */
  private trimOverlong(): void {
    const firstLf = this.buf.indexOf(LF, this.start);
    if (firstLf >= 0) return;
    const pending = this.buf.length - this.start;
    if (this.dropped < 0 && pending <= this.limit + 1) return;
    // Keep a trailing CR: it may belong to a CRLF split across chunks, which must not be counted.
    const keep = this.buf[this.buf.length - 1] === CR ? 1 : 0;
    this.dropped = Math.max(this.dropped, 0) + pending - keep;
    this.buf = keep ? Buffer.from([CR]) : Buffer.alloc(0);
    this.start = 0;
  }
}
