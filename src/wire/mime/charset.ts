// Bytes in a declared charset → JavaScript string. Mail declares every charset under the sun,
// often wrongly; this never throws and always returns something readable.
//
// Order of attempts:
//   1. UTF-8 / US-ASCII fast path (US-ASCII with 8-bit bytes is read as UTF-8 when valid,
//      windows-1252 otherwise: mislabelled 8-bit text is far more common than real 7-bit).
//   2. iconv-lite for everything it knows (ISO-8859-*, windows-*, KOI8-*, GB*, Big5, Shift_JIS …).
//      ISO-8859-1 is read as windows-1252, as WHATWG Encoding does, because mail labelled
//      latin1 routinely carries 0x80–0x9F curly quotes and the euro sign.
//   3. libmime's decoder for the Japanese charsets iconv-lite lacks (ISO-2022-JP).
//   4. Unknown charset: UTF-8 if the bytes are valid UTF-8, else windows-1252.
import { Buffer, isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import libmimeCharset from 'libmime/lib/charset.js';

const UTF8_NAMES = new Set(['utf-8', 'utf8', 'us-ascii', 'ascii', 'us_ascii', 'ansi_x3.4-1968', 'iso646-us', '']);
const LATIN1_NAMES = new Set(['iso-8859-1', 'iso8859-1', 'iso_8859-1', 'latin1', 'l1', 'iso-ir-100', 'cp819', 'ibm819']);
// Charsets iconv-lite does not carry but libmime decodes through encoding-japanese.
const JAPANESE = new Set(['iso-2022-jp', 'iso2022jp', 'iso-2022-jp-1', 'iso-2022-jp-2', 'iso-2022-jp-3', 'csiso2022jp', 'jis']);

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Best-effort fallback for bytes whose charset is unknown or wrong. */
export function guessDecode(bytes: Uint8Array): string {
  const buf = toBuffer(bytes);
  if (isUtf8(buf)) return buf.toString('utf8');
  return iconv.decode(buf, 'windows-1252');
}

/** Decodes bytes declared to be in `charset`. Never throws. */
export function decodeCharset(bytes: Uint8Array, charset: string | null | undefined): string {
  const buf = toBuffer(bytes);
  if (buf.length === 0) return '';
  // Charset names may carry an RFC 2231 language suffix ("utf-8*en") and stray quotes/space.
  let name = (charset ?? '').trim().toLowerCase();
  const star = name.indexOf('*');
  if (star >= 0) name = name.slice(0, star);
  if (UTF8_NAMES.has(name)) {
    // Fast path: pure ASCII and valid UTF-8 decode identically.
    if (isUtf8(buf)) return buf.toString('utf8');
    return iconv.decode(buf, 'windows-1252');
  }
  try {
    if (LATIN1_NAMES.has(name)) return iconv.decode(buf, 'windows-1252');
    if (JAPANESE.has(name)) return libmimeCharset.decode(buf, 'ISO-2022-JP');
    if (iconv.encodingExists(name)) return iconv.decode(buf, name);
  } catch {
    // A decoder can still reject input it does not understand; fall back below.
  }
  return guessDecode(buf);
}

function charsetName(charset: string | null | undefined): string {
  const name = (charset ?? '').trim().toLowerCase();
  const star = name.indexOf('*');
  return star >= 0 ? name.slice(0, star) : name;
}

/** Whether decodeCharset knows `charset` (else it guesses): JMAP's isEncodingProblem (RFC 8621 §4.1.4). */
export function isKnownCharset(charset: string | null | undefined): boolean {
  const name = charsetName(charset);
  return UTF8_NAMES.has(name) || LATIN1_NAMES.has(name) || JAPANESE.has(name) || iconv.encodingExists(name);
}

/** Whether `charset` is read as UTF-8 (UTF-8 itself, or US-ASCII, which UTF-8 extends). */
export function isUtf8Charset(charset: string | null | undefined): boolean {
  return UTF8_NAMES.has(charsetName(charset));
}

// Any byte ≥ 0x80 in a binary (latin1) string means raw 8-bit data.
const HAS_8BIT = /[\u0080-\u00ff]/;

/**
 * Header text is sliced from the raw message as a "binary" string (one char per byte, so
 * boundaries and offsets stay exact). For display, raw 8-bit bytes are read as UTF-8 when valid
 * (RFC 6532 internationalized headers), else as windows-1252.
 */
export function binaryToText(s: string): string {
  if (!HAS_8BIT.test(s)) return s;
  return guessDecode(Buffer.from(s, 'latin1'));
}
