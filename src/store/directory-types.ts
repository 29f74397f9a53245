// The directory side of the store contract: hosted domains, accounts, aliases and where mail for
// an address goes. Nothing here is mail data: these rows change without a mod-sequence.

import type { AccountId } from './ids.ts';

export interface Domain {
  id: number;
  name: string; // lower-case, IDNA A-label form
  createdAt: number; // ms since epoch
  dkimSelector: string | null;
  dkimPrivateKeyPem: string | null;
}

export interface Account {
  id: AccountId;
  address: string; // lower-case local@domain
  domainId: number;
  passwordHash: string;
  /** null = unlimited */
  quotaBytes: number | null;
  usedBytes: number;
  messageCount: number;
  /** Highest modseq handed out in this account (all mailboxes share one sequence). */
  modseq: number;
  /** Server-side retention of downloaded mail in days (POP3 EXPIRE, RFC 2449 §6.7); null = keep until deleted. */
  popRetentionDays: number | null;
  createdAt: number;
  disabled: boolean;
}

export interface Alias {
  id: number;
  /** `local@domain`, or `@domain` for a catch-all. Lower-case. */
  source: string;
  /** A local account address or an external address. */
  target: string;
}

export type RecipientTarget =
  | { kind: 'local'; account: Account }
  | { kind: 'external'; address: string };

export interface DirectoryStore {
  // ---- domains
  addDomain(name: string, dkim?: { selector: string; privateKeyPem: string }): Promise<Domain>;
  getDomain(name: string): Promise<Domain | null>;
  listDomains(): Promise<Domain[]>;
  /** Refuses (HAS_CHILDREN) while accounts exist in the domain; removes its aliases. */
  removeDomain(name: string): Promise<void>;

  // ---- accounts
  /** Creates the account and its INBOX, Drafts, Sent, Junk, Trash and Archive (subscribed). */
  createAccount(input: { address: string; passwordHash: string; quotaBytes?: number | null }): Promise<Account>;
  getAccount(id: AccountId): Promise<Account | null>;
  getAccountByAddress(address: string): Promise<Account | null>;
  listAccounts(domain?: string): Promise<Account[]>;
  setPasswordHash(accountId: AccountId, hash: string): Promise<void>;
  setQuota(accountId: AccountId, quotaBytes: number | null): Promise<void>;
  setPopRetention(accountId: AccountId, days: number | null): Promise<void>;
  /** Removes the account, its mailboxes, messages (blob refs released) and aliases pointing to it. */
  removeAccount(accountId: AccountId): Promise<void>;

  // ---- aliases
  addAlias(source: string, target: string): Promise<Alias>;
  listAliases(domain?: string): Promise<Alias[]>;
  /** Removes source→target, or every alias of source when target is omitted. Returns how many. */
  removeAlias(source: string, target?: string): Promise<number>;
  /**
   * Where mail for this address goes: the account itself, else its aliases, else the domain's
   * catch-all. Alias targets that are local accounts resolve to them (one level plus chains up
   * to a small depth, loops ignored). Empty array: unknown recipient. null: domain not hosted.
   */
  resolveRecipient(address: string): Promise<RecipientTarget[] | null>;
}
