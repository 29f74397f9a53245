// Email address syntax for accounts, aliases and SMTP envelopes (RFC 5321 §4.1.2, RFC 6531 for
// UTF-8 local parts). Accounts are stored lower-case: local parts are treated case-insensitively,
// as every mainstream provider does (RFC 5321 §2.4 allows it for the host that owns the mailbox).

import { domainToASCII } from 'node:url';

const LOCAL_ATOM = /^[\p{L}\p{N}!#$%&'*+\-/=?^_`{|}~]+(\.[\p{L}\p{N}!#$%&'*+\-/=?^_`{|}~]+)*$/u;

/** Lower-case A-label form of a domain name, or null when it is not a valid host name. */
export function normaliseDomain(domain: string): string | null {
  const trimmed = domain.trim().replace(/\.$/, '');
  if (trimmed === '' || trimmed.length > 253) return null;
  const ascii = domainToASCII(trimmed.toLowerCase());
  if (!ascii) return null;
  const labels = ascii.split('.');
  if (labels.length < 2) return null;
  for (const label of labels) {
    if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(label)) return null;
  }
  return ascii;
}

/** "Local@Example.COM" → "local@example.com"; null when malformed. No quoted local parts, no source routes. */
export function normaliseAddress(address: string): string | null {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return null;
  const local = address.slice(0, at);
  const domain = normaliseDomain(address.slice(at + 1));
  if (!domain || local.length > 64 || !LOCAL_ATOM.test(local)) return null;
  return `${local.toLowerCase()}@${domain}`;
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}
