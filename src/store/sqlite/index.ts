// The embedded default backend: SQLite through Node's built-in node:sqlite (DESIGN.md §3).
// See db.ts for the transaction and group-commit rules.

import { StoreError } from '../types.ts';
import type { ChangeBus, MailStore } from '../types.ts';
import { Db } from './db.ts';
import { accountOps } from './accounts.ts';
import { mailboxOps } from './mailboxes.ts';
import { mailboxAttributeOps } from './mailbox-attributes.ts';
import { messageOps } from './messages.ts';
import { emailOps } from './emails.ts';
import { changeOps } from './changes.ts';
import { emailQueryOps } from './email-query.ts';
import { queueOps } from './queue.ts';
import { pushSubscriptionOps } from './push-subscriptions.ts';
import { uploadOps } from './uploads.ts';
import { sendingOps } from './sending.ts';

export interface SqliteStoreOptions {
  path: string;
  bus: ChangeBus;
  now?: () => number;
  /** How long a write waits for another process's write lock before UNAVAILABLE (default 5000 ms). */
  busyTimeoutMs?: number;
  /** Share one COMMIT (one fsync) among mutations requested in the same event-loop turn (default true). */
  groupCommit?: boolean;
}

export async function openSqliteStore(opts: SqliteStoreOptions): Promise<MailStore> {
  const db = new Db({
    path: opts.path,
    bus: opts.bus,
    now: opts.now ?? Date.now,
    busyTimeoutMs: opts.busyTimeoutMs ?? 5000,
    groupCommit: opts.groupCommit ?? true,
  });
  return {
    ...accountOps(db),
    ...mailboxOps(db),
    ...mailboxAttributeOps(db),
    ...messageOps(db),
    ...emailOps(db),
    ...emailQueryOps(db),
    ...changeOps(db),
    ...uploadOps(db),
    ...sendingOps(db),
    queue: queueOps(db),
    pushSubscriptions: pushSubscriptionOps(db),

    quota: (accountId) =>
      db.read(() => {
        const r = db.get<{ used_bytes: number; quota_bytes: number | null; message_count: number }>(
          'SELECT used_bytes, quota_bytes, message_count FROM account WHERE id = ?', accountId,
        );
        if (!r) throw new StoreError('NOT_FOUND', `no account ${accountId}`);
        return { usedBytes: r.used_bytes, limitBytes: r.quota_bytes, messageCount: r.message_count };
      }),

    // A queued body counts like a stored message: blob GC must never take mail still waiting to
    // go out. An upload counts until it expires (even if its row is not pruned yet).
    isBlobReferenced: (blobId) =>
      db.read(() =>
        db.get(
          `SELECT 1 AS x FROM message WHERE blob_id = ? UNION ALL SELECT 1 FROM queue_message WHERE blob_id = ?
           UNION ALL SELECT 1 FROM upload WHERE blob_id = ? AND expires_at > ? LIMIT 1`,
          blobId, blobId, blobId, db.now(),
        ) !== undefined,
      ),

    close: () => db.close(),
  };
}
