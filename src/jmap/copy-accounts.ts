// The two accounts of a /copy (RFC 8620 §5.4, §6.3): "accountId MUST be different to the
// fromAccountId", so naming the same account is invalidArguments; an account the user cannot
// read is fromAccountNotFound. A user here has one account, their own (session.ts), so every
// /copy is refused one way or the other; the copying itself is written against an
// AccountAccess so that it stands ready for shared accounts, and is tested through one.

import type { AccountId } from '../store/types.ts';
import { requiredString, type Args } from './args.ts';
import { MethodError, type MethodContext } from './types.ts';
import { fromAccountId, toAccountId } from './ids.ts';

/** Which accounts the user of `ctx` may read from: the account id, or null. */
export type AccountAccess = (ctx: MethodContext, accountId: AccountId) => AccountId | null;

/** A user reads their own account only. */
export const ownAccountOnly: AccountAccess = (ctx, accountId) => (accountId === ctx.account.id ? accountId : null);

export function readFromAccount(args: Args, ctx: MethodContext, access: AccountAccess): AccountId {
  const from = requiredString(args, 'fromAccountId');
  if (from === toAccountId(ctx.accountId)) {
    throw new MethodError('invalidArguments', 'fromAccountId must differ from accountId (RFC 8620 §5.4)', { arguments: ['fromAccountId'] });
  }
  const id = fromAccountId(from);
  const readable = id === null ? null : access(ctx, id);
  if (readable === null) throw new MethodError('fromAccountNotFound');
  return readable;
}
