// Password authentication shared by SMTP AUTH, IMAP LOGIN/AUTHENTICATE, POP3 USER/PASS/AUTH
// and the web (DESIGN.md §6): one rate limiter for all of them, so a brute-force attempt
// spread across protocols is counted once.
//
// - An unknown address costs the same argon2 work as a wrong password and gets the same answer
//   (no user enumeration by text or timing).
// - Failures are counted per remote IP and per account in a sliding window; past the limit every
//   attempt from that IP (or for that account) is refused without checking the password, until
//   the window has passed. Other IPs are unaffected by an IP's failures.
// - Verified-login cache (the idea of Dovecot's auth_cache): after a successful argon2 check the
//   authenticator keeps HMAC-SHA256(process key, stored hash, password) per account for a few
//   minutes, so a client that logs in again and again (IMAP clients open a connection per
//   folder sync) costs one HMAC instead of 19 MiB of argon2. Failures never use or fill it: a
//   wrong password or an unknown user always pays the full hash. A password change changes the
//   stored hash, so an old entry can no longer match. Only digests are kept, never passwords.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Account, MailStore } from '../store/types.ts';
import { verifyPassword, dummyPasswordHash } from './password.ts';
import { normaliseAddress } from './address.ts';

export interface AuthLimits {
  windowMs: number;
  maxFailuresPerIp: number;
  maxFailuresPerAccount: number;
  /** How long a verified login is remembered (0 disables the cache). */
  verifiedCacheMs: number;
}

export const DEFAULT_AUTH_LIMITS: AuthLimits = {
  windowMs: 5 * 60_000,
  maxFailuresPerIp: 10,
  maxFailuresPerAccount: 30,
  verifiedCacheMs: 10 * 60_000,
};

const MAX_VERIFIED_ENTRIES = 100_000;

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
  private readonly now: () => number;
  private readonly cacheKey = randomBytes(32);
  private readonly verified = new Map<number, { digest: Buffer; expires: number }>();

  private readonly verify: (password: string, hash: string) => Promise<boolean>;

  constructor(
    store: MailStore,
    limits: AuthLimits = DEFAULT_AUTH_LIMITS,
    now: () => number = Date.now,
    verify: (password: string, hash: string) => Promise<boolean> = verifyPassword,
  ) {
    this.store = store;
    this.limits = limits;
    this.now = now;
    this.verify = verify;
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
    if (account && this.isVerified(account, password)) {
      if (account.disabled) return { ok: false, reason: 'disabled' };
      return { ok: true, account };
    }
    const valid = await this.verify(password, account?.passwordHash ?? (await dummyPasswordHash()));
    if (account && valid) {
      if (account.disabled) return { ok: false, reason: 'disabled' };
      this.remember(account, password);
      return { ok: true, account };
    }
    this.byIp.add(ctx.ip);
    this.byAccount.add(accountKey);
    return { ok: false, reason: 'invalid' };
  }

  private digest(account: Account, password: string): Buffer {
    return createHmac('sha256', this.cacheKey).update(account.passwordHash).update('\0').update(password).digest();
  }

  private isVerified(account: Account, password: string): boolean {
    const entry = this.verified.get(account.id);
    if (!entry) return false;
    if (entry.expires <= this.now()) {
      this.verified.delete(account.id);
      return false;
    }
    return timingSafeEqual(entry.digest, this.digest(account, password));
  }

  private remember(account: Account, password: string): void {
    if (this.limits.verifiedCacheMs <= 0) return;
    this.verified.delete(account.id); // re-insert: Map order is then oldest-first for eviction
    this.verified.set(account.id, { digest: this.digest(account, password), expires: this.now() + this.limits.verifiedCacheMs });
    if (this.verified.size > MAX_VERIFIED_ENTRIES) {
      const oldest = this.verified.keys().next().value;
      if (oldest !== undefined) this.verified.delete(oldest);
    }
  }

  /** True when this IP may not even try (for protocols that want to refuse before reading a password). */
  isIpLimited(ip: string): boolean {
    return this.byIp.count(ip) >= this.limits.maxFailuresPerIp;
  }
}
