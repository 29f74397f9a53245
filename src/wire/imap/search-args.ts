// SEARCH, SORT and THREAD arguments (RFC 9051 §6.4.4; RFC 4731 ESEARCH; RFC 5182 SEARCHRES;
// RFC 7162 §3.1.5 MODSEQ; RFC 5256 SORT/THREAD; RFC 5957 DISPLAYFROM/DISPLAYTO).
//
// Search keys become a typed tree. Strings are decoded here with the command's CHARSET, so the
// session compares JavaScript strings only; an unknown charset is NO [BADCHARSET], not BAD
// (RFC 9051 §6.4.4). The key parser recurses for NOT, OR and "(…)", with an explicit depth
// bound: "NOT NOT NOT …" on a 64 KB line must not reach the stack limit.

import { isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import { decodeCharset } from '../mime/charset.ts';
import { ArgError, Args, bad } from './args.ts';
import { parseSearchDate, type ImapDate } from './datetime.ts';
import type { SequenceSet } from './sequence.ts';

export type DateOp = 'before' | 'on' | 'since';

export type SearchKey =
  | { type: 'all' }
  | { type: 'and'; keys: SearchKey[] }
  | { type: 'or'; left: SearchKey; right: SearchKey }
  | { type: 'not'; key: SearchKey }
  /** System flag ("\\Seen" …, "\\Recent" for RECENT/NEW/OLD) or keyword; set: has it / lacks it. */
  | { type: 'flag'; flag: string; set: boolean }
  /** HEADER, and FROM/TO/CC/BCC/SUBJECT, which are the same test on one field (field lower-case). */
  | { type: 'header'; field: string; value: string }
  | { type: 'body'; value: string }
  | { type: 'text'; value: string }
  /** BEFORE/ON/SINCE compare INTERNALDATE; SENT* compare the Date: header (RFC 9051 §6.4.4). */
  | { type: 'internaldate'; op: DateOp; date: ImapDate }
  | { type: 'sentdate'; op: DateOp; date: ImapDate }
  | { type: 'size'; op: 'larger' | 'smaller'; size: number }
  | { type: 'sequence'; set: SequenceSet }
  | { type: 'uid'; set: SequenceSet }
  /** RFC 7162 §3.1.5: messages whose mod-sequence is ≥ modseq. */
  | { type: 'modseq'; modseq: number; entry: { name: string; kind: 'priv' | 'shared' | 'all' } | null }
  /** RFC 8474 §6: EMAILID / THREADID objectid. */
  | { type: 'objectid'; kind: 'email' | 'thread'; id: string };

/** RFC 4731 §3 / RFC 5182: RETURN options; an empty RETURN () means ALL. */
export interface SearchReturn {
  min: boolean;
  max: boolean;
  all: boolean;
  count: boolean;
  save: boolean;
}

export interface SearchArgs {
  /** null: a plain SEARCH answered with "* SEARCH"; otherwise answer with ESEARCH. */
  returns: SearchReturn | null;
  charset: string | null;
  criteria: SearchKey;
}

export type SortKey = 'ARRIVAL' | 'CC' | 'DATE' | 'FROM' | 'SIZE' | 'SUBJECT' | 'TO' | 'DISPLAYFROM' | 'DISPLAYTO';

export interface SortArgs {
  criteria: { key: SortKey; reverse: boolean }[];
  charset: string;
  search: SearchKey;
}

export type ThreadAlgorithm = 'ORDEREDSUBJECT' | 'REFERENCES' | 'REFS';

export interface ThreadArgs {
  algorithm: ThreadAlgorithm;
  charset: string;
  search: SearchKey;
}

export const MAX_SEARCH_DEPTH = 100;

const FLAG_KEYS: Record<string, [string, boolean]> = {
  ANSWERED: ['\\Answered', true],
  DELETED: ['\\Deleted', true],
  DRAFT: ['\\Draft', true],
  FLAGGED: ['\\Flagged', true],
  SEEN: ['\\Seen', true],
  RECENT: ['\\Recent', true],
  OLD: ['\\Recent', false],
  UNANSWERED: ['\\Answered', false],
  UNDELETED: ['\\Deleted', false],
  UNDRAFT: ['\\Draft', false],
  UNFLAGGED: ['\\Flagged', false],
  UNSEEN: ['\\Seen', false],
};
const HEADER_KEYS = new Set(['FROM', 'TO', 'CC', 'BCC', 'SUBJECT']);
const DATE_KEYS: Record<string, ['internaldate' | 'sentdate', DateOp]> = {
  BEFORE: ['internaldate', 'before'],
  ON: ['internaldate', 'on'],
  SINCE: ['internaldate', 'since'],
  SENTBEFORE: ['sentdate', 'before'],
  SENTON: ['sentdate', 'on'],
  SENTSINCE: ['sentdate', 'since'],
};
const SORT_KEYS = new Set<string>(['ARRIVAL', 'CC', 'DATE', 'FROM', 'SIZE', 'SUBJECT', 'TO', 'DISPLAYFROM', 'DISPLAYTO']);
const THREAD_ALGORITHMS = new Set<string>(['ORDEREDSUBJECT', 'REFERENCES', 'REFS']);
const KEYWORD = /^[!#$&'+,\-./0-9:;<=>?@A-Z[^_`a-z|}~]+$/;
const SEQUENCE_START = /^[0-9*$]/;

type Decode = (bytes: Buffer) => string;

/**
 * Reads the search keys that follow the charset. UTF-8 and US-ASCII are always supported, other
 * charsets when the converter knows them. An unknown charset is NO [BADCHARSET] (RFC 9051
 * §6.4.4), but only once the keys parsed: a syntax error is still a BAD.
 */
function keysInCharset(args: Args, charset: string | null): SearchKey {
  if (charset === null) return searchKeys(args, (b) => (isUtf8(b) ? b.toString('utf8') : b.toString('latin1')));
  const name = charset.toLowerCase();
  if (name === 'utf-8' || name === 'us-ascii' || name === 'utf8') return searchKeys(args, (b) => b.toString('utf8'));
  if (iconv.encodingExists(name)) return searchKeys(args, (b) => decodeCharset(b, name));
  searchKeys(args, (b) => b.toString('latin1'));
  throw new ArgError(`Unsupported charset ${charset.slice(0, 40)}`, 'no', 'BADCHARSET (UTF-8 US-ASCII)');
}

export function parseSearch(args: Args): SearchArgs {
  let returns: SearchReturn | null = null;
  if (args.accept('RETURN')) {
    const list = args.list('RETURN options');
    returns = { min: false, max: false, all: false, count: false, save: false };
    while (!list.done) {
      const opt = list.keyword('RETURN option').toLowerCase();
      if (!(opt in returns)) bad(`Unknown RETURN option ${opt.toUpperCase().slice(0, 40)}`);
      returns[opt as keyof SearchReturn] = true;
    }
    if (!returns.min && !returns.max && !returns.count && !returns.save) returns.all = true;
  }
  let charset: string | null = null;
  if (args.accept('CHARSET')) charset = args.astring('charset');
  return { returns, charset, criteria: keysInCharset(args, charset) };
}

/** 1*(SP search-key) up to the end of the arguments, as one key (AND of several). */
function searchKeys(args: Args, decode: Decode): SearchKey {
  const keys: SearchKey[] = [];
  while (!args.done) keys.push(searchKey(args, decode, 0));
  if (keys.length === 0) bad('Missing search criteria');
  return keys.length === 1 ? keys[0] : { type: 'and', keys };
}

function searchString(args: Args, decode: Decode, what: string): string {
  return decode(args.astringBytes(what));
}

function searchKey(args: Args, decode: Decode, depth: number): SearchKey {
  if (depth > MAX_SEARCH_DEPTH) bad('Search criteria nested too deeply');
  const t = args.peek();
  if (t && t.type === 'list') {
    const inner = args.list('search keys');
    const keys: SearchKey[] = [];
    while (!inner.done) keys.push(searchKey(inner, decode, depth + 1));
    if (keys.length === 0) bad('Empty search key list');
    return keys.length === 1 ? keys[0] : { type: 'and', keys };
  }
  const word = args.atom('search key');
  const key = word.toUpperCase();
  const flag = FLAG_KEYS[key];
  if (flag) return { type: 'flag', flag: flag[0], set: flag[1] };
  const date = DATE_KEYS[key];
  if (date) {
    const text = args.astring('date');
    const parsed = parseSearchDate(text);
    if (!parsed) bad(`Invalid date "${text.slice(0, 40)}"`);
    return { type: date[0], op: date[1], date: parsed };
  }
  if (HEADER_KEYS.has(key)) return { type: 'header', field: key.toLowerCase(), value: searchString(args, decode, key) };
  switch (key) {
    case 'ALL':
      return { type: 'all' };
    case 'NEW':
      // RFC 3501 §6.4.4: NEW = RECENT UNSEEN.
      return { type: 'and', keys: [{ type: 'flag', flag: '\\Recent', set: true }, { type: 'flag', flag: '\\Seen', set: false }] };
    case 'KEYWORD':
    case 'UNKEYWORD': {
      const kw = args.atom('keyword');
      if (!KEYWORD.test(kw)) bad('Invalid keyword');
      return { type: 'flag', flag: kw, set: key === 'KEYWORD' };
    }
    case 'HEADER': {
      const field = searchString(args, decode, 'header field name');
      if (!/^[!-9;-~]+$/.test(field)) bad('Invalid header field name');
      return { type: 'header', field: field.toLowerCase(), value: searchString(args, decode, 'header value') };
    }
    case 'BODY':
    case 'TEXT':
      return { type: key === 'BODY' ? 'body' : 'text', value: searchString(args, decode, key) };
    case 'LARGER':
    case 'SMALLER':
      return { type: 'size', op: key === 'LARGER' ? 'larger' : 'smaller', size: args.number('size') };
    case 'UID':
      return { type: 'uid', set: args.sequenceSet() };
    case 'NOT':
      return { type: 'not', key: searchKey(args, decode, depth + 1) };
    case 'OR': {
      const left = searchKey(args, decode, depth + 1);
      return { type: 'or', left, right: searchKey(args, decode, depth + 1) };
    }
    case 'MODSEQ':
      return modseqKey(args);
    case 'EMAILID':
    case 'THREADID': {
      const id = args.atom('object id');
      // RFC 8474 §5: objectid = 1*255(ALPHA / DIGIT / "_" / "-").
      if (!/^[A-Za-z0-9_-]{1,255}$/.test(id)) bad('Invalid object id');
      return { type: 'objectid', kind: key === 'EMAILID' ? 'email' : 'thread', id };
    }
  }
  if (SEQUENCE_START.test(word)) {
    // A sequence-set is itself a search key (RFC 9051 §6.4.4 "<sequence set>").
    const set = new Args([{ type: 'atom', value: word }], args.options).sequenceSet();
    return { type: 'sequence', set };
  }
  bad(`Unknown search key ${key.slice(0, 40)}`);
}

// RFC 7162 §3.1.5: MODSEQ [entry-name entry-type-req] mod-sequence-valzer, where entry-name is
// a quoted "/flags/<flag>" and entry-type-req is priv / shared / all.
function modseqKey(args: Args): SearchKey {
  const t = args.peek();
  let entry: { name: string; kind: 'priv' | 'shared' | 'all' } | null = null;
  if (t && t.type === 'string') {
    const name = args.astring('entry name');
    if (!/^\/flags\/\\?[!#$&'+,\-./0-9:;<=>?@A-Z[^_`a-z|}~]+$/i.test(name)) bad('Invalid MODSEQ entry name');
    const kind = args.keyword('entry type').toLowerCase();
    if (kind !== 'priv' && kind !== 'shared' && kind !== 'all') bad('Invalid MODSEQ entry type');
    entry = { name, kind };
  }
  return { type: 'modseq', modseq: args.modseq('mod-sequence', true), entry };
}

// RFC 5256 §3: SORT (criteria) charset search-keys; the charset is required.
export function parseSort(args: Args): SortArgs {
  const list = args.list('sort criteria');
  const criteria: SortArgs['criteria'] = [];
  while (!list.done) {
    const reverse = list.accept('REVERSE');
    const key = list.keyword('sort key');
    if (!SORT_KEYS.has(key)) bad(`Unknown sort key ${key.slice(0, 40)}`);
    criteria.push({ key: key as SortKey, reverse });
  }
  if (criteria.length === 0) bad('Empty sort criteria');
  const charset = args.astring('charset');
  return { criteria, charset, search: keysInCharset(args, charset) };
}

// RFC 5256 §3: THREAD algorithm charset search-keys.
export function parseThread(args: Args): ThreadArgs {
  const algorithm = args.keyword('thread algorithm');
  if (!THREAD_ALGORITHMS.has(algorithm)) bad(`Unknown thread algorithm ${algorithm.slice(0, 40)}`);
  const charset = args.astring('charset');
  return { algorithm: algorithm as ThreadAlgorithm, charset, search: keysInCharset(args, charset) };
}

/** Whether a key refers to "$" (RFC 5182 §2.1: then SEARCHRES must have been saved before). */
export function usesSavedResult(key: SearchKey): boolean {
  const stack: SearchKey[] = [key];
  while (stack.length > 0) {
    const k = stack.pop()!;
    if ((k.type === 'sequence' || k.type === 'uid') && k.set.kind === 'saved') return true;
    if (k.type === 'and') stack.push(...k.keys);
    else if (k.type === 'or') stack.push(k.left, k.right);
    else if (k.type === 'not') stack.push(k.key);
  }
  return false;
}
