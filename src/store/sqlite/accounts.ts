// Domains, accounts and aliases on SQLite. Every read goes to the database (no in-memory copy),
// so an account the CLI adds in another process is visible to the running server at once.

import { StoreError } from '../types.ts';
import type { Account, AccountId, Alias, Domain, MailStore, SpecialUse } from '../types.ts';
import { normaliseAddress, normaliseDomain } from '../../mail/address.ts';
import { Mutation, type Db } from './db.ts';
import { insertMailbox } from './mailboxes.ts';
import { toAccount, toAlias, toDomain, type AccountRow, type AliasRow, type DomainRow } from './rows.ts';
import { resolveRecipient } from './recipients.ts';

/** Created with every account, all subscribed (RFC 6154 roles for the special ones). */
const DEFAULT_MAILBOXES: [string, SpecialUse | null][] = [
  ['INBOX', null],
  ['Drafts', '\\Drafts'],
  ['Sent', '\\Sent'],
  ['Junk', '\\Junk'],
  ['Trash', '\\Trash'],
  ['Archive', '\\Archive'],
];

function domainName(name: string): string {
  const d = normaliseDomain(name);
  if (!d) throw new StoreError('INVALID', `invalid domain ${JSON.stringify(name)}`);
  return d;
}

function address(addr: string): string {
  const a = normaliseAddress(addr);
  if (!a) throw new StoreError('INVALID', `invalid address ${JSON.stringify(addr)}`);
  return a;
}

function checkQuotaValue(q: number | null | undefined): number | null {
  if (q == null) return null;
  if (!Number.isSafeInteger(q) || q < 0) throw new StoreError('INVALID', 'quota must be a non-negative integer');
  return q;
}

function domainRow(db: Db, name: string): DomainRow | undefined {
  return db.get<DomainRow>('SELECT * FROM domain WHERE name = ?', name);
}

function requireDomain(db: Db, name: string): DomainRow {
  const row = domainRow(db, name);
  if (!row) throw new StoreError('NOT_FOUND', `domain ${name} is not hosted here`);
  return row;
}

function updateAccount(db: Db, sql: string, accountId: AccountId, ...params: (string | number | null)[]): Promise<void> {
  return db.write(() => {
    if (db.run(sql, ...params, accountId).changes === 0) throw new StoreError('NOT_FOUND', `no account ${accountId}`);
  });
}

/** Alias source: "local@domain" or "@domain" (catch-all). */
function aliasSource(source: string): { source: string; domain: string } {
  if (source.startsWith('@')) {
    const domain = domainName(source.slice(1));
    return { source: '@' + domain, domain };
  }
  const a = address(source);
  return { source: a, domain: a.slice(a.lastIndexOf('@') + 1) };
}

export function accountOps(db: Db): Pick<
  MailStore,
  | 'addDomain' | 'getDomain' | 'listDomains' | 'removeDomain' | 'createAccount' | 'getAccount'
  | 'getAccountByAddress' | 'listAccounts' | 'setPasswordHash' | 'setQuota' | 'setPopRetention'
  | 'removeAccount' | 'addAlias' | 'listAliases' | 'removeAlias' | 'resolveRecipient'
> {
  return {
    addDomain: async (rawName, dkim) => {
      const name = domainName(rawName);
      return db.write((): Domain => {
        if (domainRow(db, name)) throw new StoreError('ALREADY_EXISTS', `domain ${name} exists`);
        const row = db.get<DomainRow>(
          'INSERT INTO domain (name, created_at, dkim_selector, dkim_private_key_pem) VALUES (?, ?, ?, ?) RETURNING *',
          name, db.now(), dkim?.selector ?? null, dkim?.privateKeyPem ?? null,
        )!;
        return toDomain(row);
      });
    },

    getDomain: async (rawName) => {
      const name = normaliseDomain(rawName);
      return name ? db.read(() => { const r = domainRow(db, name); return r ? toDomain(r) : null; }) : null;
    },

    listDomains: () => db.read(() => db.all<DomainRow>('SELECT * FROM domain ORDER BY name').map(toDomain)),

    removeDomain: async (rawName) => {
      const name = domainName(rawName);
      return db.write(() => {
        const d = requireDomain(db, name);
        if (db.get('SELECT 1 AS x FROM account WHERE domain_id = ? LIMIT 1', d.id)) {
          throw new StoreError('HAS_CHILDREN', `domain ${name} still has accounts`);
        }
        db.run('DELETE FROM alias WHERE domain_id = ?', d.id);
        db.run('DELETE FROM domain WHERE id = ?', d.id);
      });
    },

    createAccount: async (input) => {
      const addr = address(input.address);
      const quota = checkQuotaValue(input.quotaBytes);
      if (typeof input.passwordHash !== 'string') throw new StoreError('INVALID', 'password hash required');
      return db.write((): Account => {
        const d = requireDomain(db, addr.slice(addr.lastIndexOf('@') + 1));
        if (db.get('SELECT 1 AS x FROM account WHERE address = ?', addr)) throw new StoreError('ALREADY_EXISTS', `account ${addr} exists`);
        const row = db.get<AccountRow>(
          `INSERT INTO account (address, domain_id, password_hash, quota_bytes, next_uid_validity, created_at)
           VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
          addr, d.id, input.passwordHash, quota, Math.floor(db.now() / 1000), db.now(),
        )!;
        // The default mailboxes are logged like any creation (modseq 1), so changesSince(0)
        // describes the whole account. Nobody can listen to an account before it exists, so the
        // event is not published.
        const m = new Mutation(db, row.id);
        for (const [name, role] of DEFAULT_MAILBOXES) {
          insertMailbox(db, m, name, role);
          db.run('INSERT INTO subscription (account_id, name) VALUES (?, ?)', row.id, name);
        }
        m.finish();
        return toAccount(db.get<AccountRow>('SELECT * FROM account WHERE id = ?', row.id)!);
      });
    },

    getAccount: (id) =>
      db.read(() => {
        const r = db.get<AccountRow>('SELECT * FROM account WHERE id = ?', id);
        return r ? toAccount(r) : null;
      }),

    getAccountByAddress: async (addr) => {
      const a = normaliseAddress(addr);
      if (!a) return null;
      return db.read(() => {
        const r = db.get<AccountRow>('SELECT * FROM account WHERE address = ?', a);
        return r ? toAccount(r) : null;
      });
    },

    listAccounts: async (domain) => {
      if (domain === undefined) return db.read(() => db.all<AccountRow>('SELECT * FROM account ORDER BY address').map(toAccount));
      const name = domainName(domain);
      return db.read(() =>
        db.all<AccountRow>('SELECT a.* FROM account a JOIN domain d ON d.id = a.domain_id WHERE d.name = ? ORDER BY a.address', name).map(toAccount),
      );
    },

    setPasswordHash: (accountId, hash) => updateAccount(db, 'UPDATE account SET password_hash = ? WHERE id = ?', accountId, hash),

    setQuota: async (accountId, quotaBytes) =>
      updateAccount(db, 'UPDATE account SET quota_bytes = ? WHERE id = ?', accountId, checkQuotaValue(quotaBytes)),

    setPopRetention: async (accountId, days) => {
      if (days !== null && (!Number.isSafeInteger(days) || days < 0)) throw new StoreError('INVALID', 'retention must be a non-negative integer');
      return updateAccount(db, 'UPDATE account SET pop_retention_days = ? WHERE id = ?', accountId, days);
    },

    removeAccount: (accountId) =>
      db.write(() => {
        const acc = db.get<AccountRow>('SELECT * FROM account WHERE id = ?', accountId);
        if (!acc) throw new StoreError('NOT_FOUND', `no account ${accountId}`);
        // Deleting the message rows is what releases the blobs: GC finds them unreferenced.
        db.run('DELETE FROM message WHERE account_id = ?', accountId);
        db.run('DELETE FROM email WHERE account_id = ?', accountId);
        db.run('DELETE FROM thread_key WHERE account_id = ?', accountId);
        db.run('DELETE FROM thread WHERE account_id = ?', accountId);
        db.run('DELETE FROM mailbox WHERE account_id = ?', accountId);
        db.run('DELETE FROM subscription WHERE account_id = ?', accountId);
        db.run('DELETE FROM change_log WHERE account_id = ?', accountId);
        db.run('DELETE FROM upload WHERE account_id = ?', accountId);
        db.run('DELETE FROM alias WHERE target = ?', acc.address);
        db.run('DELETE FROM account WHERE id = ?', accountId);
      }),

    addAlias: async (rawSource, rawTarget) => {
      const { source, domain } = aliasSource(rawSource);
      const target = address(rawTarget);
      if (source === target) throw new StoreError('INVALID', 'alias points to itself');
      return db.write((): Alias => {
        const d = requireDomain(db, domain);
        if (db.get('SELECT 1 AS x FROM alias WHERE source = ? AND target = ?', source, target)) {
          throw new StoreError('ALREADY_EXISTS', `alias ${source} → ${target} exists`);
        }
        return toAlias(db.get<AliasRow>('INSERT INTO alias (source, target, domain_id) VALUES (?, ?, ?) RETURNING id, source, target', source, target, d.id)!);
      });
    },

    listAliases: async (domain) => {
      if (domain === undefined) return db.read(() => db.all<AliasRow>('SELECT id, source, target FROM alias ORDER BY source, target').map(toAlias));
      const name = domainName(domain);
      return db.read(() =>
        db
          .all<AliasRow>('SELECT a.id, a.source, a.target FROM alias a JOIN domain d ON d.id = a.domain_id WHERE d.name = ? ORDER BY a.source, a.target', name)
          .map(toAlias),
      );
    },

    removeAlias: async (rawSource, rawTarget) => {
      const { source } = aliasSource(rawSource);
      const target = rawTarget === undefined ? null : address(rawTarget);
      return db.write(() =>
        target === null
          ? db.run('DELETE FROM alias WHERE source = ?', source).changes
          : db.run('DELETE FROM alias WHERE source = ? AND target = ?', source, target).changes,
      );
    },

    resolveRecipient: (addr) => db.read(() => resolveRecipient(db, addr)),
  };
}
