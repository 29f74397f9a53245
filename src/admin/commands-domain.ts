// posthorn domain add|list|remove|dns (DESIGN.md §5).

import { generateKeyPairSync, createPublicKey } from 'node:crypto';
import { normaliseDomain } from '../mail/address.ts';
import { CliError, print, table, type CommandContext } from './cli-support.ts';
import { dnsRecords, formatDnsRecords } from './dns-records.ts';

function domainArg(ctx: CommandContext, verb: string): string {
  const raw = ctx.args[0];
  if (!raw) throw new CliError(`usage: posthorn domain ${verb} DOMAIN`, 2);
  const domain = normaliseDomain(raw);
  if (!domain) throw new CliError(`"${raw}" is not a valid domain name`);
  return domain;
}

/** DKIM selector named after the month the key was made, so a rotated key gets a new name. */
function dkimSelector(now = new Date()): string {
  return `ph${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
}

export async function domainAdd(ctx: CommandContext): Promise<void> {
  const domain = domainArg(ctx, 'add');
  if (await ctx.store.getDomain(domain)) throw new CliError(`domain ${domain} exists already`);
  // RFC 8301 §3.2: RSA keys of at least 2048 bits for DKIM signing.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await ctx.store.addDomain(domain, { selector: dkimSelector(), privateKeyPem: pem });
  print(ctx.io, `added domain ${domain}`);
  print(ctx.io, `publish its DNS records: posthorn domain dns ${domain}`);
}

export async function domainList(ctx: CommandContext): Promise<void> {
  const domains = await ctx.store.listDomains();
  if (ctx.flags.json) {
    print(ctx.io, JSON.stringify(domains.map((d) => ({ name: d.name, createdAt: new Date(d.createdAt).toISOString(), dkimSelector: d.dkimSelector }))));
    return;
  }
  if (domains.length === 0) {
    print(ctx.io, 'no domains; add one with: posthorn domain add DOMAIN');
    return;
  }
  const rows = [['DOMAIN', 'ACCOUNTS', 'CREATED']];
  for (const d of domains) {
    const accounts = await ctx.store.listAccounts(d.name);
    rows.push([d.name, String(accounts.length), new Date(d.createdAt).toISOString().slice(0, 10)]);
  }
  print(ctx.io, table(rows));
}

export async function domainRemove(ctx: CommandContext): Promise<void> {
  const domain = domainArg(ctx, 'remove');
  if (!(await ctx.store.getDomain(domain))) throw new CliError(`no such domain: ${domain}`);
  const accounts = await ctx.store.listAccounts(domain);
  if (accounts.length > 0) {
    throw new CliError(`domain ${domain} still has ${accounts.length} account(s); remove them first (posthorn user list ${domain})`);
  }
  await ctx.store.removeDomain(domain);
  print(ctx.io, `removed domain ${domain}`);
}

export async function domainDns(ctx: CommandContext): Promise<void> {
  const domain = domainArg(ctx, 'dns');
  const record = await ctx.store.getDomain(domain);
  if (!record) throw new CliError(`no such domain: ${domain}`);
  const dkim = record.dkimSelector && record.dkimPrivateKeyPem
    ? {
        selector: record.dkimSelector,
        publicKeyBase64: createPublicKey(record.dkimPrivateKeyPem).export({ type: 'spki', format: 'der' }).toString('base64'),
      }
    : undefined;
  const records = dnsRecords(domain, ctx.config, dkim);
  if (ctx.flags.json) print(ctx.io, JSON.stringify(records));
  else print(ctx.io, formatDnsRecords(records));
}
