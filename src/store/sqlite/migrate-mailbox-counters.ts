// Schema version 10: what JMAP shows of a mailbox beyond IMAP (RFC 8621 §2) — its sort order,
// and counters for unreadEmails, totalThreads and unreadThreads next to the message counters
// of version 1, so Mailbox/get reads every count of every mailbox from the mailbox rows.
//
// mailbox_thread holds, per mailbox and thread, how many of the thread's messages there are
// visible (without \Deleted) and how many of those are unread (without \Seen and \Draft). A
// mailbox's thread_count is its number of such rows, unread_thread_count the number with
// unread > 0; the triggers move both by one exactly when a row appears, goes, or its unread
// count leaves or reaches 0. The general update trigger undoes the old row's contribution and
// adds the new one's, so one rule covers MOVE (mailbox_id), \Deleted and both at once; a change
// of \Seen or \Draft alone takes a shorter path.
// "\Draft" is matched in the stored flags JSON, where its backslash is escaped.

/** Whether a message row (OLD or NEW) counts as unread: visible, not \Seen, not \Draft. */
const unread = (row: 'OLD' | 'NEW'): string => `(${row}.deleted = 0 AND ${row}.seen = 0 AND instr(${row}.flags, '"\\\\Draft"') = 0)`;

/**
 * The common case, apart: \Seen or \Draft set or cleared on a visible message that stays where it
 * is. Two statements instead of the general trigger's five (STORE +FLAGS (\Seen) on 1,000
 * messages). `columns`: the UPDATE OF list it fires on — version 10 used "seen, flags"; version
 * 14 fires on `seen` alone, which the flag writer names whenever \Seen, \Deleted or \Draft change
 * (message-flags.ts), so a keyword change no longer evaluates it per row.
 */
export function unreadTrigger(columns: string): string {
  return `
CREATE TRIGGER mailbox_thread_unread AFTER UPDATE OF ${columns} ON message
  WHEN OLD.mailbox_id = NEW.mailbox_id AND OLD.thread_id IS NEW.thread_id AND OLD.deleted = 0 AND NEW.deleted = 0
    AND ${unread('OLD')} <> ${unread('NEW')}
BEGIN
  UPDATE mailbox_thread SET unread = unread + ${unread('NEW')} - ${unread('OLD')} WHERE mailbox_id = NEW.mailbox_id AND thread_id = NEW.thread_id;
  UPDATE mailbox SET
    unread_count = unread_count + ${unread('NEW')} - ${unread('OLD')},
    unread_thread_count = unread_thread_count + (SELECT CASE WHEN ${unread('NEW')} THEN unread = 1 ELSE -(unread = 0) END
      FROM mailbox_thread WHERE mailbox_id = NEW.mailbox_id AND thread_id = NEW.thread_id)
    WHERE id = NEW.mailbox_id;
END;
`;
}

/** Statements adding a visible message row's contribution (guarded by `row.deleted = 0`). */
const add = (row: 'OLD' | 'NEW'): string => `
  INSERT INTO mailbox_thread (mailbox_id, thread_id, visible, unread)
    SELECT ${row}.mailbox_id, ${row}.thread_id, 1, ${unread(row)} WHERE ${row}.deleted = 0
    ON CONFLICT (mailbox_id, thread_id) DO UPDATE SET visible = visible + 1, unread = unread + excluded.unread;
  UPDATE mailbox SET
    unread_count = unread_count + ${unread(row)},
    thread_count = thread_count + (SELECT visible = 1 FROM mailbox_thread WHERE mailbox_id = ${row}.mailbox_id AND thread_id = ${row}.thread_id),
    unread_thread_count = unread_thread_count + (${unread(row)} AND (SELECT unread = 1 FROM mailbox_thread WHERE mailbox_id = ${row}.mailbox_id AND thread_id = ${row}.thread_id))
    WHERE id = ${row}.mailbox_id AND ${row}.deleted = 0;`;

/** Statements removing a visible message row's contribution. */
const remove = (row: 'OLD' | 'NEW'): string => `
  UPDATE mailbox_thread SET visible = visible - 1, unread = unread - ${unread(row)}
    WHERE mailbox_id = ${row}.mailbox_id AND thread_id = ${row}.thread_id AND ${row}.deleted = 0;
  UPDATE mailbox SET
    unread_count = unread_count - ${unread(row)},
    thread_count = thread_count - (SELECT visible = 0 FROM mailbox_thread WHERE mailbox_id = ${row}.mailbox_id AND thread_id = ${row}.thread_id),
    unread_thread_count = unread_thread_count - (${unread(row)} AND (SELECT unread = 0 FROM mailbox_thread WHERE mailbox_id = ${row}.mailbox_id AND thread_id = ${row}.thread_id))
    WHERE id = ${row}.mailbox_id AND ${row}.deleted = 0;
  DELETE FROM mailbox_thread WHERE mailbox_id = ${row}.mailbox_id AND thread_id = ${row}.thread_id AND visible = 0;`;

export const MAILBOX_THREAD_COUNTERS_SQL = `
ALTER TABLE mailbox ADD COLUMN sort_order INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mailbox ADD COLUMN unread_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mailbox ADD COLUMN thread_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mailbox ADD COLUMN unread_thread_count INTEGER NOT NULL DEFAULT 0;

CREATE TABLE mailbox_thread (
  mailbox_id INTEGER NOT NULL,
  thread_id INTEGER NOT NULL,
  visible INTEGER NOT NULL,
  unread INTEGER NOT NULL,
  PRIMARY KEY (mailbox_id, thread_id)
) WITHOUT ROWID;

INSERT INTO mailbox_thread (mailbox_id, thread_id, visible, unread)
  SELECT mailbox_id, thread_id, count(*), sum(seen = 0 AND instr(flags, '"\\\\Draft"') = 0)
  FROM message WHERE deleted = 0 GROUP BY mailbox_id, thread_id;
UPDATE mailbox SET
  unread_count = coalesce((SELECT sum(unread) FROM mailbox_thread WHERE mailbox_id = mailbox.id), 0),
  thread_count = (SELECT count(*) FROM mailbox_thread WHERE mailbox_id = mailbox.id),
  unread_thread_count = (SELECT count(*) FROM mailbox_thread WHERE mailbox_id = mailbox.id AND unread > 0);

CREATE TRIGGER mailbox_thread_insert AFTER INSERT ON message WHEN NEW.deleted = 0 BEGIN ${add('NEW')}
END;

CREATE TRIGGER mailbox_thread_delete AFTER DELETE ON message WHEN OLD.deleted = 0 BEGIN ${remove('OLD')}
END;

CREATE TRIGGER mailbox_thread_update AFTER UPDATE OF mailbox_id, thread_id, deleted ON message
  WHEN OLD.mailbox_id <> NEW.mailbox_id OR OLD.thread_id IS NOT NEW.thread_id OR OLD.deleted <> NEW.deleted
BEGIN ${remove('OLD')} ${add('NEW')}
END;

${unreadTrigger('seen, flags')}`;
