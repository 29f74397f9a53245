// posthorn alias add|list|remove (DESIGN.md §5). A source is `local@domain` or `@domain`
// (catch-all); the target is a local account or any external address.

import { normaliseAddress, normaliseDomain, domainOf } from '../mail/address.ts';
import { CliError, print, table, type CommandContext } from './cli-support.ts';

function sourceArg(raw: string | undefined, usage: string): string {
  if (!raw) throw new CliError(`usage: posthorn alias ${usage}`, 2);
  if (raw.startsWith('@')) {
    const domain = normaliseDomain(raw.slice(1));
    if (!domain) throw new CliError(`"${raw}" is not a valid catch-all (@domain)`);
    return `@${domain}`;
  }
  const address = normaliseAddress(raw);
  if (!address) throw new CliError(`"${raw}" is not a valid email address`);
  return address;
}

function targetArg(raw: string | undefined, usage: string): string {
  if (!raw) throw new CliError(`usage: posthorn alias ${usage}`, 2);
  const address = normaliseAddress(raw);
  if (!address) throw new CliError(`"${raw}" is not a valid email address`);
  return address;
}

export async function aliasAdd(ctx: CommandContext): Promise<void> {
  const usage = 'add SOURCE TARGET';
  const source = sourceArg(ctx.args[0], usage);
  const target = targetArg(ctx.args[1], usage);
  const domain = domainOf(source);
  if (!(await ctx.store.getDomain(domain))) throw new CliError(`domain ${domain} is not hosted here; add it first: posthorn domain add ${domain}`);
  if (source === target) throw new CliError('an alias cannot point to itself');
  const existing = await ctx.store.listAliases(domain);
  if (existing.some((a) => a.source === source && a.target === target)) throw new CliError(`alias ${source} → ${target} exists already`);
  // A target in a hosted domain must be a real account or alias, else mail would bounce later.
  const targetDomain = await ctx.store.getDomain(domainOf(target));
  if (targetDomain) {
    const resolved = await ctx.store.resolveRecipient(target);
    if (!resolved || resolved.length === 0) throw new CliError(`${target} is in a hosted domain but is no user or alias`);
  }
  await ctx.store.addAlias(source, target);
  print(ctx.io, `added alias ${source} → ${target}`);
}

export async function aliasList(ctx: CommandContext): Promise<void> {
  const aliases = await ctx.store.listAliases(ctx.args[0]?.toLowerCase());
  if (ctx.flags.json) {
    print(ctx.io, JSON.stringify(aliases.map((a) => ({ source: a.source, target: a.target }))));
    return;
  }
  if (aliases.length === 0) {
    print(ctx.io, 'no aliases');
    return;
  }
  print(ctx.io, table([['SOURCE', 'TARGET'], ...aliases.map((a) => [a.source, a.target])]));
}

export async function aliasRemove(ctx: CommandContext): Promise<void> {
  const usage = 'remove SOURCE [TARGET]';
  const source = sourceArg(ctx.args[0], usage);
  const target = ctx.args[1] === undefined ? undefined : targetArg(ctx.args[1], usage);
  const removed = await ctx.store.removeAlias(source, target);
  if (removed === 0) throw new CliError(`no such alias: ${source}${target ? ` → ${target}` : ''}`);
  print(ctx.io, `removed ${removed} alias${removed === 1 ? '' : 'es'} of ${source}`);
}
