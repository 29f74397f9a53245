// SASL pieces of AUTHENTICATE (RFC 9051 §6.2.2, RFC 4959 SASL-IR, RFC 4616 PLAIN).
//
// Base64 is decoded strictly (RFC 4648 §3.3: no characters outside the alphabet, padding only at
// the end and only as much as needed, no non-zero pad bits): Node's decoder silently skips
// garbage, and credentials that decode "somehow" are how two components disagree on a user.

import { isUtf8 } from 'node:buffer';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict base64 → bytes; null when the text is not canonical base64. */
export function decodeBase64Strict(text: string): Buffer | null {
  if (!BASE64.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  // Re-encoding catches non-zero bits in the last character before padding ("QR==").
  return bytes.toString('base64') === text ? bytes : null;
}

/** What the client answered to a "+ <challenge>" continuation (RFC 9051 §6.2.2). */
export type SaslResponse = { kind: 'data'; data: Buffer } | { kind: 'cancel' } | { kind: 'bad'; text: string };

/**
 * Reads one AUTHENTICATE response line (from CommandReader.expectLine()): base64 data, "=" for an
 * empty response (RFC 4959 §3 convention, accepted here too), or "*" to cancel.
 */
export function parseSaslResponse(line: Buffer): SaslResponse {
  const text = line.toString('latin1');
  if (text === '*') return { kind: 'cancel' };
  if (text === '' || text === '=') return { kind: 'data', data: Buffer.alloc(0) };
  const data = decodeBase64Strict(text);
  return data ? { kind: 'data', data } : { kind: 'bad', text: 'Invalid base64 in SASL response' };
}

/**
 * SASL-IR initial response argument (RFC 4959 §3): "=" is an empty response; anything else is
 * base64. Returns null when the text is not valid base64.
 */
export function decodeInitialResponse(text: string): Buffer | null {
  if (text === '=') return Buffer.alloc(0);
  if (text === '') return null;
  return decodeBase64Strict(text);
}

export interface PlainCredentials {
  /** Authorization identity; '' when the client acts as itself. */
  authzid: string;
  authcid: string;
  password: string;
}

export const MAX_PLAIN_FIELD_BYTES = 255;

/**
 * RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd. Exactly two NULs; authcid and
 * passwd non-empty; every field valid UTF-8 and at most 255 octets (the RFC's own SHOULD limit).
 */
export function decodePlain(data: Buffer): PlainCredentials | { error: string } {
  const first = data.indexOf(0);
  if (first === -1) return { error: 'PLAIN response without NUL separators' };
  const second = data.indexOf(0, first + 1);
  if (second === -1) return { error: 'PLAIN response needs two NUL separators' };
  if (data.indexOf(0, second + 1) !== -1) return { error: 'NUL inside a PLAIN field' };
  const fields = [data.subarray(0, first), data.subarray(first + 1, second), data.subarray(second + 1)];
  for (const f of fields) {
    if (f.length > MAX_PLAIN_FIELD_BYTES) return { error: 'PLAIN field too long' };
    if (!isUtf8(f)) return { error: 'PLAIN field is not UTF-8' };
  }
  const [authzid, authcid, password] = fields.map((f) => f.toString('utf8'));
  if (authcid === '') return { error: 'Empty authentication identity' };
  if (password === '') return { error: 'Empty password' };
  return { authzid, authcid, password };
}
