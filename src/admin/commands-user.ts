// posthorn user add|list|passwd|quota|retention|remove (DESIGN.md §5).

import { normaliseAddress, domainOf } from '../mail/address.ts';
import { hashPassword } from '../auth/password.ts';
import { parseSize, formatSize } from '../mail/size.ts';
import type { Account } from '../store/types.ts';
import { CliError, print, table, readNewPassword, type CommandContext } from './cli-support.ts';

function addressArg(ctx: CommandContext, usage: string): string {
  const raw = ctx.args[0];
  if (!raw) throw new CliError(`usage: posthorn user ${usage}`, 2);
  const address = normaliseAddress(raw);
  if (!address) throw new CliError(`"${raw}" is not a valid email address`);
  return address;
}

async function existingAccount(ctx: CommandContext, address: string): Promise<Account> {
  const account = await ctx.store.getAccountByAddress(address);
  if (!account) throw new CliError(`no such user: ${address}`);
  return account;
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

export async function userAdd(ctx: CommandContext): Promise<void> {
  const address = addressArg(ctx, 'add ADDRESS [--quota SIZE] [--password-stdin]');
  const domain = domainOf(address);
  if (!(await ctx.store.getDomain(domain))) throw new CliError(`domain ${domain} is not hosted here; add it first: posthorn domain add ${domain}`);
  if (await ctx.store.getAccountByAddress(address)) throw new CliError(`user ${address} exists already`);
  const quotaBytes = typeof ctx.flags.quota === 'string' ? quotaArg(ctx.flags.quota) : null;
  const passwordHash = await hashPassword(await readNewPassword(ctx));
  await ctx.store.createAccount({ address, passwordHash, quotaBytes });
  print(ctx.io, `added user ${address}${quotaBytes !== null ? ` with a quota of ${formatSize(quotaBytes)}` : ''}`);
}

export async function userList(ctx: CommandContext): Promise<void> {
  const accounts = await ctx.store.listAccounts(ctx.args[0]?.toLowerCase());
  if (ctx.flags.json) {
    print(ctx.io, JSON.stringify(accounts.map((a) => ({
      address: a.address,
      quotaBytes: a.quotaBytes,
      usedBytes: a.usedBytes,
      messages: a.messageCount,
      popRetentionDays: a.popRetentionDays,
    }))));
    return;
  }
  if (accounts.length === 0) {
    print(ctx.io, 'no users');
    return;
  }
  const rows = [['ADDRESS', 'USED', 'QUOTA', 'MESSAGES']];
  for (const a of accounts) {
    rows.push([a.address, formatSize(a.usedBytes), a.quotaBytes === null ? 'unlimited' : formatSize(a.quotaBytes), String(a.messageCount)]);
  }
  print(ctx.io, table(rows));
}

export async function userPasswd(ctx: CommandContext): Promise<void> {
  const address = addressArg(ctx, 'passwd ADDRESS [--password-stdin]');
  const account = await existingAccount(ctx, address);
  await ctx.store.setPasswordHash(account.id, await hashPassword(await readNewPassword(ctx)));
  print(ctx.io, `changed the password of ${address}`);
}

export async function userQuota(ctx: CommandContext): Promise<void> {
  const address = addressArg(ctx, 'quota ADDRESS [SIZE|unlimited]');
  const account = await existingAccount(ctx, address);
  const sizeText = ctx.args[1];
  if (sizeText === undefined) {
    const limit = account.quotaBytes === null ? 'unlimited' : formatSize(account.quotaBytes);
    print(ctx.io, `${address}: ${formatSize(account.usedBytes)} used of ${limit} (${account.messageCount} messages)`);
    return;
  }
  const quotaBytes = quotaArg(sizeText);
  await ctx.store.setQuota(account.id, quotaBytes);
  print(ctx.io, `quota of ${address}: ${quotaBytes === null ? 'unlimited' : formatSize(quotaBytes)}`);
}

export async function userRetention(ctx: CommandContext): Promise<void> {
  const address = addressArg(ctx, 'retention ADDRESS DAYS|never');
  const account = await existingAccount(ctx, address);
  const text = ctx.args[1];
  if (text === undefined) throw new CliError('usage: posthorn user retention ADDRESS DAYS|never', 2);
  let days: number | null;
  if (/^never$/i.test(text)) days = null;
  else if (/^\d+$/.test(text) && Number(text) > 0) days = Number(text);
  else throw new CliError(`retention must be a positive number of days or "never", not "${text}"`);
  await ctx.store.setPopRetention(account.id, days);
  print(ctx.io, `POP3 retention of ${address}: ${days === null ? 'keep until the client deletes' : `${days} day(s) after download`}`);
}

export async function userRemove(ctx: CommandContext): Promise<void> {
  const address = addressArg(ctx, 'remove ADDRESS');
  const account = await existingAccount(ctx, address);
  await ctx.store.removeAccount(account.id);
  print(ctx.io, `removed user ${address} and all of its mail`);
}
