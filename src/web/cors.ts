// Cross-origin access for browser clients (the Fetch standard's CORS protocol, §3.2 of
// fetch.spec.whatwg.org; RFC 8620 §1 expects JMAP clients running in browsers). Off unless the
// operator lists origins (http.cors_origins), and only for the paths given, the JMAP
// endpoints: never the REST API or the admin UI, whose callers are same-origin.
//
// Like the plaintext guard this is a Route placed before the routes it covers: it answers
// preflight requests itself and adds the response headers to everything else, so those routes
// do not know about it.
//
// Implementation notes:
// - A listed origin is echoed with Access-Control-Allow-Credentials: the operator trusts it
//   with the user's browser-held credentials (cached HTTP authentication, cookies), which
//   EventSource needs since it cannot set an Authorization header. "*" (any origin) answers the
//   literal "*", which the Fetch standard (§3.2.5) forbids together with credentials: any site
//   may then call the API with credentials its script holds, none with the browser's.
// - The opaque origin "null" (sandboxed frames, file: pages) is never allowed.
// - Vary: Origin on every answer in scope, so a cache never serves one origin's answer to
//   another (Fetch §3.2.5 "CORS protocol and HTTP caches").

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Route } from './types.ts';

export interface CorsPolicy {
  /** Serialized origins (RFC 6454 §6.2) as config.ts checked them, or "*"; empty: CORS off. */
  origins: readonly string[];
  /** The paths CORS applies to. */
  appliesTo: (pathname: string) => boolean;
}

/** Everything the JMAP endpoints answer to: session GET, API and upload POST, download and EventSource GET. */
const ALLOW_METHODS = 'GET, HEAD, POST';
/** Authorization and Content-Type are not CORS-safelisted (Fetch §2.2.2); Last-Event-ID is sent by EventSource on reconnect. */
const ALLOW_HEADERS = 'Authorization, Content-Type, Accept, Last-Event-ID';
/** Response headers a client script needs beyond the safelisted ones: challenges, back-off, download names. */
const EXPOSE_HEADERS = 'WWW-Authenticate, Retry-After, Content-Disposition';
/** Seconds a browser may reuse a preflight (Chromium caps this at 7200). */
const MAX_AGE_SECONDS = 3600;

type Grant = { origin: string; credentials: boolean } | null;

/** What the request's Origin is granted: echoed with credentials when listed, "*" without when any origin is allowed. */
export function corsGrant(origin: string | undefined, origins: readonly string[]): Grant {
  if (origin === undefined || origin === 'null' || origins.length === 0) return null;
  if (origins.includes(origin.toLowerCase())) return { origin, credentials: true };
  if (origins.includes('*')) return { origin: '*', credentials: false };
  return null;
}

function appendVary(res: ServerResponse, field: string): void {
  const existing = res.getHeader('Vary');
  const fields = typeof existing === 'string' ? existing.split(',').map((f) => f.trim()).filter(Boolean) : [];
  if (!fields.some((f) => f.toLowerCase() === field.toLowerCase())) fields.push(field);
  res.setHeader('Vary', fields.join(', '));
}

function grantHeaders(grant: NonNullable<Grant>): Record<string, string> {
  const headers: Record<string, string> = { 'Access-Control-Allow-Origin': grant.origin };
  if (grant.credentials) headers['Access-Control-Allow-Credentials'] = 'true';
  return headers;
}

/** Fetch §3.2.2: an OPTIONS request carrying Access-Control-Request-Method. */
function isPreflight(req: IncomingMessage): boolean {
  return req.method === 'OPTIONS' && typeof req.headers['access-control-request-method'] === 'string';
}

export function corsRoute(policy: CorsPolicy): Route {
  return async (req, res, url) => {
    if (policy.origins.length === 0 || !policy.appliesTo(url.pathname)) return false;
    appendVary(res, 'Origin');
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    const grant = corsGrant(origin, policy.origins);
    if (isPreflight(req)) {
      if (!grant) {
        // Without Access-Control-Allow-Origin the browser refuses the request; the text is for whoever reads the network log.
        const body = 'This origin may not call this server from a browser.\n';
        res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)), 'Cache-Control': 'no-store' });
        res.end(body);
        return true;
      }
      res.writeHead(204, {
        ...grantHeaders(grant),
        'Access-Control-Allow-Methods': ALLOW_METHODS,
        'Access-Control-Allow-Headers': ALLOW_HEADERS,
        'Access-Control-Max-Age': String(MAX_AGE_SECONDS),
        Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      });
      res.end();
      return true;
    }
    if (grant) {
      for (const [name, value] of Object.entries(grantHeaders(grant))) res.setHeader(name, value);
      res.setHeader('Access-Control-Expose-Headers', EXPOSE_HEADERS);
    }
    return false;
  };
}
