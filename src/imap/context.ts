// What every IMAP session of the process shares: its dependencies (deps.ts), timeouts and
// metrics. Made once by imapServices() for both listeners.

import { randomUUID } from 'node:crypto';
import type { ImapDeps } from './deps.ts';
import { holdSlot, type HeldClaim } from '../store/coordination-claims.ts';
import { AppendBudget } from './append-budget.ts';

export interface ImapMetrics {
  login(result: 'ok' | 'failed' | 'rate-limited' | 'busy' | 'unavailable'): void;
  session(listener: string): void;
  command(name: string, status: 'OK' | 'NO' | 'BAD'): void;
}

export interface ImapContext {
  deps: ImapDeps;
  preAuthTimeoutMs: number;
  idleTimeoutMs: number;
  metrics: ImapMetrics;
  nextSessionId(): number;
  /**
   * Takes one of the account's limits.max_connections_per_account places for a logged-in session,
   * counted across every node (a slot of the Coordination backend); null when all are taken.
   */
  claimAccountSession(accountId: number, sessionId: number): Promise<HeldClaim | null>;
  /** Memory for APPEND data, shared by every session (append-budget.ts). */
  appendBudget: AppendBudget;
}

/**
 * How long a session's place outlives its node's last heartbeat: after a node dies, its sessions
 * stop counting against the accounts' limits within this time.
 */
export const ACCOUNT_SESSION_TTL_MS = 60_000;

export function createImapContext(deps: ImapDeps): ImapContext {
  const logins = deps.metrics.counter('posthorn_imap_logins_total', 'IMAP login attempts by result');
  const sessions = deps.metrics.counter('posthorn_imap_sessions_total', 'IMAP connections accepted, by listener');
  const commands = deps.metrics.counter('posthorn_imap_commands_total', 'IMAP commands by name and status');
  let sessionId = 0;
  // Session ids count from 1 in every process; the node id makes slot owners unique across nodes.
  const node = randomUUID();
  const maxPerAccount = deps.config.limits.maxConnectionsPerAccount;
  return {
    deps,
    preAuthTimeoutMs: deps.config.limits.preAuthTimeoutSeconds * 1000,
    idleTimeoutMs: deps.config.limits.idleTimeoutSeconds * 1000,
    metrics: {
      login: (result) => logins({ result }),
      session: (listener) => sessions({ listener }),
      command: (name, status) => commands({ command: name, status }),
    },
    nextSessionId: () => ++sessionId,
    appendBudget: new AppendBudget(deps.config.limits.appendMemoryBytes),
    claimAccountSession: (accountId, id) =>
      holdSlot(deps.coordination, `account-sessions/${accountId}`, `${node}/${id}`, maxPerAccount, {
        ttlMs: ACCOUNT_SESSION_TTL_MS,
        onError: (err) => deps.log.warn({ event: 'imap-session-slot-renew-failed', protocol: 'imap', accountId, err: (err as Error)?.message }),
      }),
  };
}
