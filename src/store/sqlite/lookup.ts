// Small lookups shared by the mailbox and message operations.

import { StoreError } from '../types.ts';
import type { AccountId, MailboxId } from '../types.ts';
import type { Db } from './db.ts';
import type { MailboxRow } from './rows.ts';

export function mailboxByName(db: Db, accountId: AccountId, name: string): MailboxRow | undefined {
  return db.get<MailboxRow>('SELECT * FROM mailbox WHERE account_id = ? AND name = ?', accountId, name);
}

export function mailboxById(db: Db, accountId: AccountId, id: MailboxId): MailboxRow | undefined {
  return db.get<MailboxRow>('SELECT * FROM mailbox WHERE account_id = ? AND id = ?', accountId, id);
}

export function requireMailbox(db: Db, accountId: AccountId, id: MailboxId): MailboxRow {
  const row = mailboxById(db, accountId, id);
  if (!row) throw new StoreError('NOT_FOUND', `no mailbox ${id} in account ${accountId}`);
  return row;
}

/** Hands out the next UID of a mailbox; uid_next only ever grows, so UIDs are never reused (RFC 9051 §2.3.1.1). */
export function allocUids(db: Db, mailboxId: MailboxId, count: number): number {
  const row = db.get<{ uid_next: number }>('UPDATE mailbox SET uid_next = uid_next + ? WHERE id = ? RETURNING uid_next', count, mailboxId);
  if (!row) throw new StoreError('NOT_FOUND', `no mailbox ${mailboxId}`);
  return row.uid_next - count;
}
