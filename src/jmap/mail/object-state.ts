// States and /changes of the types the store counts apart from the mail mod-sequence (Identity,
// EmailSubmission, VacationResponse: store/sending-types.ts). Their states look like the mail
// types' (ids.ts toState) but count on their own, one counter per type and account.

import type { AccountObjectType } from '../../store/types.ts';
import type { MethodContext } from '../types.ts';
import { toState, type JmapObjectKind } from '../ids.ts';
import type { Args } from '../args.ts';
import { changesAnswer, sinceOf, type ChangesRequest } from '../standard.ts';

export async function objectState(ctx: MethodContext, type: AccountObjectType): Promise<string> {
  return toState(await ctx.deps.store.objectState(ctx.accountId, type));
}

/** RFC 8620 §5.2 /changes from the type's own change log. */
export async function changesFromCounter(ctx: MethodContext, type: AccountObjectType, kind: JmapObjectKind, req: ChangesRequest): Promise<Args> {
  const since = sinceOf(req);
  return changesAnswer(ctx, req, kind, await ctx.deps.store.accountObjectChanges(ctx.accountId, type, since, req.maxChanges ?? undefined), `not a ${type} state of this account`);
}
