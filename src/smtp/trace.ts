// The Received trace field SMTP adds to every message it accepts (RFC 5321 §4.4). The header
// helpers every way in shares (splitting, Authentication-Results, Date and Message-ID) are in
// src/mail/header-fields.ts.

import { rfc5322Date } from '../mail/header-fields.ts';

/** Printable ASCII only: client-supplied names must not break a header field. */
function clean(text: string, max = 255): string {
  return text.replace(/[^\x21-\x7e]/g, '').slice(0, max) || 'unknown';
}

export interface ReceivedInfo {
  helo: string;
  ip: string;
  hostname: string;
  /** RFC 3848 protocol type: ESMTP, ESMTPS, ESMTPSA … */
  protocol: string;
  id: string;
  /** Only for a single recipient (RFC 5321 §4.4: "for" with several would disclose Bcc). */
  recipient: string | null;
  /** Protocol version and cipher of the TLS session, if any. */
  tls: { version: string; cipher: string } | null;
}

export function receivedField(info: ReceivedInfo): string {
  const ipLiteral = info.ip.includes(':') ? `[IPv6:${info.ip}]` : `[${info.ip}]`;
  let value = `from ${clean(info.helo)} (${ipLiteral})\r\n\tby ${info.hostname} (Posthorn) with ${info.protocol} id ${info.id}`;
  if (info.tls) value += `\r\n\t(using ${clean(info.tls.version, 20)} with cipher ${clean(info.tls.cipher, 80)})`;
  if (info.recipient) value += `\r\n\tfor <${clean(info.recipient)}>`;
  return `Received: ${value};\r\n\t${rfc5322Date()}\r\n`;
}

