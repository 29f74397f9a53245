// The change log read back (change-types.ts): IMAP sync and QRESYNC read rows per mailbox and
// UID; JMAP /changes (RFC 8620 §5.2) reads the same rows by Mailbox, Email or thread id. Rows
// at or below an account's horizon may have been pruned: a read from below it says so
// (complete: false / null) instead of returning less than happened.

import { StoreError } from '../types.ts';
import type { ChangedObjectType, ChangeKind, MailStore, ObjectChanges } from '../types.ts';
import type { Db } from './db.ts';

const ID_COLUMN: Readonly<Record<ChangedObjectType, string>> = { Mailbox: 'mailbox_id', Email: 'email_id', Thread: 'thread_id' };

function accountState(db: Db, accountId: number): { modseq: number; horizon: number } {
  const acc = db.get<{ modseq: number; change_horizon: number }>('SELECT modseq, change_horizon FROM account WHERE id = ?', accountId);
  if (!acc) throw new StoreError('NOT_FOUND', `no account ${accountId}`);
  return { modseq: acc.modseq, horizon: acc.change_horizon };
}

/** Ids changed in (since, until], by mod-sequence: whole mutations only, at most max ids (undefined: all). */
export function pageOfIds(rows: [number, number][], max: number | undefined): { ids: number[]; lastModseq: number; more: boolean } | null {
  const seen = new Set<number>();
  let lastModseq = 0;
  for (let i = 0; i < rows.length; ) {
    const modseq = rows[i][0];
    const group = new Set<number>();
    for (; i < rows.length && rows[i][0] === modseq; i++) if (!seen.has(rows[i][1])) group.add(rows[i][1]);
    if (max !== undefined && seen.size + group.size > max) {
      // One mutation touched more objects than the caller takes: no state in between to offer.
      if (seen.size === 0) return null;
      return { ids: [...seen], lastModseq, more: true };
    }
    for (const id of group) seen.add(id);
    lastModseq = modseq;
  }
  return { ids: [...seen], lastModseq, more: false };
}

/**
 * id → whether it was created after `since`, for the ids still alive; ids missing from the map
 * were destroyed.
 */
function existing(db: Db, type: ChangedObjectType, accountId: number, ids: number[], since: number, until: number): Map<number, boolean> {
  const list = JSON.stringify(ids);
  const out = new Map<number, boolean>();
  if (type === 'Mailbox') {
    const rows = db.rows(
      `SELECT b.id, EXISTS (SELECT 1 FROM change_log c WHERE c.account_id = b.account_id AND c.kind = 'mailbox-created'
                              AND c.mailbox_id = b.id AND c.modseq > ? AND c.modseq <= ?)
       FROM mailbox b WHERE b.account_id = ? AND b.id IN (SELECT value FROM json_each(?))`,
      since, until, accountId, list,
    ) as [number, number][];
    for (const [id, created] of rows) out.set(id, created === 1);
  } else {
    const table = type === 'Email' ? 'email' : 'thread';
    const visible = type === 'Email'
      ? 'EXISTS (SELECT 1 FROM message m WHERE m.email_id = o.id AND m.deleted = 0)'
      : 'EXISTS (SELECT 1 FROM email e JOIN message m ON m.email_id = e.id WHERE e.thread_id = o.id AND m.deleted = 0)';
    const rows = db.rows(
      `SELECT o.id, o.created_modseq FROM ${table} o WHERE +o.account_id = ? AND o.id IN (SELECT value FROM json_each(?)) AND ${visible}`,
      accountId, list,
    ) as [number, number][];
    for (const [id, createdModseq] of rows) out.set(id, createdModseq > since);
  }
  return out;
}

/**
 * Of destroyed objects, those created after `since`: RFC 8620 §5.2 leaves such ids out. A
 * mailbox's creation row stays in the log; an Email's or thread's creation mod-sequence is kept
 * by the removal row that ended it (migration 13).
 */
function bornAfter(db: Db, type: ChangedObjectType, accountId: number, ids: number[], since: number): Set<number> {
  if (ids.length === 0) return new Set();
  const [column, condition] = type === 'Mailbox'
    ? ['mailbox_id', "kind = 'mailbox-created' AND modseq > ?"]
    : type === 'Email'
      ? ['email_id', "kind = 'message-removed' AND email_created_modseq > ?"]
      : ['thread_id', "kind = 'message-removed' AND thread_created_modseq > ?"];
  const rows = db.rows(
    // The removal (or creation) row itself is after `since`, which keeps the index range to the window.
    `SELECT DISTINCT ${column} FROM change_log WHERE account_id = ? AND modseq > ? AND ${condition} AND ${column} IN (SELECT value FROM json_each(?))`,
    accountId, since, since, JSON.stringify(ids),
  ) as [number][];
  return new Set(rows.map((r) => r[0]));
}

export function changeOps(db: Db): Pick<MailStore, 'changesSince' | 'objectChanges' | 'pruneChanges' | 'changeHorizon'> {
  return {
    changesSince: (accountId, since, mailboxId) =>
      db.read(() => {
        const { horizon } = accountState(db, accountId);
        const changes = db.all<{ modseq: number; kind: string; mailbox_id: number | null; uid: number | null; message_id: number | null; email_id: number | null; thread_id: number | null }>(
          `SELECT modseq, kind, mailbox_id, uid, message_id, email_id, thread_id FROM change_log
           WHERE account_id = ? AND modseq > ? AND (? IS NULL OR mailbox_id = ?) ORDER BY modseq, id`,
          accountId, since, mailboxId ?? null, mailboxId ?? null,
        ).map((r) => ({ modseq: r.modseq, kind: r.kind as ChangeKind, mailboxId: r.mailbox_id, uid: r.uid, messageId: r.message_id, emailId: r.email_id, threadId: r.thread_id }));
        return { changes, complete: since >= horizon };
      }),

    objectChanges: (accountId, type, since, maxChanges) =>
      db.read((): ObjectChanges | null => {
        const { modseq, horizon } = accountState(db, accountId);
        if (!Number.isSafeInteger(since) || since < horizon || since > modseq) return null;
        if (maxChanges !== undefined && (!Number.isSafeInteger(maxChanges) || maxChanges < 1)) throw new StoreError('INVALID', 'maxChanges must be a positive integer');
        const column = ID_COLUMN[type];
        const rows = db.rows(
          `SELECT modseq, ${column} FROM change_log WHERE account_id = ? AND modseq > ? AND modseq <= ? AND ${column} IS NOT NULL ORDER BY modseq, id`,
          accountId, since, modseq,
        ) as [number, number][];
        const page = pageOfIds(rows, maxChanges);
        if (!page) return null;
        const newState = page.more ? page.lastModseq : modseq;
        const alive = existing(db, type, accountId, page.ids, since, newState);
        const result: ObjectChanges = { oldState: since, newState, hasMoreChanges: page.more, created: [], updated: [], destroyed: [] };
        const gone = page.ids.filter((id) => !alive.has(id));
        const transient = bornAfter(db, type, accountId, gone, since);
        for (const id of page.ids) {
          const created = alive.get(id);
          if (created === undefined) {
            if (!transient.has(id)) result.destroyed.push(id);
          } else (created ? result.created : result.updated).push(id);
        }
        return result;
      }),

    pruneChanges: async (accountId, upToModseq) => {
      if (!Number.isSafeInteger(upToModseq) || upToModseq < 0) throw new StoreError('INVALID', 'invalid mod-sequence');
      // Not a change of mail data: no new modseq. The horizon never moves back and never past
      // the account's current mod-sequence.
      return db.write(() => {
        const { modseq, horizon } = accountState(db, accountId);
        const upTo = Math.min(upToModseq, modseq);
        if (upTo <= horizon) return 0;
        const removed = db.run('DELETE FROM change_log WHERE account_id = ? AND modseq <= ?', accountId, upTo).changes;
        db.run('UPDATE account SET change_horizon = ? WHERE id = ?', upTo, accountId);
        return removed;
      });
    },

    changeHorizon: (accountId) => db.read(() => accountState(db, accountId).horizon),
  };
}
