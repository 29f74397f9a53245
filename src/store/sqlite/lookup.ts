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

const MAX_UID = 0xffffffff;

/** Hands out the next UID of a mailbox; uid_next only ever grows, so UIDs are never reused (RFC 9051 §2.3.1.1). */
export function allocUids(db: Db, mailboxId: MailboxId, count: number): number {
  const current = db.get<{ uid_next: number }>('SELECT uid_next FROM mailbox WHERE id = ?', mailboxId);
  if (!current) throw new StoreError('NOT_FOUND', `no mailbox ${mailboxId}`);
  // UIDs are 32-bit (RFC 9051 §9 nz-number / uniqueid); past that a mailbox would need a new
  // UIDVALIDITY, so refuse rather than hand out a UID clients cannot represent.
  if (current.uid_next + count - 1 > MAX_UID) throw new StoreError('CANNOT', `mailbox ${mailboxId} has run out of UIDs`);
  const row = db.get<{ uid_next: number }>('UPDATE mailbox SET uid_next = uid_next + ? WHERE id = ? RETURNING uid_next', count, mailboxId);
  if (!row) throw new StoreError('NOT_FOUND', `no mailbox ${mailboxId}`);
  return row.uid_next - count;
}
