// The rule for the plain HTTP listener (DESIGN.md §5, §6): what carries passwords or mail (JMAP,
// the REST API, the webmail) is served over TLS, or in the clear only to a loopback client when
// auth.allow_plaintext_on_loopback is set, the rule IMAP and POP3 follow. Everyone else is sent
// to HTTPS: a browser navigation (GET/HEAD) by a 308 redirect (RFC 9110 §15.4.9, which keeps the
// method), anything else by a 403, since a redirected POST would already have sent its
// credentials and body in the clear.
//
// The guard is itself a Route, placed in the route list after the routes every listener serves
// (client autoconfiguration, ACME challenges) and before the application routes: those then
// need not know about it. Over TLS it lets everything through. What bypasses the route list (an
// HTTP upgrade to WebSocket) must ask plaintextDecision itself, with plaintextRequest(req).

import type { IncomingMessage } from 'node:http';
import type { HttpContext, Route } from './types.ts';
import { isLoopback } from '../net/address.ts';
import { clientAddress, overTls } from './transport.ts';
import { readBody } from './request-body.ts';

export interface PlaintextPolicy {
  allowPlaintextOnLoopback: boolean;
}

/** What the guard needs to know about one request. */
export interface PlaintextRequest {
  method: string;
  overTls: boolean;
  /** Normalised client address (src/net/address.ts). */
  clientAddress: string;
}

export type PlaintextDecision =
  | { kind: 'serve' }
  | { kind: 'redirect'; location: string }
  | { kind: 'refuse'; message: string };

/** The HTTPS origin clients are sent to: the configured hostname and the bound HTTPS port; null when HTTPS is off. */
export function httpsOrigin(ctx: Pick<HttpContext, 'hostname' | 'ports'>): string | null {
  const port = ctx.ports.https;
  if (!port) return null;
  return `https://${ctx.hostname}${port === 443 ? '' : `:${port}`}`;
}

export function plaintextDecision(request: PlaintextRequest, url: URL, policy: PlaintextPolicy, ctx: Pick<HttpContext, 'hostname' | 'ports'>): PlaintextDecision {
  if (request.overTls) return { kind: 'serve' };
  if (policy.allowPlaintextOnLoopback && isLoopback(request.clientAddress)) return { kind: 'serve' };
  const origin = httpsOrigin(ctx);
  if (origin === null) return { kind: 'refuse', message: 'This service is only available over HTTPS.' };
  // The path and query are kept; the host is ours, never the client's Host header, so the
  // redirect cannot be pointed at another site.
  const location = origin + url.pathname + url.search;
  if (request.method === 'GET' || request.method === 'HEAD') return { kind: 'redirect', location };
  return { kind: 'refuse', message: `Use HTTPS: ${origin}/` };
}

/** RFC 9112 §6.3: a request has a body when it declares a length above 0 or a transfer coding. */
function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/** The facts of a request as it arrived on its socket. */
export function plaintextRequest(req: IncomingMessage): PlaintextRequest {
  return { method: req.method ?? 'GET', overTls: overTls(req), clientAddress: clientAddress(req) };
}

export function plaintextGuard(policy: PlaintextPolicy): Route {
  return async (req, res, url, ctx) => {
    const decision = plaintextDecision(plaintextRequest(req), url, policy, ctx);
    if (decision.kind === 'serve') return false;
    const body = Buffer.from(decision.kind === 'redirect' ? `Moved to ${decision.location}\n` : `${decision.message}\n`, 'utf8');
    const headers: Record<string, string> = { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(body.length), 'Cache-Control': 'no-store' };
    if (decision.kind === 'redirect') headers.Location = decision.location;
    if (decision.kind === 'refuse' && hasBody(req)) {
      // The body is not wanted: drained within bounds, then the connection closes (request-body.ts).
      readBody(req, 0).catch(() => {});
      headers.Connection = 'close';
    }
    res.writeHead(decision.kind === 'redirect' ? 308 : 403, headers);
    res.end(body);
    return true;
  };
}
