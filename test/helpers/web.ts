// Raw HTTP and HTTPS requests for the web listener tests: no redirect following, no Origin added,
// and over TLS the certificate the server presented (self-signed, so not verified).

import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface WebAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** DER of the server's certificate, over TLS. */
  peerCertificate?: Buffer;
}

export interface WebRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

export function webRequest(url: string, opts: WebRequest = {}): Promise<WebAnswer> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const options: https.RequestOptions = {
    host: target.hostname,
    port: target.port,
    path: target.pathname + target.search,
    method: opts.method ?? 'GET',
    headers: { ...opts.headers, ...(opts.body !== undefined ? { 'content-length': String(Buffer.byteLength(opts.body)) } : {}) },
    agent: false,
    ...(secure ? { rejectUnauthorized: false } : {}),
  };
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(options, (res) => {
      const peerCertificate = secure ? (res.socket as TLSSocket).getPeerCertificate().raw : undefined;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), peerCertificate }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The access-control-* response headers, for asserting that there are none. */
export function corsHeaders(answer: WebAnswer): string[] {
  return Object.keys(answer.headers).filter((name) => name.startsWith('access-control-'));
}
