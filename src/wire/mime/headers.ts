// Header block splitting, unfolding and field lookup (RFC 5322 §2.2, §2.2.3).
//
// Header text is handled as a "binary" string (latin1: one char per byte) so that every string
// index is also a byte offset and 8-bit bytes survive untouched; callers turn values into
// display text with binaryToText() when they need it.
import { Buffer } from 'node:buffer';
import { binaryToText } from './charset.ts';

const LF = 0x0a;
const CR = 0x0d;

/** One header field as it appears in the block. */
export interface HeaderField {
  /** Field name as written (case kept). */
  name: string;
  /** Value after the colon, unfolded (CRLF removed, RFC 5322 §2.2.3) and trimmed; not RFC 2047-decoded. */
  value: string;
  /** Byte offsets of the whole field, [start, end) including its final line break. */
  start: number;
  end: number;
}

/** Internal form: `value` stays binary, `lname` is the lower-case name. */
export interface RawField extends HeaderField {
  lname: string;
  /** The maxBytes limit fell inside this field: its value is only a prefix. */
  cut: boolean;
}

export function asBuffer(raw: Uint8Array): Buffer {
  return Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
}

/**
 * True when the line at `pos` starts like a header field: a name of printable US-ASCII other
 * than ":" (RFC 5322 §2.2, ftext), optional WSP (obsolete syntax, RFC 5322 §4.5), then ":".
 */
function looksLikeField(buf: Uint8Array, pos: number, end: number): boolean {
  let i = pos;
  while (i < end) {
    const c = buf[i];
    if (c === 0x3a) break;
    if (c < 33 || c > 126) break;
    i++;
  }
  if (i === pos) return false;
  while (i < end && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
  return i < end && buf[i] === 0x3a;
}

/**
 * End of the header block that starts at `start`: the offset just past the blank line that ends
 * it (CRLF or bare LF), which is also where the body starts.
 * - No blank line at all: the whole range is header and the body is empty.
 * - A first line that is not a header field (no headers, e.g. a MIME part straight after its
 *   delimiter with content): the header is empty and the body starts at `start`, as RFC 2046
 *   §5.1.1 allows a part with no header fields only via the blank line, but real mail omits it.
 */
export function findHeaderEnd(buf: Uint8Array, start: number, end: number): number {
  if (start >= end) return start;
  if (buf[start] === LF) return start + 1;
  if (buf[start] === CR && start + 1 < end && buf[start + 1] === LF) return start + 2;
  if (!looksLikeField(buf, start, end)) return start;
  const view = buf.subarray(start, end);
  const len = view.length;
  let p = 0;
  for (;;) {
    const lf = view.indexOf(LF, p);
    if (lf < 0) return end;
    const n = lf + 1;
    if (n >= len) return end;
    if (view[n] === LF) return start + n + 1;
    if (view[n] === CR && n + 1 < len && view[n + 1] === LF) return start + n + 2;
    p = n;
  }
}

/** Trims SP, HT, CR, LF only: String.prototype.trim would also eat 0xA0, a UTF-8 continuation byte. */
export function trimWsp(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b) {
    const c = s.charCodeAt(a);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 10) break;
    a++;
  }
  while (b > a) {
    const c = s.charCodeAt(b - 1);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 10) break;
    b--;
  }
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

const FOLD = /\r?\n/g;

/**
 * Splits the header block [start, end) into fields, in order. Only the first `maxBytes` bytes
 * are read (the block's offsets stay exact regardless); `truncated` says whether that cut it.
 * Lines that are neither a field nor a continuation (no colon) are skipped: they are damage,
 * not data. Continuation lines start with SP or HT (RFC 5322 §2.2.3).
 */
export function readFields(buf: Buffer, start: number, end: number, maxBytes: number): { fields: RawField[]; truncated: boolean } {
  const fields: RawField[] = [];
  const truncated = end - start > maxBytes;
  const stop = truncated ? start + maxBytes : end;
  if (stop <= start) return { fields, truncated };
  const text = buf.toString('latin1', start, stop);
  const len = text.length;
  let cur: { name: string; from: number; valueStart: number; valueEnd: number; end: number } | null = null;
  const flush = () => {
    if (cur === null) return;
    let value = text.slice(cur.valueStart, cur.valueEnd);
    if (value.indexOf('\n') >= 0) value = value.replace(FOLD, '');
    value = trimWsp(value);
    fields.push({ name: cur.name, lname: cur.name.toLowerCase(), value, start: start + cur.from, end: start + cur.end, cut: false });
    cur = null;
  };
  let pos = 0;
  while (pos < len) {
    let nl = text.indexOf('\n', pos);
    const lineEnd = nl < 0 ? len : nl + 1;
    // Content end of this line, without its CRLF / LF.
    let contentEnd = nl < 0 ? len : nl;
    if (contentEnd > pos && text.charCodeAt(contentEnd - 1) === 13) contentEnd--;
    if (contentEnd === pos) break; // the blank line that ends the block
    const c0 = text.charCodeAt(pos);
    if (c0 === 32 || c0 === 9) {
      if (cur !== null) {
        cur.valueEnd = contentEnd;
        cur.end = lineEnd;
      }
    } else {
      flush();
      const colon = text.indexOf(':', pos);
      if (colon >= 0 && colon < contentEnd) {
        const name = trimWsp(text.slice(pos, colon));
        if (name.length > 0) cur = { name, from: pos, valueStart: colon + 1, valueEnd: contentEnd, end: lineEnd };
      }
    }
    pos = lineEnd;
  }
  flush();
  if (truncated && fields.length > 0) fields[fields.length - 1].cut = true;
  return { fields, truncated };
}

/**
 * The header fields of the entity starting at `start` (for example a whole message, or a part
 * located by MimePart.headerStart), in order, up to its blank line and not beyond `end`.
 * Values are unfolded and trimmed, raw 8-bit read as UTF-8 (RFC 6532) or windows-1252, and
 * not RFC 2047-decoded (use decodeHeaderValue for that).
 */
export function parseHeaderBlock(raw: Uint8Array, start = 0, end = raw.length, maxBytes = Number.MAX_SAFE_INTEGER): HeaderField[] {
  const buf = asBuffer(raw);
  const s = Math.max(0, Math.min(start, buf.length));
  const e = Math.max(s, Math.min(end, buf.length));
  const headerEnd = findHeaderEnd(buf, s, e);
  return readFields(buf, s, headerEnd, maxBytes).fields.map((f) => ({ name: binaryToText(f.name), value: binaryToText(f.value), start: f.start, end: f.end }));
}

/** Value of the first field named `lname` (lower-case), or null. */
export function firstField(fields: readonly RawField[], lname: string): string | null {
  for (const f of fields) if (f.lname === lname) return f.value;
  return null;
}
