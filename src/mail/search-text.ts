// What text searches share, whichever protocol asks (IMAP SEARCH TEXT/BODY, RFC 9051 §6.4.4;
// JMAP Email/query text/body/subject…, RFC 8621 §4.4.1): the search text kept at ingest begins
// with the message's decoded header values (src/wire/mime/collect.ts), and a JMAP search string
// is a list of terms.

import type { Buffer } from 'node:buffer';
import { readFields } from '../wire/mime/headers.ts';
import { decodeHeaderValue } from '../wire/mime/index.ts';
import { binaryToText } from '../wire/mime/charset.ts';

/** Header blocks beyond this are not read for searching (the parser bounds fields the same way). */
export const MAX_SEARCH_HEADER_BYTES = 256 * 1024;

/**
 * Length of the header part the search text starts with, from the message's header block:
 * each non-empty decoded value and its "\n". What follows is the bodies' text (SEARCH BODY).
 */
export function headerValuesLength(block: Buffer): number {
  let prefix = 0;
  for (const f of readFields(block, 0, block.length, MAX_SEARCH_HEADER_BYTES).fields) {
    const v = decodeHeaderValue(binaryToText(f.value));
    if (v.length > 0) prefix += v.length + 1;
  }
  return prefix;
}

/** Header fields of a block: lower-case name, value decoded (RFC 2047) and lower-cased. */
export function searchableHeaderFields(block: Buffer): { name: string; value: string }[] {
  return readFields(block, 0, block.length, MAX_SEARCH_HEADER_BYTES).fields.map((f) => ({
    name: f.lname,
    value: decodeHeaderValue(binaryToText(f.value)).toLowerCase(),
  }));
}

/**
 * RFC 8621 §4.4.1 search terms: text in single or double quotes is one phrase (a backslash
 * escapes ' " and \ inside it); elsewhere white space separates terms, all of which must be
 * found. Lower-cased, since text is matched without case. An unclosed quote runs to the end.
 */
export function searchTerms(text: string): string[] {
  const terms: string[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '"' || ch === "'") {
      let phrase = '';
      i++;
      while (i < text.length && text[i] !== ch) {
        if (text[i] === '\\' && i + 1 < text.length && `'"\\`.includes(text[i + 1])) i++;
        phrase += text[i++];
      }
      i++;
      if (phrase.trim().length > 0) terms.push(phrase.toLowerCase());
      continue;
    }
    let word = '';
    while (i < text.length && !/\s/.test(text[i])) word += text[i++];
    terms.push(word.toLowerCase());
  }
  return [...new Set(terms)];
}

/** Every term occurs in the (lower-cased) text. */
export function hasAllTerms(lowerText: string, terms: readonly string[]): boolean {
  return terms.every((t) => lowerText.includes(t));
}
