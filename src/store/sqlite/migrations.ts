// Versioned schema of the SQLite backend. Migrations are an ordered list and are only ever
// appended to: a database records the versions it has applied in schema_version, and each
// pending migration runs in its own transaction together with its schema_version row, so a crash
// mid-upgrade leaves the database at the previous version, never half-migrated.
//
// Counters (mailbox message/unseen/deleted/size, account used bytes and message count) are kept
// by triggers on `message`, so no code path can insert, move, re-flag or delete a message without
// the counters following in the same transaction (types.ts: usedBytes == sum of sizes).

import type { DatabaseSync } from 'node:sqlite';
import { messageKeys } from '../../mail/message-keys.ts';
import type { MessageSummary } from '../../wire/mime/types.ts';
import { MESSAGE_KEY_COLUMNS, messageKeyValues } from './rows.ts';
import { backfillEmails, EMAIL_MODEL_SQL } from './migrate-email-model.ts';
import { MAILBOX_THREAD_COUNTERS_SQL, unreadTrigger } from './migrate-mailbox-counters.ts';
import { SENDING_SQL } from './migrate-sending.ts';

export interface Migration {
  version: number;
  description: string;
  sql: string;
  /** Work SQL cannot express (values computed in JS), after `sql`, in the same transaction. */
  run?: (db: DatabaseSync) => void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'domains, accounts, aliases, mailboxes, subscriptions, messages, change log',
    sql: `
CREATE TABLE domain (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  dkim_selector TEXT,
  dkim_private_key_pem TEXT
);

-- AUTOINCREMENT everywhere an id leaves the database (sessions, JMAP ids, POP3 UIDL): a removed
-- row's id is never handed out again.
CREATE TABLE account (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  address TEXT NOT NULL UNIQUE,
  domain_id INTEGER NOT NULL REFERENCES domain(id),
  password_hash TEXT NOT NULL,
  quota_bytes INTEGER,
  used_bytes INTEGER NOT NULL DEFAULT 0,
  message_count INTEGER NOT NULL DEFAULT 0,
  modseq INTEGER NOT NULL DEFAULT 0,
  -- next UIDVALIDITY to hand out; strictly increasing so that a mailbox deleted and created
  -- again under the same name never shows an old UIDVALIDITY (RFC 9051 §2.3.1.1).
  next_uid_validity INTEGER NOT NULL,
  pop_retention_days INTEGER,
  created_at INTEGER NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  settings TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX account_domain ON account(domain_id);

CREATE TABLE alias (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  source TEXT NOT NULL,
  target TEXT NOT NULL,
  domain_id INTEGER NOT NULL REFERENCES domain(id),
  UNIQUE (source, target)
);
CREATE INDEX alias_target ON alias(target);
CREATE INDEX alias_domain ON alias(domain_id);

CREATE TABLE mailbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL REFERENCES account(id),
  name TEXT NOT NULL,
  role TEXT,
  uid_validity INTEGER NOT NULL,
  uid_next INTEGER NOT NULL DEFAULT 1,
  highest_modseq INTEGER NOT NULL,
  message_count INTEGER NOT NULL DEFAULT 0,
  unseen_count INTEGER NOT NULL DEFAULT 0,
  size_bytes INTEGER NOT NULL DEFAULT 0,
  deleted_count INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  UNIQUE (account_id, name)
);
CREATE INDEX mailbox_role ON mailbox(account_id, role);

-- Subscriptions are names, not mailbox rows: RFC 9051 §6.3.9 keeps them when the mailbox is
-- deleted and allows subscribing to names that do not exist.
CREATE TABLE subscription (
  account_id INTEGER NOT NULL REFERENCES account(id),
  name TEXT NOT NULL,
  PRIMARY KEY (account_id, name)
) WITHOUT ROWID;

-- summary and search_text last: list queries read the leading columns without touching the
-- overflow pages of the large ones.
CREATE TABLE message (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL REFERENCES account(id),
  mailbox_id INTEGER NOT NULL REFERENCES mailbox(id),
  uid INTEGER NOT NULL,
  modseq INTEGER NOT NULL,
  flags TEXT NOT NULL,
  seen INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  internal_date INTEGER NOT NULL,
  size INTEGER NOT NULL,
  blob_id TEXT NOT NULL,
  pop_retrieved_at INTEGER,
  summary TEXT NOT NULL,
  search_text TEXT,
  UNIQUE (mailbox_id, uid)
);
CREATE INDEX message_blob ON message(blob_id);
CREATE INDEX message_account ON message(account_id);

CREATE TABLE change_log (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL,
  modseq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  mailbox_id INTEGER,
  uid INTEGER,
  message_id INTEGER
);
CREATE INDEX change_log_account_modseq ON change_log(account_id, modseq);

CREATE TRIGGER message_counters_insert AFTER INSERT ON message BEGIN
  UPDATE mailbox SET message_count = message_count + 1, size_bytes = size_bytes + NEW.size,
    unseen_count = unseen_count + (1 - NEW.seen), deleted_count = deleted_count + NEW.deleted
    WHERE id = NEW.mailbox_id;
  UPDATE account SET used_bytes = used_bytes + NEW.size, message_count = message_count + 1
    WHERE id = NEW.account_id;
END;

CREATE TRIGGER message_counters_delete AFTER DELETE ON message BEGIN
  UPDATE mailbox SET message_count = message_count - 1, size_bytes = size_bytes - OLD.size,
    unseen_count = unseen_count - (1 - OLD.seen), deleted_count = deleted_count - OLD.deleted
    WHERE id = OLD.mailbox_id;
  UPDATE account SET used_bytes = used_bytes - OLD.size, message_count = message_count - 1
    WHERE id = OLD.account_id;
END;

CREATE TRIGGER message_counters_update AFTER UPDATE OF mailbox_id, seen, deleted, size, account_id ON message BEGIN
  UPDATE mailbox SET message_count = message_count - 1, size_bytes = size_bytes - OLD.size,
    unseen_count = unseen_count - (1 - OLD.seen), deleted_count = deleted_count - OLD.deleted
    WHERE id = OLD.mailbox_id;
  UPDATE mailbox SET message_count = message_count + 1, size_bytes = size_bytes + NEW.size,
    unseen_count = unseen_count + (1 - NEW.seen), deleted_count = deleted_count + NEW.deleted
    WHERE id = NEW.mailbox_id;
  UPDATE account SET used_bytes = used_bytes - OLD.size, message_count = message_count - 1
    WHERE id = OLD.account_id;
  UPDATE account SET used_bytes = used_bytes + NEW.size, message_count = message_count + 1
    WHERE id = NEW.account_id;
END;
`,
  },
  {
    version: 2,
    description: 'parsed content (summary, search text) per blob, apart from the message rows',
    // Flag changes (IMAP STORE, POP3 RETR's \Seen) rewrite the whole message row; with the
    // summary and search text inside it, each rewrite copied kilobytes of overflow pages. The
    // parse of a blob is the same for every message that shares it (content addressing), so it
    // is kept once per blob: a delivery to N recipients stores it once, COPY copies nothing.
    sql: `
CREATE TABLE message_content (
  blob_id TEXT PRIMARY KEY,
  summary TEXT NOT NULL,
  search_text TEXT
);
INSERT OR IGNORE INTO message_content (blob_id, summary, search_text)
  SELECT blob_id, summary, search_text FROM message ORDER BY id;
ALTER TABLE message DROP COLUMN summary;
ALTER TABLE message DROP COLUMN search_text;

CREATE TRIGGER message_content_release AFTER DELETE ON message
  WHEN NOT EXISTS (SELECT 1 FROM message WHERE blob_id = OLD.blob_id)
BEGIN
  DELETE FROM message_content WHERE blob_id = OLD.blob_id;
END;
`,
  },
  {
    version: 3,
    description: 'IMAP4rev1 \\Recent mark per mailbox',
    // RFC 3501 §2.3.2: a message is \Recent in the first session that learns of it. The mark is
    // the highest UID taken so; what is above it is recent. Messages that were already in the
    // store before this version were seen under the old rules (nothing recent): mark them taken.
    sql: `
ALTER TABLE mailbox ADD COLUMN recent_uid INTEGER NOT NULL DEFAULT 0;
UPDATE mailbox SET recent_uid = uid_next - 1;
`,
  },
  {
    version: 4,
    description: 'SEARCH and SORT keys per blob (src/mail/message-keys.ts)',
    // SORT (DATE) of 100,000 messages spent a second parsing every summary for one date; the
    // keys are now columns. Computed in JS from each stored summary (the same function ingest uses).
    sql: MESSAGE_KEY_COLUMNS.map((c) => `ALTER TABLE message_content ADD COLUMN ${c} ${c === 'sent_date' ? 'INTEGER' : 'TEXT'};`).join('\n'),
    run: (db) => {
      const update = db.prepare(`UPDATE message_content SET ${MESSAGE_KEY_COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE blob_id = ?`);
      for (const row of db.prepare('SELECT blob_id, summary FROM message_content').iterate() as Iterable<{ blob_id: string; summary: string }>) {
        update.run(...messageKeyValues(messageKeys(JSON.parse(row.summary) as MessageSummary)), row.blob_id);
      }
    },
  },
  {
    version: 5,
    description: 'change log: rows superseded by a newer change of the same message are dropped',
    // db.ts Mutation.supersede() keeps it so from now on; this drops what piled up before.
    sql: `
CREATE INDEX change_log_message ON change_log(message_id) WHERE message_id IS NOT NULL;
DELETE FROM change_log WHERE kind = 'message-flags' AND message_id IS NOT NULL AND EXISTS (
  SELECT 1 FROM change_log newer WHERE newer.message_id = change_log.message_id
    AND newer.kind = 'message-flags' AND newer.modseq > change_log.modseq);
DELETE FROM change_log WHERE kind IN ('message-added', 'message-flags') AND message_id IS NOT NULL AND EXISTS (
  SELECT 1 FROM change_log gone WHERE gone.message_id = change_log.message_id AND gone.kind = 'message-removed'
    AND gone.mailbox_id = change_log.mailbox_id AND gone.modseq > change_log.modseq);
`,
  },
  {
    version: 6,
    description: 'POP3 size (octets as transmitted) per blob, remembered once measured',
    // The first STAT after a restart read every blob of the maildrop to measure it. A table of
    // its own: setting a column of message_content would rewrite each row's summary and search
    // text (overflow pages), and remembering 10,000 sizes cost a second of writes.
    sql: `
CREATE TABLE pop3_size (blob_id TEXT PRIMARY KEY, size INTEGER NOT NULL) WITHOUT ROWID;
CREATE TRIGGER pop3_size_release AFTER DELETE ON message
  WHEN NOT EXISTS (SELECT 1 FROM message WHERE blob_id = OLD.blob_id)
BEGIN
  DELETE FROM pop3_size WHERE blob_id = OLD.blob_id;
END;
`,
  },
  {
    version: 7,
    description: 'Emails and threads: a message is an Email in one mailbox; neutral names for arrival marks, downloads and blob measures',
    // docs/ARCHITECTURE.md "The message model": JMAP's Email (RFC 8621 §4.1.1) belongs to a set
    // of mailboxes and has a thread; IMAP's message rows stay as they are and point at it.
    sql: EMAIL_MODEL_SQL,
    run: backfillEmails,
  },
  {
    version: 8,
    description: 'outbound queue (store/sqlite/queue.ts): messages, recipients with claims, carried-in sources',
    // The queue used to be a database of its own (queue.db) with the bodies inside; now bodies
    // are blobs and the rows live here, so every node sharing the store shares the queue.
    sql: `
CREATE TABLE queue_message (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  sender TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  size INTEGER NOT NULL,
  blob_id TEXT NOT NULL,
  is_bounce INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX queue_message_blob ON queue_message(blob_id);

CREATE TABLE queue_recipient (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id INTEGER NOT NULL REFERENCES queue_message(id) ON DELETE CASCADE,
  address TEXT NOT NULL,
  domain TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  last_status TEXT,
  last_remote TEXT,
  delay_notified INTEGER NOT NULL DEFAULT 0,
  claim_owner TEXT,
  claim_until INTEGER
);
CREATE INDEX queue_recipient_due ON queue_recipient(state, next_attempt_at);
CREATE INDEX queue_recipient_message ON queue_recipient(message_id);

CREATE TABLE queue_carried_source (
  source TEXT PRIMARY KEY,
  carried_at INTEGER NOT NULL,
  messages INTEGER NOT NULL
) WITHOUT ROWID;
`,
  },
  {
    version: 9,
    description: 'uploads (RFC 8620 §6.1): which account uploaded which blob, until when',
    sql: `
CREATE TABLE upload (
  account_id INTEGER NOT NULL,
  blob_id TEXT NOT NULL,
  type TEXT NOT NULL,
  size INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, blob_id)
) WITHOUT ROWID;
CREATE INDEX upload_blob ON upload(blob_id);
CREATE INDEX upload_expiry ON upload(expires_at);
`,
  },
  {
    version: 10,
    description: 'mailbox sort order (JMAP, RFC 8621 §2); unread and thread counters per mailbox, kept by triggers',
    sql: MAILBOX_THREAD_COUNTERS_SQL,
  },
  {
    version: 11,
    description: 'identities, submissions and their recipients, vacation responses, auto-reply memory, per-type state counters (store/sending-types.ts)',
    // Not mail data: no mod-sequence. Each type counts its own states per account and logs which
    // object changed at which, for JMAP /changes (RFC 8620 §5.2). A queue attempt for a
    // recipient that a submission queued updates that recipient and the submission's state in
    // the same transaction (the trigger), so the queue needs to know nothing of submissions.
    sql: SENDING_SQL,
  },
  {
    version: 12,
    description: 'JMAP push subscriptions (RFC 8620 §7.2), per account',
    sql: `
CREATE TABLE push_subscription (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
  device_client_id TEXT NOT NULL,
  url TEXT NOT NULL,
  keys_p256dh TEXT,
  keys_auth TEXT,
  verification_code TEXT NOT NULL,
  verified INTEGER NOT NULL DEFAULT 0,
  expires_at INTEGER,
  types TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX push_subscription_account ON push_subscription(account_id);
`,
  },
  {
    version: 13,
    description: 'indexes and a word index for Email queries; the change row that ends an Email or thread records when it was created',
    // JMAP Email/query (store/sqlite/email-query.ts): the newest Emails of a mailbox are read in
    // index order without touching the table (the index carries the Email and thread ids), thread
    // keyword conditions find a thread's messages, and a query across the account walks its
    // Emails by date.
    // JMAP /changes (RFC 8620 §5.2): an object created and destroyed since the caller's state
    // SHOULD not be reported at all, but its rows are gone with it (and the log keeps only the
    // removal). The removal row now keeps the creation mod-sequences of the Email and thread it
    // ends, written by the trigger that releases them.
    sql: `
CREATE INDEX message_mailbox_received ON message(mailbox_id, deleted, internal_date, email_id, thread_id);
CREATE INDEX message_thread ON message(thread_id);
CREATE INDEX email_account_received ON email(account_id, received_at, id);
-- The keys a mailbox is sorted by, and whether the message has attachments, on the message row:
-- sorting 100,000 messages by subject through a join to message_content (a text key per row)
-- took a second, and finding the few with attachments read every summary.
ALTER TABLE message ADD COLUMN sent_date INTEGER;
ALTER TABLE message ADD COLUMN sort_subject TEXT NOT NULL DEFAULT '';
ALTER TABLE message ADD COLUMN display_from TEXT NOT NULL DEFAULT '';
ALTER TABLE message ADD COLUMN display_to TEXT NOT NULL DEFAULT '';
ALTER TABLE message ADD COLUMN has_attachment INTEGER NOT NULL DEFAULT 0;
UPDATE message SET (sent_date, sort_subject, display_from, display_to, has_attachment) =
  (SELECT c.sent_date, IFNULL(c.sort_subject, ''), IFNULL(c.display_from, ''), IFNULL(c.display_to, ''),
          IFNULL(json_extract(c.summary, '$.hasAttachment'), 0)
   FROM message_content c WHERE c.blob_id = message.blob_id)
  WHERE EXISTS (SELECT 1 FROM message_content c WHERE c.blob_id = message.blob_id);
-- The SEARCH and SORT keys (migration 4) were added after the summary and the search text, so
-- reading one walks the row's overflow pages; this index holds them apart.
CREATE INDEX message_content_keys ON message_content(blob_id, sent_date, sort_subject, display_from, display_to,
  search_subject, search_from, search_to, search_cc, search_bcc);

-- Words of each Email's search text (FTS5, rowid = Email id): text conditions find their
-- candidates here instead of reading every search text. Contentless (the text stays where it
-- is) and without positions (detail=none: an eighth of the size; phrases are checked on the
-- text itself).
CREATE VIRTUAL TABLE email_search USING fts5(text, content='', contentless_delete=1, detail=none, tokenize='unicode61 remove_diacritics 0');
INSERT INTO email_search (rowid, text) SELECT e.id, IFNULL(c.search_text, '') FROM email e JOIN message_content c USING (blob_id);
CREATE TRIGGER email_search_insert AFTER INSERT ON email BEGIN
  INSERT INTO email_search (rowid, text) SELECT NEW.id, IFNULL(search_text, '') FROM message_content WHERE blob_id = NEW.blob_id;
END;
CREATE TRIGGER email_search_delete AFTER DELETE ON email BEGIN
  DELETE FROM email_search WHERE rowid = OLD.id;
END;

ALTER TABLE change_log ADD COLUMN email_created_modseq INTEGER;
ALTER TABLE change_log ADD COLUMN thread_created_modseq INTEGER;
DROP TRIGGER email_release;
CREATE TRIGGER email_release AFTER DELETE ON message
  WHEN NOT EXISTS (SELECT 1 FROM message WHERE email_id = OLD.email_id)
BEGIN
  UPDATE change_log SET
      email_created_modseq = (SELECT created_modseq FROM email WHERE id = OLD.email_id),
      thread_created_modseq = (SELECT created_modseq FROM thread WHERE id = OLD.thread_id)
    WHERE message_id = OLD.id AND kind = 'message-removed' AND email_id = OLD.email_id;
  DELETE FROM email WHERE id = OLD.email_id;
END;
`,
  },
  {
    version: 14,
    description: 'the unread counter trigger fires on the seen column only (keyword changes no longer evaluate it per row)',
    sql: `DROP TRIGGER mailbox_thread_unread;${unreadTrigger('seen')}`,
  },
];

/** Applies every pending migration, each in its own IMMEDIATE transaction. Returns the new version. */
export function migrate(db: DatabaseSync, now: number): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  let current = 0;
  for (const m of MIGRATIONS) {
    // Re-read inside the transaction: another process (the CLI) may be migrating the same file.
    db.exec('BEGIN IMMEDIATE');
    try {
      const row = db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null };
      current = row.v ?? 0;
      if (m.version > current) {
        db.exec(m.sql);
        m.run?.(db);
        db.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)').run(m.version, m.description, now);
        current = m.version;
      }
      db.exec('COMMIT');
    } catch (err) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw err;
    }
  }
  const latest = MIGRATIONS[MIGRATIONS.length - 1].version;
  if (current > latest) {
    throw new Error(`database schema version ${current} is newer than this program (${latest})`);
  }
  return current;
}
