// What JMAP shows of mailboxes beyond IMAP's view (RFC 8621 §2): the sort order and role as
// attributes of their own, the Email and thread counts, and which mailboxes changed as records
// rather than only in their messages (§2.2 updatedProperties).

import { StoreError } from '../types.ts';
import type { MailboxCounts, MailStore } from '../types.ts';
import type { Db } from './db.ts';
import { mailboxById } from './lookup.ts';
import { checkRole, checkSortOrder } from './mailboxes.ts';

/** The counters migration 10's triggers keep (migrate-mailbox-counters.ts); visible Emails are
 * message_count − deleted_count, since an Email is in a mailbox at most once. */
export const COUNTS_SQL = `SELECT id, message_count - deleted_count, thread_count, unread_count, unread_thread_count FROM mailbox WHERE account_id = ?`;

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
