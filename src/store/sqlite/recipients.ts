// Recipient resolution for local delivery: account, else exact aliases, else the domain's
// catch-all; alias targets are resolved in turn (chains up to MAX_ALIAS_DEPTH, loops ignored).

import type { RecipientTarget } from '../types.ts';
import { normaliseAddress, normaliseDomain } from '../../mail/address.ts';
import type { Db } from './db.ts';
import { toAccount, type AccountRow } from './rows.ts';

export const MAX_ALIAS_DEPTH = 5;

function domainHosted(db: Db, domain: string): boolean {
  return db.get('SELECT 1 AS x FROM domain WHERE name = ?', domain) !== undefined;
}

/** null: domain not hosted. []: hosted, nobody there. */
export function resolveRecipient(db: Db, raw: string): RecipientTarget[] | null {
  const at = raw.lastIndexOf('@');
  const addr = normaliseAddress(raw);
  if (!addr) {
    const domain = at >= 0 ? normaliseDomain(raw.slice(at + 1)) : null;
    return domain && domainHosted(db, domain) ? [] : null;
  }
  if (!domainHosted(db, addr.slice(addr.lastIndexOf('@') + 1))) return null;

  const out: RecipientTarget[] = [];
  const seenAccounts = new Set<number>();
  const seenExternal = new Set<string>();
  const visited = new Set<string>();

  const visit = (address: string, depth: number): void => {
    // Loop protection: an address already being expanded contributes nothing new.
    if (visited.has(address)) return;
    visited.add(address);
    const domain = address.slice(address.lastIndexOf('@') + 1);
    if (!domainHosted(db, domain)) {
      if (!seenExternal.has(address)) {
        seenExternal.add(address);
        out.push({ kind: 'external', address });
      }
      return;
    }
    const acc = db.get<AccountRow>('SELECT * FROM account WHERE address = ?', address);
    if (acc) {
      if (!seenAccounts.has(acc.id)) {
        seenAccounts.add(acc.id);
        out.push({ kind: 'local', account: toAccount(acc) });
      }
      return;
    }
    if (depth >= MAX_ALIAS_DEPTH) return;
    let targets = db.all<{ target: string }>('SELECT target FROM alias WHERE source = ? ORDER BY id', address);
    if (targets.length === 0) targets = db.all<{ target: string }>('SELECT target FROM alias WHERE source = ? ORDER BY id', '@' + domain);
    for (const t of targets) visit(t.target, depth + 1);
  };

  visit(addr, 0);
  return out;
}
