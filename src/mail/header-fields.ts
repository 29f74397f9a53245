// Header fields of a message as bytes: splitting the header block into fields, reading a value,
// and the fields Posthorn adds or removes on every way mail comes in: Authentication-Results
// claiming our name (RFC 8601 §5), and for submitted mail the Message-ID and Date it must have
// (RFC 5322 §3.6, RFC 6409 §8). Shared by SMTP and the JMAP submission path.

import { randomBytes } from 'node:crypto';

export interface HeaderField {
  /** Lower-case field name. */
  name: string;
  /** The whole field, folded lines included, with its final CRLF. */
  raw: Buffer;
}

/** Splits the header block into fields; `headerEnd` is the offset just after the last field. */
export function splitHeader(message: Buffer): { fields: HeaderField[]; headerEnd: number } {
  const fields: HeaderField[] = [];
  let pos = 0;
  while (pos < message.length) {
    if (message[pos] === 0x0d && message[pos + 1] === 0x0a) return { fields, headerEnd: pos };
    let end = message.indexOf('\r\n', pos);
    // A field continues while the next line starts with WSP (RFC 5322 §2.2.3 folding).
    while (end >= 0 && (message[end + 2] === 0x20 || message[end + 2] === 0x09)) end = message.indexOf('\r\n', end + 2);
    const stop = end < 0 ? message.length : end + 2;
    const raw = message.subarray(pos, stop);
    const colon = raw.indexOf(':');
    if (colon <= 0) return { fields, headerEnd: pos }; // not a header line: the body starts here
    fields.push({ name: raw.subarray(0, colon).toString('latin1').trim().toLowerCase(), raw });
    pos = stop;
  }
  return { fields, headerEnd: message.length };
}

export function hasField(fields: HeaderField[], name: string): boolean {
  return fields.some((f) => f.name === name);
}

export function fieldValue(field: HeaderField): string {
  const text = field.raw.toString('utf8');
  return text.slice(text.indexOf(':') + 1).replace(/\r\n([ \t])/g, '$1').trim();
}

/** RFC 5322 §3.3 date-time, UTC. */
export function rfc5322Date(ms = Date.now()): string {
  return new Date(ms).toUTCString().replace('GMT', '+0000');
}

/**
 * RFC 8601 §5: remove Authentication-Results fields that claim to come from us (our authserv-id):
 * only we may say what our checks found.
 */
export function withoutForgedResults(message: Buffer, authservId: string): Buffer {
  const { fields, headerEnd } = splitHeader(message);
  const forged = fields.filter((f) => f.name === 'authentication-results' && fieldValue(f).split(';')[0].trim().toLowerCase() === authservId.toLowerCase());
  if (forged.length === 0) return message;
  const kept = fields.filter((f) => !forged.includes(f)).map((f) => f.raw);
  return Buffer.concat([...kept, message.subarray(headerEnd)]);
}

/** Message-ID and Date for a submitted message that lacks them (RFC 6409 §8.2, §8.3). */
export function missingSubmissionFields(message: Buffer, hostname: string): string {
  const { fields } = splitHeader(message);
  let added = '';
  if (!hasField(fields, 'date')) added += `Date: ${rfc5322Date()}\r\n`;
  if (!hasField(fields, 'message-id')) added += `Message-ID: <${randomBytes(16).toString('hex')}@${hostname}>\r\n`;
  return added;
}

/** The message without the named fields (lower-case names), the rest byte for byte as it was. */
export function withoutFields(message: Buffer, names: readonly string[]): Buffer {
  const { fields, headerEnd } = splitHeader(message);
  if (!fields.some((f) => names.includes(f.name))) return message;
  return Buffer.concat([...fields.filter((f) => !names.includes(f.name)).map((f) => f.raw), message.subarray(headerEnd)]);
}
