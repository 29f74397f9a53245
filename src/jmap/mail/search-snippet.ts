// SearchSnippet/get (RFC 8621 §5): the subject and a piece of the body of each Email with the
// filter's search terms marked, HTML-escaped. The terms are those of the filter's text, subject
// and body conditions (not under NOT: an Email shown for a NOT does not contain them).

import { headerValuesLength, MAX_SEARCH_HEADER_BYTES } from '../../mail/search-text.ts';
import { MethodError, type Method } from '../types.ts';
import { onlyKnown, optionalStringList } from '../args.ts';
import { fromJmapId, toAccountId, toJmapId } from '../ids.ts';
import { readFilter, type FilterNode } from './email-filter.ts';

/** RFC 8621 §5.1: a preview "MUST NOT be bigger than 255 octets". */
const MAX_PREVIEW_OCTETS = 255;
/** Characters of context shown before the first match. */
const LEAD_CHARS = 40;

interface SnippetTerms {
  subject: string[];
  body: string[];
}

function collectTerms(n: FilterNode | null, out: SnippetTerms = { subject: [], body: [] }): SnippetTerms {
  if (!n) return out;
  if (n.kind === 'and' || n.kind === 'or') for (const c of n.conditions) collectTerms(c, out);
  else if (n.kind === 'textContains') {
    out.subject.push(...n.terms);
    out.body.push(...n.terms);
  } else if (n.kind === 'fieldContains' && n.field === 'subject') out.subject.push(...n.terms);
  else if (n.kind === 'body') out.body.push(...n.terms);
  return out;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Lower-cased with every index kept (a character whose lower case is longer stays as it is). */
function lowerSameLength(s: string): string {
  const lower = s.toLowerCase();
  if (lower.length === s.length) return lower;
  let out = '';
  for (const ch of s) {
    const l = ch.toLowerCase();
    out += l.length === ch.length ? l : ch;
  }
  return out;
}

/** The matches of any term in text, as [start, end) ranges, longest first at each place, not overlapping. */
function matches(text: string, terms: readonly string[]): [number, number][] {
  const lower = lowerSameLength(text);
  const ranges: [number, number][] = [];
  for (const t of terms) {
    if (t.length === 0) continue;
    for (let i = lower.indexOf(t); i >= 0; i = lower.indexOf(t, i + t.length)) ranges.push([i, i + t.length]);
  }
  ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const out: [number, number][] = [];
  for (const r of ranges) if (out.length === 0 || r[0] >= out[out.length - 1][1]) out.push(r);
  return out;
}

/** text[from, to) escaped, with the ranges inside it marked. */
function highlight(text: string, ranges: [number, number][], from = 0, to = text.length): string {
  let out = '';
  let at = from;
  for (const [s, e] of ranges) {
    if (e <= from || s >= to) continue;
    const start = Math.max(s, from);
    const end = Math.min(e, to);
    out += escapeHtml(text.slice(at, start)) + '<mark>' + escapeHtml(text.slice(start, end)) + '</mark>';
    at = end;
  }
  return out + escapeHtml(text.slice(at, to));
}

/** A piece of the body around its first match, at most 255 octets once escaped and marked. */
function preview(body: string, terms: readonly string[]): string | null {
  const flat = body.replace(/\s+/g, ' ');
  const ranges = matches(flat, terms);
  if (ranges.length === 0) return null;
  let from = Math.max(0, ranges[0][0] - LEAD_CHARS);
  // Start at a word boundary where there is one close by.
  const space = flat.indexOf(' ', from);
  if (from > 0 && space >= 0 && space < ranges[0][0]) from = space + 1;
  let to = Math.min(flat.length, from + MAX_PREVIEW_OCTETS);
  let out = highlight(flat, ranges, from, to);
  while (Buffer.byteLength(out) > MAX_PREVIEW_OCTETS && to > from) {
    to = Math.max(from, to - Math.max(1, Math.ceil((Buffer.byteLength(out) - MAX_PREVIEW_OCTETS) / 4)));
    // Never end inside a surrogate pair.
    if (to > from && /[\ud800-\udbff]/.test(flat[to - 1])) to--;
    out = highlight(flat, ranges, from, to);
  }
  return out;
}

/** RFC 8621 §5.1 SearchSnippet/get. */
export const searchSnippetGet: Method = async (args, ctx) => {
  onlyKnown(args, ['accountId', 'filter', 'emailIds']);
  const filter = readFilter(args.filter);
  const emailIds = optionalStringList(args, 'emailIds');
  if (emailIds === null) throw new MethodError('invalidArguments', '"emailIds" must be a list of ids', { arguments: ['emailIds'] });
  if (emailIds.length > ctx.deps.limits.maxObjectsInGet) {
    throw new MethodError('requestTooLarge', `at most ${ctx.deps.limits.maxObjectsInGet} emailIds per call`);
  }
  const wanted = [...new Set(emailIds)];
  const ids = wanted.map((id) => fromJmapId('email', id)).filter((n): n is number => n !== null);
  const terms = collectTerms(filter);
  const found = new Map((await ctx.deps.store.getEmailSearchTexts(ctx.accountId, ids)).map((e) => [e.id, e]));
  const list: Record<string, unknown>[] = [];
  const notFound: string[] = [];
  for (const jmapId of wanted) {
    const id = fromJmapId('email', jmapId);
    const e = id === null ? undefined : found.get(id);
    if (!e) {
      notFound.push(jmapId);
      continue;
    }
    const subject = e.summary.subject ?? '';
    const subjectRanges = matches(subject, terms.subject);
    let body: string | null = null;
    if (terms.body.length > 0) {
      const root = e.summary.root;
      const block = await ctx.deps.blobs.read(e.blobId, root.headerStart, Math.min(root.headerEnd, root.headerStart + MAX_SEARCH_HEADER_BYTES));
      body = e.text.slice(Math.min(headerValuesLength(block), e.text.length));
    }
    list.push({
      emailId: toJmapId('email', e.id),
      subject: subjectRanges.length > 0 ? highlight(subject, subjectRanges) : null,
      preview: body !== null ? preview(body, terms.body) : null,
    });
  }
  return { accountId: toAccountId(ctx.accountId), list, notFound: notFound.length ? notFound : null };
};
