// The DNS records an administrator publishes for a hosted domain (`posthorn domain dns DOMAIN`),
// computed from the running configuration like the client set-up documents (src/web/clientconfig).
//
// - MX (RFC 5321 §5.1) names this server's host name; SPF (RFC 7208) `v=spf1 mx -all` lets only
//   the MX hosts send for the domain; DKIM (RFC 6376 §3.6.1) publishes the signing key;
//   DMARC (RFC 7489 §6.3) asks receivers to quarantine failures and report to postmaster.
// - RFC 6186 SRV records for submission and access. A client compares priorities across the
//   services of one kind (RFC 6186 §3; RFC 2782: lowest number first), so implicit TLS, which
//   RFC 8314 §3 prefers, gets a lower number than STARTTLS, and IMAP a lower one than POP3.
//   A disabled listener is published with target "." (RFC 6186 §4, RFC 2782): "this service is
//   decidedly not available at this domain".
// - autoconfig./autodiscover. names and the _autodiscover._tcp SRV record (used by Outlook and
//   Thunderbird) point at this host; those clients speak HTTPS on port 443, which must reach
//   Posthorn's HTTP listener. They are left out when the HTTP listener is disabled.

import type { Config } from '../server/config.ts';
import { normaliseDomain } from '../mail/address.ts';
import { ALL_SERVICES, clientServices, type ServiceName } from '../web/clientconfig/settings.ts';

export interface DnsRecord {
  /** Fully qualified, with the trailing dot. */
  name: string;
  type: 'MX' | 'TXT' | 'SRV' | 'CNAME';
  /** Record data in zone-file order; TXT data unquoted (the formatter quotes and splits it). */
  value: string;
  ttl?: number;
  comment: string;
}

export interface DkimPublicKey {
  selector: string;
  publicKeyBase64: string;
  /** RFC 6376 §3.6.1 k= tag; RFC 8463 adds ed25519. Default rsa. */
  keyType?: 'rsa' | 'ed25519';
}

const DEFAULT_TTL = 3600;

/** Lower number preferred (RFC 2782): implicit TLS before STARTTLS (RFC 8314 §3), IMAP before POP3. */
const SRV_PRIORITY: Record<ServiceName, number> = {
  submissions: 0,
  submission: 10,
  imaps: 0,
  imap: 10,
  pop3s: 20,
  pop3: 30,
};

/** Publication order: submission first, then IMAP, then POP3 (implicit TLS first in each). */
const SRV_ORDER: ServiceName[] = ['submissions', 'submission', 'imaps', 'imap', 'pop3s', 'pop3'];

const fqdn = (name: string): string => (name.endsWith('.') ? name : `${name}.`);

export function dnsRecords(domain: string, config: Config, dkim?: DkimPublicKey): DnsRecord[] {
  const zone = normaliseDomain(domain);
  if (!zone) throw new Error(`"${domain}" is not a valid domain name`);
  const host = fqdn(config.hostname);
  const hostIsFqdn = normaliseDomain(config.hostname) !== null;
  const hostWarning = hostIsFqdn ? '' : ` WARNING: the host name "${config.hostname}" is not a fully qualified domain name; set POSTHORN_HOSTNAME.`;
  const records: DnsRecord[] = [];
  const add = (name: string, type: DnsRecord['type'], value: string, comment: string): void => {
    records.push({ name: fqdn(name), type, value, ttl: DEFAULT_TTL, comment });
  };

  const smtpNote =
    config.ports.smtp === 0
      ? ' The SMTP listener is disabled on this server: the MX host must be one that accepts mail for this domain.'
      : config.ports.smtp !== 25
        ? ` Other servers deliver to port 25; this server's SMTP listener is on port ${config.ports.smtp}, so forward port 25 to it.`
        : '';
  add(zone, 'MX', `10 ${host}`, `Inbound mail for ${zone} goes to this server (RFC 5321 §5.1).${smtpNote}${hostWarning}`);
  add(zone, 'TXT', 'v=spf1 mx -all', 'SPF (RFC 7208): only the MX hosts may send mail from this domain; everything else fails.');
  if (dkim) {
    const keyType = dkim.keyType ?? 'rsa';
    add(`${dkim.selector}._domainkey.${zone}`, 'TXT', `v=DKIM1; k=${keyType}; p=${dkim.publicKeyBase64}`, `DKIM public key for selector "${dkim.selector}" (RFC 6376 §3.6.1).`);
  }
  add(`_dmarc.${zone}`, 'TXT', `v=DMARC1; p=quarantine; rua=mailto:postmaster@${zone}`, 'DMARC (RFC 7489 §6.3): quarantine mail failing SPF and DKIM alignment; aggregate reports to postmaster.');

  const enabled = new Map(clientServices(config).map((s) => [s.service, s]));
  for (const name of SRV_ORDER) {
    const def = ALL_SERVICES.find((s) => s.service === name)!;
    const svc = enabled.get(name);
    const what = `${def.protocol === 'smtp' ? 'mail submission' : def.protocol.toUpperCase()} with ${def.security === 'tls' ? 'implicit TLS' : 'STARTTLS'}`;
    if (svc) {
      add(`_${name}._tcp.${zone}`, 'SRV', `${SRV_PRIORITY[name]} 1 ${svc.port} ${host}`, `RFC 6186 §3: ${what}.`);
    } else {
      add(`_${name}._tcp.${zone}`, 'SRV', '0 0 0 .', `RFC 6186 §4: ${what} is disabled on this server; target "." says it is not offered.`);
    }
  }

  if (config.ports.http !== 0) {
    const httpNote = `HTTPS on port 443 of ${host} must reach Posthorn's HTTP listener (port ${config.ports.http}), e.g. through a reverse proxy with a certificate for this name.`;
    if (fqdn(`autoconfig.${zone}`) !== host) add(`autoconfig.${zone}`, 'CNAME', host, `Thunderbird autoconfig (https://autoconfig.${zone}/mail/config-v1.1.xml). ${httpNote}`);
    if (fqdn(`autodiscover.${zone}`) !== host) add(`autodiscover.${zone}`, 'CNAME', host, `Outlook autodiscover (https://autodiscover.${zone}/autodiscover/autodiscover.xml). ${httpNote}`);
    add(`_autodiscover._tcp.${zone}`, 'SRV', `0 1 443 ${host}`, `Outlook autodiscover by SRV lookup. ${httpNote}`);
  }
  return records;
}

/** RFC 1035 §3.3.14 / §5.1: TXT data is one or more quoted strings of at most 255 bytes each. */
function txtStrings(value: string): string {
  const bytes = Buffer.from(value, 'utf8');
  const parts: string[] = [];
  for (let i = 0; i < bytes.length || parts.length === 0; i += 255) {
    let text = '';
    for (const b of bytes.subarray(i, i + 255)) {
      if (b === 0x22 || b === 0x5c) text += `\\${String.fromCharCode(b)}`;
      else if (b >= 0x20 && b <= 0x7e) text += String.fromCharCode(b);
      else text += `\\${String(b).padStart(3, '0')}`;
    }
    parts.push(`"${text}"`);
  }
  return parts.join(' ');
}

/** Zone-file text (RFC 1035 §5) with each record's comment on the line before it. */
export function formatDnsRecords(records: readonly DnsRecord[]): string {
  const width = Math.max(0, ...records.map((r) => r.name.length));
  const lines: string[] = [];
  for (const r of records) {
    for (const line of r.comment.split('\n')) lines.push(`; ${line}`);
    const data = r.type === 'TXT' ? txtStrings(r.value) : r.value;
    lines.push(`${r.name.padEnd(width)}  ${String(r.ttl ?? DEFAULT_TTL).padStart(5)} IN ${r.type.padEnd(5)} ${data}`);
    lines.push('');
  }
  return lines.join('\n');
}
