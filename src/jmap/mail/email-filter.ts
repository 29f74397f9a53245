// Email/query's filter and sort arguments read and checked (RFC 8621 §4.4.1, §4.4.2; RFC 8620
// §5.5): a FilterOperator tree of FilterConditions becomes the store's EmailCondition tree, with
// two leaves the store cannot answer alone (body, header: they need the message's header block)
// left for email-query-eval.ts. Unknown properties are unsupportedFilter/unsupportedSort, values
// of the wrong type invalidArguments.

import type { EmailCollation, EmailCondition, EmailSortKey } from '../../store/types.ts';
import { searchTerms } from '../../mail/search-text.ts';
import { MethodError } from '../types.ts';
import { isPlainObject } from '../args.ts';
import { fromJmapId } from '../ids.ts';
import { isValidKeyword, keywordToFlag } from './keywords.ts';
import { EMAIL_QUERY_SORT_OPTIONS } from './capability.ts';

/** Filter trees deeper or larger than this are refused (unsupportedFilter): each node is SQL. */
export const MAX_FILTER_DEPTH = 16;
export const MAX_FILTER_NODES = 256;
/** At most this many comparators in one sort. */
export const MAX_SORT_COMPARATORS = 8;

/** A body or header condition: evaluated over the candidates by email-query-eval.ts. */
export type ContentCondition =
  | { kind: 'body'; terms: string[] }
  | { kind: 'header'; name: string; terms: string[] | null };

type Leaf = Exclude<EmailCondition, { kind: 'and' | 'or' | 'not' }>;
export type FilterNode = { kind: 'and' | 'or' | 'not'; conditions: FilterNode[] } | Leaf | ContentCondition;

/** The collations the session object advertises (src/jmap/session.ts, RFC 8620 §2). */
export const COLLATIONS: readonly EmailCollation[] = ['i;ascii-casemap', 'i;ascii-numeric', 'i;octet', 'i;unicode-casemap'];
/** When a comparator names none: the collation IMAP SORT uses (RFC 5256 §2.1). */
export const DEFAULT_COLLATION: EmailCollation = 'i;ascii-casemap';

const invalid = (what: string): MethodError => new MethodError('invalidArguments', what, { arguments: ['filter'] });

/** RFC 8620 §1.4 UTCDate: "2014-10-30T06:12:00Z", fractions allowed, always Z. */
function utcDate(name: string, v: unknown): number {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(v)) throw invalid(`"${name}" must be a UTCDate`);
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw invalid(`"${name}" must be a UTCDate`);
  return ms;
}

function text(name: string, v: unknown): string {
  if (typeof v !== 'string') throw invalid(`"${name}" must be a string`);
  return v;
}

function keyword(name: string, v: unknown): string {
  if (typeof v !== 'string' || !isValidKeyword(v)) throw invalid(`"${name}" must be a keyword`);
  return keywordToFlag(v);
}

function unsignedInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalid(`"${name}" must be an unsigned integer`);
  return v;
}

const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]{1,256}$/;

/** One FilterCondition (RFC 8621 §4.4.1): every property given must hold. */
function condition(f: Record<string, unknown>): FilterNode {
  const all: FilterNode[] = [];
  for (const [name, v] of Object.entries(f)) {
    switch (name) {
      case 'inMailbox': {
        const id = fromJmapId('mailbox', text(name, v));
        // A mailbox id this server never issued holds no Email.
        all.push(id === null ? { kind: 'emailIds', ids: [] } : { kind: 'inMailbox', mailboxId: id });
        break;
      }
      case 'inMailboxOtherThan': {
        if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalid(`"${name}" must be a list of ids`);
        const ids = v.map((x) => fromJmapId('mailbox', x)).filter((x): x is number => x !== null);
        all.push({ kind: 'inMailboxOtherThan', mailboxIds: ids });
        break;
      }
      case 'before':
        all.push({ kind: 'receivedBefore', at: utcDate(name, v) });
        break;
      case 'after':
        all.push({ kind: 'receivedAfter', at: utcDate(name, v) });
        break;
      case 'minSize':
        all.push({ kind: 'minSize', size: unsignedInt(name, v) });
        break;
      case 'maxSize':
        all.push({ kind: 'maxSize', size: unsignedInt(name, v) });
        break;
      case 'allInThreadHaveKeyword':
        all.push({ kind: 'threadFlag', flag: keyword(name, v), quantifier: 'all' });
        break;
      case 'someInThreadHaveKeyword':
        all.push({ kind: 'threadFlag', flag: keyword(name, v), quantifier: 'some' });
        break;
      case 'noneInThreadHaveKeyword':
        all.push({ kind: 'threadFlag', flag: keyword(name, v), quantifier: 'none' });
        break;
      case 'hasKeyword':
        all.push({ kind: 'hasFlag', flag: keyword(name, v) });
        break;
      case 'notKeyword':
        all.push({ kind: 'not', conditions: [{ kind: 'hasFlag', flag: keyword(name, v) }] });
        break;
      case 'hasAttachment':
        if (typeof v !== 'boolean') throw invalid(`"${name}" must be true or false`);
        all.push({ kind: 'hasAttachment', value: v });
        break;
      case 'text':
        all.push({ kind: 'textContains', terms: searchTerms(text(name, v)) });
        break;
      case 'from':
      case 'to':
      case 'cc':
      case 'bcc':
      case 'subject':
        all.push({ kind: 'fieldContains', field: name, terms: searchTerms(text(name, v)) });
        break;
      case 'body':
        all.push({ kind: 'body', terms: searchTerms(text(name, v)) });
        break;
      case 'header': {
        if (!Array.isArray(v) || v.length < 1 || v.length > 2 || v.some((x) => typeof x !== 'string')) {
          throw invalid('"header" must be a list of one or two strings');
        }
        if (!FIELD_NAME.test(v[0])) throw invalid('"header" must start with a header field name');
        all.push({ kind: 'header', name: v[0].toLowerCase(), terms: v.length === 2 ? searchTerms(v[1]) : null });
        break;
      }
      default:
        throw new MethodError('unsupportedFilter', `unknown filter property "${name}"`);
    }
  }
  return all.length === 1 ? all[0] : { kind: 'and', conditions: all };
}

/** A FilterOperator or FilterCondition (RFC 8620 §5.5), bounded in depth and size. */
export function readFilter(v: unknown): FilterNode | null {
  if (v === undefined || v === null) return null;
  let nodes = 0;
  const walk = (f: unknown, depth: number): FilterNode => {
    if (!isPlainObject(f)) throw invalid('a filter must be an object');
    if (depth > MAX_FILTER_DEPTH || ++nodes > MAX_FILTER_NODES) {
      throw new MethodError('unsupportedFilter', `filters are limited to ${MAX_FILTER_DEPTH} levels and ${MAX_FILTER_NODES} conditions`);
    }
    if (!('operator' in f)) return condition(f);
    for (const key of Object.keys(f)) if (key !== 'operator' && key !== 'conditions') throw invalid(`unknown FilterOperator property "${key}"`);
    const op = f.operator;
    if (op !== 'AND' && op !== 'OR' && op !== 'NOT') throw invalid('"operator" must be AND, OR or NOT');
    if (!Array.isArray(f.conditions)) throw invalid('"conditions" must be a list');
    const conditions = f.conditions.map((c) => walk(c, depth + 1));
    return { kind: op === 'AND' ? 'and' : op === 'OR' ? 'or' : 'not', conditions };
  };
  return walk(v, 1);
}

/** RFC 8620 §5.5 Comparators with RFC 8621 §4.4.2's properties and "keyword". */
export function readSort(v: unknown): EmailSortKey[] {
  if (v === undefined || v === null) return [];
  const bad = (what: string) => new MethodError('invalidArguments', what, { arguments: ['sort'] });
  if (!Array.isArray(v)) throw bad('"sort" must be a list of Comparators');
  if (v.length > MAX_SORT_COMPARATORS) throw new MethodError('unsupportedSort', `at most ${MAX_SORT_COMPARATORS} comparators`);
  return v.map((c): EmailSortKey => {
    if (!isPlainObject(c)) throw bad('a Comparator must be an object');
    for (const key of Object.keys(c)) if (!['property', 'isAscending', 'collation', 'keyword'].includes(key)) throw bad(`unknown Comparator property "${key}"`);
    if (typeof c.property !== 'string') throw bad('"property" must be a string');
    if (c.isAscending !== undefined && typeof c.isAscending !== 'boolean') throw bad('"isAscending" must be true or false');
    if (c.collation !== undefined && typeof c.collation !== 'string') throw bad('"collation" must be a string');
    // Exactly the sort options the session advertises (capability.ts).
    const property = c.property as (typeof EMAIL_QUERY_SORT_OPTIONS)[number];
    if (!EMAIL_QUERY_SORT_OPTIONS.includes(property)) throw new MethodError('unsupportedSort', `cannot sort by "${c.property}"`);
    const collation = (c.collation ?? DEFAULT_COLLATION) as EmailCollation;
    if (!COLLATIONS.includes(collation)) throw new MethodError('unsupportedSort', `unknown collation "${c.collation}"`);
    const ascending = c.isAscending ?? true;
    switch (property) {
      case 'receivedAt':
      case 'sentAt':
      case 'size':
        return { key: property, ascending };
      case 'from':
      case 'to':
      case 'subject':
        return { key: property, ascending, collation };
      default: {
        if (typeof c.keyword !== 'string' || !isValidKeyword(c.keyword)) throw bad(`sorting by "${property}" needs a "keyword"`);
        const key = property === 'hasKeyword' ? 'hasFlag' : property === 'allInThreadHaveKeyword' ? 'allInThreadHaveFlag' : 'someInThreadHaveFlag';
        return { key, ascending, flag: keywordToFlag(c.keyword) };
      }
    }
  });
}

/** Whether the filter or sort depends on the thread's other Emails (then a change to one may move another). */
export function dependsOnThread(filter: FilterNode | null, sort: readonly EmailSortKey[]): boolean {
  const inFilter = (n: FilterNode): boolean =>
    n.kind === 'threadFlag' || ((n.kind === 'and' || n.kind === 'or' || n.kind === 'not') && n.conditions.some(inFilter));
  return (filter !== null && inFilter(filter)) || sort.some((k) => k.key === 'allInThreadHaveFlag' || k.key === 'someInThreadHaveFlag');
}

/** Whether a result's membership and order depend only on what never changes in an Email (RFC 8620 §5.6 upToId). */
export function isImmutableQuery(filter: FilterNode | null, sort: readonly EmailSortKey[], collapseThreads: boolean): boolean {
  const MUTABLE = new Set(['inMailbox', 'inMailboxOtherThan', 'hasFlag', 'threadFlag']);
  const immutable = (n: FilterNode): boolean =>
    n.kind === 'and' || n.kind === 'or' || n.kind === 'not' ? n.conditions.every(immutable) : !MUTABLE.has(n.kind);
  return !collapseThreads && (filter === null || immutable(filter)) && sort.every((k) => k.key === 'receivedAt' || k.key === 'sentAt' || k.key === 'size' || k.key === 'subject' || k.key === 'from' || k.key === 'to');
}
