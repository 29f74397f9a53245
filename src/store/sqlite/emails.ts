// Emails and threads across mailboxes (RFC 8621 §3, §4): the reads JMAP's Email/get and
// Thread/get stand on. An Email is visible through its messages without \Deleted (RFC 8621
// §4.1.1: a message with \Deleted is not visible via JMAP); one with none visible is left out.

import type { EmailRecord, MailStore, ThreadRecord } from '../types.ts';
import type { Db } from './db.ts';
import { checkUids } from './message-ids.ts';

const DELETED = '\\Deleted';

export function emailOps(db: Db): Pick<MailStore, 'getEmails' | 'getThreads' | 'emailIdsWithBlob'> {
  return {
    getEmails: async (accountId, ids) => {
      const list = checkUids(ids, 'email id');
      return db.read(() => {
        const emails = db.all<{ id: number; thread_id: number; blob_id: string; size: number; received_at: number; summary: string }>(
          `SELECT e.id, e.thread_id, e.blob_id, e.size, e.received_at, c.summary FROM email e JOIN message_content c USING (blob_id)
           WHERE +e.account_id = ? AND e.id IN (SELECT value FROM json_each(?))`,
          accountId, list,
        );
        const messages = db.rows(
          `SELECT email_id, mailbox_id, uid, id, flags FROM message
           WHERE +account_id = ? AND deleted = 0 AND email_id IN (SELECT value FROM json_each(?)) ORDER BY mailbox_id`,
          accountId, list,
        ) as [number, number, number, number, string][];
        const byEmail = new Map<number, { flags: string; mailboxes: EmailRecord['mailboxes'] }>();
        for (const [emailId, mailboxId, uid, messageId, flags] of messages) {
          let entry = byEmail.get(emailId);
          if (!entry) byEmail.set(emailId, (entry = { flags, mailboxes: [] }));
          entry.mailboxes.push({ mailboxId, uid, messageId });
        }
        const out: EmailRecord[] = [];
        for (const e of emails) {
          const visible = byEmail.get(e.id);
          if (!visible) continue;
          out.push({
            id: e.id,
            threadId: e.thread_id,
            blobId: e.blob_id,
            size: e.size,
            receivedAt: e.received_at,
            keywords: db.flagLists.parse(visible.flags).filter((f) => f !== DELETED),
            mailboxes: visible.mailboxes,
            summary: JSON.parse(e.summary),
          });
        }
        return out;
      });
    },

    emailIdsWithBlob: (accountId, blobId) =>
      db.read(() =>
        db
          .rows('SELECT DISTINCT email_id FROM message WHERE blob_id = ? AND account_id = ? AND deleted = 0 ORDER BY email_id', blobId, accountId)
          .map((r) => r[0] as number),
      ),

    getThreads: async (accountId, ids) => {
      const list = checkUids(ids, 'thread id');
      return db.read(() => {
        const rows = db.rows(
          `SELECT e.thread_id, e.id FROM email e
           WHERE +e.account_id = ? AND e.thread_id IN (SELECT value FROM json_each(?))
             AND EXISTS (SELECT 1 FROM message m WHERE m.email_id = e.id AND m.deleted = 0)
           ORDER BY e.received_at, e.id`,
          accountId, list,
        ) as [number, number][];
        const threads = new Map<number, ThreadRecord>();
        for (const [threadId, emailId] of rows) {
          let t = threads.get(threadId);
          if (!t) threads.set(threadId, (t = { id: threadId, emailIds: [] }));
          t.emailIds.push(emailId);
        }
        return [...threads.values()];
      });
    },
  };
}
