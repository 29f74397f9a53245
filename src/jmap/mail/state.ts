// The state string of the mail types (RFC 8620 §5.1 "state"): Mailbox, Email and Thread states
// are all the account's mod-sequence (src/jmap/ids.ts), read before the data they describe, so
// a state is never newer than what was read with it.

import { MethodError, type MethodContext } from '../types.ts';
import { toState } from '../ids.ts';

export async function accountModseq(ctx: MethodContext): Promise<number> {
  const account = await ctx.deps.store.getAccount(ctx.accountId);
  if (!account) throw new MethodError('accountNotFound');
  return account.modseq;
}

/** The Mailbox, Email and Thread state of the account now. */
export async function accountState(ctx: MethodContext): Promise<string> {
  return toState(await accountModseq(ctx));
}
