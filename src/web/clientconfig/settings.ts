// The one list of mail services a client may use, computed from the ports the listeners are
// bound to (or, for the DNS records, configured on). Every document in this directory
// (Thunderbird autoconfig, Outlook autodiscover, Apple profile, the help-desk page, the DNS
// records) is generated from `clientServices`, so none of them can disagree with the listeners
// that actually run.
//
// Rules kept here:
// - A listener that is not running (port 0 or absent, DESIGN.md §5) is never offered.
// - Implicit TLS comes before STARTTLS for each protocol (RFC 8314 §3: implicit TLS is preferred
//   for submission and access). Clients take the first usable entry.
// - Authentication is a password sent in the clear inside TLS (SASL PLAIN, RFC 4616; IMAP LOGIN,
//   POP3 USER/PASS); the user name is the full email address.

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

/**
 * Where clients connect: the host name, and the port of each listener by its name (the service
 * name). The running server gives the bound ports; the DNS records, the configured ones.
 */
export interface ServiceEndpoints {
  hostname: string;
  ports: Readonly<Partial<Record<ServiceName, number>>>;
}

/** In the order clients should try them: per protocol, implicit TLS first, STARTTLS second. */
export const ALL_SERVICES: readonly { service: ServiceName; protocol: MailProtocol; security: TransportSecurity }[] = [
  { service: 'imaps', protocol: 'imap', security: 'tls' },
  { service: 'imap', protocol: 'imap', security: 'starttls' },
  { service: 'pop3s', protocol: 'pop3', security: 'tls' },
  { service: 'pop3', protocol: 'pop3', security: 'starttls' },
  { service: 'submissions', protocol: 'smtp', security: 'tls' },
  { service: 'submission', protocol: 'smtp', security: 'starttls' },
];

/** The enabled client services, IMAP, then POP3, then SMTP submission; implicit TLS before STARTTLS. */
export function clientServices(endpoints: ServiceEndpoints): MailService[] {
  const out: MailService[] = [];
  for (const def of ALL_SERVICES) {
    const port = endpoints.ports[def.service] ?? 0;
    if (!Number.isInteger(port) || port <= 0 || port > 65535) continue;
    out.push({ service: def.service, protocol: def.protocol, host: endpoints.hostname, port, security: def.security, authentication: 'password' });
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
