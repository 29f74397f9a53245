// TLS material for every listener (DESIGN.md §6), from the configuration: the configured
// certificate and key, or on first start a self-signed pair generated in <dataDir>/tls so
// STARTTLS and implicit TLS work out of the box; an operator replaces it by setting
// tls.cert_file / tls.key_file. What is done with the material is src/net/tls.ts.

import { mkdir, readFile, writeFile, rename, open } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import type { Config } from './config.ts';
import type { Logger } from '../observe/log.ts';
import { checkKeyPair } from '../net/tls.ts';

export interface TlsMaterial {
  key: string;
  cert: string;
  selfSigned: boolean;
}

async function writeDurably(path: string, content: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, content, { mode });
  const fh = await open(tmp, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export async function loadTls(config: Config, log: Logger): Promise<TlsMaterial> {
  if (config.tls.certFile && config.tls.keyFile) {
    const [cert, key] = await Promise.all([readFile(config.tls.certFile, 'utf8'), readFile(config.tls.keyFile, 'utf8')]);
    checkKeyPair({ key, cert }, `tls.cert_file ${config.tls.certFile}`);
    return { key, cert, selfSigned: false };
  }
  const dir = join(config.dataDir, 'tls');
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  const [cert, key] = await Promise.all([readIfExists(certPath), readIfExists(keyPath)]);
  if (cert && key) {
    checkKeyPair({ key, cert }, certPath);
    return { key, cert, selfSigned: true };
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const generated = await generate([{ name: 'commonName', value: config.hostname }], {
    // RSA rather than ECDSA: every mail client accepts it (old Android and Outlook builds do not all do ECDSA).
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 825 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: config.hostname },
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  // Key first: a crash between the two writes leaves no certificate without its key.
  await writeDurably(keyPath, generated.private, 0o600);
  await writeDurably(certPath, generated.cert, 0o644);
  log.info({ event: 'tls-generated', cert: certPath, hostname: config.hostname }, 'generated a self-signed TLS certificate');
  return { key: generated.private, cert: generated.cert, selfSigned: true };
}
