// What JMAP shows of mailboxes beyond IMAP's view (RFC 8621 §2): the sort order and role as
// attributes of their own, the Email and thread counts, and which mailboxes changed as records
// rather than only in their messages (§2.2 updatedProperties).

import { StoreError } from '../types.ts';
import type { MailboxCounts, MailStore } from '../types.ts';
import type { Db } from './db.ts';
import { mailboxById } from './lookup.ts';
import { checkRole, checkSortOrder } from './mailboxes.ts';

/**
 * One statement per mailbox list, over the partial indexes of migration 10: totals come from the
 * counters the triggers keep (message_count − deleted_count: an Email is in a mailbox at most
 * once, so visible messages are Emails), threads and unread ones from index-only scans.
 * '"\\Draft"' is the flag as it appears in the stored JSON list.
 */
const COUNTS_SQL = `
SELECT b.id, b.message_count - b.deleted_count, coalesce(t.threads, 0), coalesce(u.emails, 0), coalesce(u.threads, 0)
FROM mailbox b
LEFT JOIN (SELECT mailbox_id, count(DISTINCT thread_id) AS threads FROM message
           WHERE deleted = 0 AND mailbox_id IN (SELECT id FROM mailbox WHERE account_id = ?1) GROUP BY mailbox_id) t ON t.mailbox_id = b.id
LEFT JOIN (SELECT mailbox_id, count(*) AS emails, count(DISTINCT thread_id) AS threads FROM message
           WHERE deleted = 0 AND seen = 0 AND instr(flags, '"\\\\Draft"') = 0
             AND mailbox_id IN (SELECT id FROM mailbox WHERE account_id = ?1) GROUP BY mailbox_id) u ON u.mailbox_id = b.id
WHERE b.account_id = ?1`;

export function mailboxAttributeOps(db: Db): Pick<MailStore, 'setMailboxAttributes' | 'mailboxCounts' | 'mailboxRecordChanges'> {
  return {
    setMailboxAttributes: async (accountId, mailboxId, attributes) => {
      const sortOrder = attributes.sortOrder === undefined ? undefined : checkSortOrder(attributes.sortOrder);
      const role = attributes.role === undefined ? undefined : checkRole(attributes.role);
      return db.mutate(accountId, (m) => {
        const row = mailboxById(db, accountId, mailboxId);
        if (!row) throw new StoreError('NOT_FOUND', `no mailbox ${mailboxId} in account ${accountId}`);
        const next = { sortOrder: sortOrder ?? row.sort_order, role: role === undefined ? row.role : role };
        if (next.sortOrder === row.sort_order && next.role === row.role) return;
        db.run('UPDATE mailbox SET sort_order = ?, role = ? WHERE id = ?', next.sortOrder, next.role, mailboxId);
        m.change('mailbox-attributes', mailboxId);
      });
    },

    mailboxCounts: (accountId) =>
      db.read(() =>
        (db.rows(COUNTS_SQL, accountId) as [number, number, number, number, number][]).map(
          ([mailboxId, emails, threads, unreadEmails, unreadThreads]): MailboxCounts => ({ mailboxId, emails, unreadEmails, threads, unreadThreads }),
        ),
      ),

    mailboxRecordChanges: (accountId, since, until) =>
      db.read(() =>
        (db.rows(
          `SELECT DISTINCT mailbox_id FROM change_log WHERE account_id = ? AND modseq > ? AND modseq <= ?
             AND mailbox_id IS NOT NULL AND kind NOT IN ('message-added', 'message-flags', 'message-removed') ORDER BY mailbox_id`,
          accountId, since, until,
        ) as [number][]).map(([id]) => id),
      ),
  };
}
