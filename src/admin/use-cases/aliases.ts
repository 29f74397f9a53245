// Aliases: a source `local@domain` or `@domain` (catch-all) in a hosted domain forwards to a
// target, which is a local user or alias, or any external address.

import type { MailStore } from '../../store/types.ts';
import { normaliseAddress, normaliseDomain, domainOf } from '../../mail/address.ts';
import { AdminError, storeCall } from './errors.ts';

export interface AliasEntry {
  /** Lower-case `local@domain`, or `@domain` for a catch-all. */
  source: string;
  /** Lower-case address. */
  target: string;
}

/** The normalised source (`local@domain` or `@domain`), or INVALID. */
export function aliasSource(raw: string): string {
  if (raw.startsWith('@')) {
    const domain = normaliseDomain(raw.slice(1));
    if (!domain) throw new AdminError('INVALID', `"${raw}" is not a valid catch-all (@domain)`, raw);
    return `@${domain}`;
  }
  return aliasTarget(raw);
}

/** The normalised target address, or INVALID. */
export function aliasTarget(raw: string): string {
  const address = normaliseAddress(raw);
  if (!address) throw new AdminError('INVALID', `"${raw}" is not a valid email address`, raw);
  return address;
}

export async function addAlias({ store }: { store: MailStore }, input: { source: string; target: string }): Promise<AliasEntry> {
  const source = aliasSource(input.source);
  const target = aliasTarget(input.target);
  const domain = domainOf(source);
  if (!(await store.getDomain(domain))) throw new AdminError('NOT_HOSTED', `domain ${domain} is not hosted here`, domain);
  if (source === target) throw new AdminError('INVALID', 'an alias cannot point to itself', source);
  const existing = await store.listAliases(domain);
  if (existing.some((a) => a.source === source && a.target === target)) {
    throw new AdminError('ALREADY_EXISTS', `alias ${source} → ${target} exists already`, source);
  }
  // A target in a hosted domain must be a real user or alias, else mail would bounce later.
  if (await store.getDomain(domainOf(target))) {
    const resolved = await store.resolveRecipient(target);
    if (!resolved || resolved.length === 0) throw new AdminError('INVALID', `${target} is in a hosted domain but is no user or alias`, target);
  }
  const alias = await storeCall(source, () => store.addAlias(source, target));
  return { source: alias.source, target: alias.target };
}

/** Every alias, or those of one domain, by source then target. */
export async function listAliases({ store }: { store: MailStore }, input: { domain?: string } = {}): Promise<AliasEntry[]> {
  const domain = input.domain?.toLowerCase();
  const aliases = await storeCall(domain ?? '', () => store.listAliases(domain));
  return aliases.map((a) => ({ source: a.source, target: a.target }));
}

/** Removes source → target, or every alias of source without a target; says how many went. */
export async function removeAlias(
  { store }: { store: MailStore },
  input: { source: string; target?: string },
): Promise<{ source: string; target?: string; removed: number }> {
  const source = aliasSource(input.source);
  const target = input.target === undefined ? undefined : aliasTarget(input.target);
  const removed = await storeCall(source, () => store.removeAlias(source, target));
  if (removed === 0) throw new AdminError('NOT_FOUND', `no such alias: ${source}${target ? ` → ${target}` : ''}`, source);
  return { source, target, removed };
}
