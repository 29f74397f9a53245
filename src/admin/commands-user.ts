// posthorn user add|list|passwd|quota|retention|remove (DESIGN.md §5): argv in, use case,
// text or JSON out. Sizes and retention are read here in the command line's words ("500MB",
// "unlimited", "never"); the use cases take numbers.

import { parseSize, formatSize } from '../mail/size.ts';
import { CliError, print, table, readNewPassword, type CommandContext } from './cli-support.ts';
import {
  addUser, checkNewUser, getUser, listUsers, removeUser, setUserPassword, setUserPopRetention, setUserQuota,
} from './use-cases/users.ts';

function addressArg(ctx: CommandContext, usage: string): string {
  const raw = ctx.args[0];
  if (!raw) throw new CliError(`usage: posthorn user ${usage}`, 2);
  return raw;
}

/** "500MB", "2GiB", "unlimited" → bytes or null. */
function quotaArg(text: string): number | null {
  if (/^(unlimited|none|0)$/i.test(text.trim())) return null;
  if (text.trim().startsWith('-')) throw new CliError(`a quota cannot be negative: ${text}`);
  try {
    return parseSize(text);
  } catch (err) {
    throw new CliError(`invalid quota "${text}": ${(err as Error).message}`);
  }
}

/** "30" → 30, "never" → null. */
function retentionArg(text: string): number | null {
  if (/^never$/i.test(text)) return null;
  if (/^\d+$/.test(text) && Number(text) > 0) return Number(text);
  throw new CliError(`retention must be a positive number of days or "never", not "${text}"`);
}

const limitText = (quotaBytes: number | null): string => (quotaBytes === null ? 'unlimited' : formatSize(quotaBytes));

export async function userAdd(ctx: CommandContext): Promise<void> {
  const raw = addressArg(ctx, 'add ADDRESS [--quota SIZE] [--password-stdin]');
  // Refuse before asking for a password that could not be used.
  const address = await checkNewUser(ctx, { address: raw });
  const quotaBytes = typeof ctx.flags.quota === 'string' ? quotaArg(ctx.flags.quota) : null;
  const user = await addUser(ctx, { address, password: await readNewPassword(ctx), quotaBytes });
  print(ctx.io, `added user ${user.address}${user.quotaBytes !== null ? ` with a quota of ${formatSize(user.quotaBytes)}` : ''}`);
}

export async function userList(ctx: CommandContext): Promise<void> {
  const users = await listUsers(ctx, { domain: ctx.args[0] });
  if (ctx.flags.json) {
    print(ctx.io, JSON.stringify(users.map((u) => ({
      address: u.address,
      quotaBytes: u.quotaBytes,
      usedBytes: u.usedBytes,
      messages: u.messages,
      popRetentionDays: u.popRetentionDays,
    }))));
    return;
  }
  if (users.length === 0) {
    print(ctx.io, 'no users');
    return;
  }
  const rows = [['ADDRESS', 'USED', 'QUOTA', 'MESSAGES']];
  for (const u of users) rows.push([u.address, formatSize(u.usedBytes), limitText(u.quotaBytes), String(u.messages)]);
  print(ctx.io, table(rows));
}

export async function userPasswd(ctx: CommandContext): Promise<void> {
  const { address } = await getUser(ctx, { address: addressArg(ctx, 'passwd ADDRESS [--password-stdin]') });
  await setUserPassword(ctx, { address, password: await readNewPassword(ctx) });
  print(ctx.io, `changed the password of ${address}`);
}

export async function userQuota(ctx: CommandContext): Promise<void> {
  const user = await getUser(ctx, { address: addressArg(ctx, 'quota ADDRESS [SIZE|unlimited]') });
  const sizeText = ctx.args[1];
  if (sizeText === undefined) {
    print(ctx.io, `${user.address}: ${formatSize(user.usedBytes)} used of ${limitText(user.quotaBytes)} (${user.messages} messages)`);
    return;
  }
  const changed = await setUserQuota(ctx, { address: user.address, quotaBytes: quotaArg(sizeText) });
  print(ctx.io, `quota of ${changed.address}: ${limitText(changed.quotaBytes)}`);
}

export async function userRetention(ctx: CommandContext): Promise<void> {
  const user = await getUser(ctx, { address: addressArg(ctx, 'retention ADDRESS DAYS|never') });
  const text = ctx.args[1];
  if (text === undefined) throw new CliError('usage: posthorn user retention ADDRESS DAYS|never', 2);
  const { address, popRetentionDays: days } = await setUserPopRetention(ctx, { address: user.address, days: retentionArg(text) });
  print(ctx.io, `POP3 retention of ${address}: ${days === null ? 'keep until the client deletes' : `${days} day(s) after download`}`);
}

export async function userRemove(ctx: CommandContext): Promise<void> {
  const { address } = await removeUser(ctx, { address: addressArg(ctx, 'remove ADDRESS') });
  print(ctx.io, `removed user ${address} and all of its mail`);
}

export const userCommands: Record<string, (ctx: CommandContext) => Promise<void>> = {
  add: userAdd,
  list: userList,
  passwd: userPasswd,
  quota: userQuota,
  retention: userRetention,
  remove: userRemove,
};
