// EmailSubmission/get, /changes, /query and /queryChanges (RFC 8621 §7.1–§7.4). A submission's
// deliveryStatus is read from the store, where queued recipients follow the outbound queue.

import type { SubmissionRecord } from '../../store/types.ts';
import { MethodError, type MethodContext } from '../types.ts';
import { isPlainObject, onlyKnown, optionalBoolean, optionalInt, optionalString, optionalUnsignedInt, type Args } from '../args.ts';
import { pick, readChanges, readGet } from '../standard.ts';
import { fromJmapId, fromState, toAccountId, toJmapId, toState } from '../ids.ts';
import { changesFromCounter, objectState } from './object-state.ts';

const PROPERTIES = ['id', 'identityId', 'emailId', 'threadId', 'envelope', 'sendAt', 'undoStatus', 'deliveryStatus', 'dsnBlobIds', 'mdnBlobIds'] as const;

/** RFC 8620 §1.4 UTCDate: "Z", no fraction of a second when it is zero. */
export function toUtcDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}

function fromUtcDate(v: string, name: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(ms)) throw new MethodError('invalidArguments', `"${name}" must be a UTCDate`, { arguments: ['filter'] });
  return ms;
}

export function submissionToJmap(s: SubmissionRecord): Args {
  return {
    id: toJmapId('submission', s.id),
    identityId: toJmapId('identity', s.identityId),
    emailId: toJmapId('email', s.emailId),
    threadId: toJmapId('thread', s.threadId),
    envelope: s.envelope,
    sendAt: toUtcDate(s.sendAt),
    // Sent at once: nothing left to undo (RFC 8621 §7 undoStatus).
    undoStatus: 'final',
    deliveryStatus: Object.fromEntries(s.recipients.map((r) => [r.address, { smtpReply: r.smtpReply, delivered: r.delivered, displayed: 'unknown' }])),
    dsnBlobIds: [],
    mdnBlobIds: [],
  };
}

async function getSubmissions(args: Args, ctx: MethodContext): Promise<Args> {
  const req = readGet(args, ctx, PROPERTIES);
  const state = await objectState(ctx, 'EmailSubmission');
  const wanted = req.ids?.map((id) => fromJmapId('submission', id)).filter((n): n is number => n !== null) ?? null;
  const found = new Map((await ctx.deps.store.getSubmissions(ctx.accountId, wanted)).map((s) => [toJmapId('submission', s.id), s]));
  const ids = req.ids ?? [...found.keys()];
  const list: Args[] = [];
  const notFound: string[] = [];
  for (const id of ids) {
    const s = found.get(id);
    if (s) list.push(pick(submissionToJmap(s), req.properties));
    else notFound.push(id);
  }
  return { accountId: toAccountId(ctx.accountId), state, list, notFound };
}

type Filter = (s: SubmissionRecord) => boolean;

/** RFC 8621 §7.3 FilterCondition, and RFC 8620 §5.5 FilterOperator around them. */
function readFilter(v: unknown, depth = 0): Filter {
  if (v === undefined || v === null) return () => true;
  if (!isPlainObject(v) || depth > 16) throw new MethodError('invalidArguments', '"filter" must be a FilterCondition or FilterOperator', { arguments: ['filter'] });
  if ('operator' in v) {
    onlyKnown(v, ['operator', 'conditions']);
    if (!Array.isArray(v.conditions)) throw new MethodError('invalidArguments', '"conditions" must be a list', { arguments: ['filter'] });
    const parts = v.conditions.map((c) => readFilter(c, depth + 1));
    if (v.operator === 'AND') return (s) => parts.every((p) => p(s));
    if (v.operator === 'OR') return (s) => parts.some((p) => p(s));
    if (v.operator === 'NOT') return (s) => !parts.some((p) => p(s));
    throw new MethodError('unsupportedFilter', `unknown operator ${String(v.operator)}`);
  }
  const tests: Filter[] = [];
  for (const [key, value] of Object.entries(v)) {
    const idList = (kind: 'identity' | 'email' | 'thread'): Set<number> => {
      if (!Array.isArray(value) || value.some((x) => typeof x !== 'string')) throw new MethodError('invalidArguments', `"${key}" must be a list of ids`, { arguments: ['filter'] });
      return new Set(value.map((x) => fromJmapId(kind, x)).filter((n): n is number => n !== null));
    };
    if (key === 'identityIds') { const set = idList('identity'); tests.push((s) => set.has(s.identityId)); }
    else if (key === 'emailIds') { const set = idList('email'); tests.push((s) => set.has(s.emailId)); }
    else if (key === 'threadIds') { const set = idList('thread'); tests.push((s) => set.has(s.threadId)); }
    else if (key === 'undoStatus') {
      if (typeof value !== 'string') throw new MethodError('invalidArguments', '"undoStatus" must be a string', { arguments: ['filter'] });
      tests.push(() => value === 'final');
    } else if (key === 'before' || key === 'after') {
      if (typeof value !== 'string') throw new MethodError('invalidArguments', `"${key}" must be a UTCDate`, { arguments: ['filter'] });
      const at = fromUtcDate(value, key);
      tests.push(key === 'before' ? (s) => s.sendAt < at : (s) => s.sendAt >= at);
    } else throw new MethodError('unsupportedFilter', `unknown filter property "${key}"`);
  }
  return (s) => tests.every((t) => t(s));
}

type Compare = (a: SubmissionRecord, b: SubmissionRecord) => number;

/** RFC 8621 §7.3 sort properties; "sentAt" as the RFC's text spells it, "sendAt" as the property is named. */
function readSort(v: unknown): Compare {
  if (v === undefined || v === null) return (a, b) => a.id - b.id;
  if (!Array.isArray(v)) throw new MethodError('invalidArguments', '"sort" must be a list of Comparators', { arguments: ['sort'] });
  let tieDirection = 1;
  const keys: Compare[] = v.map((c) => {
    if (!isPlainObject(c) || typeof c.property !== 'string') throw new MethodError('invalidArguments', 'a Comparator needs a property', { arguments: ['sort'] });
    onlyKnown(c, ['property', 'isAscending', 'collation']);
    const dir = c.isAscending === false ? -1 : 1;
    tieDirection = dir;
    const field: Record<string, (s: SubmissionRecord) => number> = { emailId: (s) => s.emailId, threadId: (s) => s.threadId, sentAt: (s) => s.sendAt, sendAt: (s) => s.sendAt };
    const get = field[c.property];
    if (!get) throw new MethodError('unsupportedSort', `cannot sort by ${c.property}`);
    return (a, b) => dir * (get(a) - get(b));
  });
  return (a, b) => {
    for (const k of keys) {
      const d = k(a, b);
      if (d !== 0) return d;
    }
    // Ties (sendAt has whole seconds) in creation order, the way the last key runs.
    return tieDirection * (a.id - b.id);
  };
}

async function results(args: Args, ctx: MethodContext): Promise<string[]> {
  const filter = readFilter(args.filter);
  const compare = readSort(args.sort);
  const all = await ctx.deps.store.getSubmissions(ctx.accountId, null);
  return all.filter(filter).sort(compare).map((s) => toJmapId('submission', s.id));
}

async function querySubmissions(args: Args, ctx: MethodContext): Promise<Args> {
  onlyKnown(args, ['accountId', 'filter', 'sort', 'position', 'anchor', 'anchorOffset', 'limit', 'calculateTotal']);
  const queryState = await objectState(ctx, 'EmailSubmission');
  const ids = await results(args, ctx);
  const anchor = optionalString(args, 'anchor');
  let position = optionalInt(args, 'position') ?? 0;
  if (anchor !== null) {
    const at = ids.indexOf(anchor);
    if (at < 0) throw new MethodError('anchorNotFound');
    position = Math.max(0, at + (optionalInt(args, 'anchorOffset') ?? 0));
  } else if (position < 0) {
    position = Math.max(0, ids.length + position);
  }
  const limit = optionalUnsignedInt(args, 'limit');
  const page = ids.slice(position, limit === null ? undefined : position + limit);
  return {
    accountId: toAccountId(ctx.accountId),
    queryState,
    canCalculateChanges: true,
    position: Math.min(position, ids.length),
    ids: page,
    ...(optionalBoolean(args, 'calculateTotal', false) ? { total: ids.length } : {}),
  };
}

/**
 * RFC 8620 §5.6: every submission changed since the state is removed, and those of them that
 * match now are added back at their index. The filter and sort properties never change after
 * create, so this is exact, if not minimal.
 */
async function querySubmissionChanges(args: Args, ctx: MethodContext): Promise<Args> {
  onlyKnown(args, ['accountId', 'filter', 'sort', 'sinceQueryState', 'maxChanges', 'upToId', 'calculateTotal']);
  const sinceQueryState = optionalString(args, 'sinceQueryState');
  if (sinceQueryState === null) throw new MethodError('invalidArguments', '"sinceQueryState" must be a string', { arguments: ['sinceQueryState'] });
  const maxChanges = optionalUnsignedInt(args, 'maxChanges');
  const since = fromState(sinceQueryState);
  const changes = since === null ? null : await ctx.deps.store.accountObjectChanges(ctx.accountId, 'EmailSubmission', since);
  if (!changes) throw new MethodError('cannotCalculateChanges', 'not an EmailSubmission state of this account');
  const ids = await results(args, ctx);
  const changed = new Set([...changes.created, ...changes.updated, ...changes.destroyed].map((n) => toJmapId('submission', n)));
  const removed = [...changed].filter((id) => !changes.created.includes(fromJmapId('submission', id)!));
  const added = ids.flatMap((id, index) => (changed.has(id) ? [{ id, index }] : []));
  if (maxChanges !== null && removed.length + added.length > maxChanges) throw new MethodError('tooManyChanges');
  return {
    accountId: toAccountId(ctx.accountId),
    oldQueryState: sinceQueryState,
    newQueryState: toState(changes.newState),
    removed,
    added,
    ...(optionalBoolean(args, 'calculateTotal', false) ? { total: ids.length } : {}),
  };
}

export const submissionReadMethods = {
  'EmailSubmission/get': getSubmissions,
  'EmailSubmission/changes': async (args: Args, ctx: MethodContext) => changesFromCounter(ctx, 'EmailSubmission', 'submission', readChanges(args)),
  'EmailSubmission/query': querySubmissions,
  'EmailSubmission/queryChanges': querySubmissionChanges,
};
