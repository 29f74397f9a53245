// RFC 2047 encoded words: "=?charset?Q|B?text?=" → Unicode.
//
// A single linear pass (no regex backtracking on hostile input):
// - whitespace between two adjacent encoded words is dropped (RFC 2047 §6.2);
// - adjacent words in the same charset are joined as bytes before charset decoding, because
//   senders split multi-byte characters across words (seen constantly with UTF-8 in B words);
// - words glued to other text are decoded too (not RFC-strict, but every mail client does);
// - a charset may carry an RFC 2231 language suffix, "utf-8*en" (RFC 2231 §5).
// Malformed words stay as literal text.
import { Buffer } from 'node:buffer';
import { decodeCharset } from './charset.ts';

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

function pushChar(out: number[], code: number): void {
  if (code < 0x100) out.push(code);
  else for (const b of Buffer.from(String.fromCharCode(code), 'utf8')) out.push(b);
}

/** RFC 2047 §4.2 "Q" encoding: "_" is SP, "=XX" a byte. */
function decodeQ(text: string, out: number[]): void {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5f) out.push(0x20);
    else if (c === 0x3d && i + 2 < text.length && hexVal(text.charCodeAt(i + 1)) >= 0 && hexVal(text.charCodeAt(i + 2)) >= 0) {
      out.push(hexVal(text.charCodeAt(i + 1)) * 16 + hexVal(text.charCodeAt(i + 2)));
      i += 2;
    } else pushChar(out, c);
  }
}

function isWsp(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 10) return false;
  }
  return true;
}

/** Decodes every RFC 2047 encoded word in a header value. Never throws. */
export function decodeHeaderValue(raw: string): string {
  if (raw.indexOf('=?') < 0) return raw;
  let out = '';
  let i = 0; // start of text not yet copied to out
  let pendingCharset: string | null = null;
  let pending: number[] = [];
  let lastWordEnd = -1;
  const flush = () => {
    if (pendingCharset !== null) out += decodeCharset(Buffer.from(pending), pendingCharset);
    pendingCharset = null;
    pending = [];
  };
  let search = 0;
  for (;;) {
    const j = raw.indexOf('=?', search);
    if (j < 0) break;
    const q1 = raw.indexOf('?', j + 2);
    if (q1 < 0) break;
    const charset = raw.slice(j + 2, q1);
    const enc = raw.charCodeAt(q1 + 1) | 0x20;
    if (charset.length === 0 || charset.length > 64 || /[\s=]/.test(charset) || (enc !== 0x71 && enc !== 0x62) || raw.charCodeAt(q1 + 2) !== 0x3f) {
      search = j + 2;
      continue;
    }
    const endQ = raw.indexOf('?=', q1 + 3);
    if (endQ < 0) break;
    const text = raw.slice(q1 + 3, endQ);
    const adjacent = lastWordEnd === j || (lastWordEnd >= 0 && lastWordEnd === i && isWsp(raw, i, j));
    const cs = charset.toLowerCase();
    if (!adjacent || pendingCharset !== cs) {
      flush();
      if (!adjacent) out += raw.slice(i, j);
    }
    pendingCharset = cs;
    if (enc === 0x62) {
      // Node's base64 decoder skips characters outside the alphabet and tolerates missing padding.
      for (const b of Buffer.from(text, 'base64')) pending.push(b);
    } else decodeQ(text, pending);
    i = endQ + 2;
    lastWordEnd = i;
    search = i;
  }
  flush();
  return out + raw.slice(i);
}
