// Message flags (RFC 9051 §2.3.2): five system flags with a fixed spelling, and keywords, which
// are atoms compared case-insensitively. \Recent is session state, never stored (RFC 9051 drops
// it; RFC 3501 §2.3.2 defined it per session), so it is silently discarded here.

import { StoreError } from './errors.ts';

export const SYSTEM_FLAGS = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'] as const;
export type SystemFlag = (typeof SYSTEM_FLAGS)[number];

const SYSTEM_BY_LOWER = new Map<string, string>(SYSTEM_FLAGS.map((f) => [f.toLowerCase(), f]));

/**
 * A keyword is an atom (RFC 9051 §9: ATOM-CHAR is any 7-bit CHAR except atom-specials:
 * "(" ")" "{" SP CTL "%" "*" DQUOTE "\" "]").
 */
const KEYWORD = /^[!#$&'+,\-./0-9:;<=>?@A-Z\[^_`a-z|}~]+$/;
export const MAX_KEYWORD_LENGTH = 200;

export function isSystemFlag(flag: string): boolean {
  return SYSTEM_BY_LOWER.has(flag.toLowerCase());
}

/** Canonical spelling of one flag, null for \Recent; throws StoreError('INVALID') for a non-flag. */
export function canonicalFlag(flag: string): string | null {
  if (flag.startsWith('\\')) {
    const lower = flag.toLowerCase();
    if (lower === '\\recent') return null;
    const system = SYSTEM_BY_LOWER.get(lower);
    // Other "\Word" flags are reserved for future standards (RFC 9051 §9 flag-extension); a
    // client may not set them.
    if (!system) throw new StoreError('INVALID', `unknown system flag ${flag}`);
    return system;
  }
  if (flag.length === 0 || flag.length > MAX_KEYWORD_LENGTH || !KEYWORD.test(flag)) {
    throw new StoreError('INVALID', `invalid keyword ${JSON.stringify(flag)}`);
  }
  return flag;
}

function sortFlags(flags: string[]): string[] {
  const system = SYSTEM_FLAGS.filter((f) => flags.includes(f));
  const keywords = flags.filter((f) => !f.startsWith('\\'));
  keywords.sort((a, b) => {
    const la = a.toLowerCase();
    const lb = b.toLowerCase();
    return la < lb ? -1 : la > lb ? 1 : 0;
  });
  return [...system, ...keywords];
}

/**
 * Canonical flag list: system flags in their standard spelling, keywords de-duplicated
 * case-insensitively keeping the first spelling seen, \Recent dropped; system flags first in a
 * fixed order, then keywords sorted case-insensitively (so equal sets compare equal).
 */
export function normaliseFlags(flags: readonly string[]): string[] {
  const seen = new Map<string, string>();
  for (const f of flags) {
    const c = canonicalFlag(f);
    if (c === null) continue;
    const key = c.toLowerCase();
    if (!seen.has(key)) seen.set(key, c);
  }
  return sortFlags([...seen.values()]);
}

/**
 * Applies a STORE operation (RFC 9051 §6.4.6) to a message's current, already normalised flags.
 * With 'add', a keyword already present keeps its stored spelling.
 */
export function applyFlagChange(current: readonly string[], mode: 'add' | 'remove' | 'replace', change: readonly string[]): string[] {
  const delta = normaliseFlags(change);
  if (mode === 'replace') return delta;
  if (mode === 'add') return normaliseFlags([...current, ...delta]);
  const drop = new Set(delta.map((f) => f.toLowerCase()));
  return current.filter((f) => !drop.has(f.toLowerCase()));
}

/** Same set of flags (both lists normalised). */
export function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].toLowerCase() !== b[i].toLowerCase()) return false;
  return true;
}

export function hasFlag(flags: readonly string[], flag: SystemFlag): boolean {
  return flags.includes(flag);
}
