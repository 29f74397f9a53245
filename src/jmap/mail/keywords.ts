// JMAP keywords and IMAP flags are one set (RFC 8621 §4.1.1 "keywords"): the four IMAP system
// flags a client may set have JMAP names; every other keyword is the same word. JMAP keywords
// are case-insensitive and shown lower-case; IMAP's \Deleted and \Recent are not keywords.

const SYSTEM_TO_KEYWORD: Record<string, string> = {
  '\\seen': '$seen',
  '\\flagged': '$flagged',
  '\\answered': '$answered',
  '\\draft': '$draft',
};
const KEYWORD_TO_SYSTEM: Record<string, string> = {
  $seen: '\\Seen',
  $flagged: '\\Flagged',
  $answered: '\\Answered',
  $draft: '\\Draft',
};

/** The JMAP keyword of a stored flag, or null for a flag that is not one (\Deleted, \Recent). */
export function flagToKeyword(flag: string): string | null {
  const lower = flag.toLowerCase();
  if (lower.startsWith('\\')) return SYSTEM_TO_KEYWORD[lower] ?? null;
  return lower;
}

/** The stored flag for a JMAP keyword (the IMAP system flag for the four that have one). */
export function keywordToFlag(keyword: string): string {
  const lower = keyword.toLowerCase();
  return KEYWORD_TO_SYSTEM[lower] ?? lower;
}

/** RFC 8621 §4.1.1: keywords are `{keyword: true}`. */
export function keywordsObject(flags: readonly string[]): Record<string, true> {
  const out: Record<string, true> = {};
  for (const flag of flags) {
    const k = flagToKeyword(flag);
    if (k) out[k] = true;
  }
  return out;
}

/**
 * RFC 8621 §4.1.1: a keyword is 1–255 characters of ASCII %x21–%x7E except ( ) { ] % * " \ —
 * the IMAP atom rules (RFC 9051 §9 flag-keyword), so every JMAP keyword is also an IMAP one.
 */
export function isValidKeyword(keyword: string): boolean {
  return keyword.length >= 1 && keyword.length <= 255 && /^[\x21-\x7e]+$/.test(keyword) && !/[(){\]%*"\\]/.test(keyword);
}
