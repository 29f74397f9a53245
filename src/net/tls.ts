// TLS for sockets we serve ourselves: the server-side context from a key and certificate, the
// check that they belong together, and the upgrade of a socket (STARTTLS, or implicit TLS at
// accept). Where the key and certificate come from (configured files or a generated pair) is
// src/server/tls.ts.

import type net from 'node:net';
import tls from 'node:tls';
import { X509Certificate, createPrivateKey } from 'node:crypto';

export interface KeyPair {
  key: string;
  cert: string;
}

/** Throws with a clear message (naming `where`) when the pair is unreadable or does not belong together. */
export function checkKeyPair({ key, cert }: KeyPair, where: string): void {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new Error(`${where}: certificate is not valid PEM: ${(err as Error).message}`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new Error(`${where}: private key is not valid PEM: ${(err as Error).message}`);
  }
  if (!x509.checkPrivateKey(privateKey)) throw new Error(`${where}: the private key does not match the certificate`);
}

/** The context every listener serves TLS with (STARTTLS and implicit TLS alike). */
export function serverSecureContext({ key, cert }: KeyPair): tls.SecureContext {
  return tls.createSecureContext({ key, cert });
}

/**
 * STARTTLS / STLS (RFC 3207, RFC 2595, RFC 9051 §6.2.1): wraps a plaintext socket in TLS.
 * The caller must have discarded any bytes the client pipelined after the command (the
 * CVE-2011-0411 injection) before calling this.
 */
export async function upgradeToTls(socket: net.Socket, secureContext: tls.SecureContext): Promise<tls.TLSSocket> {
  const secure = new tls.TLSSocket(socket, { isServer: true, secureContext });
  await new Promise<void>((resolve, reject) => {
    secure.once('secure', resolve);
    secure.once('error', reject);
    secure.once('close', () => reject(new Error('connection closed during TLS handshake')));
  });
  secure.on('error', () => secure.destroy());
  return secure;
}
