// The session resource and the API endpoint over HTTP (RFC 8620 §2, §3.1): authentication
// through the shared Authenticator, bounded bodies, per-user concurrency limits, and
// request-level errors as application/problem+json (RFC 7807).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Account } from '../store/types.ts';
import type { HttpContext, Route } from '../web/types.ts';
import { authenticateRequest, BASIC_CHALLENGE } from '../web/http-auth.ts';
import { readBody } from '../web/request-body.ts';
import type { JmapDeps, MethodSet } from './types.ts';
import { Dispatcher, type JmapResponse } from './dispatch.ts';
import { checkRequest, parseJson, RequestError } from './request.ts';
import { JMAP_PATHS, sessionObject } from './session.ts';

export function sendJson(res: ServerResponse, status: number, body: unknown, contentType = 'application/json', headers: Record<string, string> = {}): void {
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, { 'Content-Type': `${contentType}; charset=utf-8`, 'Content-Length': String(payload.length), 'Cache-Control': 'no-cache, no-store', 'X-Content-Type-Options': 'nosniff', ...headers });
  res.end(payload);
}

/** RFC 7807 problem details, the form RFC 8620 §3.6.1 uses for request-level errors. */
export function sendProblem(res: ServerResponse, status: number, type: string, detail: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): void {
  sendJson(res, status, { type, status, detail, ...extra }, 'application/problem+json', headers);
}

/** The origin clients used to reach us, for the absolute URLs of the session object. */
export function requestOrigin(req: IncomingMessage): string {
  const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
  const host = typeof req.headers.host === 'string' && /^[A-Za-z0-9.:[\]-]{1,300}$/.test(req.headers.host) ? req.headers.host : 'localhost';
  return `${encrypted ? 'https' : 'http'}://${host}`;
}

/** Authenticates or answers: 401 with a challenge, 429/503 with Retry-After, 403 when disabled. */
export async function requireAccount(req: IncomingMessage, res: ServerResponse, ctx: HttpContext): Promise<Account | null> {
  const result = await authenticateRequest(req, ctx);
  if (result.ok) return result.account;
  const headers: Record<string, string> = result.status === 401 ? { 'WWW-Authenticate': BASIC_CHALLENGE } : result.status === 403 ? {} : { 'Retry-After': '30' };
  sendProblem(res, result.status, 'about:blank', result.message, {}, headers);
  return null;
}

export class JmapApi {
  readonly dispatcher: Dispatcher;
  private readonly deps: JmapDeps;
  private readonly sets: readonly MethodSet[];
  /** Requests running per account (RFC 8620 §2 maxConcurrentRequests). */
  private readonly running = new Map<number, number>();

  constructor(deps: JmapDeps, sets: readonly MethodSet[]) {
    this.deps = deps;
    this.sets = sets;
    this.dispatcher = new Dispatcher(deps, sets);
  }

  sessionFor(account: Account, origin: string): Record<string, unknown> {
    return sessionObject(account, this.sets, this.deps.limits, origin);
  }

  /** Runs one Request object (an HTTP body or a WebSocket message); throws RequestError. */
  async execute(account: Account, value: unknown): Promise<JmapResponse> {
    const request = checkRequest(value, this.dispatcher.capabilities, this.deps.limits.maxCallsInRequest);
    const session = this.sessionFor(account, '');
    return this.dispatcher.run(request, account, session.state as string);
  }

  readonly sessionRoute: Route = async (req, res, url, ctx) => {
    if (url.pathname !== JMAP_PATHS.session) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendProblem(res, 405, 'about:blank', 'Use GET.', {}, { Allow: 'GET, HEAD' });
      return true;
    }
    const account = await requireAccount(req, res, ctx);
    if (account) sendJson(res, 200, this.sessionFor(account, requestOrigin(req)));
    return true;
  };

  readonly apiRoute: Route = async (req, res, url, ctx) => {
    if (url.pathname !== JMAP_PATHS.api) return false;
    if (req.method !== 'POST') {
      sendProblem(res, 405, 'about:blank', 'Use POST.', {}, { Allow: 'POST' });
      return true;
    }
    const account = await requireAccount(req, res, ctx);
    if (!account) return true;
    // RFC 8620 §3.1: the request is application/json. Refusing other types also keeps a
    // cross-site form (text/plain, sent with a browser's remembered credentials) from running
    // methods: a JSON request from another origin needs a CORS preflight first.
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') {
      readBody(req, 0).catch(() => {});
      sendProblem(res, 400, 'urn:ietf:params:jmap:error:notRequest', 'The request must be application/json.', {}, { Connection: 'close' });
      return true;
    }
    const limits = this.deps.limits;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limits.maxSizeRequest) {
      readBody(req, 0).catch(() => {}); // drains and closes (src/web/request-body.ts)
      sendProblem(res, 400, 'urn:ietf:params:jmap:error:limit', `At most ${limits.maxSizeRequest} octets per request.`, { limit: 'maxSizeRequest' }, { Connection: 'close' });
      return true;
    }
    const inFlight = this.running.get(account.id) ?? 0;
    if (inFlight >= limits.maxConcurrentRequests) {
      sendProblem(res, 400, 'urn:ietf:params:jmap:error:limit', `At most ${limits.maxConcurrentRequests} requests at once.`, { limit: 'maxConcurrentRequests' });
      return true;
    }
    this.running.set(account.id, inFlight + 1);
    try {
      const body = await readBody(req, limits.maxSizeRequest);
      if (!body.ok) {
        if (body.status === 413) sendProblem(res, 400, 'urn:ietf:params:jmap:error:limit', `At most ${limits.maxSizeRequest} octets per request.`, { limit: 'maxSizeRequest' }, { Connection: 'close' });
        else sendProblem(res, 400, 'urn:ietf:params:jmap:error:notRequest', 'The request body could not be read.');
        return true;
      }
      sendJson(res, 200, await this.execute(account, parseJson(body.body)));
    } catch (err) {
      if (!(err instanceof RequestError)) throw err;
      sendProblem(res, err.status, `urn:ietf:params:jmap:error:${err.type}`, err.message, err.limit ? { limit: err.limit } : {});
    } finally {
      const left = (this.running.get(account.id) ?? 1) - 1;
      if (left > 0) this.running.set(account.id, left);
      else this.running.delete(account.id);
    }
    return true;
  };
}
