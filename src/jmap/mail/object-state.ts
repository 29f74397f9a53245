// States and /changes of the types the store counts apart from the mail mod-sequence (Identity,
// EmailSubmission, VacationResponse: store/sending-types.ts). Their states look like the mail
// types' (ids.ts toState) but count on their own, one counter per type and account.

import type { AccountObjectType } from '../../store/types.ts';
import { MethodError, type MethodContext } from '../types.ts';
import { toAccountId, toJmapId, toState, fromState, type JmapObjectKind } from '../ids.ts';
import type { Args } from '../args.ts';
import type { ChangesRequest } from '../standard.ts';

export async function objectState(ctx: MethodContext, type: AccountObjectType): Promise<string> {
  return toState(await ctx.deps.store.objectState(ctx.accountId, type));
}

/** RFC 8620 §5.2 /changes from the type's own change log. */
export async function changesFromCounter(ctx: MethodContext, type: AccountObjectType, kind: JmapObjectKind, req: ChangesRequest): Promise<Args> {
  const since = fromState(req.sinceState);
  if (since === null) throw new MethodError('cannotCalculateChanges', 'not a state this server issued');
  const changes = await ctx.deps.store.accountObjectChanges(ctx.accountId, type, since, req.maxChanges ?? undefined);
  if (!changes) throw new MethodError('cannotCalculateChanges', `not a ${type} state of this account`);
  return {
    accountId: toAccountId(ctx.accountId),
    oldState: req.sinceState,
    newState: toState(changes.newState),
    hasMoreChanges: changes.hasMoreChanges,
    created: changes.created.map((id) => toJmapId(kind, id)),
    updated: changes.updated.map((id) => toJmapId(kind, id)),
    destroyed: changes.destroyed.map((id) => toJmapId(kind, id)),
  };
}
