// Hosted domains: add (with a DKIM signing key), list, remove, and the DNS records to publish.

import { generateKeyPair, createPublicKey } from 'node:crypto';
import { promisify } from 'node:util';
import type { Config } from '../../server/config.ts';
import type { MailStore } from '../../store/types.ts';
import { normaliseDomain } from '../../mail/address.ts';
import { dnsRecords, type DnsRecord } from '../dns-records.ts';
import { AdminError, storeCall } from './errors.ts';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface DomainSummary {
  /** Lower-case A-label form. */
  name: string;
  /** ms since the epoch. */
  createdAt: number;
  dkimSelector: string | null;
  /** Users (accounts) in the domain. */
  accounts: number;
}

/** The normalised domain name, or INVALID. */
export function domainName(raw: string): string {
  const name = normaliseDomain(raw);
  if (!name) throw new AdminError('INVALID', `"${raw}" is not a valid domain name`, raw);
  return name;
}

/** DKIM selector named after the month the key was made, so a rotated key gets a new name. */
function dkimSelector(now: Date): string {
  return `ph${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
}

export async function addDomain({ store }: { store: MailStore }, input: { name: string }): Promise<DomainSummary> {
  const name = domainName(input.name);
  if (await store.getDomain(name)) throw new AdminError('ALREADY_EXISTS', `domain ${name} exists already`, name);
  // RFC 8301 §3.2: RSA keys of at least 2048 bits for DKIM signing. Generated off the event
  // loop: a server answering the REST API keeps serving while the key is made.
  const { privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const domain = await storeCall(name, () => store.addDomain(name, { selector: dkimSelector(new Date()), privateKeyPem: privateKey }));
  return { name: domain.name, createdAt: domain.createdAt, dkimSelector: domain.dkimSelector, accounts: 0 };
}

/** Every hosted domain, by name. */
export async function listDomains({ store }: { store: MailStore }): Promise<DomainSummary[]> {
  const [domains, accounts] = await Promise.all([store.listDomains(), store.listAccounts()]);
  const perDomain = new Map<number, number>();
  for (const a of accounts) perDomain.set(a.domainId, (perDomain.get(a.domainId) ?? 0) + 1);
  return domains.map((d) => ({ name: d.name, createdAt: d.createdAt, dkimSelector: d.dkimSelector, accounts: perDomain.get(d.id) ?? 0 }));
}

/** Only a domain without users can go (its aliases go with it). Returns the normalised name. */
export async function removeDomain({ store }: { store: MailStore }, input: { name: string }): Promise<{ name: string }> {
  const name = domainName(input.name);
  if (!(await store.getDomain(name))) throw new AdminError('NOT_FOUND', `no such domain: ${name}`, name);
  const accounts = await store.listAccounts(name);
  if (accounts.length > 0) throw new AdminError('HAS_CHILDREN', `domain ${name} still has ${accounts.length} account(s)`, name);
  await storeCall(name, () => store.removeDomain(name));
  return { name };
}

/** The records to publish for a hosted domain, from the running configuration and its DKIM key. */
export async function domainDnsRecords({ store, config }: { store: MailStore; config: Config }, input: { name: string }): Promise<DnsRecord[]> {
  const name = domainName(input.name);
  const domain = await store.getDomain(name);
  if (!domain) throw new AdminError('NOT_FOUND', `no such domain: ${name}`, name);
  const dkim = domain.dkimSelector && domain.dkimPrivateKeyPem
    ? {
        selector: domain.dkimSelector,
        publicKeyBase64: createPublicKey(domain.dkimPrivateKeyPem).export({ type: 'spki', format: 'der' }).toString('base64'),
      }
    : undefined;
  return dnsRecords(name, config, dkim);
}
