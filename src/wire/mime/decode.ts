// Content-Transfer-Encoding decoding (RFC 2045 §6) and body → text, for preview and search
// text only. Attachments are never decoded here, and text bodies only up to a prefix: the
// caller says how many characters it can still use, so a 50 MB part costs a bounded slice.
import { Buffer } from 'node:buffer';
import type { MimePart } from './types.ts';
import { decodeCharset } from './charset.ts';

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * Quoted-printable (RFC 2045 §6.7), lenient: "=" + two hex digits is a byte, "=" at the end of
 * a line (trailing whitespace allowed, CRLF or bare LF) is a soft line break, whitespace at the
 * end of a line is transport padding and deleted (rule 3), anything else (a stray "=",
 * lower-case hex handled, 8-bit bytes) passes through unchanged.
 */
export function decodeQuotedPrintable(src: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(src.length);
  let o = 0;
  const len = src.length;
  for (let i = 0; i < len; i++) {
    const c = src[i];
    if (c === 0x20 || c === 0x09) {
      // Rule 3: a run of spaces/tabs followed by a line break (or the end) was added in transit.
      let j = i + 1;
      while (j < len && (src[j] === 0x20 || src[j] === 0x09)) j++;
      const atLineEnd = j >= len || src[j] === 0x0a || (src[j] === 0x0d && j + 1 < len && src[j + 1] === 0x0a);
      if (!atLineEnd) for (let k = i; k < j; k++) out[o++] = src[k];
      i = j - 1;
      continue;
    }
    if (c !== 0x3d) {
      out[o++] = c;
      continue;
    }
    const h1 = i + 1 < len ? hexVal(src[i + 1]) : -1;
    const h2 = i + 2 < len ? hexVal(src[i + 2]) : -1;
    if (h1 >= 0 && h2 >= 0) {
      out[o++] = h1 * 16 + h2;
      i += 2;
      continue;
    }
    // Soft line break: "=" *WSP (CRLF | LF), or "=" at the very end.
    let j = i + 1;
    while (j < len && (src[j] === 0x20 || src[j] === 0x09)) j++;
    if (j >= len) {
      i = len;
      continue;
    }
    if (src[j] === 0x0a) {
      i = j;
      continue;
    }
    if (src[j] === 0x0d && j + 1 < len && src[j + 1] === 0x0a) {
      i = j + 1;
      continue;
    }
    out[o++] = c;
  }
  return out.subarray(0, o);
}

/** Base64 (RFC 2045 §6.8): Node's decoder skips line breaks and junk and accepts a truncated tail. */
export function decodeBase64(src: Uint8Array): Buffer {
  return Buffer.from(Buffer.from(src.buffer, src.byteOffset, src.byteLength).toString('latin1'), 'base64');
}

/**
 * The length decodeBase64 would return, counted without decoding: Node's decoder takes the
 * base64 and base64url alphabets, skips everything else, and stops at the first "=".
 */
export function base64DecodedLength(src: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47 || c === 45 || c === 95) n++;
    else if (c === 61) break;
  }
  return Math.floor((n * 3) / 4);
}

/** Transfer-decodes a body; identity encodings (7bit, 8bit, binary, unknown) return it as is. */
export function transferDecode(src: Uint8Array, encoding: string): Uint8Array {
  if (encoding === 'BASE64') return decodeBase64(src);
  if (encoding === 'QUOTED-PRINTABLE') return decodeQuotedPrintable(src);
  return src;
}

/**
 * The text of a leaf part, decoded (transfer encoding, then charset), from at most enough of
 * the encoded body to yield `maxChars` characters (a UTF-8 char is ≤ 4 bytes; base64 costs 4/3,
 * QP up to 3 bytes per byte). The tail may end mid-character; that costs one U+FFFD.
 */
export function partText(buf: Buffer, part: MimePart, maxChars: number): string {
  if (maxChars <= 0) return '';
  const factor = part.encoding === 'QUOTED-PRINTABLE' ? 12 : part.encoding === 'BASE64' ? 6 : 4;
  const end = Math.min(part.bodyEnd, part.bodyStart + maxChars * factor);
  const body = buf.subarray(part.bodyStart, end);
  const text = decodeCharset(transferDecode(body, part.encoding), part.params.charset);
  return text.length > maxChars ? text.slice(0, maxChars) : text;
}
