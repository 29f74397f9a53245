// Sort keys for the RFC 4790 collations JMAP clients may name (RFC 8620 §5.5 Comparator
// "collation"; the session object lists them). A key is a string whose plain octet order (UTF-8,
// as SQLite compares text) is the collation's order, so a store can sort by it directly.

import type { MessageSummary } from '../wire/mime/types.ts';
import { firstDisplay } from './message-keys.ts';

/**
 * i;unicode-casemap (RFC 5051 §2): each character's titlecase form, then NFKD. The upper-case
 * mapping stands in for titlecase (they differ only for a few digraph letters).
 */
export function unicodeCasemap(s: string): string {
  return s.toUpperCase().normalize('NFKD');
}

/**
 * i;ascii-numeric (RFC 4790 §9.1.1): the decimal number the string starts with; a string that
 * does not start with a digit is positive infinity, greater than every number and equal to
 * every other such string. Keyed by digit count, then digits, leading zeros dropped.
 */
export function asciiNumericKey(s: string): string {
  const m = /^[0-9]+/.exec(s);
  if (!m) return '~';
  const digits = m[0].replace(/^0+(?=[0-9])/, '');
  return String(digits.length).padStart(8, '0') + ':' + digits;
}

/**
 * The key of a value for a collation. `value` may already be in i;ascii-casemap form (ASCII
 * letters upper-cased, as the stored sort keys are): every collation but i;octet gives the
 * same key for both.
 */
export function collationKey(collation: string, value: string): string {
  switch (collation) {
    case 'i;unicode-casemap':
      return unicodeCasemap(value);
    case 'i;ascii-numeric':
      return asciiNumericKey(value);
    case 'i;ascii-casemap':
      return value.replace(/[a-z]/g, (c) => c.toUpperCase());
    default:
      return value;
  }
}

/**
 * The sort value as written, for i;octet (RFC 4790 §9.3): the base subject (RFC 5256 §2.1),
 * or the first address's display name or else its address (RFC 8621 §4.4.2 "from", "to").
 */
export function rawSortKey(summary: MessageSummary, key: string): string {
  if (key === 'subject') return summary.baseSubject ?? '';
  const list = key === 'from' ? summary.envelope?.from : key === 'to' ? summary.envelope?.to : null;
  return firstDisplay(list ?? null);
}
