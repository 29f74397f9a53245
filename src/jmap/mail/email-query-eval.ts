// Turns a read filter (email-filter.ts) into what the store evaluates: the body and header
// conditions (RFC 8621 §4.4.1), which need each candidate's header block from its blob, are
// worked out here and handed to the store as sets of Email ids. Their candidates are first
// narrowed in the store — by the search text, which holds the header values and bodies, and by
// the conditions beside them in a top-level AND — so only those few blobs are read.

import type { AccountId, EmailCondition, EmailId, EmailQuery, EmailQueryResult } from '../../store/types.ts';
import { hasAllTerms, headerValuesLength, MAX_SEARCH_HEADER_BYTES, searchableHeaderFields } from '../../mail/search-text.ts';
import type { JmapDeps } from '../types.ts';
import type { ContentCondition, FilterNode } from './email-filter.ts';

const BATCH = 256;

function isContent(n: FilterNode): n is ContentCondition {
  return n.kind === 'body' || n.kind === 'header';
}

function hasContent(n: FilterNode): boolean {
  return isContent(n) || ((n.kind === 'and' || n.kind === 'or' || n.kind === 'not') && n.conditions.some(hasContent));
}

/** Every Email id matching a store condition, in no particular order. */
async function allMatching(deps: JmapDeps, accountId: AccountId, filter: EmailCondition | null): Promise<EmailId[]> {
  const r = await deps.store.queryEmails(accountId, {
    filter, sort: [], collapseThreads: false, position: 0, anchor: null, anchorOffset: 0, limit: null, calculateTotal: false,
  });
  return r.emailIds;
}

async function headerBlock(deps: JmapDeps, blobId: string, root: { headerStart: number; headerEnd: number }): Promise<Buffer> {
  return deps.blobs.read(blobId, root.headerStart, Math.min(root.headerEnd, root.headerStart + MAX_SEARCH_HEADER_BYTES));
}

/** The Emails of `scope` for which a body or header condition holds. */
async function evaluateContent(deps: JmapDeps, accountId: AccountId, c: ContentCondition, scope: EmailCondition[]): Promise<EmailId[]> {
  // The search text starts with the decoded header values and goes on with the bodies' text:
  // whatever the condition looks for is in it.
  const terms = c.kind === 'body' ? c.terms : c.terms ?? [];
  const narrowed: EmailCondition = { kind: 'and', conditions: [...scope, { kind: 'textContains', terms }] };
  const candidates = await allMatching(deps, accountId, narrowed);
  if (c.kind === 'body' && c.terms.length === 0) return candidates;
  const out: EmailId[] = [];
  // Copies of one message (one blob) share their header block.
  const prefixes = new Map<string, number>();
  for (let i = 0; i < candidates.length; i += BATCH) {
    const batch = candidates.slice(i, i + BATCH);
    if (c.kind === 'body') {
      for (const e of await deps.store.getEmailSearchTexts(accountId, batch)) {
        const lower = e.text.toLowerCase();
        // The header values the text starts with are no longer than the raw header block, so a
        // term found past that many characters is in a body: no need to read the block.
        const rawHeader = e.summary.root.headerEnd - e.summary.root.headerStart;
        if (lower.length === e.text.length && c.terms.every((t) => lower.lastIndexOf(t) >= rawHeader)) {
          out.push(e.id);
          continue;
        }
        let skip = prefixes.get(e.blobId);
        if (skip === undefined) prefixes.set(e.blobId, (skip = headerValuesLength(await headerBlock(deps, e.blobId, e.summary.root))));
        if (hasAllTerms(e.text.slice(Math.min(skip, e.text.length)).toLowerCase(), c.terms)) out.push(e.id);
      }
    } else {
      for (const e of await deps.store.getEmails(accountId, batch)) {
        const fields = searchableHeaderFields(await headerBlock(deps, e.blobId, e.summary.root)).filter((f) => f.name === c.name);
        if (fields.length > 0 && (c.terms === null || fields.some((f) => hasAllTerms(f.value, c.terms!)))) out.push(e.id);
      }
    }
  }
  return out;
}

/**
 * The store condition equal to the filter. `scope`: conditions every result must meet anyway
 * (the plain siblings of the ANDs above), used to narrow the content conditions' candidates.
 */
async function resolve(deps: JmapDeps, accountId: AccountId, n: FilterNode, scope: EmailCondition[]): Promise<EmailCondition> {
  if (isContent(n)) return { kind: 'emailIds', ids: await evaluateContent(deps, accountId, n, scope) };
  if (n.kind !== 'and' && n.kind !== 'or' && n.kind !== 'not') return n as EmailCondition;
  // What bounds the results bounds every condition inside, under OR and NOT too (outside the
  // scope nothing is selected either way); an AND adds its plain conditions.
  const childScope = n.kind === 'and' ? [...scope, ...(n.conditions.filter((c) => !hasContent(c)) as EmailCondition[])] : scope;
  const conditions: EmailCondition[] = [];
  for (const child of n.conditions) conditions.push(hasContent(child) ? await resolve(deps, accountId, child, childScope) : (child as EmailCondition));
  return { kind: n.kind, conditions };
}

export async function storeFilter(deps: JmapDeps, accountId: AccountId, filter: FilterNode | null): Promise<EmailCondition | null> {
  if (filter === null || !hasContent(filter)) return filter as EmailCondition | null;
  return resolve(deps, accountId, filter, []);
}

export async function runEmailQuery(deps: JmapDeps, accountId: AccountId, filter: FilterNode | null, query: Omit<EmailQuery, 'filter'>): Promise<EmailQueryResult> {
  return deps.store.queryEmails(accountId, { ...query, filter: await storeFilter(deps, accountId, filter) });
}
