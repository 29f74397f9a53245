// The one list of mail services a client may use, computed from the live configuration.
// Every document in this directory (Thunderbird autoconfig, Outlook autodiscover, Apple profile,
// the help-desk page, the DNS records) is generated from `clientServices`, so none of them can
// disagree with the listeners that actually run.
//
// Rules kept here:
// - A port of 0 disables that listener (DESIGN.md §5): it is never offered.
// - Implicit TLS comes before STARTTLS for each protocol (RFC 8314 §3: implicit TLS is preferred
//   for submission and access). Clients take the first usable entry.
// - Authentication is a password sent in the clear inside TLS (SASL PLAIN, RFC 4616; IMAP LOGIN,
//   POP3 USER/PASS); the user name is the full email address.

import type { Config } from '../../server/config.ts';

export type MailProtocol = 'imap' | 'pop3' | 'smtp';

/** 'tls': TLS from the first byte (RFC 8314 "implicit TLS"); 'starttls': plain connect, then STARTTLS/STLS. */
export type TransportSecurity = 'tls' | 'starttls';

/** IANA service names (RFC 6186 §3, RFC 8314 §7) of the listeners a mail client uses. */
export type ServiceName = 'imaps' | 'imap' | 'pop3s' | 'pop3' | 'submissions' | 'submission';

export interface MailService {
  service: ServiceName;
  protocol: MailProtocol;
  host: string;
  port: number;
  security: TransportSecurity;
  /** Password over TLS: SASL PLAIN or the protocol's own login command. */
  authentication: 'password';
}

interface ServiceDefinition {
  service: ServiceName;
  protocol: MailProtocol;
  security: TransportSecurity;
  port: (config: Config) => number;
}

/** In the order clients should try them: per protocol, implicit TLS first, STARTTLS second. */
const SERVICE_DEFINITIONS: readonly ServiceDefinition[] = [
  { service: 'imaps', protocol: 'imap', security: 'tls', port: (c) => c.ports.imaps },
  { service: 'imap', protocol: 'imap', security: 'starttls', port: (c) => c.ports.imap },
  { service: 'pop3s', protocol: 'pop3', security: 'tls', port: (c) => c.ports.pop3s },
  { service: 'pop3', protocol: 'pop3', security: 'starttls', port: (c) => c.ports.pop3 },
  { service: 'submissions', protocol: 'smtp', security: 'tls', port: (c) => c.ports.submissions },
  { service: 'submission', protocol: 'smtp', security: 'starttls', port: (c) => c.ports.submission },
];

/** Every service name, enabled or not, in preference order (for the DNS SRV records of disabled ones). */
export const ALL_SERVICES: readonly { service: ServiceName; protocol: MailProtocol; security: TransportSecurity }[] =
  SERVICE_DEFINITIONS.map(({ service, protocol, security }) => ({ service, protocol, security }));

/** The enabled client services, IMAP, then POP3, then SMTP submission; implicit TLS before STARTTLS. */
export function clientServices(config: Config): MailService[] {
  const out: MailService[] = [];
  for (const def of SERVICE_DEFINITIONS) {
    const port = def.port(config);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) continue;
    out.push({ service: def.service, protocol: def.protocol, host: config.hostname, port, security: def.security, authentication: 'password' });
  }
  return out;
}

/** The enabled services of one protocol, best first. */
export function servicesFor(services: readonly MailService[], protocol: MailProtocol): MailService[] {
  return services.filter((s) => s.protocol === protocol);
}

/** What a help-desk page calls the security setting (the words Thunderbird and Outlook show). */
export function securityLabel(security: TransportSecurity): 'SSL/TLS' | 'STARTTLS' {
  return security === 'tls' ? 'SSL/TLS' : 'STARTTLS';
}

export const PROTOCOL_LABELS: Record<MailProtocol, string> = {
  imap: 'IMAP (incoming mail)',
  pop3: 'POP3 (incoming mail)',
  smtp: 'SMTP submission (outgoing mail)',
};
