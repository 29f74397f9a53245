// The one DNS interface SMTP uses: mailauth's SPF/DKIM/DMARC lookups and the outbound queue's MX
// resolution both go through a `DnsResolver`, so tests (and a future caching resolver) supply
// their own answers. The shape is dns.promises.resolve's (name, rrtype) → records, which is what
// mailauth expects of its `resolver` option.

import { Resolver } from 'node:dns/promises';

export type RrType = 'A' | 'AAAA' | 'MX' | 'TXT' | 'CNAME' | 'PTR';

export interface MxRecord {
  exchange: string;
  priority: number;
}

/** Throws an Error with `code` ENOTFOUND (no such name) or ENODATA (no record of that type), like node:dns. */
export type DnsResolver = (name: string, rrtype: string) => Promise<unknown[]>;

/** The system resolver with a bounded timeout, so a dead DNS server cannot hold a session for minutes. */
export function systemResolver(timeoutMs = 5000, servers: string[] = []): DnsResolver {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 2 });
  if (servers.length > 0) resolver.setServers(servers);
  return (name, rrtype) => resolver.resolve(name, rrtype) as Promise<unknown[]>;
}

function dnsError(code: 'ENOTFOUND' | 'ENODATA', name: string, rrtype: string): Error {
  return Object.assign(new Error(`${rrtype} ${name}: ${code}`), { code, hostname: name });
}

/**
 * Fixed answers, for tests and for sites that pin routes: `{ 'example.test': { MX: [...], A: [...] } }`.
 * A name that is absent gives ENOTFOUND, a type that is absent ENODATA.
 */
export function staticResolver(zone: Record<string, Partial<Record<RrType, unknown[]>>>): DnsResolver {
  const lower = new Map(Object.entries(zone).map(([k, v]) => [k.toLowerCase().replace(/\.$/, ''), v]));
  return async (name, rrtype) => {
    const records = lower.get(name.toLowerCase().replace(/\.$/, ''));
    if (!records) throw dnsError('ENOTFOUND', name, rrtype);
    const answer = records[rrtype as RrType];
    if (!answer || answer.length === 0) throw dnsError('ENODATA', name, rrtype);
    return answer;
  };
}

export function isNoSuchRecord(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'ENOTFOUND' || code === 'ENODATA';
}
