// Where mail for a domain goes (RFC 5321 §5.1): its MX hosts in preference order, each resolved
// to addresses; without MX records the domain itself is the implicit MX (its A/AAAA); a null MX
// (RFC 7505: one record with exchange ".") means the domain accepts no mail at all.

import net from 'node:net';
import { isNoSuchRecord, type DnsResolver, type MxRecord } from '../net/dns.ts';

export interface RouteHost {
  /** The host name as published (for SNI, logs and the DSN's Remote-MTA). */
  host: string;
  address: string;
  port: number;
}

/** A routing outcome that is not a list of hosts: permanent (bounce now) or temporary (retry). */
export class RouteError extends Error {
  readonly permanent: boolean;
  readonly status: string;
  constructor(permanent: boolean, status: string, message: string) {
    super(message);
    this.name = 'RouteError';
    this.permanent = permanent;
    this.status = status;
  }
}

async function addressesOf(host: string, resolver: DnsResolver): Promise<string[]> {
  if (net.isIP(host)) return [host];
  const out: string[] = [];
  let lastErr: unknown = null;
  for (const type of ['A', 'AAAA']) {
    try {
      out.push(...((await resolver(host, type)) as string[]));
    } catch (err) {
      if (!isNoSuchRecord(err)) lastErr = err;
    }
  }
  if (out.length === 0 && lastErr) throw lastErr;
  return out;
}

export async function resolveRoute(domain: string, resolver: DnsResolver, port: number): Promise<RouteHost[]> {
  let mx: MxRecord[];
  try {
    mx = (await resolver(domain, 'MX')) as MxRecord[];
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENODATA') {
      mx = []; // RFC 5321 §5.1: no MX → the domain is its own (implicit) MX
    } else if (code === 'ENOTFOUND') {
      throw new RouteError(true, '5.1.2', `domain ${domain} does not exist`);
    } else {
      throw new RouteError(false, '4.4.3', `DNS failure looking up MX of ${domain}: ${code ?? (err as Error).message}`);
    }
  }
  if (mx.length === 1 && (mx[0].exchange === '' || mx[0].exchange === '.')) {
    throw new RouteError(true, '5.1.10', `domain ${domain} accepts no mail (null MX, RFC 7505)`);
  }
  // Equal preferences are shuffled (RFC 5321 §5.1) so load spreads across them.
  const hosts = mx.length > 0
    ? [...mx].map((r) => ({ r, k: Math.random() })).sort((a, b) => a.r.priority - b.r.priority || a.k - b.k).map((x) => x.r.exchange)
    : [domain];
  const route: RouteHost[] = [];
  let dnsFailure: unknown = null;
  for (const host of hosts) {
    try {
      for (const address of await addressesOf(host, resolver)) route.push({ host, address, port });
    } catch (err) {
      dnsFailure = err;
    }
  }
  if (route.length === 0) {
    if (dnsFailure) throw new RouteError(false, '4.4.3', `DNS failure resolving the mail hosts of ${domain}`);
    throw new RouteError(mx.length === 0, mx.length === 0 ? '5.1.2' : '4.4.3', `no address for the mail hosts of ${domain}`);
  }
  return route;
}
