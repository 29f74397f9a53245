// Messages on SQLite: APPEND, STORE, EXPUNGE, COPY, MOVE (RFC 9051 §6.3.12, §6.4.3–§6.4.8,
// RFC 6851) and the reads every session view needs. Counters follow by trigger (migrations.ts);
// each mutation here takes one modseq and logs one change row per touched message.

import { StoreError } from '../types.ts';
import type { AppendInput, AppendResult, CopyResult, MailStore, SetFlagsResult } from '../types.ts';
import { applyFlagChange, normaliseFlags, sameFlags } from '../../mail/flags.ts';
import type { Db, Mutation } from './db.ts';
import { allocUids, requireMailbox } from './lookup.ts';
import { messageKeys } from '../../mail/message-keys.ts';
import { MESSAGE_COLUMNS, MESSAGE_COLUMNS_JOINED, MESSAGE_KEY_COLUMN, MESSAGE_KEY_COLUMNS, messageKeyValues, toMessageFromArray, toMessageWithSummary, type MailboxRow, type MessageRowWithSummary } from './rows.ts';

const BLOB_ID = /^[0-9a-f]{64}$/;

function flagColumns(flags: string[]): { json: string; seen: number; deleted: number } {
  return { json: JSON.stringify(flags), seen: flags.includes('\\Seen') ? 1 : 0, deleted: flags.includes('\\Deleted') ? 1 : 0 };
}

function checkUids(uids: number[]): string {
  for (const u of uids) {
    if (!Number.isSafeInteger(u) || u < 1) throw new StoreError('INVALID', `invalid uid ${u}`);
  }
  return JSON.stringify(uids);
}

interface FlagOutcome {
  current: string[];
  next: string[];
  same: boolean;
  cols: { json: string; seen: number; deleted: number };
  countersChange: boolean;
}

function flagOutcome(current: readonly string[], mode: 'add' | 'remove' | 'replace', change: readonly string[]): FlagOutcome {
  const next = Object.freeze(applyFlagChange(current, mode, change)) as string[];
  const cols = flagColumns(next);
  const before = flagColumns(current as string[]);
  return { current: current as string[], next, same: sameFlags(current, next), cols, countersChange: cols.seen !== before.seen || cols.deleted !== before.deleted };
}

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
  flags: { json: string; seen: number; deleted: number };
  summary: string;
  keys: (string | number | null)[];
}

const INSERT_CONTENT = `INSERT INTO message_content (blob_id, summary, search_text, ${MESSAGE_KEY_COLUMNS.join(', ')})
  VALUES (?, ?, ?, ${MESSAGE_KEY_COLUMNS.map(() => '?').join(', ')}) ON CONFLICT (blob_id) DO NOTHING`;

/** Validation and serialisation outside the transaction. */
function appendRow(input: AppendInput): AppendRow {
  if (!BLOB_ID.test(input.blobId)) throw new StoreError('INVALID', 'blob id must be sha-256 hex');
  if (!Number.isSafeInteger(input.size) || input.size < 0) throw new StoreError('INVALID', 'invalid size');
  return { input, flags: flagColumns(normaliseFlags(input.flags ?? [])), summary: JSON.stringify(input.summary), keys: messageKeyValues(messageKeys(input.summary)) };
}

/** One appended message inside a mutation: quota, the next UID, the row, its change-log entry. */
function insertAppended(db: Db, m: Mutation, mailbox: MailboxRow, { input, flags, summary, keys }: AppendRow): AppendResult {
  checkQuota(db, m.accountId, input.size);
  const uid = allocUids(db, mailbox.id, 1);
  const modseq = m.modseq();
  // Same blob, same parse: the first message of a blob stores it (migration 2).
  db.run(INSERT_CONTENT, input.blobId, summary, input.searchText ?? null, ...keys);
  const { lastInsertRowid: id } = db.run(
    `INSERT INTO message (account_id, mailbox_id, uid, modseq, flags, seen, deleted, internal_date, size, blob_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    m.accountId, mailbox.id, uid, modseq, flags.json, flags.seen, flags.deleted,
    input.internalDate ?? db.now(), input.size, input.blobId,
  );
  m.change('message-added', mailbox.id, uid, id);
  return { id, uid, modseq, uidValidity: mailbox.uid_validity };
}

/**
 * Moves messages (given by id) into another mailbox with new UIDs, keeping their MessageId
 * (RFC 6851 §3: MOVE is atomic; the source sees them expunged). Returns pairs in source-UID order.
 */
export function relocateMessages(db: Db, m: Mutation, from: MailboxRow, ids: number[], to: MailboxRow): CopyResult['mapping'] {
  const rows = db.all<{ id: number; uid: number }>(
    'SELECT id, uid FROM message WHERE mailbox_id = ? AND id IN (SELECT value FROM json_each(?)) ORDER BY uid', from.id, JSON.stringify(ids),
  );
  if (rows.length === 0) return [];
  const first = allocUids(db, to.id, rows.length);
  const modseq = m.modseq();
  return rows.map((r, i) => {
    const destUid = first + i;
    db.run('UPDATE message SET mailbox_id = ?, uid = ?, modseq = ? WHERE id = ?', to.id, destUid, modseq, r.id);
    m.change('message-removed', from.id, r.uid, r.id);
    m.change('message-added', to.id, destUid, r.id);
    return { sourceUid: r.uid, destUid };
  });
}

export function messageOps(db: Db): Pick<
  MailStore,
  | 'appendMessage' | 'appendMessages' | 'listMessages' | 'listMessagesWithKeys' | 'getMessages' | 'getMessageById' | 'getSearchTexts' | 'setFlags' | 'expunge'
  | 'copyMessages' | 'moveMessages' | 'markPopRetrieved' | 'pop3Sizes' | 'rememberPop3Sizes'
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

    listMessages: (mailboxId) =>
      db.read(() => db.rows(`SELECT ${MESSAGE_COLUMNS} FROM message WHERE mailbox_id = ? ORDER BY uid`, mailboxId).map((r) => toMessageFromArray(r, db.flagLists))),

    listMessagesWithKeys: (mailboxId, keys) =>
      db.read(() => {
        const extra = keys.map((k) => `, c.${MESSAGE_KEY_COLUMN[k]}`).join('');
        const first = MESSAGE_COLUMNS.split(', ').length;
        return db
          .rows(`SELECT ${MESSAGE_COLUMNS_JOINED}${extra} FROM message m JOIN message_content c USING (blob_id) WHERE m.mailbox_id = ? ORDER BY m.uid`, mailboxId)
          .map((r) => ({ record: toMessageFromArray(r, db.flagLists), keys: r.slice(first) as (string | number | null)[] }));
      }),

    getMessages: async (mailboxId, uids) => {
      const list = checkUids(uids);
      return db.read(() =>
        db
          .all<MessageRowWithSummary>(
            `SELECT ${MESSAGE_COLUMNS_JOINED}, c.summary FROM message m JOIN message_content c USING (blob_id)
             WHERE m.mailbox_id = ? AND m.uid IN (SELECT value FROM json_each(?)) ORDER BY m.uid`,
            mailboxId, list,
          )
          .map((r) => toMessageWithSummary(r, db.flagLists)),
      );
    },

    getSearchTexts: async (mailboxId, uids) => {
      const list = checkUids(uids);
      return db.read(() =>
        db
          .all<{ uid: number; search_text: string | null }>(
            `SELECT m.uid, c.search_text FROM message m JOIN message_content c USING (blob_id)
             WHERE m.mailbox_id = ? AND m.uid IN (SELECT value FROM json_each(?)) ORDER BY m.uid`,
            mailboxId, list,
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

    setFlags: async (accountId, mailboxId, uids, mode, flags, unchangedSince) => {
      const list = checkUids(uids);
      normaliseFlags(flags); // reject invalid flags before queueing
      return db.mutate(accountId, (m): SetFlagsResult => {
        requireMailbox(db, accountId, mailboxId);
        const rows = db.rows('SELECT id, uid, modseq, flags FROM message WHERE mailbox_id = ? AND uid IN (SELECT value FROM json_each(?)) ORDER BY uid', mailboxId, list);
        const result: SetFlagsResult = { updated: [], modified: [] };
        // A mailbox has few distinct flag lists: the change is worked out once per list.
        const outcomes = new Map<string, FlagOutcome>();
        for (const [id, uid, rowModseq, flagsJson] of rows as [number, number, number, string][]) {
          // RFC 7162 §3.1.3: UNCHANGEDSINCE fails (and leaves alone) every message changed since.
          if (unchangedSince !== undefined && rowModseq > unchangedSince) {
            result.modified.push(uid);
            continue;
          }
          let o = outcomes.get(flagsJson);
          if (!o) {
            o = flagOutcome(db.flagLists.parse(flagsJson), mode, flags);
            outcomes.set(flagsJson, o);
          }
          if (o.same) {
            // Nothing changes, so no new modseq; FLAGS (replace) still reports every match, as a
            // non-silent STORE answers with a FETCH for each (RFC 9051 §6.4.6).
            if (mode === 'replace') result.updated.push({ uid, modseq: rowModseq, flags: o.current });
            continue;
          }
          const modseq = m.modseq();
          // The counter trigger fires on UPDATE OF seen/deleted: name them only when they change
          // (a keyword on 100,000 messages would otherwise rewrite the counters 100,000 times).
          if (o.countersChange) {
            db.run('UPDATE message SET flags = ?, seen = ?, deleted = ?, modseq = ? WHERE id = ?', o.cols.json, o.cols.seen, o.cols.deleted, modseq, id);
          } else {
            db.run('UPDATE message SET flags = ?, modseq = ? WHERE id = ?', o.cols.json, modseq, id);
          }
          m.change('message-flags', mailboxId, uid, id);
          result.updated.push({ uid, modseq, flags: o.next });
        }
        return result;
      });
    },

    expunge: async (accountId, mailboxId, opts) => {
      const list = opts.uids ? checkUids(opts.uids) : null;
      return db.mutate(accountId, (m) => {
        requireMailbox(db, accountId, mailboxId);
        const rows = db.all<{ id: number; uid: number }>(
          `SELECT id, uid FROM message WHERE mailbox_id = ?
             AND (? IS NULL OR uid IN (SELECT value FROM json_each(?)))
             AND (? = 0 OR deleted = 1)
           ORDER BY uid`,
          mailboxId, list, list ?? '[]', opts.onlyDeleted ? 1 : 0,
        );
        for (const r of rows) {
          m.change('message-removed', mailboxId, r.uid, r.id);
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
        const rows = db.all<{ id: number; uid: number; size: number }>(
          'SELECT id, uid, size FROM message WHERE mailbox_id = ? AND uid IN (SELECT value FROM json_each(?)) ORDER BY uid', from, list,
        );
        if (rows.length === 0) return { uidValidity: dest.uid_validity, mapping: [] };
        // A copy takes space of its own (the blob is shared on disk, but quota is per message,
        // RFC 9208 §5.1 STORAGE counts each message).
        checkQuota(db, accountId, rows.reduce((s, r) => s + r.size, 0));
        const first = allocUids(db, dest.id, rows.length);
        const modseq = m.modseq();
        const mapping = rows.map((r, i) => {
          const destUid = first + i;
          const { lastInsertRowid: id } = db.run(
            `INSERT INTO message (account_id, mailbox_id, uid, modseq, flags, seen, deleted, internal_date, size, blob_id)
             SELECT account_id, ?, ?, ?, flags, seen, deleted, internal_date, size, blob_id FROM message WHERE id = ?`,
            dest.id, destUid, modseq, r.id,
          );
          m.change('message-added', dest.id, destUid, id);
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

    pop3Sizes: (mailboxId) =>
      db.read(() => {
        const rows = db.rows(
          'SELECT p.blob_id, p.size FROM message m JOIN pop3_size p USING (blob_id) WHERE m.mailbox_id = ?',
          mailboxId,
        );
        return new Map(rows.map((r) => [r[0] as string, r[1] as number]));
      }),

    rememberPop3Sizes: async (sizes) => {
      const list: [string, number][] = [];
      for (const [blobId, size] of sizes) {
        if (!BLOB_ID.test(blobId) || !Number.isSafeInteger(size) || size < 0) throw new StoreError('INVALID', 'invalid POP3 size');
        list.push([blobId, size]);
      }
      if (list.length === 0) return;
      // Not a change of mail data: no modseq, no change-log row.
      await db.write(() => {
        // Only for blobs a message still refers to: the release trigger could not remove it otherwise.
        for (const [blobId, size] of list) {
          db.run('INSERT OR REPLACE INTO pop3_size (blob_id, size) SELECT ?, ? WHERE EXISTS (SELECT 1 FROM message WHERE blob_id = ?)', blobId, size, blobId);
        }
      });
    },

    markPopRetrieved: async (accountId, mailboxId, uids, at) => {
      const list = checkUids(uids);
      // Retention bookkeeping only (RFC 2449 EXPIRE): no modseq, nothing a client can see.
      await db.write(() => {
        requireMailbox(db, accountId, mailboxId);
        db.run(
          'UPDATE message SET pop_retrieved_at = ? WHERE mailbox_id = ? AND pop_retrieved_at IS NULL AND uid IN (SELECT value FROM json_each(?))',
          at, mailboxId, list,
        );
      });
    },
  };
}
