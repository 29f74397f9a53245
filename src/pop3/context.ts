// What every POP3 session of the process shares: its dependencies (deps.ts), the maildrop locks,
// the size cache, the clock and the metrics. Made once by pop3Services() for all its listeners.

import type { Pop3Deps } from './deps.ts';
import { MaildropLocks } from './locks.ts';
import { PopSizeCache } from './sizes.ts';

export interface Pop3Options {
  /** Clock for retention (EXPIRE) and retrieval times; tests simulate days with it. */
  now?: () => number;
  /** Silence allowed after login, ms. RFC 1939 §3: the autologout timer is at least 10 minutes. */
  idleTimeoutMs?: number;
}

export interface Pop3Metrics {
  login(result: 'ok' | 'failed' | 'rate-limited' | 'busy' | 'in-use'): void;
  session(listener: string): void;
  retrieved(octets: number): void;
  deleted(count: number): void;
}

export interface Pop3Context {
  deps: Pop3Deps;
  now: () => number;
  locks: MaildropLocks;
  sizes: PopSizeCache;
  preAuthTimeoutMs: number;
  idleTimeoutMs: number;
  metrics: Pop3Metrics;
  nextSessionId(): number;
}

/** RFC 1939 §3: "at least 10 minutes". */
export const RFC1939_MIN_IDLE_MS = 10 * 60_000;

export function createPop3Context(deps: Pop3Deps, opts: Pop3Options = {}): Pop3Context {
  const logins = deps.metrics.counter('posthorn_pop3_logins_total', 'POP3 login attempts by result');
  const sessions = deps.metrics.counter('posthorn_pop3_sessions_total', 'POP3 connections accepted, by listener');
  const retrieved = deps.metrics.counter('posthorn_pop3_retrieved_bytes_total', 'Octets sent in POP3 RETR responses');
  const deleted = deps.metrics.counter('posthorn_pop3_deleted_messages_total', 'Messages deleted by POP3 clients at QUIT');
  let sessionId = 0;
  return {
    deps,
    now: opts.now ?? Date.now,
    locks: new MaildropLocks(deps.coordination),
    sizes: new PopSizeCache(deps.blobs, deps.store, (err) =>
      deps.log.warn({ event: 'pop3-size-store-failed', protocol: 'pop3', err: (err as Error)?.message }),
    ),
    preAuthTimeoutMs: deps.config.limits.preAuthTimeoutSeconds * 1000,
    idleTimeoutMs: opts.idleTimeoutMs ?? RFC1939_MIN_IDLE_MS,
    metrics: {
      login: (result) => logins({ result }),
      session: (listener) => sessions({ listener }),
      retrieved: (octets) => retrieved({}, octets),
      deleted: (count) => deleted({}, count),
    },
    nextSessionId: () => ++sessionId,
  };
}
