// Email/query (RFC 8621 §4.4, RFC 8620 §5.5), Email/queryChanges (RFC 8621 §4.5, RFC 8620 §5.6)
// and Email/changes (RFC 8621 §4.3, RFC 8620 §5.2).
//
// queryChanges from the change log: every Email changed or destroyed since the old state — and,
// when the query looks at threads or collapses them, every Email of a changed thread — is
// reported as removed, and those in the current results (with the Emails created since) are
// added at their index. That is exact for any filter and sort, because whether and where an
// Email is in the results depends only on the Email and its thread, and every change to them is
// in the log. Emails created since are never "removed": they were not in the old results.

import type { EmailSortKey } from '../../store/types.ts';
import { MethodError, type Method } from '../types.ts';
import { onlyKnown, optionalBoolean, optionalInt, optionalString, optionalUnsignedInt, type Args } from '../args.ts';
import { changesFromLog, readChanges } from '../standard.ts';
import { fromJmapId, fromState, toAccountId, toJmapId, toState } from '../ids.ts';
import { dependsOnThread, isImmutableQuery, readFilter, readSort, type FilterNode } from './email-filter.ts';
import { runEmailQuery } from './email-query-eval.ts';
import { accountModseq } from './state.ts';

/** The most ids one Email/query returns; a larger or absent limit is cut to it (and said so). */
export const MAX_QUERY_LIMIT = 1000;

interface QueryArgs {
  filter: FilterNode | null;
  sort: EmailSortKey[];
  collapseThreads: boolean;
  calculateTotal: boolean;
}

function readQueryArgs(args: Args): QueryArgs {
  return {
    filter: readFilter(args.filter),
    sort: readSort(args.sort),
    collapseThreads: optionalBoolean(args, 'collapseThreads', false),
    calculateTotal: optionalBoolean(args, 'calculateTotal', false),
  };
}

/** RFC 8621 §4.4 Email/query. */
export const emailQuery: Method = async (args, ctx) => {
  onlyKnown(args, ['accountId', 'filter', 'sort', 'position', 'anchor', 'anchorOffset', 'limit', 'calculateTotal', 'collapseThreads']);
  const q = readQueryArgs(args);
  const position = optionalInt(args, 'position') ?? 0;
  const anchorArg = optionalString(args, 'anchor');
  const anchorOffset = optionalInt(args, 'anchorOffset') ?? 0;
  const asked = optionalUnsignedInt(args, 'limit');
  const limit = Math.min(asked ?? MAX_QUERY_LIMIT, MAX_QUERY_LIMIT);
  let anchor: number | null = null;
  if (anchorArg !== null) {
    anchor = fromJmapId('email', anchorArg);
    if (anchor === null) throw new MethodError('anchorNotFound', 'the anchor is not in the results');
  }
  // The state is read first: a change landing meanwhile makes the results newer than the state,
  // which a later queryChanges from it reports again (harmless), never misses.
  const state = await accountModseq(ctx);
  const r = await runEmailQuery(ctx.deps, ctx.accountId, q.filter, {
    sort: q.sort, collapseThreads: q.collapseThreads, position, anchor, anchorOffset, limit, calculateTotal: q.calculateTotal,
  });
  if (anchor !== null && !r.anchorFound) throw new MethodError('anchorNotFound', 'the anchor is not in the results');
  return {
    accountId: toAccountId(ctx.accountId),
    queryState: toState(state),
    canCalculateChanges: true,
    position: r.position,
    ids: r.emailIds.map((id) => toJmapId('email', id)),
    ...(q.calculateTotal ? { total: r.total ?? 0 } : {}),
    // RFC 8620 §5.5: "limit" is returned only when the server set or changed it.
    ...(asked === null || asked > MAX_QUERY_LIMIT ? { limit } : {}),
  };
};

/** RFC 8621 §4.5 Email/queryChanges (see the notes at the top). */
export const emailQueryChanges: Method = async (args, ctx) => {
  onlyKnown(args, ['accountId', 'filter', 'sort', 'sinceQueryState', 'maxChanges', 'upToId', 'calculateTotal', 'collapseThreads']);
  const q = readQueryArgs(args);
  const sinceArg = optionalString(args, 'sinceQueryState');
  if (sinceArg === null) throw new MethodError('invalidArguments', '"sinceQueryState" must be a string', { arguments: ['sinceQueryState'] });
  const maxChanges = optionalUnsignedInt(args, 'maxChanges');
  if (maxChanges === 0) throw new MethodError('invalidArguments', '"maxChanges" must be positive', { arguments: ['maxChanges'] });
  const upToArg = optionalString(args, 'upToId');
  const since = fromState(sinceArg);
  const state = await accountModseq(ctx);
  if (since === null || since > state) throw new MethodError('cannotCalculateChanges', 'not a state this server issued');
  const store = ctx.deps.store;
  const log = await store.changesSince(ctx.accountId, since);
  if (!log.complete) throw new MethodError('cannotCalculateChanges', 'the change log no longer reaches back to this state');

  // Emails created since were not in the old results: they can only be added.
  const emails = await store.objectChanges(ctx.accountId, 'Email', since);
  if (!emails) throw new MethodError('cannotCalculateChanges', 'the change log no longer reaches back to this state');
  const createdSince = new Set(emails.created);
  const maybeThere = new Set([...emails.updated, ...emails.destroyed]);
  const changed = new Set<number>();
  const threads = new Set<number>();
  for (const c of log.changes) {
    if (c.emailId !== null) changed.add(c.emailId);
    if (c.threadId !== null) threads.add(c.threadId);
  }
  if ((q.collapseThreads || dependsOnThread(q.filter, q.sort)) && threads.size > 0) {
    for (const t of await store.getThreads(ctx.accountId, [...threads])) {
      for (const id of t.emailIds) {
        // A thread's other Emails, unchanged themselves, may have moved in or out with it.
        if (!changed.has(id) && !createdSince.has(id)) maybeThere.add(id);
        changed.add(id);
      }
    }
  }
  const needResults = changed.size > 0 || q.calculateTotal;
  const current = needResults
    ? await runEmailQuery(ctx.deps, ctx.accountId, q.filter, {
        sort: q.sort, collapseThreads: q.collapseThreads, position: 0, anchor: null, anchorOffset: 0, limit: null, calculateTotal: q.calculateTotal,
      })
    : null;
  let added: { id: number; index: number }[] = [];
  // Created and destroyed since: in neither list (objectChanges names it nowhere).
  let removed = [...changed].filter((id) => maybeThere.has(id));
  if (current && changed.size > 0) {
    current.emailIds.forEach((id, index) => {
      if (changed.has(id)) added.push({ id, index });
    });
    // RFC 8620 §5.6 upToId: with only immutable properties, what lies beyond it is the client's no concern.
    const upTo = upToArg === null ? null : fromJmapId('email', upToArg);
    const upToIndex = upTo === null ? -1 : current.emailIds.indexOf(upTo);
    if (upToIndex >= 0 && isImmutableQuery(q.filter, q.sort, q.collapseThreads)) {
      const beyond = new Set(added.filter((a) => a.index > upToIndex).map((a) => a.id));
      added = added.filter((a) => !beyond.has(a.id));
      removed = removed.filter((id) => !beyond.has(id));
    }
  }
  if (maxChanges !== null && new Set([...removed, ...added.map((a) => a.id)]).size > maxChanges) {
    throw new MethodError('tooManyChanges', `more than ${maxChanges} changes`);
  }
  return {
    accountId: toAccountId(ctx.accountId),
    oldQueryState: sinceArg,
    newQueryState: toState(state),
    ...(q.calculateTotal ? { total: current?.total ?? 0 } : {}),
    removed: removed.map((id) => toJmapId('email', id)),
    added: added.map((a) => ({ id: toJmapId('email', a.id), index: a.index })),
  };
};

/** RFC 8621 §4.3 Email/changes, from the change log. */
export const emailChanges: Method = async (args, ctx) => changesFromLog(ctx, 'Email', 'email', readChanges(args));
