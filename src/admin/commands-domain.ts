// posthorn domain add|list|remove|dns (DESIGN.md §5): argv in, use case, text or JSON out.

import { formatDnsRecords } from './dns-records.ts';
import { CliError, print, table, type CommandContext } from './cli-support.ts';
import { addDomain, listDomains, removeDomain, domainDnsRecords } from './use-cases/domains.ts';

function domainArg(ctx: CommandContext, verb: string): string {
  const raw = ctx.args[0];
  if (!raw) throw new CliError(`usage: posthorn domain ${verb} DOMAIN`, 2);
  return raw;
}

export async function domainAdd(ctx: CommandContext): Promise<void> {
  const domain = await addDomain(ctx, { name: domainArg(ctx, 'add') });
  print(ctx.io, `added domain ${domain.name}`);
  print(ctx.io, `publish its DNS records: posthorn domain dns ${domain.name}`);
}

export async function domainList(ctx: CommandContext): Promise<void> {
  const domains = await listDomains(ctx);
  if (ctx.flags.json) {
    print(ctx.io, JSON.stringify(domains.map((d) => ({ name: d.name, createdAt: new Date(d.createdAt).toISOString(), dkimSelector: d.dkimSelector }))));
    return;
  }
  if (domains.length === 0) {
    print(ctx.io, 'no domains; add one with: posthorn domain add DOMAIN');
    return;
  }
  const rows = [['DOMAIN', 'ACCOUNTS', 'CREATED']];
  for (const d of domains) rows.push([d.name, String(d.accounts), new Date(d.createdAt).toISOString().slice(0, 10)]);
  print(ctx.io, table(rows));
}

export async function domainRemove(ctx: CommandContext): Promise<void> {
  const { name } = await removeDomain(ctx, { name: domainArg(ctx, 'remove') });
  print(ctx.io, `removed domain ${name}`);
}

export async function domainDns(ctx: CommandContext): Promise<void> {
  const records = await domainDnsRecords(ctx, { name: domainArg(ctx, 'dns') });
  if (ctx.flags.json) print(ctx.io, JSON.stringify(records));
  else print(ctx.io, formatDnsRecords(records));
}

export const domainCommands: Record<string, (ctx: CommandContext) => Promise<void>> = {
  add: domainAdd,
  list: domainList,
  remove: domainRemove,
  dns: domainDns,
};
