// posthorn alias add|list|remove (DESIGN.md §5): argv in, use case, text or JSON out.

import { CliError, print, table, type CommandContext } from './cli-support.ts';
import { addAlias, listAliases, removeAlias } from './use-cases/aliases.ts';

function required(raw: string | undefined, usage: string): string {
  if (!raw) throw new CliError(`usage: posthorn alias ${usage}`, 2);
  return raw;
}

export async function aliasAdd(ctx: CommandContext): Promise<void> {
  const usage = 'add SOURCE TARGET';
  const { source, target } = await addAlias(ctx, { source: required(ctx.args[0], usage), target: required(ctx.args[1], usage) });
  print(ctx.io, `added alias ${source} → ${target}`);
}

export async function aliasList(ctx: CommandContext): Promise<void> {
  const aliases = await listAliases(ctx, { domain: ctx.args[0] });
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
  const { source, removed } = await removeAlias(ctx, { source: required(ctx.args[0], 'remove SOURCE [TARGET]'), target: ctx.args[1] });
  print(ctx.io, `removed ${removed} alias${removed === 1 ? '' : 'es'} of ${source}`);
}

export const aliasCommands: Record<string, (ctx: CommandContext) => Promise<void>> = {
  add: aliasAdd,
  list: aliasList,
  remove: aliasRemove,
};
