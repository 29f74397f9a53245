// Schema version 7: the Email/thread model (mail-types.ts) over the existing message rows.
//
// Before it, every message row stood alone. Each existing row becomes an Email of its own (a
// COPY made before this version cannot be told apart from a second delivery of the same
// content, so none is guessed), threads are assigned from the stored summaries in the order
// the messages arrived, and change-log rows of messages that still exist learn their Email and
// thread. Rows of messages removed before the upgrade keep no Email id: no JMAP client can
// hold a state from before JMAP was served, and IMAP reads those rows by mailbox and UID as before.

import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import type { MessageSummary } from '../../wire/mime/types.ts';
import { assignThread, type SqlRunner } from './threads.ts';

export const EMAIL_MODEL_SQL = `
CREATE TABLE thread (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL,
  base_subject TEXT NOT NULL,
  created_modseq INTEGER NOT NULL
);

CREATE TABLE thread_key (
  account_id INTEGER NOT NULL,
  message_id TEXT NOT NULL,
  thread_id INTEGER NOT NULL,
  PRIMARY KEY (account_id, message_id)
) WITHOUT ROWID;
CREATE INDEX thread_key_thread ON thread_key(thread_id);

-- No foreign keys on the new columns: each would cost a lookup per delivered message (measured:
-- appends took ~1.8x the CPU of before with them and the extra indexes). The Email and its thread
-- are inserted in the same transaction as the message that names them, and the release triggers
-- below remove them with their last message.
CREATE TABLE email (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL,
  thread_id INTEGER NOT NULL,
  blob_id TEXT NOT NULL,
  size INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  created_modseq INTEGER NOT NULL
);
CREATE INDEX email_thread ON email(thread_id);

ALTER TABLE message ADD COLUMN email_id INTEGER;
ALTER TABLE message ADD COLUMN thread_id INTEGER;
CREATE INDEX message_email ON message(email_id);
ALTER TABLE message RENAME COLUMN pop_retrieved_at TO downloaded_at;
ALTER TABLE mailbox RENAME COLUMN recent_uid TO arrival_mark;

ALTER TABLE change_log ADD COLUMN email_id INTEGER;
ALTER TABLE change_log ADD COLUMN thread_id INTEGER;
ALTER TABLE account ADD COLUMN change_horizon INTEGER NOT NULL DEFAULT 0;

-- An Email goes with its last message, a thread with its last Email (and its Message-ID keys).
CREATE TRIGGER email_release AFTER DELETE ON message
  WHEN NOT EXISTS (SELECT 1 FROM message WHERE email_id = OLD.email_id)
BEGIN
  DELETE FROM email WHERE id = OLD.email_id;
END;
CREATE TRIGGER thread_release AFTER DELETE ON email
  WHEN NOT EXISTS (SELECT 1 FROM email WHERE thread_id = OLD.thread_id)
BEGIN
  DELETE FROM thread_key WHERE thread_id = OLD.thread_id;
  DELETE FROM thread WHERE id = OLD.thread_id;
END;

-- Facts measured from a blob, named by their owner (POP3: octets as transmitted).
CREATE TABLE blob_measure (
  blob_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  value INTEGER NOT NULL,
  PRIMARY KEY (blob_id, kind)
) WITHOUT ROWID;
INSERT INTO blob_measure (blob_id, kind, value) SELECT blob_id, 'pop3-octets', size FROM pop3_size;
DROP TRIGGER pop3_size_release;
DROP TABLE pop3_size;
CREATE TRIGGER blob_measure_release AFTER DELETE ON message
  WHEN NOT EXISTS (SELECT 1 FROM message WHERE blob_id = OLD.blob_id)
BEGIN
  DELETE FROM blob_measure WHERE blob_id = OLD.blob_id;
END;
`;

export function backfillEmails(db: DatabaseSync): void {
  const statements = new Map<string, StatementSync>();
  const stmt = (sql: string): StatementSync => {
    let st = statements.get(sql);
    if (!st) statements.set(sql, (st = db.prepare(sql)));
    return st;
  };
  const runner: SqlRunner = {
    get: <T>(sql: string, ...params: SQLInputValue[]) => stmt(sql).get(...params) as T | undefined,
    run: (sql, ...params) => ({ lastInsertRowid: Number(stmt(sql).run(...params).lastInsertRowid) }),
  };
  const rows = db.prepare(
    'SELECT id, account_id, blob_id, size, internal_date, modseq FROM message ORDER BY internal_date, id',
  ).all() as { id: number; account_id: number; blob_id: string; size: number; internal_date: number; modseq: number }[];
  const summaries = new Map<string, MessageSummary>();
  for (const r of rows) {
    let summary = summaries.get(r.blob_id);
    if (!summary) {
      const content = runner.get<{ summary: string }>('SELECT summary FROM message_content WHERE blob_id = ?', r.blob_id);
      summary = JSON.parse(content?.summary ?? '{}') as MessageSummary;
      if (summaries.size > 1000) summaries.clear();
      summaries.set(r.blob_id, summary);
    }
    const threadId = assignThread(runner, r.account_id, summary, r.modseq);
    const emailId = runner.run(
      'INSERT INTO email (account_id, thread_id, blob_id, size, received_at, created_modseq) VALUES (?, ?, ?, ?, ?, ?)',
      r.account_id, threadId, r.blob_id, r.size, r.internal_date, r.modseq,
    ).lastInsertRowid;
    runner.run('UPDATE message SET email_id = ?, thread_id = ? WHERE id = ?', emailId, threadId, r.id);
  }
  db.exec(`UPDATE change_log SET email_id = m.email_id, thread_id = m.thread_id
           FROM message m WHERE m.id = change_log.message_id`);
}
