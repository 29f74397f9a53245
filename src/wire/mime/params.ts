// Content-Type / Content-Disposition values: "type/subtype; name=value; …" (RFC 2045 §5.1,
// RFC 2183 §2) with RFC 2231 parameter value continuations, charsets and languages.
//
// Input is the unfolded header value as a binary string (see headers.ts). A hand-written
// scanner rather than a regex: values are attacker-controlled and may be 256 KiB long.
import { Buffer } from 'node:buffer';
import { binaryToText, decodeCharset, guessDecode } from './charset.ts';
import { decodeHeaderValue } from './encoded-words.ts';
import { trimWsp } from './headers.ts';

export interface StructuredValue {
  /** The main value ("text/plain", "attachment"), comments and whitespace removed, lower-case. */
  value: string;
  /** Parameters, names lower-case, values decoded to text (RFC 2231 joined, RFC 2047 decoded). */
  params: Record<string, string>;
  /** Plain (non-RFC 2231) parameter values exactly as written, binary: boundary needs the bytes. */
  raw: Record<string, string>;
}

// RFC 2231 §3: a parameter name may be split into at most this many numbered sections; more is
// an attack, not a file name.
const MAX_SECTIONS = 1000;
// Distinct parameter names kept per header. Real headers carry a handful; thousands would only
// bloat every BODYSTRUCTURE response that repeats them.
const MAX_PARAMS = 64;

/** Skips a (possibly nested) comment starting at s[i] === "(" (RFC 5322 §3.2.2); returns the index after it. */
function skipComment(s: string, i: number): number {
  let depth = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x28) depth++;
    else if (c === 0x29 && --depth === 0) return i + 1;
  }
  return s.length;
}

interface Section {
  index: number;
  encoded: boolean;
  value: string;
}

function percentDecode(s: string, out: number[]): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && i + 2 < s.length) {
      const hex = s.slice(i + 1, i + 3);
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        out.push(parseInt(hex, 16));
        i += 2;
        continue;
      }
    }
    out.push(c & 0xff);
  }
}

/** Joins and decodes the sections of one RFC 2231 parameter (RFC 2231 §3, §4). */
function joinSections(sections: Section[]): string {
  sections.sort((a, b) => a.index - b.index);
  const bytes: number[] = [];
  let charset: string | null = null;
  for (let k = 0; k < sections.length; k++) {
    const sec = sections[k];
    // Sections must be numbered 0, 1, 2 … without gaps (RFC 2231 §3); stop at a gap.
    if (sec.index !== k && sec.index !== -1) break;
    let v = sec.value;
    if (sec.encoded) {
      if (k === 0) {
        // charset'language'value; the first section alone carries them (RFC 2231 §4).
        const q1 = v.indexOf("'");
        const q2 = q1 < 0 ? -1 : v.indexOf("'", q1 + 1);
        if (q2 >= 0) {
          charset = v.slice(0, q1);
          v = v.slice(q2 + 1);
        }
      }
      percentDecode(v, bytes);
    } else {
      for (let i = 0; i < v.length; i++) bytes.push(v.charCodeAt(i) & 0xff);
    }
  }
  const buf = Buffer.from(bytes);
  return charset ? decodeCharset(buf, charset) : guessDecode(buf);
}

/** Parses a structured header value. Never throws. */
export function parseStructured(input: string): StructuredValue {
  const s = input;
  const len = s.length;
  let i = 0;
  // Main value: up to the first ";" outside quotes, without comments and whitespace.
  let main = '';
  while (i < len) {
    const c = s.charCodeAt(i);
    if (c === 0x3b) break;
    if (c === 0x28) {
      i = skipComment(s, i);
      continue;
    }
    if (c !== 32 && c !== 9 && c !== 13 && c !== 10 && c !== 0x22) main += s[i];
    i++;
  }
  const params: Record<string, string> = Object.create(null);
  const raw: Record<string, string> = Object.create(null);
  const continued = new Map<string, Section[]>();
  const names = new Set<string>();
  while (i < len) {
    // At ";" (or garbage): start of a parameter.
    i++;
    while (i < len) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 9 || c === 13 || c === 10 || c === 0x3b) i++;
      else if (c === 0x28) i = skipComment(s, i);
      else break;
    }
    const nameStart = i;
    while (i < len) {
      const c = s.charCodeAt(i);
      if (c === 0x3d || c === 0x3b) break;
      i++;
    }
    const name = trimWsp(s.slice(nameStart, i)).toLowerCase();
    if (i >= len || s.charCodeAt(i) === 0x3b) {
      // A name without "=": not a parameter (RFC 2045 §5.1); ignore it.
      continue;
    }
    i++; // "="
    while (i < len && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
    let value = '';
    if (i < len && s.charCodeAt(i) === 0x22) {
      // quoted-string with quoted-pairs (RFC 5322 §3.2.4); an unterminated one runs to the end.
      i++;
      const parts: string[] = [];
      let from = i;
      while (i < len) {
        const c = s.charCodeAt(i);
        if (c === 0x5c && i + 1 < len) {
          parts.push(s.slice(from, i));
          from = i + 1;
          i += 2;
          continue;
        }
        if (c === 0x22) break;
        i++;
      }
      parts.push(s.slice(from, i));
      value = parts.join('');
      if (i < len) i++;
      // Anything after the closing quote up to ";" is ignored.
      while (i < len && s.charCodeAt(i) !== 0x3b) i++;
    } else {
      // token; lenient: up to ";" so unquoted values with spaces survive, minus a trailing comment.
      const from = i;
      while (i < len && s.charCodeAt(i) !== 0x3b) i++;
      value = s.slice(from, i);
      const paren = value.indexOf('(');
      if (paren > 0) value = value.slice(0, paren);
      value = trimWsp(value);
    }
    if (name.length === 0) continue;
    const star = name.indexOf('*');
    if (star < 0) {
      // The first occurrence wins, as most readers do: a second boundary= must not re-split the body.
      if (!(name in raw) && names.size < MAX_PARAMS) {
        raw[name] = value;
        names.add(name);
      }
      continue;
    }
    // RFC 2231: name*=…, name*N=…, name*N*=…
    const base = name.slice(0, star);
    const rest = name.slice(star + 1);
    let section: Section | null = null;
    if (rest === '') section = { index: -1, encoded: true, value };
    else {
      const encoded = rest.endsWith('*');
      const num = encoded ? rest.slice(0, -1) : rest;
      if (/^[0-9]{1,4}$/.test(num)) section = { index: Number(num), encoded, value };
    }
    if (section === null || base.length === 0) continue;
    let list = continued.get(base);
    if (list === undefined) {
      if (!names.has(base) && names.size >= MAX_PARAMS) continue;
      names.add(base);
      continued.set(base, (list = []));
    }
    if (list.length < MAX_SECTIONS) list.push(section);
  }
  for (const [name, v] of Object.entries(raw)) {
    if (!continued.has(name)) params[name] = decodeHeaderValue(binaryToText(v));
  }
  // RFC 2231 values win over a plain fallback given for older readers (filename="x"; filename*=…).
  for (const [name, sections] of continued) {
    const single = sections.find((x) => x.index === -1);
    params[name] = joinSections(single ? [{ index: 0, encoded: true, value: single.value }] : sections);
  }
  return { value: main.toLowerCase(), params: { ...params }, raw: { ...raw } };
}
