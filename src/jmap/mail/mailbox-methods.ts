// Mailbox/get, /changes, /query and /queryChanges (RFC 8621 §2.1–§2.4); Mailbox/set is in
// mailbox-set.ts. Mailbox states are the account's mod-sequence, like Email and Thread states,
// so one change log answers them all.

import type { MethodContext, MethodSet } from '../types.ts';
import { MethodError } from '../types.ts';
import { type Args, onlyKnown, optionalString, optionalUnsignedInt } from '../args.ts';
import { changesFromLog, pick, readChanges, readGet } from '../standard.ts';
import { fromJmapId, fromState, toAccountId, toJmapId } from '../ids.ts';
import { COUNT_PROPERTIES, MAILBOX_PROPERTIES, readMailboxes, toJmapMailbox } from './mailbox-object.ts';
import { MAILBOX_SORT_PROPERTIES, readMailboxFilter, readTreeOptions, runMailboxQuery, type MailboxQueryOptions } from './mailbox-query.ts';
import { applyWindow, readSort, readWindow } from './query-window.ts';
import { mailboxSet } from './mailbox-set.ts';
import { MAIL_CAPABILITY, mailAccountCapability } from './capability.ts';
import { accountState } from './state.ts';

/** Every Mailbox object of the account, and the state they were read at (read first: never newer than the data). */
async function allMailboxes(ctx: MethodContext): Promise<{ state: string; list: ReturnType<typeof toJmapMailbox>[] }> {
  const state = await accountState(ctx);
  const snap = await readMailboxes(ctx.deps.store, ctx.accountId);
  return { state, list: snap.mailboxes.map((m) => toJmapMailbox(m, snap)) };
}

/** RFC 8621 §2.1 Mailbox/get: ids null gives every mailbox. */
async function mailboxGet(args: Args, ctx: MethodContext): Promise<Args> {
  const req = readGet(args, ctx, MAILBOX_PROPERTIES);
  const { state, list } = await allMailboxes(ctx);
  const byId = new Map(list.map((m) => [m.id as string, m]));
  const wanted = req.ids ?? list.map((m) => m.id as string);
  return {
    accountId: toAccountId(ctx.accountId),
    state,
    list: wanted.filter((id) => byId.has(id)).map((id) => pick(byId.get(id)!, req.properties)),
    notFound: wanted.filter((id) => !byId.has(id)),
  };
}

/**
 * RFC 8621 §2.2 Mailbox/changes. updatedProperties names the counts when every updated mailbox
 * changed only in its messages (the change log tells record rows from message rows); the
 * counts a mailbox shows depend only on its own messages, so that is exact.
 */
async function mailboxChanges(args: Args, ctx: MethodContext): Promise<Args> {
  const req = readChanges(args);
  const out = await changesFromLog(ctx, 'Mailbox', 'mailbox', req);
  const updated = out.updated as string[];
  let updatedProperties: string[] | null = null;
  if (updated.length > 0) {
    const records = new Set(await ctx.deps.store.mailboxRecordChanges(ctx.accountId, fromState(req.sinceState)!, fromState(out.newState)!));
    if (updated.every((id) => !records.has(fromJmapId('mailbox', id)!))) updatedProperties = [...COUNT_PROPERTIES];
  }
  return { ...out, updatedProperties };
}

function readQuery(args: Args, extra: readonly string[]): MailboxQueryOptions {
  onlyKnown(args, ['accountId', 'filter', 'sort', 'sortAsTree', 'filterAsTree', ...extra]);
  return { filter: readMailboxFilter(args), sort: readSort(args, MAILBOX_SORT_PROPERTIES), ...readTreeOptions(args) };
}

/** RFC 8621 §2.3 Mailbox/query. */
async function mailboxQuery(args: Args, ctx: MethodContext): Promise<Args> {
  const q = readQuery(args, ['position', 'anchor', 'anchorOffset', 'limit', 'calculateTotal']);
  const window = readWindow(args);
  const { state, list } = await allMailboxes(ctx);
  const ids = runMailboxQuery(list as never, q);
  const page = applyWindow(ids, window);
  return {
    accountId: toAccountId(ctx.accountId),
    queryState: state,
    // A tree's order moves whole subtrees when one mailbox changes: not answerable from the changed ones alone.
    canCalculateChanges: !q.sortAsTree && !q.filterAsTree,
    position: page.position,
    ids: page.ids,
    ...(window.calculateTotal ? { total: ids.length } : {}),
  };
}

/**
 * RFC 8620 §5.6 for Mailboxes: every mailbox whose record changed since the old state (created,
 * renamed, moved, re-ordered, re-subscribed, destroyed) is removed and, if it matches now, added
 * at its new index; a mailbox whose messages alone changed cannot have moved, since no filter or
 * sort reads the counts.
 */
async function mailboxQueryChanges(args: Args, ctx: MethodContext): Promise<Args> {
  const q = readQuery(args, ['sinceQueryState', 'maxChanges', 'upToId', 'calculateTotal']);
  const sinceQueryState = optionalString(args, 'sinceQueryState');
  if (sinceQueryState === null) throw new MethodError('invalidArguments', '"sinceQueryState" must be a string', { arguments: ['sinceQueryState'] });
  const maxChanges = optionalUnsignedInt(args, 'maxChanges');
  optionalString(args, 'upToId');
  const window = readWindow({ calculateTotal: args.calculateTotal });
  if (q.sortAsTree || q.filterAsTree) throw new MethodError('cannotCalculateChanges', 'changes of a query sorted or filtered as a tree are not tracked');
  const since = fromState(sinceQueryState);
  const { state, list } = await allMailboxes(ctx);
  const modseq = fromState(state)!;
  const horizon = await ctx.deps.store.changeHorizon(ctx.accountId);
  if (since === null || since < horizon || since > modseq) throw new MethodError('cannotCalculateChanges', 'not a state this server can compare with');
  const changed = await ctx.deps.store.mailboxRecordChanges(ctx.accountId, since, modseq);
  const ids = runMailboxQuery(list as never, q);
  const index = new Map(ids.map((id, i) => [id, i]));
  const removed = changed.map((n) => toJmapId('mailbox', n));
  const added = removed.filter((id) => index.has(id)).map((id) => ({ id, index: index.get(id)! })).sort((a, b) => a.index - b.index);
  if (maxChanges !== null && removed.length + added.length > maxChanges) throw new MethodError('tooManyChanges', `more than ${maxChanges} changes`);
  return {
    accountId: toAccountId(ctx.accountId),
    oldQueryState: sinceQueryState,
    newQueryState: state,
    removed,
    added,
    ...(window.calculateTotal ? { total: ids.length } : {}),
  };
}

export function mailboxMethods(maxMessageBytes: number): MethodSet {
  return {
    capability: MAIL_CAPABILITY,
    sessionCapability: {},
    accountCapability: () => mailAccountCapability(maxMessageBytes),
    methods: {
      'Mailbox/get': mailboxGet,
      'Mailbox/changes': mailboxChanges,
      'Mailbox/query': mailboxQuery,
      'Mailbox/queryChanges': mailboxQueryChanges,
      'Mailbox/set': mailboxSet,
    },
  };
}
