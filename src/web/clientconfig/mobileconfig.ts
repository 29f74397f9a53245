// Apple configuration profile (.mobileconfig) for iOS, iPadOS and macOS Mail.
// Apple's Device Management documentation: "TopLevel" profile keys and the "Mail" payload
// (PayloadType com.apple.mail.managed). Format: XML property list, DTD PLIST 1.0.
//
// - Apple Mail does no autoconfiguration of its own for arbitrary domains; a profile the user
//   downloads (logged in) and installs is the supported way.
// - The profile's PayloadIdentifier is stable per account (reversed host name + a hash of the
//   address), so downloading it again replaces the installed profile instead of adding a second
//   account. PayloadUUIDs are fresh random UUIDs for every download, one per payload.
// - IncomingMailServerUseSSL / OutgoingMailServerUseSSL mean "TLS from the first byte"; with false,
//   Mail connects in the clear and upgrades with STARTTLS when the server offers it. So the profile
//   names the implicit-TLS service when it is enabled, the STARTTLS one otherwise.
// - No password unless the user explicitly asks: a profile file with a password in it is a
//   credential lying in a Downloads folder.
// - Unsigned: iOS shows "Unverified"; signing needs a certificate the operator would have to provide.

import { createHash, randomUUID } from 'node:crypto';
import { escapeXml } from './xml.ts';
import { servicesFor, type MailService } from './settings.ts';

export const MOBILECONFIG_CONTENT_TYPE = 'application/x-apple-aspen-config';

export type PlistValue = string | number | boolean | PlistValue[] | { [key: string]: PlistValue };

function plistValue(value: PlistValue, indent: string): string {
  if (typeof value === 'string') return `${indent}<string>${escapeXml(value)}</string>`;
  if (typeof value === 'boolean') return `${indent}<${value}/>`;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError(`plist integer expected, got ${value}`);
    return `${indent}<integer>${value}</integer>`;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return `${indent}<array/>`;
    return [`${indent}<array>`, ...value.map((v) => plistValue(v, indent + '\t')), `${indent}</array>`].join('\n');
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return `${indent}<dict/>`;
  const lines = [`${indent}<dict>`];
  for (const [key, v] of entries) lines.push(`${indent}\t<key>${escapeXml(key)}</key>`, plistValue(v, indent + '\t'));
  lines.push(`${indent}</dict>`);
  return lines.join('\n');
}

/** An XML property list document (Apple DTD PLIST 1.0) holding `value`. */
export function plistDocument(value: PlistValue): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    plistValue(value, ''),
    '</plist>',
    '',
  ].join('\n');
}

/** "mail.example.com" → "com.example.mail", each label reduced to letters, digits and hyphens. */
export function reverseDomainIdentifier(hostname: string): string {
  const labels = hostname
    .toLowerCase()
    .replace(/\.$/, '')
    .split('.')
    .map((l) => l.replace(/[^a-z0-9-]/g, '-'))
    .filter((l) => l !== '');
  return labels.reverse().join('.') || 'localhost';
}

/** A file name safe in a Content-Disposition header on every platform. */
export function mobileconfigFilename(address: string): string {
  return `${address.replace('@', '-at-').replace(/[^A-Za-z0-9._-]/g, '_')}.mobileconfig`;
}

export interface MobileconfigOptions {
  /** Validated, normalised address of the authenticated account. */
  address: string;
  /** Host name of this server, for the payload identifiers. */
  hostname: string;
  services: readonly MailService[];
  /** Put the password in the profile (only when the user asked for it). */
  password?: string;
  uuid?: () => string;
}

/** The profile, or null when no incoming or no outgoing service is enabled. */
export function appleMobileconfig(opts: MobileconfigOptions): string | null {
  const incoming = servicesFor(opts.services, 'imap')[0] ?? servicesFor(opts.services, 'pop3')[0];
  const outgoing = servicesFor(opts.services, 'smtp')[0];
  if (!incoming || !outgoing) return null;
  const uuid = opts.uuid ?? (() => randomUUID().toUpperCase());
  const domain = opts.address.slice(opts.address.lastIndexOf('@') + 1);
  const accountHash = createHash('sha256').update(opts.address).digest('hex').slice(0, 16);
  const identifier = `${reverseDomainIdentifier(opts.hostname)}.mailaccount.${accountHash}`;

  const account: Record<string, PlistValue> = {
    EmailAccountDescription: opts.address,
    EmailAccountType: incoming.protocol === 'imap' ? 'EmailTypeIMAP' : 'EmailTypePOP',
    EmailAddress: opts.address,
    IncomingMailServerAuthentication: 'EmailAuthPassword',
    IncomingMailServerHostName: incoming.host,
    IncomingMailServerPortNumber: incoming.port,
    IncomingMailServerUseSSL: incoming.security === 'tls',
    IncomingMailServerUsername: opts.address,
    OutgoingMailServerAuthentication: 'EmailAuthPassword',
    OutgoingMailServerHostName: outgoing.host,
    OutgoingMailServerPortNumber: outgoing.port,
    OutgoingMailServerUseSSL: outgoing.security === 'tls',
    OutgoingMailServerUsername: opts.address,
    OutgoingPasswordSameAsIncomingPassword: true,
    PayloadDescription: `Mail account ${opts.address}`,
    PayloadDisplayName: opts.address,
    PayloadIdentifier: `${identifier}.account`,
    PayloadType: 'com.apple.mail.managed',
    PayloadUUID: uuid(),
    PayloadVersion: 1,
  };
  if (opts.password !== undefined) {
    account.IncomingPassword = opts.password;
    account.OutgoingPassword = opts.password;
  }
  const profile: Record<string, PlistValue> = {
    PayloadContent: [account],
    PayloadDescription: `Sets up the mail account ${opts.address} (incoming and outgoing mail).`,
    PayloadDisplayName: `${opts.address} mail`,
    PayloadIdentifier: identifier,
    PayloadOrganization: domain,
    PayloadRemovalDisallowed: false,
    PayloadType: 'Configuration',
    PayloadUUID: uuid(),
    PayloadVersion: 1,
  };
  return plistDocument(profile);
}
