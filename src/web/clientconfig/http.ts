// Small HTTP helpers shared by the client set-up routes: answering, bounded body reading,
// HTTP Basic credentials, and turning a client-supplied address into a hosted one.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { normaliseAddress, normaliseDomain, domainOf } from '../../mail/address.ts';
import type { HttpContext } from '../types.ts';

/** Autodiscover requests are a few hundred bytes; 64 KiB leaves room and bounds parsing work. */
export const MAX_REQUEST_BODY_BYTES = 64 * 1024;

export interface SendOptions {
  headers?: Record<string, string>;
  /** Defaults to "no-cache": documents follow the live configuration. */
  cacheControl?: string;
}

export function send(res: ServerResponse, status: number, contentType: string, body: string, opts: SendOptions = {}): void {
  const payload = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': String(payload.length),
    'Cache-Control': opts.cacheControl ?? 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    ...opts.headers,
  });
  res.end(payload);
}

export function sendText(res: ServerResponse, status: number, message: string, opts: SendOptions = {}): void {
  send(res, status, 'text/plain; charset=utf-8', message.endsWith('\n') ? message : message + '\n', opts);
}

/** RFC 9110 §15.5.6: 405 names the allowed methods. */
export function methodNotAllowed(res: ServerResponse, allow: string): void {
  sendText(res, 405, `Method not allowed; use ${allow}.`, { headers: { Allow: allow } });
}

/** RFC 7617 §2: `Authorization: Basic base64(user-id ":" password)`, UTF-8. Null when absent or malformed. */
export function basicCredentials(req: IncomingMessage): { username: string; password: string } | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const m = /^Basic[ ]+([A-Za-z0-9+/]+={0,2})[ ]*$/i.exec(header);
  if (!m) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function remoteIp(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

export type HostedLookup = { ok: true; domain: string } | { ok: false; status: 400 | 404; message: string };

/** Checks that a domain (already normalised) is hosted here: unknown domains get 404, never another domain's settings. */
export async function hostedDomain(domain: string, ctx: HttpContext): Promise<HostedLookup> {
  const row = await ctx.store.getDomain(domain);
  if (!row) return { ok: false, status: 404, message: 'This domain is not hosted on this server.' };
  return { ok: true, domain: row.name };
}

export type AddressLookup = { ok: true; address: string; domain: string } | { ok: false; status: 400 | 404; message: string };

/** Validates a client-supplied address (never echoed back in errors) and checks its domain is hosted here. */
export async function hostedAddress(raw: string, ctx: HttpContext): Promise<AddressLookup> {
  const address = raw.length <= 320 ? normaliseAddress(raw.trim()) : null;
  if (!address) return { ok: false, status: 400, message: 'Not a valid email address.' };
  const hosted = await hostedDomain(domainOf(address), ctx);
  return hosted.ok ? { ok: true, address, domain: hosted.domain } : hosted;
}

/** The domain named by the Host header, without port and without a leading `prefix` label. */
export function domainFromHost(req: IncomingMessage, prefix?: string): string | null {
  const host = req.headers.host;
  if (!host || host.startsWith('[')) return null;
  let name = host.replace(/:\d*$/, '').toLowerCase();
  if (prefix && name.startsWith(prefix + '.')) name = name.slice(prefix.length + 1);
  return normaliseDomain(name);
}
