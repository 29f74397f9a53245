// RFC 5322 §3.4 address lists: mailboxes, groups, display names, comments, source routes
// (obsolete syntax, RFC 5322 §4.4), and the damage real mail carries. One linear tokenizer
// plus a small state machine; no backtracking.
import type { EnvelopeAddress } from './types.ts';
import { decodeHeaderValue } from './encoded-words.ts';

/** A mailbox as parsed: raw fields for IMAP ENVELOPE, decoded ones for display. */
export interface ParsedMailbox {
  kind: 'mailbox';
  /** Display name with quoting removed, RFC 2047 words kept (ENVELOPE addr-name); null if none. */
  rawName: string | null;
  /** Display name RFC 2047-decoded; "" if none. */
  name: string;
  /** Source route "@a,@b" (ENVELOPE addr-adl); null if none. */
  adl: string | null;
  /** Local part; quoted-string local parts keep their quotes. */
  mailbox: string;
  /** Domain, or null when the address has none ("user", "<user>"). */
  host: string | null;
  /** "local@domain", or just "local" when the domain is missing. */
  address: string;
}

export interface ParsedGroup {
  kind: 'group';
  rawName: string;
  name: string;
  members: ParsedMailbox[];
}

export type ParsedAddress = ParsedMailbox | ParsedGroup;

/**
 * Host shown in ENVELOPE for an address without a domain. NIL is not an option: a NIL host
 * marks group syntax (RFC 9051 §7.5.2). Same placeholder as UW c-client.
 */
export const MISSING_HOST = '.MISSING-HOST-NAME.';

// Token kinds (plain constants: enums are not erasable TypeScript).
const TOKEN_ATOM = 0;
const TOKEN_QUOTED = 1;
const TOKEN_COMMENT = 2;
const TOKEN_LITERAL = 3;
const TOKEN_SPECIAL = 4;

interface Token {
  kind: number;
  text: string;
  /** Whitespace (or a comment) came before this token. */
  space: boolean;
}

// RFC 5322 §3.2.3 specials, minus the ones scanned separately ( ( " [ ).
function isSpecial(c: number): boolean {
  return c === 0x3c || c === 0x3e || c === 0x40 || c === 0x2c || c === 0x3b || c === 0x3a || c === 0x2e || c === 0x29 || c === 0x5d || c === 0x5c;
}

/**
 * Pull tokenizer: one token at a time, so a 100,000-address header never holds all its tokens
 * alive at once (that many live objects made the garbage collector the bottleneck).
 */
class Tokenizer {
  private i = 0;
  // A comment separates words like whitespace does (RFC 5322 §3.2.2 CFWS).
  private afterComment = false;
  private readonly s: string;
  constructor(s: string) {
    this.s = s;
  }

  next(): Token | null {
    const s = this.s;
    const len = s.length;
    let i = this.i;
    let space = this.afterComment;
    this.afterComment = false;
    while (i < len) {
      const c = s.charCodeAt(i);
      if (c !== 32 && c !== 9 && c !== 13 && c !== 10) break;
      space = true;
      i++;
    }
    if (i >= len) {
      this.i = i;
      return null;
    }
    const c = s.charCodeAt(i);
    let token: Token;
    if (c === 0x22) {
      // quoted-string: quoted-pairs unescaped; an unterminated one runs to the end.
      let text = '';
      let from = ++i;
      while (i < len) {
        const d = s.charCodeAt(i);
        if (d === 0x5c && i + 1 < len) {
          text += s.slice(from, i);
          from = i + 1;
          i += 2;
        } else if (d === 0x22) break;
        else i++;
      }
      text += s.slice(from, Math.min(i, len));
      i++;
      token = { kind: TOKEN_QUOTED, text, space };
    } else if (c === 0x28) {
      // comment, nested, with quoted-pairs (RFC 5322 §3.2.2)
      let depth = 0;
      const from = i;
      for (; i < len; i++) {
        const d = s.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x28) depth++;
        else if (d === 0x29 && --depth === 0) break;
      }
      token = { kind: TOKEN_COMMENT, text: s.slice(from + 1, Math.min(i, len)), space };
      i++;
      this.afterComment = true;
    } else if (c === 0x5b) {
      const close = s.indexOf(']', i);
      const end = close < 0 ? len : close + 1;
      token = { kind: TOKEN_LITERAL, text: s.slice(i, end), space };
      i = end;
    } else if (isSpecial(c)) {
      token = { kind: TOKEN_SPECIAL, text: s[i], space };
      i++;
    } else {
      const from = i;
      while (i < len) {
        const d = s.charCodeAt(i);
        if (d === 32 || d === 9 || d === 13 || d === 10 || d === 0x22 || d === 0x28 || d === 0x5b || isSpecial(d)) break;
        i++;
      }
      token = { kind: TOKEN_ATOM, text: s.slice(from, i), space };
    }
    this.i = i;
    return token;
  }
}

/** Display phrase: words joined by one space where the source had whitespace (RFC 5322 §3.2.5). */
function phrase(tokens: Token[]): string | null {
  let out = '';
  for (const t of tokens) {
    if (t.kind === TOKEN_COMMENT) continue;
    if (out.length > 0 && t.space) out += ' ';
    out += t.text;
  }
  return out.length > 0 ? out : null;
}

function quoteLocal(text: string): string {
  return /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.\u0080-\uffff]+$/.test(text) && text.length > 0 ? text : '"' + text.replace(/(["\\])/g, '\\$1') + '"';
}

/** addr-spec (RFC 5322 §3.4.1) from tokens: everything before the last "@" is the local part. */
function addrSpec(tokens: Token[], name: string | null, adl: string | null): ParsedMailbox | null {
  let at = -1;
  for (let k = tokens.length - 1; k >= 0; k--) {
    if (tokens[k].kind === TOKEN_SPECIAL && tokens[k].text === '@') {
      at = k;
      break;
    }
  }
  // A local part is words and dots; a domain is atoms, dots and domain literals. Any other
  // special character in either means garbage, which is dropped rather than guessed at.
  let local = '';
  let words = 0;
  const localEnd = at < 0 ? tokens.length : at;
  for (let k = 0; k < localEnd; k++) {
    const t = tokens[k];
    if (t.kind === TOKEN_COMMENT) continue;
    if (t.kind === TOKEN_SPECIAL && t.text !== '.') return null;
    if (t.kind === TOKEN_LITERAL) return null;
    if (t.kind !== TOKEN_SPECIAL) words++;
    local += t.kind === TOKEN_QUOTED ? quoteLocal(t.text) : t.text;
  }
  if (words === 0) return null;
  let host: string | null = null;
  if (at >= 0) {
    host = '';
    for (let k = at + 1; k < tokens.length; k++) {
      const t = tokens[k];
      if (t.kind === TOKEN_COMMENT) continue;
      if (t.kind === TOKEN_QUOTED || (t.kind === TOKEN_SPECIAL && t.text !== '.')) return null;
      host += t.text;
    }
    if (host === '') host = null;
  }
  return {
    kind: 'mailbox',
    rawName: name,
    name: name === null ? '' : decodeHeaderValue(name),
    adl,
    mailbox: local,
    host,
    address: host === null ? local : `${local}@${host}`,
  };
}

interface Element {
  words: Token[];
  angle: Token[] | null;
  angleClosed: boolean;
  comment: string | null;
  hasAt: boolean;
}

function newElement(): Element {
  return { words: [], angle: null, angleClosed: false, comment: null, hasAt: false };
}

function finishElement(el: Element): ParsedMailbox | null {
  if (el.angle !== null) {
    let name = phrase(el.words);
    if (name === null && el.comment !== null) name = el.comment;
    // obs-route: "@a,@b:" before the addr-spec inside the angle brackets (RFC 5322 §4.4).
    let tokens = el.angle;
    let adl: string | null = null;
    const colon = tokens.findIndex((t) => t.kind === TOKEN_SPECIAL && t.text === ':');
    if (colon >= 0 && tokens[0]?.text === '@') {
      adl = tokens.slice(0, colon).map((t) => t.text).join('');
      tokens = tokens.slice(colon + 1);
    }
    return addrSpec(tokens, name, adl);
  }
  if (el.words.length === 0) return null;
  if (!el.hasAt) {
    // No "@" and no angle brackets: one word is a bare local part ("postmaster"); several words
    // are a phrase with no address at all, which is garbage and dropped.
    const meaningful = el.words.filter((t) => t.kind !== TOKEN_COMMENT);
    if (meaningful.some((t, k) => k > 0 && t.space)) return null;
  }
  return addrSpec(el.words, el.comment, null);
}

/** Parses an address-list header value (From, To, Cc, Reply-To …). Never throws. */
export function parseAddressList(value: string): ParsedAddress[] {
  const tokens = new Tokenizer(value);
  const out: ParsedAddress[] = [];
  let group: ParsedGroup | null = null;
  let el = newElement();
  const finish = () => {
    const m = finishElement(el);
    el = newElement();
    if (m === null) return;
    if (group !== null) group.members.push(m);
    else out.push(m);
  };
  for (let t = tokens.next(); t !== null; t = tokens.next()) {
    const inAngle = el.angle !== null && !el.angleClosed;
    if (t.kind === TOKEN_COMMENT) {
      if (el.comment === null && t.text.trim().length > 0) el.comment = t.text.trim();
      continue;
    }
    if (t.kind === TOKEN_SPECIAL) {
      const ch = t.text;
      if (ch === ',' && !inAngle) {
        finish();
        continue;
      }
      if (ch === ';' && !inAngle) {
        finish();
        group = null;
        continue;
      }
      if (ch === ':' && !inAngle && group === null && el.angle === null && !el.hasAt) {
        // display-name ":" starts a group (RFC 5322 §3.4).
        const name = phrase(el.words) ?? '';
        group = { kind: 'group', rawName: name, name: decodeHeaderValue(name), members: [] };
        out.push(group);
        el = newElement();
        continue;
      }
      if (ch === '<' && el.angle === null) {
        el.angle = [];
        continue;
      }
      if (ch === '>' && inAngle) {
        el.angleClosed = true;
        continue;
      }
      if (ch === '@' && !inAngle) el.hasAt = true;
    }
    if (el.angleClosed) continue; // text after "<addr>" is noise
    if (inAngle) el.angle!.push(t);
    else el.words.push(t);
  }
  finish();
  // A group with neither a name nor members is punctuation debris (";;" or "::").
  return out.filter((a) => a.kind === 'mailbox' || a.rawName !== '' || a.members.length > 0);
}

/** Mailboxes only, group members included, for display and JMAP. */
export function flattenMailboxes(list: readonly ParsedAddress[]): { name: string; address: string }[] {
  const out: { name: string; address: string }[] = [];
  for (const a of list) {
    if (a.kind === 'mailbox') out.push({ name: a.name, address: a.address });
    else for (const m of a.members) out.push({ name: m.name, address: m.address });
  }
  return out;
}

/**
 * IMAP ENVELOPE form (RFC 9051 §7.5.2): a group is a start marker (mailbox = group name,
 * host NIL), its members, and an end marker (all NIL). Null for an empty list (NIL).
 */
export function toEnvelopeAddresses(list: readonly ParsedAddress[]): EnvelopeAddress[] | null {
  const out: EnvelopeAddress[] = [];
  const one = (m: ParsedMailbox): EnvelopeAddress => ({ name: m.rawName, adl: m.adl, mailbox: m.mailbox, host: m.host ?? MISSING_HOST });
  for (const a of list) {
    if (a.kind === 'mailbox') out.push(one(a));
    else {
      out.push({ name: null, adl: null, mailbox: a.rawName, host: null });
      for (const m of a.members) out.push(one(m));
      out.push({ name: null, adl: null, mailbox: null, host: null });
    }
  }
  return out.length > 0 ? out : null;
}
