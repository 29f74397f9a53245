// Users (mail accounts): add, list, show, change password, quota and POP3 retention, remove.
// Passwords arrive in the clear and leave this module only as argon2id hashes.

import type { Account, MailStore } from '../../store/types.ts';
import { normaliseAddress, domainOf } from '../../mail/address.ts';
import { hashPassword } from '../../auth/password.ts';
import { AdminError, storeCall } from './errors.ts';

export const MIN_PASSWORD_LENGTH = 8;

export interface UserSummary {
  /** Lower-case local@domain. */
  address: string;
  /** null = unlimited. */
  quotaBytes: number | null;
  usedBytes: number;
  messages: number;
  /** Days POP3-downloaded mail is kept; null = until the client deletes it. */
  popRetentionDays: number | null;
  /** ms since the epoch. */
  createdAt: number;
}

function summary(a: Account): UserSummary {
  return {
    address: a.address,
    quotaBytes: a.quotaBytes,
    usedBytes: a.usedBytes,
    messages: a.messageCount,
    popRetentionDays: a.popRetentionDays,
    createdAt: a.createdAt,
  };
}

/** The normalised address, or INVALID. */
export function userAddress(raw: string): string {
  const address = normaliseAddress(raw);
  if (!address) throw new AdminError('INVALID', `"${raw}" is not a valid email address`, raw);
  return address;
}

function checkPassword(password: string, subject: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new AdminError('INVALID', `the password must have at least ${MIN_PASSWORD_LENGTH} characters`, subject);
  }
}

function checkQuota(quotaBytes: number | null, subject: string): void {
  if (quotaBytes !== null && (!Number.isSafeInteger(quotaBytes) || quotaBytes < 0)) {
    throw new AdminError('INVALID', `a quota is a whole, non-negative number of bytes, not ${quotaBytes}`, subject);
  }
}

async function existingAccount(store: MailStore, rawAddress: string): Promise<Account> {
  const address = userAddress(rawAddress);
  const account = await store.getAccountByAddress(address);
  if (!account) throw new AdminError('NOT_FOUND', `no such user: ${address}`, address);
  return account;
}

/**
 * Everything addUser checks except the password and quota, so that a front end can refuse at
 * once instead of asking for a password first. Returns the normalised address.
 */
export async function checkNewUser({ store }: { store: MailStore }, input: { address: string }): Promise<string> {
  const address = userAddress(input.address);
  const domain = domainOf(address);
  if (!(await store.getDomain(domain))) throw new AdminError('NOT_HOSTED', `domain ${domain} is not hosted here`, domain);
  if (await store.getAccountByAddress(address)) throw new AdminError('ALREADY_EXISTS', `user ${address} exists already`, address);
  return address;
}

/** Creates the user with its default mailboxes; quotaBytes null or absent = unlimited. */
export async function addUser(
  deps: { store: MailStore },
  input: { address: string; password: string; quotaBytes?: number | null },
): Promise<UserSummary> {
  const address = await checkNewUser(deps, input);
  const quotaBytes = input.quotaBytes ?? null;
  checkQuota(quotaBytes, address);
  checkPassword(input.password, address);
  const passwordHash = await hashPassword(input.password);
  return summary(await storeCall(address, () => deps.store.createAccount({ address, passwordHash, quotaBytes })));
}

/** Every user, or those of one domain, by address. */
export async function listUsers({ store }: { store: MailStore }, input: { domain?: string } = {}): Promise<UserSummary[]> {
  const domain = input.domain?.toLowerCase();
  const accounts = await storeCall(domain ?? '', () => store.listAccounts(domain));
  return accounts.map(summary);
}

export async function getUser({ store }: { store: MailStore }, input: { address: string }): Promise<UserSummary> {
  return summary(await existingAccount(store, input.address));
}

export async function setUserPassword({ store }: { store: MailStore }, input: { address: string; password: string }): Promise<UserSummary> {
  const account = await existingAccount(store, input.address);
  checkPassword(input.password, account.address);
  const hash = await hashPassword(input.password);
  await storeCall(account.address, () => store.setPasswordHash(account.id, hash));
  return summary(account);
}

/** quotaBytes null = unlimited. */
export async function setUserQuota({ store }: { store: MailStore }, input: { address: string; quotaBytes: number | null }): Promise<UserSummary> {
  const account = await existingAccount(store, input.address);
  checkQuota(input.quotaBytes, account.address);
  await storeCall(account.address, () => store.setQuota(account.id, input.quotaBytes));
  return { ...summary(account), quotaBytes: input.quotaBytes };
}

/**
 * RFC 2449 §6.7 (EXPIRE): how many days after its first POP3 download a message is removed;
 * null keeps it until the client deletes it.
 */
export async function setUserPopRetention({ store }: { store: MailStore }, input: { address: string; days: number | null }): Promise<UserSummary> {
  const account = await existingAccount(store, input.address);
  if (input.days !== null && (!Number.isSafeInteger(input.days) || input.days <= 0)) {
    throw new AdminError('INVALID', `retention is a positive whole number of days, not ${input.days}`, account.address);
  }
  await storeCall(account.address, () => store.setPopRetention(account.id, input.days));
  return { ...summary(account), popRetentionDays: input.days };
}

/** Removes the user, all of its mail and the aliases that point to it. Returns the normalised address. */
export async function removeUser({ store }: { store: MailStore }, input: { address: string }): Promise<{ address: string }> {
  const account = await existingAccount(store, input.address);
  await storeCall(account.address, () => store.removeAccount(account.id));
  return { address: account.address };
}
