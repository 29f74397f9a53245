// Message encryption for Web Push (RFC 8291), as RFC 8620 §7.2 asks when a push subscription
// has "keys": the payload is one aes128gcm record (RFC 8188 §2) under a key agreed between a
// fresh P-256 key pair of ours and the subscriber's p256dh key, mixed with its auth secret.

import { createCipheriv, createECDH, hkdfSync, randomBytes } from 'node:crypto';
import type { PushKeys } from '../../store/types.ts';

const RECORD_SIZE = 4096;

export function encryptPushPayload(plaintext: Uint8Array, keys: PushKeys): Buffer {
  const uaPublic = Buffer.from(keys.p256dh, 'base64url');
  const authSecret = Buffer.from(keys.auth, 'base64url');
  const ecdh = createECDH('prime256v1');
  const asPublic = ecdh.generateKeys();
  const ecdhSecret = ecdh.computeSecret(uaPublic);
  // RFC 8291 §3.3, §3.4: IKM from the shared secret and the auth secret, bound to both public keys.
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, authSecret, keyInfo, 32));
  const salt = randomBytes(16);
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  // RFC 8188 §2: one record, its padding delimiter 0x02 marks it as the last.
  const padded = Buffer.concat([plaintext, Buffer.from([2])]);
  const cipher = createCipheriv('aes-128-gcm', cek, nonce);
  const sealed = Buffer.concat([cipher.update(padded), cipher.final(), cipher.getAuthTag()]);
  const header = Buffer.alloc(21);
  salt.copy(header, 0);
  header.writeUInt32BE(Math.max(RECORD_SIZE, sealed.length + 1), 16);
  header.writeUInt8(asPublic.length, 20);
  return Buffer.concat([header, asPublic, sealed]);
}

/** Whether keys look like RFC 8291 §3.2 keys: a P-256 point (65 octets) and a 16-octet secret. */
export function validPushKeys(keys: PushKeys): boolean {
  const p = Buffer.from(keys.p256dh, 'base64url');
  const a = Buffer.from(keys.auth, 'base64url');
  if (p.length !== 65 || p[0] !== 4 || a.length !== 16) return false;
  try {
    const probe = createECDH('prime256v1');
    probe.generateKeys();
    probe.computeSecret(p);
    return true;
  } catch {
    return false;
  }
}
