// Mailboxes and subscriptions (RFC 9051 §6.3.4–§6.3.9) on SQLite. Names always pass through
// normaliseMailboxName first, so no path can create "../x", "a//b" or a second spelling of INBOX.

import { StoreError } from '../types.ts';
import type { AccountId, Mailbox, MailStore, SpecialUse } from '../types.ts';
import { isMailboxDescendant, mailboxAncestors, normaliseMailboxName } from '../../mail/mailbox-name.ts';
import type { Db, Mutation } from './db.ts';
import { toMailbox, type MailboxRow } from './rows.ts';
import { mailboxById, mailboxByName } from './lookup.ts';
import { relocateMessages } from './messages.ts';

const SPECIAL_USE = new Set<string>(['\\Drafts', '\\Sent', '\\Junk', '\\Trash', '\\Archive', '\\All', '\\Flagged']);

/**
 * A UIDVALIDITY never handed out before in this account: time-based so that it also differs
 * from values of an account removed and re-created, and strictly increasing (RFC 9051 §2.3.1.1).
 */
function allocUidValidity(db: Db, accountId: AccountId): number {
  const row = db.get<{ next_uid_validity: number }>('SELECT next_uid_validity FROM account WHERE id = ?', accountId);
  if (!row) throw new StoreError('NOT_FOUND', `no account ${accountId}`);
  const value = Math.min(0xffffffff, Math.max(row.next_uid_validity, Math.floor(db.now() / 1000)));
  db.run('UPDATE account SET next_uid_validity = ? WHERE id = ?', value + 1, accountId);
  return value;
}

export function insertMailbox(db: Db, m: Mutation, name: string, role: SpecialUse | null): MailboxRow {
  const uidValidity = allocUidValidity(db, m.accountId);
  const modseq = m.modseq();
  const row = db.get<MailboxRow>(
    'INSERT INTO mailbox (account_id, name, role, uid_validity, uid_next, highest_modseq, created_at) VALUES (?, ?, ?, ?, 1, ?, ?) RETURNING *',
    m.accountId, name, role, uidValidity, modseq, db.now(),
  )!;
  m.change('mailbox-created', row.id);
  return row;
}

/** RFC 9051 §6.3.4 / §6.3.6: superior names that are needed are created too. */
function ensureParents(db: Db, m: Mutation, name: string): void {
  for (const parent of mailboxAncestors(name)) {
    if (!mailboxByName(db, m.accountId, parent)) insertMailbox(db, m, parent, null);
  }
}

/** RFC 8621 §2 sortOrder: an integer in 0 ≤ n < 2^31. */
export function checkSortOrder(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0 || n >= 2 ** 31) throw new StoreError('INVALID', 'sort order must be an integer in 0 ≤ n < 2^31');
  return n;
}

export function checkRole(role: SpecialUse | null | undefined): SpecialUse | null {
  if (role == null) return null;
  if (!SPECIAL_USE.has(role)) throw new StoreError('INVALID', `unknown special-use role ${role}`);
  return role;
}

export function mailboxOps(db: Db): Pick<
  MailStore,
  | 'listMailboxes' | 'getMailbox' | 'getMailboxById' | 'getMailboxByRole' | 'createMailbox'
  | 'renameMailbox' | 'deleteMailbox' | 'setSubscribed' | 'listSubscriptions' | 'claimArrivals' | 'countUnclaimedArrivals'
> {
  return {
    listMailboxes: (accountId) =>
      db.read(() => db.all<MailboxRow>("SELECT * FROM mailbox WHERE account_id = ? ORDER BY name <> 'INBOX', name", accountId).map(toMailbox)),

    getMailbox: async (accountId, name) =>
      db.read(() => {
        const row = mailboxByName(db, accountId, normaliseMailboxName(name));
        return row ? toMailbox(row) : null;
      }),

    getMailboxById: (accountId, id) =>
      db.read(() => {
        const row = mailboxById(db, accountId, id);
        return row ? toMailbox(row) : null;
      }),

    getMailboxByRole: (accountId, role) =>
      db.read(() => {
        const row = db.get<MailboxRow>('SELECT * FROM mailbox WHERE account_id = ? AND role = ? ORDER BY id LIMIT 1', accountId, role);
        return row ? toMailbox(row) : null;
      }),

    createMailbox: async (accountId, rawName, role, opts = {}) => {
      const name = normaliseMailboxName(rawName);
      const checkedRole = checkRole(role);
      const sortOrder = opts.sortOrder === undefined ? 0 : checkSortOrder(opts.sortOrder);
      return db.mutate(accountId, (m): Mailbox => {
        if (mailboxByName(db, accountId, name)) throw new StoreError('ALREADY_EXISTS', `mailbox ${name} exists`);
        ensureParents(db, m, name);
        let row = insertMailbox(db, m, name, checkedRole);
        if (sortOrder !== 0) row = db.get<MailboxRow>('UPDATE mailbox SET sort_order = ? WHERE id = ? RETURNING *', sortOrder, row.id)!;
        if (opts.subscribed && db.run('INSERT OR IGNORE INTO subscription (account_id, name) VALUES (?, ?)', accountId, name).changes > 0) {
          m.change('subscription', row.id);
        }
        return toMailbox(row);
      });
    },

    renameMailbox: async (accountId, rawFrom, rawTo) => {
      const from = normaliseMailboxName(rawFrom);
      const to = normaliseMailboxName(rawTo);
      return db.mutate(accountId, (m) => {
        const source = mailboxByName(db, accountId, from);
        if (!source) throw new StoreError('NOT_FOUND', `no mailbox ${from}`);
        if (from === to || isMailboxDescendant(to, from)) {
          throw new StoreError('CANNOT', `cannot rename ${from} into itself`);
        }
        if (mailboxByName(db, accountId, to)) throw new StoreError('ALREADY_EXISTS', `mailbox ${to} exists`);

        if (from === 'INBOX') {
          // RFC 9051 §6.3.6: renaming INBOX moves all its messages to a new mailbox and leaves
          // INBOX empty; INBOX's children (if any) are unaffected.
          ensureParents(db, m, to);
          const target = insertMailbox(db, m, to, null);
          const ids = db.all<{ id: number }>('SELECT id FROM message WHERE mailbox_id = ? ORDER BY uid', source.id).map((r) => r.id);
          relocateMessages(db, m, source, ids, target);
          return;
        }

        // RFC 9051 §6.3.6: inferior hierarchical names are renamed too. Mailbox ids and
        // UIDVALIDITY stay: UIDs keep their meaning under the new name.
        const children = db
          .all<MailboxRow>('SELECT * FROM mailbox WHERE account_id = ? AND substr(name, 1, ?) = ?', accountId, from.length + 1, from + '/')
          .filter((c) => isMailboxDescendant(c.name, from));
        const renames = [source, ...children].map((row) => ({ row, newName: to + row.name.slice(from.length) }));
        for (const r of renames) {
          normaliseMailboxName(r.newName); // depth and length limits apply to the new names too
          if (r.row !== source && mailboxByName(db, accountId, r.newName)) {
            throw new StoreError('ALREADY_EXISTS', `mailbox ${r.newName} exists`);
          }
        }
        ensureParents(db, m, to);
        for (const r of renames) {
          db.run('UPDATE mailbox SET name = ? WHERE id = ?', r.newName, r.row.id);
          m.change('mailbox-renamed', r.row.id);
          // Subscriptions follow the rename, so LIST (SUBSCRIBED) shows the renamed tree; a
          // subscription of a name that no longer exists is kept otherwise (RFC 9051 §6.3.9).
          const subscribed = db.run('DELETE FROM subscription WHERE account_id = ? AND name = ?', accountId, r.row.name).changes > 0;
          if (subscribed) {
            db.run('INSERT OR IGNORE INTO subscription (account_id, name) VALUES (?, ?)', accountId, r.newName);
            m.change('subscription', null);
          }
        }
      });
    },

    deleteMailbox: async (accountId, rawName, opts = {}) => {
      const name = normaliseMailboxName(rawName);
      return db.mutate(accountId, (m) => {
        if (name === 'INBOX') throw new StoreError('CANNOT', 'INBOX cannot be deleted');
        const row = mailboxByName(db, accountId, name);
        if (!row) throw new StoreError('NOT_FOUND', `no mailbox ${name}`);
        // RFC 9051 §6.3.5 lets a server either keep a parent as \Noselect or refuse to delete it.
        // We refuse: a \Noselect placeholder would be a mailbox without UIDs that every
        // protocol (JMAP has no such thing) would have to special-case.
        const child = db.get<{ id: number }>(
          'SELECT id FROM mailbox WHERE account_id = ? AND substr(name, 1, ?) = ? LIMIT 1', accountId, name.length + 1, name + '/',
        );
        if (child) throw new StoreError('HAS_CHILDREN', `mailbox ${name} has children`);
        if (opts.onlyIfEmpty && row.message_count > row.deleted_count) throw new StoreError('CANNOT', `mailbox ${name} is not empty`);
        const messages = db.all<{ id: number; uid: number; email_id: number; thread_id: number }>(
          'SELECT id, uid, email_id, thread_id FROM message WHERE mailbox_id = ? ORDER BY uid', row.id,
        );
        for (const msg of messages) m.messageChange('message-removed', row.id, msg);
        db.run('DELETE FROM message WHERE mailbox_id = ?', row.id);
        m.change('mailbox-deleted', row.id);
        db.run('DELETE FROM mailbox WHERE id = ?', row.id);
      });
    },

    setSubscribed: async (accountId, rawName, subscribed) => {
      const name = normaliseMailboxName(rawName);
      return db.mutate(accountId, (m) => {
        if (!db.get('SELECT 1 AS x FROM account WHERE id = ?', accountId)) throw new StoreError('NOT_FOUND', `no account ${accountId}`);
        const changed = subscribed
          ? db.run('INSERT OR IGNORE INTO subscription (account_id, name) VALUES (?, ?)', accountId, name).changes
          : db.run('DELETE FROM subscription WHERE account_id = ? AND name = ?', accountId, name).changes;
        if (changed === 0) return;
        const mailbox = mailboxByName(db, accountId, name);
        m.change('subscription', mailbox ? mailbox.id : null);
      });
    },

    listSubscriptions: (accountId) =>
      db.read(() => db.all<{ name: string }>('SELECT name FROM subscription WHERE account_id = ? ORDER BY name', accountId).map((r) => r.name)),

    claimArrivals: async (accountId, mailboxId, upToUid) => {
      if (!Number.isSafeInteger(upToUid) || upToUid < 0) throw new StoreError('INVALID', 'invalid uid');
      const markOf = (): number => {
        const row = db.get<{ arrival_mark: number }>('SELECT arrival_mark FROM mailbox WHERE id = ? AND account_id = ?', mailboxId, accountId);
        if (!row) throw new StoreError('NOT_FOUND', `no mailbox ${mailboxId} in account ${accountId}`);
        return row.arrival_mark;
      };
      // Most claims find nothing new (every SELECT, every sync): a read, no commit.
      const seen = await db.read(markOf);
      if (upToUid <= seen) return seen;
      // Read again inside the write: another claim may have raised the mark meanwhile.
      return db.write(() => {
        const mark = markOf();
        if (upToUid > mark) db.run('UPDATE mailbox SET arrival_mark = ? WHERE id = ?', upToUid, mailboxId);
        return mark;
      });
    },

    countUnclaimedArrivals: (accountId, mailboxId) =>
      db.read(() => {
        const mark = db.get<{ arrival_mark: number }>('SELECT arrival_mark FROM mailbox WHERE id = ? AND account_id = ?', mailboxId, accountId);
        if (!mark) throw new StoreError('NOT_FOUND', `no mailbox ${mailboxId} in account ${accountId}`);
        const row = db.get<{ n: number }>('SELECT count(*) AS n FROM message WHERE mailbox_id = ? AND uid > ?', mailboxId, mark.arrival_mark);
        return row?.n ?? 0;
      }),
  };
}
