// posthorn auth blocked|unblock: what the shared login limiter holds against addresses and
// accounts (src/auth/login-blocks.ts), read from the same counters the running server writes
// (<dataDir>/counters.db), so an operator sees and forgives blocks while it runs.

import { authLimitsFrom } from '../server/auth-limits.ts';
import { listLoginBlocks, unblockLogins } from '../auth/login-blocks.ts';
import { CliError, print, table, type CommandContext } from './cli-support.ts';

export async function authBlocked(ctx: CommandContext): Promise<void> {
  const blocks = await listLoginBlocks(ctx.coordination, authLimitsFrom(ctx.config));
  if (ctx.flags.json) {
    print(ctx.io, JSON.stringify(blocks, null, 2));
    return;
  }
  if (blocks.length === 0) {
    print(ctx.io, 'no address or account is blocked');
    return;
  }
  const rows = [['ADDRESS', 'ACCOUNT', 'FAILURES', 'LIMIT', 'EFFECT']];
  for (const b of blocks) {
    const effect = b.effect === 'slowed' ? 'logins from new addresses slowed' : b.kind === 'address' ? 'refused for every account' : 'refused for this account';
    rows.push([b.address ?? '*', b.account ?? '*', String(b.failures), String(b.limit), effect]);
  }
  print(ctx.io, table(rows));
}

export async function authUnblock(ctx: CommandContext): Promise<void> {
  const target = ctx.args[0];
  if (!target) throw new CliError('usage: posthorn auth unblock ADDRESS|ACCOUNT (an IP address or an email address)', 2);
  const n = await unblockLogins(ctx.coordination, target);
  print(ctx.io, n === 0 ? `nothing was held against ${target}` : `forgot the failed logins held against ${target} (${n} counter${n === 1 ? '' : 's'})`);
}

export const authCommands: Record<string, (ctx: CommandContext) => Promise<void>> = {
  blocked: authBlocked,
  unblock: authUnblock,
};
