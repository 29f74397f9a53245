// What the login limiter holds against whom, for the operator: `posthorn auth blocked` lists it
// and `posthorn auth unblock` forgives it. The counters' keys are named here, once, for the
// authenticator and for these two views.

import type { Coordination } from '../store/coordination-types.ts';
import { isIP } from 'node:net';
import { normaliseAddress } from '../mail/address.ts';

export const failuresOfIp = (ip: string): string => `login-failures/ip/${ip}`;
/** Usernames that are not addresses are counted under their lower-case text, so guessing with junk names is limited too. */
export const failuresOfAccount = (name: string): string => `login-failures/account/${name}`;
export const failuresOfAccountAddress = (name: string, ip: string): string => `login-failures/account-address/${name}/${ip}`;
/** Failures and refusals of an address, apart from its attempts: what makes it 'suspect' to the hash gate. */
export const troubleOfIp = (ip: string): string => `login-trouble/ip/${ip}`;
/** A successful login of this account from this address: the address is trusted for it. */
export const trustedAddress = (accountId: number, ip: string): string => `login-trusted/${accountId}/${ip}`;

/** The limits the listing compares with (the authenticator's AuthLimits has them). */
export interface BlockLimits {
  maxFailuresPerIp: number;
  maxFailuresPerAccountAddress: number;
  maxFailuresPerAccount: number;
}

export interface LoginBlock {
  /** 'address': refused for every account; 'account-address': refused for one account; 'account': strangers are slowed down. */
  kind: 'address' | 'account-address' | 'account';
  /** The remote address (not for 'account'). */
  address: string | null;
  /** The account name tried (not for 'address'). */
  account: string | null;
  failures: number;
  limit: number;
  effect: 'refused' | 'slowed';
}

/** Every address and account at or past its limit now. */
export async function listLoginBlocks(coordination: Coordination, limits: BlockLimits): Promise<LoginBlock[]> {
  const counts = await coordination.countsByPrefix('login-failures/');
  const out: LoginBlock[] = [];
  for (const { key, count } of counts) {
    const rest = key.slice('login-failures/'.length);
    if (rest.startsWith('ip/')) {
      if (count >= limits.maxFailuresPerIp) out.push({ kind: 'address', address: rest.slice(3), account: null, failures: count, limit: limits.maxFailuresPerIp, effect: 'refused' });
    } else if (rest.startsWith('account-address/')) {
      const pair = rest.slice('account-address/'.length);
      const slash = pair.lastIndexOf('/');
      if (count >= limits.maxFailuresPerAccountAddress) {
        out.push({ kind: 'account-address', address: pair.slice(slash + 1), account: pair.slice(0, slash), failures: count, limit: limits.maxFailuresPerAccountAddress, effect: 'refused' });
      }
    } else if (rest.startsWith('account/')) {
      if (count > limits.maxFailuresPerAccount) out.push({ kind: 'account', address: null, account: rest.slice(8), failures: count, limit: limits.maxFailuresPerAccount, effect: 'slowed' });
    }
  }
  return out;
}

/**
 * Forgets the failures held against a remote address (an IP) or an account (an email address):
 * for an address its own counts and every per-account count of it, for an account its own count
 * and every per-address count for it. Returns how many counters were cleared.
 */
export async function unblockLogins(coordination: Coordination, target: string): Promise<number> {
  const keys: string[] = [];
  if (isIP(target)) {
    keys.push(failuresOfIp(target), troubleOfIp(target));
    for (const { key } of await coordination.countsByPrefix('login-failures/account-address/')) if (key.endsWith(`/${target}`)) keys.push(key);
  } else {
    const name = normaliseAddress(target) ?? target.toLowerCase();
    keys.push(failuresOfAccount(name));
    for (const { key } of await coordination.countsByPrefix(`login-failures/account-address/${name}/`)) keys.push(key);
  }
  const present = new Set((await coordination.countsByPrefix('login-')).map((c) => c.key));
  const cleared = keys.filter((k) => present.has(k));
  for (const key of cleared) await coordination.clearHits(key);
  return cleared.length;
}
