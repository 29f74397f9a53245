// Messages on SQLite: APPEND, STORE, EXPUNGE, COPY, MOVE (RFC 9051 §6.3.12, §6.4.3–§6.4.8,
// RFC 6851) and the reads every session view needs. Counters follow by trigger (migrations.ts);
// each mutation here takes one modseq and logs one change row per touched message.

import { StoreError } from '../types.ts';
import type { AppendInput, AppendResult, CopyResult, MailStore } from '../types.ts';
import { normaliseFlags } from '../../mail/flags.ts';
import type { Db, Mutation } from './db.ts';
import { allocUids, requireMailbox } from './lookup.ts';
import { messageKeys } from '../../mail/message-keys.ts';
import { MESSAGE_COLUMNS, MESSAGE_COLUMNS_JOINED, MESSAGE_KEY_COLUMN, MESSAGE_KEY_COLUMNS, messageKeyValues, toMessageFromArray, toMessageWithSummary, type MailboxRow, type MessageRowWithSummary } from './rows.ts';
import { flagColumns, flagOps } from './message-flags.ts';
import { BLOB_ID, checkUids } from './message-ids.ts';
import { assignThread } from './threads.ts';

/** OVER_QUOTA unless `extra` more bytes fit; read inside the writing transaction, so it cannot race. */
function checkQuota(db: Db, accountId: number, extra: number): void {
  const acc = db.get<{ quota_bytes: number | null; used_bytes: number }>('SELECT quota_bytes, used_bytes FROM account WHERE id = ?', accountId);
  if (!acc) throw new StoreError('NOT_FOUND', `no account ${accountId}`);
  if (acc.quota_bytes !== null && acc.used_bytes + extra > acc.quota_bytes) {
    throw new StoreError('OVER_QUOTA', `quota of account ${accountId} exceeded`);
  }
}

interface AppendRow {
  input: AppendInput;
  flags: ReturnType<typeof flagColumns>;
  summary: string;
  keys: (string | number | null)[];
  /** What Email queries sort and filter a mailbox by, kept on the message row (migration 13). */
  queryKeys: [number | null, string, string, string, number];
}

const INSERT_CONTENT = `INSERT INTO message_content (blob_id, summary, search_text, ${MESSAGE_KEY_COLUMNS.join(', ')})
  VALUES (?, ?, ?, ${MESSAGE_KEY_COLUMNS.map(() => '?').join(', ')}) ON CONFLICT (blob_id) DO NOTHING`;

/** Validation and serialisation outside the transaction. */
function appendRow(input: AppendInput): AppendRow {
  if (!BLOB_ID.test(input.blobId)) throw new StoreError('INVALID', 'blob id must be sha-256 hex');
  if (!Number.isSafeInteger(input.size) || input.size < 0) throw new StoreError('INVALID', 'invalid size');
  const keys = messageKeys(input.summary);
  return {
    input, flags: flagColumns(normaliseFlags(input.flags ?? [])), summary: JSON.stringify(input.summary), keys: messageKeyValues(keys),
    queryKeys: [keys.sentDate, keys.sortSubject, keys.displayFrom, keys.displayTo, input.summary.hasAttachment ? 1 : 0],
  };
}

/** One appended message inside a mutation: quota, a new Email and its thread, the next UID, the row, its change-log entry. */
function insertAppended(db: Db, m: Mutation, mailbox: MailboxRow, { input, flags, summary, keys, queryKeys }: AppendRow): AppendResult {
  checkQuota(db, m.accountId, input.size);
  const uid = allocUids(db, mailbox.id, 1);
  const modseq = m.modseq();
  const internalDate = input.internalDate ?? db.now();
  // Same blob, same parse: the first message of a blob stores it (migration 2).
  db.run(INSERT_CONTENT, input.blobId, summary, input.searchText ?? null, ...keys);
  const threadId = assignThread(db, m.accountId, input.summary, modseq);
  const emailId = db.run(
    'INSERT INTO email (account_id, thread_id, blob_id, size, received_at, created_modseq) VALUES (?, ?, ?, ?, ?, ?)',
    m.accountId, threadId, input.blobId, input.size, internalDate, modseq,
  ).lastInsertRowid;
  const { lastInsertRowid: id } = db.run(
    `INSERT INTO message (account_id, mailbox_id, uid, modseq, flags, seen, deleted, internal_date, size, blob_id, email_id, thread_id,
       sent_date, sort_subject, display_from, display_to, has_attachment)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    m.accountId, mailbox.id, uid, modseq, flags.json, flags.seen, flags.deleted, internalDate, input.size, input.blobId, emailId, threadId, ...queryKeys,
  );
  m.change('message-added', mailbox.id, uid, id, emailId, threadId);
  return { id, emailId, threadId, uid, modseq, uidValidity: mailbox.uid_validity };
}

interface MovedRow {
  id: number;
  uid: number;
  email_id: number;
  thread_id: number;
}

/**
 * The Email a message joining mailbox `to` belongs to: its own, unless that Email has a message
 * there already (a set holds a mailbox once, RFC 8621 §4.1.1 mailboxIds), in which case a new
 * Email of the same content and thread is made for it.
 */
function emailFor(db: Db, m: Mutation, row: MovedRow, to: MailboxRow): number {
  const there = db.get('SELECT 1 AS x FROM message WHERE email_id = ? AND mailbox_id = ? AND id <> ?', row.email_id, to.id, row.id);
  if (!there) return row.email_id;
  return db.run(
    `INSERT INTO email (account_id, thread_id, blob_id, size, received_at, created_modseq)
     SELECT account_id, thread_id, blob_id, size, received_at, ? FROM email WHERE id = ?`,
    m.modseq(), row.email_id,
  ).lastInsertRowid;
}

/**
 * Moves messages (given by id) into another mailbox with new UIDs, keeping their MessageId and
 * Email (RFC 6851 §3: MOVE is atomic; the source sees them expunged). Returns pairs in source-UID order.
 */
export function relocateMessages(db: Db, m: Mutation, from: MailboxRow, ids: number[], to: MailboxRow): CopyResult['mapping'] {
  const rows = db.all<MovedRow>(
    'SELECT id, uid, email_id, thread_id FROM message WHERE mailbox_id = ? AND id IN (SELECT value FROM json_each(?)) ORDER BY uid', from.id, JSON.stringify(ids),
  );
  if (rows.length === 0) return [];
  const first = allocUids(db, to.id, rows.length);
  const modseq = m.modseq();
  return rows.map((r, i) => {
    const destUid = first + i;
    const emailId = emailFor(db, m, r, to);
    db.run('UPDATE message SET mailbox_id = ?, uid = ?, modseq = ?, email_id = ? WHERE id = ?', to.id, destUid, modseq, emailId, r.id);
    m.messageChange('message-removed', from.id, r);
    m.messageChange('message-added', to.id, { ...r, uid: destUid, email_id: emailId });
    return { sourceUid: r.uid, destUid };
  });
}

export function messageOps(db: Db): Pick<
  MailStore,
  | 'appendMessage' | 'appendMessages' | 'listMessages' | 'listMessagesWithKeys' | 'getMessages' | 'getMessageById' | 'getSearchTexts' | 'setFlags' | 'expunge'
  | 'copyMessages' | 'moveMessages' | 'markDownloaded' | 'blobMeasures' | 'rememberBlobMeasures'
> {
  return {
    appendMessage: async (accountId, mailboxId, input) => {
      const row = appendRow(input);
      return db.mutate(accountId, (m): AppendResult => insertAppended(db, m, requireMailbox(db, accountId, mailboxId), row));
    },

    appendMessages: async (accountId, mailboxId, inputs) => {
      if (inputs.length === 0) throw new StoreError('INVALID', 'nothing to append');
      const rows = inputs.map(appendRow);
      // One mutation: every message or none (its SAVEPOINT rolls back on the first failure).
      return db.mutate(accountId, (m): AppendResult[] => {
        const mailbox = requireMailbox(db, accountId, mailboxId);
        return rows.map((row) => insertAppended(db, m, mailbox, row));
      });
    },

    listMessages: (accountId, mailboxId) =>
      db.read(() =>
        db.rows(`SELECT ${MESSAGE_COLUMNS} FROM message WHERE mailbox_id = ? AND account_id = ? ORDER BY uid`, mailboxId, accountId).map((r) => toMessageFromArray(r, db.flagLists)),
      ),

    listMessagesWithKeys: (accountId, mailboxId, keys) =>
      db.read(() => {
        const extra = keys.map((k) => `, c.${MESSAGE_KEY_COLUMN[k]}`).join('');
        const first = MESSAGE_COLUMNS.split(', ').length;
        return db
          .rows(
            `SELECT ${MESSAGE_COLUMNS_JOINED}${extra} FROM message m JOIN message_content c USING (blob_id) WHERE m.mailbox_id = ? AND m.account_id = ? ORDER BY m.uid`,
            mailboxId, accountId,
          )
          .map((r) => ({ record: toMessageFromArray(r, db.flagLists), keys: r.slice(first) as (string | number | null)[] }));
      }),

    getMessages: async (accountId, mailboxId, uids) => {
      const list = checkUids(uids);
      return db.read(() =>
        db
          .all<MessageRowWithSummary>(
            `SELECT ${MESSAGE_COLUMNS_JOINED}, c.summary FROM message m JOIN message_content c USING (blob_id)
             WHERE m.mailbox_id = ? AND m.account_id = ? AND m.uid IN (SELECT value FROM json_each(?)) ORDER BY m.uid`,
            mailboxId, accountId, list,
          )
          .map((r) => toMessageWithSummary(r, db.flagLists)),
      );
    },

    getSearchTexts: async (accountId, mailboxId, uids) => {
      const list = checkUids(uids);
      return db.read(() =>
        db
          .all<{ uid: number; search_text: string | null }>(
            `SELECT m.uid, c.search_text FROM message m JOIN message_content c USING (blob_id)
             WHERE m.mailbox_id = ? AND m.account_id = ? AND m.uid IN (SELECT value FROM json_each(?)) ORDER BY m.uid`,
            mailboxId, accountId, list,
          )
          .map((r) => ({ uid: r.uid, text: r.search_text ?? '' })),
      );
    },

    getMessageById: (accountId, id) =>
      db.read(() => {
        const row = db.get<MessageRowWithSummary>(
          `SELECT ${MESSAGE_COLUMNS_JOINED}, c.summary FROM message m JOIN message_content c USING (blob_id) WHERE m.id = ? AND m.account_id = ?`,
          id, accountId,
        );
        return row ? toMessageWithSummary(row, db.flagLists) : null;
      }),

    ...flagOps(db),

    expunge: async (accountId, mailboxId, opts) => {
      const list = opts.uids ? checkUids(opts.uids) : null;
      return db.mutate(accountId, (m) => {
        requireMailbox(db, accountId, mailboxId);
        const rows = db.all<MovedRow>(
          `SELECT id, uid, email_id, thread_id FROM message WHERE mailbox_id = ?
             AND (? IS NULL OR uid IN (SELECT value FROM json_each(?)))
             AND (? = 0 OR deleted = 1)
           ORDER BY uid`,
          mailboxId, list, list ?? '[]', opts.onlyDeleted ? 1 : 0,
        );
        for (const r of rows) {
          m.messageChange('message-removed', mailboxId, r);
          // The release triggers (migration 7) destroy the Email with its last message.
          db.run('DELETE FROM message WHERE id = ?', r.id);
        }
        return rows.map((r) => r.uid);
      });
    },

    copyMessages: async (accountId, from, uids, to) => {
      const list = checkUids(uids);
      return db.mutate(accountId, (m): CopyResult => {
        requireMailbox(db, accountId, from);
        const dest = requireMailbox(db, accountId, to);
        const rows = db.all<MovedRow & { size: number }>(
          'SELECT id, uid, size, email_id, thread_id FROM message WHERE mailbox_id = ? AND uid IN (SELECT value FROM json_each(?)) ORDER BY uid', from, list,
        );
        if (rows.length === 0) return { uidValidity: dest.uid_validity, mapping: [] };
        // A copy takes space of its own (the blob is shared on disk, but quota is per message,
        // RFC 9208 §5.1 STORAGE counts each message).
        checkQuota(db, accountId, rows.reduce((s, r) => s + r.size, 0));
        const first = allocUids(db, dest.id, rows.length);
        const modseq = m.modseq();
        const mapping = rows.map((r, i) => {
          const destUid = first + i;
          // The copy is the same Email in one more mailbox (with its flags: RFC 9051 §6.4.7).
          const emailId = emailFor(db, m, { ...r, id: 0 }, dest);
          const { lastInsertRowid: id } = db.run(
            `INSERT INTO message (account_id, mailbox_id, uid, modseq, flags, seen, deleted, internal_date, size, blob_id, email_id, thread_id,
               sent_date, sort_subject, display_from, display_to, has_attachment)
             SELECT account_id, ?, ?, ?, flags, seen, deleted, internal_date, size, blob_id, ?, thread_id,
               sent_date, sort_subject, display_from, display_to, has_attachment FROM message WHERE id = ?`,
            dest.id, destUid, modseq, emailId, r.id,
          );
          m.change('message-added', dest.id, destUid, id, emailId, r.thread_id);
          return { sourceUid: r.uid, destUid };
        });
        return { uidValidity: dest.uid_validity, mapping };
      });
    },

    moveMessages: async (accountId, from, uids, to) => {
      const list = checkUids(uids);
      return db.mutate(accountId, (m): CopyResult => {
        const source = requireMailbox(db, accountId, from);
        const dest = requireMailbox(db, accountId, to);
        // Into the same mailbox: the messages get new UIDs at the end (what Dovecot does and
        // imaptest's move group expects); RFC 6851 does not forbid it.
        const ids = db
          .all<{ id: number }>('SELECT id FROM message WHERE mailbox_id = ? AND uid IN (SELECT value FROM json_each(?))', from, list)
          .map((r) => r.id);
        return { uidValidity: dest.uid_validity, mapping: relocateMessages(db, m, source, ids, dest) };
      });
    },

    blobMeasures: (accountId, mailboxId, kind) =>
      db.read(() => {
        const rows = db.rows(
          'SELECT b.blob_id, b.value FROM message m JOIN blob_measure b ON b.blob_id = m.blob_id AND b.kind = ? WHERE m.mailbox_id = ? AND m.account_id = ?',
          kind, mailboxId, accountId,
        );
        return new Map(rows.map((r) => [r[0] as string, r[1] as number]));
      }),

    rememberBlobMeasures: async (kind, values) => {
      const list: [string, number][] = [];
      if (!/^[a-z0-9-]{1,64}$/.test(kind)) throw new StoreError('INVALID', 'invalid measure kind');
      for (const [blobId, value] of values) {
        if (!BLOB_ID.test(blobId) || !Number.isSafeInteger(value) || value < 0) throw new StoreError('INVALID', 'invalid blob measure');
        list.push([blobId, value]);
      }
      if (list.length === 0) return;
      // Not a change of mail data: no modseq, no change-log row.
      await db.write(() => {
        // Only for blobs a message still refers to: the release trigger could not remove it otherwise.
        for (const [blobId, value] of list) {
          db.run(
            'INSERT OR REPLACE INTO blob_measure (blob_id, kind, value) SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM message WHERE blob_id = ?)',
            blobId, kind, value, blobId,
          );
        }
      });
    },

    markDownloaded: async (accountId, mailboxId, uids, at) => {
      const list = checkUids(uids);
      // Retention bookkeeping only (POP3 EXPIRE, RFC 2449 §6.7): no modseq, nothing a client can see.
      await db.write(() => {
        requireMailbox(db, accountId, mailboxId);
        db.run(
          'UPDATE message SET downloaded_at = ? WHERE mailbox_id = ? AND downloaded_at IS NULL AND uid IN (SELECT value FROM json_each(?))',
          at, mailboxId, list,
        );
      });
    },
  };
}
