// The Request object (RFC 8620 §3.3) checked before any method runs; a request that is not one
// gets a request-level error (§3.6.1), answered as application/problem+json (RFC 7807).

import { isPlainObject } from './args.ts';
import type { Invocation } from './types.ts';

export type RequestErrorType = 'notJSON' | 'notRequest' | 'unknownCapability' | 'limit';

export class RequestError extends Error {
  readonly type: RequestErrorType;
  readonly status: number;
  readonly limit?: string;
  constructor(type: RequestErrorType, detail: string, limit?: string) {
    super(detail);
    this.type = type;
    this.status = 400;
    this.limit = limit;
  }
  /** RFC 8620 §3.6.1: the problem type is the error's URN. */
  toProblem(): Record<string, unknown> {
    return { type: `urn:ietf:params:jmap:error:${this.type}`, status: this.status, detail: this.message, ...(this.limit ? { limit: this.limit } : {}) };
  }
}

export interface JmapRequest {
  using: string[];
  methodCalls: Invocation[];
  createdIds: Record<string, string> | null;
}

/** Parses and checks the body; `known` are the capabilities this server offers. */
export function parseRequest(body: Buffer, known: ReadonlySet<string>, maxCalls: number): JmapRequest {
  return checkRequest(parseJson(body), known, maxCalls);
}

export function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    // Invalid UTF-8, invalid JSON, and JSON nested too deep for the parser all land here.
    throw new RequestError('notJSON', 'The request body is not valid JSON (RFC 8259) in UTF-8.');
  }
}

/** Checks a parsed Request object (an HTTP body, or a WebSocket message, RFC 8887 §4.3.2). */
export function checkRequest(value: unknown, known: ReadonlySet<string>, maxCalls: number): JmapRequest {
  if (!isPlainObject(value)) throw new RequestError('notRequest', 'The request must be a JSON object.');
  const { using, methodCalls, createdIds } = value;
  if (!Array.isArray(using) || using.some((u) => typeof u !== 'string')) throw new RequestError('notRequest', '"using" must be a list of capability strings.');
  if (!Array.isArray(methodCalls)) throw new RequestError('notRequest', '"methodCalls" must be a list of invocations.');
  for (const call of methodCalls) {
    if (!Array.isArray(call) || call.length !== 3 || typeof call[0] !== 'string' || !isPlainObject(call[1]) || typeof call[2] !== 'string') {
      throw new RequestError('notRequest', 'Every method call must be [name, arguments object, call id].');
    }
  }
  if (createdIds !== undefined && createdIds !== null) {
    if (!isPlainObject(createdIds) || Object.values(createdIds).some((v) => typeof v !== 'string')) {
      throw new RequestError('notRequest', '"createdIds" must map creation ids to ids.');
    }
  }
  for (const capability of using as string[]) {
    if (!known.has(capability)) throw new RequestError('unknownCapability', `This server does not support "${capability}".`);
  }
  if (methodCalls.length > maxCalls) throw new RequestError('limit', `At most ${maxCalls} method calls per request.`, 'maxCallsInRequest');
  return { using: using as string[], methodCalls: methodCalls as Invocation[], createdIds: (createdIds as Record<string, string> | undefined) ?? null };
}
