// Delivery Status Notifications (RFC 3464) in a multipart/report (RFC 6522): a human-readable
// part, the machine-readable message/delivery-status part, and the returned header of the
// original message (text/rfc822-headers: the body stays with its owner, RFC 3461 §4.3 RET=HDRS
// as our default, which keeps bounces small and does not re-send content).

import { randomBytes } from 'node:crypto';

export interface DsnRecipient {
  address: string;
  action: 'failed' | 'delayed';
  status: string;
  diagnostic: string | null;
  remoteMta: string | null;
  lastAttemptAt: number;
  /** For 'delayed': until when the queue keeps trying. */
  willRetryUntil?: number;
}

export interface DsnInput {
  reportingMta: string;
  /** Envelope sender of the original message: the DSN's recipient. */
  to: string;
  arrivalDate: number;
  recipients: DsnRecipient[];
  original: Buffer;
  now?: number;
}

function rfc5322Date(ms: number): string {
  return new Date(ms).toUTCString().replace('GMT', '+0000');
}

/** The original's header block (up to the first empty line). */
export function headerBlock(message: Buffer): Buffer {
  const end = message.indexOf('\r\n\r\n');
  return end < 0 ? message : message.subarray(0, end + 2);
}

/** Drops CR/LF so a remote server's reply text cannot add header fields to our report. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 900);
}

export function buildDsn(input: DsnInput): Buffer {
  const now = input.now ?? Date.now();
  const boundary = `=_posthorn_${randomBytes(12).toString('hex')}`;
  const failed = input.recipients.every((r) => r.action === 'failed');
  const subject = failed ? 'Undelivered Mail Returned to Sender' : 'Delayed Mail (still being retried)';
  const human = failed
    ? 'Your message could not be delivered to one or more recipients. It has been returned below.'
    : 'Your message has not been delivered yet to one or more recipients. Delivery will be retried; you do not need to resend it.';
  const lines: string[] = [
    `From: Mail Delivery System <MAILER-DAEMON@${input.reportingMta}>`,
    `To: <${input.to}>`,
    `Subject: ${subject}`,
    `Date: ${rfc5322Date(now)}`,
    `Message-ID: <${randomBytes(16).toString('hex')}@${input.reportingMta}>`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    '',
    'This is a MIME-formatted message (RFC 3464 delivery status notification).',
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    human,
    '',
    ...input.recipients.map((r) => `<${r.address}>: ${oneLine(r.diagnostic ?? r.status)}`),
    '',
    `--${boundary}`,
    'Content-Type: message/delivery-status',
    '',
    // RFC 3464 §2.2: per-message fields.
    `Reporting-MTA: dns; ${input.reportingMta}`,
    `Arrival-Date: ${rfc5322Date(input.arrivalDate)}`,
  ];
  for (const r of input.recipients) {
    // RFC 3464 §2.3: per-recipient fields, each group preceded by a blank line.
    lines.push('', `Final-Recipient: rfc822; ${r.address}`, `Action: ${r.action}`, `Status: ${r.status}`);
    if (r.remoteMta) lines.push(`Remote-MTA: dns; ${oneLine(r.remoteMta)}`);
    if (r.diagnostic) lines.push(`Diagnostic-Code: smtp; ${oneLine(r.diagnostic)}`);
    lines.push(`Last-Attempt-Date: ${rfc5322Date(r.lastAttemptAt)}`);
    if (r.willRetryUntil) lines.push(`Will-Retry-Until: ${rfc5322Date(r.willRetryUntil)}`);
  }
  lines.push('', `--${boundary}`, 'Content-Type: text/rfc822-headers', '', '');
  const head = Buffer.from(lines.join('\r\n'), 'utf8');
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
  return Buffer.concat([head, headerBlock(input.original), tail]);
}
