// Thread/get and Thread/changes (RFC 8621 §3): a Thread is the list of its visible Emails,
// oldest received first, as the store assigned them at ingest (src/store/sqlite/threads.ts).

import type { MethodContext, MethodSet } from '../types.ts';
import { MethodError } from '../types.ts';
import type { Args } from '../args.ts';
import { changesFromLog, pick, readChanges, readGet } from '../standard.ts';
import { fromJmapId, toAccountId, toJmapId } from '../ids.ts';
import { MAIL_CAPABILITY } from './capability.ts';
import { accountState } from './state.ts';

const THREAD_PROPERTIES = ['id', 'emailIds'] as const;

/** RFC 8621 §3.1 Thread/get. There is no list of every thread to give for ids null. */
async function threadGet(args: Args, ctx: MethodContext): Promise<Args> {
  const req = readGet(args, ctx, THREAD_PROPERTIES);
  if (req.ids === null) throw new MethodError('requestTooLarge', 'Thread/get needs the ids of the threads to read');
  const state = await accountState(ctx);
  const numbers = req.ids.map((id) => fromJmapId('thread', id)).filter((n): n is number => n !== null);
  const threads = new Map((await ctx.deps.store.getThreads(ctx.accountId, numbers)).map((t) => [toJmapId('thread', t.id), t]));
  return {
    accountId: toAccountId(ctx.accountId),
    state,
    list: req.ids.filter((id) => threads.has(id)).map((id) => pick({ id, emailIds: threads.get(id)!.emailIds.map((e) => toJmapId('email', e)) }, req.properties)),
    notFound: req.ids.filter((id) => !threads.has(id)),
  };
}

/** RFC 8621 §3.2 Thread/changes, from the change log's thread ids. */
async function threadChanges(args: Args, ctx: MethodContext): Promise<Args> {
  return changesFromLog(ctx, 'Thread', 'thread', readChanges(args));
}

export const threadMethods: MethodSet = {
  capability: MAIL_CAPABILITY,
  methods: {
    'Thread/get': threadGet,
    'Thread/changes': threadChanges,
  },
};
