// What every IMAP session of the process shares: its dependencies (deps.ts), timeouts and
// metrics. Made once by imapServices() for both listeners.

import type { ImapDeps } from './deps.ts';
import { AppendBudget } from './append-budget.ts';

export interface ImapMetrics {
  login(result: 'ok' | 'failed' | 'rate-limited' | 'unavailable'): void;
  session(listener: string): void;
  command(name: string, status: 'OK' | 'NO' | 'BAD'): void;
}

export interface ImapContext {
  deps: ImapDeps;
  preAuthTimeoutMs: number;
  idleTimeoutMs: number;
  metrics: ImapMetrics;
  nextSessionId(): number;
  /** Counts a logged-in session of the account; false when it has limits.max_connections_per_account already. */
  claimAccountSession(accountId: number): boolean;
  releaseAccountSession(accountId: number): void;
  /** Memory for APPEND data, shared by every session (append-budget.ts). */
  appendBudget: AppendBudget;
}

export function createImapContext(deps: ImapDeps): ImapContext {
  const logins = deps.metrics.counter('posthorn_imap_logins_total', 'IMAP login attempts by result');
  const sessions = deps.metrics.counter('posthorn_imap_sessions_total', 'IMAP connections accepted, by listener');
  const commands = deps.metrics.counter('posthorn_imap_commands_total', 'IMAP commands by name and status');
  let sessionId = 0;
  const perAccount = new Map<number, number>();
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
    claimAccountSession: (accountId) => {
      const n = perAccount.get(accountId) ?? 0;
      if (n >= maxPerAccount) return false;
      perAccount.set(accountId, n + 1);
      return true;
    },
    releaseAccountSession: (accountId) => {
      const n = (perAccount.get(accountId) ?? 1) - 1;
      if (n <= 0) perAccount.delete(accountId);
      else perAccount.set(accountId, n);
    },
  };
}
