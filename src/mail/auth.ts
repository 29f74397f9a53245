// Password authentication shared by SMTP AUTH, IMAP LOGIN/AUTHENTICATE, POP3 USER/PASS/AUTH
// and the web (DESIGN.md §6): one rate limiter for all of them, so a brute-force attempt
// spread across protocols is counted once.
//
// - An unknown address costs the same argon2 work as a wrong password and gets the same answer
//   (no user enumeration by text or timing).
// - Failures are counted per remote IP and per account in a sliding window; past the limit every
//   attempt from that IP (or for that account) is refused without checking the password, until
//   the window has passed. Other IPs are unaffected by an IP's failures.

import type { Account, MailStore } from '../store/types.ts';
import { verifyPassword, dummyPasswordHash } from './password.ts';
import { normaliseAddress } from './address.ts';

export interface AuthLimits {
  windowMs: number;
  maxFailuresPerIp: number;
  maxFailuresPerAccount: number;
}

export const DEFAULT_AUTH_LIMITS: AuthLimits = {
  windowMs: 5 * 60_000,
  maxFailuresPerIp: 10,
  maxFailuresPerAccount: 30,
};

export type AuthResult =
  | { ok: true; account: Account }
  | { ok: false; reason: 'invalid' | 'rate-limited' | 'disabled' };

export interface AuthContext {
  ip: string;
  protocol: 'smtp' | 'imap' | 'pop3' | 'http';
}

/** Failure timestamps per key, pruned as they age out of the window. */
class FailureCounter {
  private readonly failures = new Map<string, number[]>();
  private readonly windowMs: number;
  private readonly now: () => number;
  constructor(windowMs: number, now: () => number) {
    this.windowMs = windowMs;
    this.now = now;
  }
  count(key: string): number {
    const list = this.failures.get(key);
    if (!list) return 0;
    const cutoff = this.now() - this.windowMs;
    while (list.length > 0 && list[0] <= cutoff) list.shift();
    if (list.length === 0) this.failures.delete(key);
    return list.length;
  }
  add(key: string): void {
    const list = this.failures.get(key) ?? [];
    list.push(this.now());
    this.failures.set(key, list);
    // Bound memory under a flood of distinct keys: forget the oldest keys.
    if (this.failures.size > 100_000) {
      const first = this.failures.keys().next().value;
      if (first !== undefined) this.failures.delete(first);
    }
  }
  clear(key: string): void {
    this.failures.delete(key);
  }
}

export class Authenticator {
  private readonly store: MailStore;
  private readonly limits: AuthLimits;
  private readonly byIp: FailureCounter;
  private readonly byAccount: FailureCounter;

  constructor(store: MailStore, limits: AuthLimits = DEFAULT_AUTH_LIMITS, now: () => number = Date.now) {
    this.store = store;
    this.limits = limits;
    this.byIp = new FailureCounter(limits.windowMs, now);
    this.byAccount = new FailureCounter(limits.windowMs, now);
  }

  async authenticate(username: string, password: string, ctx: AuthContext): Promise<AuthResult> {
    const address = normaliseAddress(username);
    const accountKey = address ?? username.toLowerCase();
    if (this.byIp.count(ctx.ip) >= this.limits.maxFailuresPerIp || this.byAccount.count(accountKey) >= this.limits.maxFailuresPerAccount) {
      return { ok: false, reason: 'rate-limited' };
    }
    const account = address ? await this.store.getAccountByAddress(address) : null;
    const valid = await verifyPassword(password, account?.passwordHash ?? (await dummyPasswordHash()));
    if (account && valid) {
      if (account.disabled) return { ok: false, reason: 'disabled' };
      return { ok: true, account };
    }
    this.byIp.add(ctx.ip);
    this.byAccount.add(accountKey);
    return { ok: false, reason: 'invalid' };
  }

  /** True when this IP may not even try (for protocols that want to refuse before reading a password). */
  isIpLimited(ip: string): boolean {
    return this.byIp.count(ip) >= this.limits.maxFailuresPerIp;
  }
}
