// Thunderbird autoconfiguration document, clientConfig version 1.1
// (https://wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat). Also read by
// K-9 Mail / Thunderbird for Android, Evolution, KMail and FairEmail.
//
// What Thunderbird's reader (comm-central mailnews/.../readFromXML.sys.mjs) requires, and we keep:
// - <clientConfig><emailProvider id="…"> with id a host name, at least one <domain>.
// - At least one usable <incomingServer> (type "imap" or "pop3") and one <outgoingServer
//   type="smtp">, each with <hostname>, an integer <port> 1–65535, <socketType> "SSL" (implicit TLS)
//   or "STARTTLS", <authentication> and <username>. Otherwise the whole document is rejected,
//   so the caller answers 404 instead when a side has no enabled service.
// - Servers in order of preference: the first valid one of each kind is used, the others become
//   alternatives. IMAP comes before POP3, implicit TLS before STARTTLS (RFC 8314 §3).
// - %EMAILADDRESS% is a placeholder Thunderbird replaces with the address the user typed, so the
//   document never has to echo the request.
// - Served as application/xml or text/xml (Thunderbird's FetchHTTP looks at the media type only).

import { escapeXml } from './xml.ts';
import { servicesFor, type MailService } from './settings.ts';

export const AUTOCONFIG_CONTENT_TYPE = 'application/xml; charset=utf-8';

function serverElement(tag: 'incomingServer' | 'outgoingServer', type: string, s: MailService): string {
  return [
    `    <${tag} type="${escapeXml(type)}">`,
    `      <hostname>${escapeXml(s.host)}</hostname>`,
    `      <port>${escapeXml(s.port)}</port>`,
    `      <socketType>${s.security === 'tls' ? 'SSL' : 'STARTTLS'}</socketType>`,
    // "password-cleartext": AUTH PLAIN, LOGIN or the protocol's own login, inside TLS.
    `      <authentication>password-cleartext</authentication>`,
    `      <username>%EMAILADDRESS%</username>`,
    `    </${tag}>`,
  ].join('\n');
}

/** True when Thunderbird can use a document built from these services (one incoming and one outgoing). */
export function autoconfigUsable(services: readonly MailService[]): boolean {
  const incoming = services.some((s) => s.protocol === 'imap' || s.protocol === 'pop3');
  return incoming && servicesFor(services, 'smtp').length > 0;
}

/** The clientConfig v1.1 document for one hosted domain (A-label form). */
export function thunderbirdAutoconfig(domain: string, services: readonly MailService[]): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<clientConfig version="1.1">',
    `  <emailProvider id="${escapeXml(domain)}">`,
    `    <domain>${escapeXml(domain)}</domain>`,
    `    <displayName>${escapeXml(`${domain} mail`)}</displayName>`,
    `    <displayShortName>${escapeXml(domain)}</displayShortName>`,
  ];
  for (const s of servicesFor(services, 'imap')) lines.push(serverElement('incomingServer', 'imap', s));
  for (const s of servicesFor(services, 'pop3')) lines.push(serverElement('incomingServer', 'pop3', s));
  for (const s of servicesFor(services, 'smtp')) lines.push(serverElement('outgoingServer', 'smtp', s));
  lines.push('  </emailProvider>', '</clientConfig>', '');
  return lines.join('\n');
}
