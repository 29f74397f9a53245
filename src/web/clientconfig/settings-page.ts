// The "server and port settings" page a help desk would otherwise write by hand, as HTML for
// people and JSON for scripts, both from `clientServices`. Everything variable goes through
// escapeXml (its five escapes are also HTML's: HTML Living Standard §13.1.2.6 / §13.5).

import { escapeXml } from './xml.ts';
import { PROTOCOL_LABELS, securityLabel, type MailProtocol, type MailService } from './settings.ts';

export interface SettingsEntry {
  service: MailService['service'];
  protocol: MailProtocol;
  host: string;
  port: number;
  /** "SSL/TLS" (TLS from the first byte) or "STARTTLS". */
  security: 'SSL/TLS' | 'STARTTLS';
  authentication: 'normal password';
  username: string;
}

export interface SettingsDocument {
  hostname: string;
  /** The address the settings were asked for, or null for the generic page. */
  address: string | null;
  services: SettingsEntry[];
}

const GENERIC_USERNAME = 'your full email address';

export function settingsDocument(hostname: string, services: readonly MailService[], address: string | null): SettingsDocument {
  return {
    hostname,
    address,
    services: services.map((s) => ({
      service: s.service,
      protocol: s.protocol,
      host: s.host,
      port: s.port,
      security: securityLabel(s.security),
      authentication: 'normal password',
      username: address ?? GENERIC_USERNAME,
    })),
  };
}

export function settingsJson(doc: SettingsDocument): string {
  return JSON.stringify(doc, null, 2) + '\n';
}

function table(entries: SettingsEntry[]): string {
  const rows = entries.map((e, i) =>
    [
      '<tr>',
      `<td>${i === 0 ? 'preferred' : 'alternative'}</td>`,
      `<td><code>${escapeXml(e.host)}</code></td>`,
      `<td><code>${escapeXml(e.port)}</code></td>`,
      `<td>${escapeXml(e.security)}</td>`,
      `<td>${escapeXml(e.authentication)}</td>`,
      `<td><code>${escapeXml(e.username)}</code></td>`,
      '</tr>',
    ].join(''),
  );
  return [
    '<table>',
    '<thead><tr><th></th><th>Server</th><th>Port</th><th>Security</th><th>Authentication</th><th>User name</th></tr></thead>',
    `<tbody>${rows.join('\n')}</tbody>`,
    '</table>',
  ].join('\n');
}

const STYLE = [
  'body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#222}',
  'table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}',
  'th,td{border:1px solid #ccc;padding:.35rem .6rem;text-align:left}',
  'th{background:#f4f4f4}',
  'code{font-size:1.05em}',
].join('\n');

export function settingsHtml(doc: SettingsDocument): string {
  const who = doc.address ? ` for ${escapeXml(doc.address)}` : '';
  const sections: string[] = [];
  for (const protocol of ['imap', 'pop3', 'smtp'] as const) {
    const entries = doc.services.filter((e) => e.protocol === protocol);
    if (entries.length === 0) continue;
    sections.push(`<h2>${escapeXml(PROTOCOL_LABELS[protocol])}</h2>`, table(entries));
  }
  if (sections.length === 0) sections.push('<p>This server currently offers no mail client access.</p>');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>Mail settings${who}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>Mail settings${who}</h1>`,
    '<p>Most mail apps (Thunderbird, Outlook, Apple Mail, K-9/Thunderbird for Android) set themselves up ' +
      'when you enter only your email address and password. If yours asks for server settings, use these. ' +
      'Choose IMAP to keep mail on the server and see it on every device; POP3 downloads it to one device.</p>',
    ...sections,
    '<p><strong>SSL/TLS</strong> means the connection is encrypted from the start; <strong>STARTTLS</strong> ' +
      'means it starts unencrypted and switches to encryption before your password is sent. ' +
      '"Normal password" is sent only over the encrypted connection. ' +
      `Your user name is ${doc.address ? `<code>${escapeXml(doc.address)}</code>` : 'your full email address'}.</p>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
