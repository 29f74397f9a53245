// Bounded request-body reading for every HTTP route, with a lingering close for bodies that are
// too large.
//
// Why linger: a client that is still sending when the server answers 413 and closes gets a TCP
// reset once unread data sits in the server's receive buffer, and the reset can destroy the 413
// before the client reads it (RFC 9112 §9.6 warns of exactly this and asks servers to close in
// stages: stop writing, keep reading for a while, then close). So after a refusal the rest of the
// body is read and thrown away, up to a bound in bytes and in time, and only then is the socket
// destroyed; a well-behaved client reads its answer and stops sending well before that.

import type { IncomingMessage } from 'node:http';

/** A body a little over its limit is read to its end, so the connection could even be reused. */
const DISCARD_TO_END_BYTES = 1024 * 1024;
/** After a refusal, at most this much more is read and discarded … */
const LINGER_BYTES = 64 * 1024 * 1024;
/** … for at most this long, before the socket is destroyed. */
const LINGER_MS = 2_000;

export type BodyResult = { ok: true; body: Buffer } | { ok: false; status: 413 | 400 };

/**
 * Reads the request body, at most `limit` bytes (RFC 9110 §15.5.14: 413 when larger). The caller
 * answers 413 with `Connection: close`; the unread rest is drained in the background (above).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const declared = req.headers['content-length'];
    // A declared length over the limit is refused without keeping a byte: far over, at once (the
    // rest lingers away); a little over, once the body has been read to its end and dropped.
    const over = declared !== undefined && Number(declared) > limit;
    if (over && Number(declared) - limit > DISCARD_TO_END_BYTES) {
      lingerThenClose(req);
      resolve({ ok: false, status: 413 });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (result: BodyResult): void => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit && !over) chunks.push(chunk);
      else if (size - limit > DISCARD_TO_END_BYTES) {
        req.off('data', onData);
        chunks.length = 0;
        lingerThenClose(req);
        finish({ ok: false, status: 413 });
      }
    };
    req.on('data', onData);
    req.on('end', () => finish(size > limit || over ? { ok: false, status: 413 } : { ok: true, body: Buffer.concat(chunks) }));
    req.on('error', () => finish({ ok: false, status: 400 }));
    // After 'end' this is a no-op; before it, the client went away mid-body.
    req.on('close', () => finish({ ok: false, status: 400 }));
  });
}

/**
 * Refuses a body without reading it, for a route that answers at once (a limit, a wrong
 * account): what is still coming is discarded, bounded in bytes and time, then the socket closes.
 */
export function discardBody(req: IncomingMessage): void {
  lingerThenClose(req);
}

/** Discards what is still coming, bounded in bytes and time, then destroys the socket. */
function lingerThenClose(req: IncomingMessage): void {
  const socket = req.socket;
  let drained = 0;
  const stop = (): void => {
    clearTimeout(timer);
    socket.destroy();
  };
  const timer = setTimeout(stop, LINGER_MS);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > LINGER_BYTES) stop();
  });
  req.on('end', () => clearTimeout(timer));
  req.on('close', () => clearTimeout(timer));
  req.resume();
}
