// Password authentication shared by SMTP AUTH, IMAP LOGIN/AUTHENTICATE, POP3 USER/PASS/AUTH
// and the web (DESIGN.md §6): one rate limiter for all of them, so a brute-force attempt
// spread across protocols is counted once.
//
// - An unknown address costs the same argon2 work as a wrong password and gets the same answer
//   (no user enumeration by text or timing).
// - Failures are counted per remote IP, per account and remote IP, and per account, in a sliding
//   window, in the Coordination backend, so every node of an installation sees the same counts.
//   An attempt is counted when it
//   starts (an atomic hit that returns the count), not when its password check ends: fifty wrong
//   passwords sent in parallel on separate connections are limited at the limit, not after fifty
//   full checks. Past the limit an attempt is refused without a check ('rate-limited'); one that
//   finds the limit reached only by checks still running is refused for now ('busy'). A success
//   takes its hits back, so only failures stay in the window; one refused by the hash bound keeps
//   its hit on the address (not on the account). A remembered login (below) and an attempt that
//   joins an identical check already running are not counted: they start no check.
// - The owner is never locked out by others' failures. An address is refused for an account
//   after a few failures of its own (per account and address) and for every account after more
//   (per address); the account's count over all addresses only *slows* attempts — a growing delay
//   before the check — and never for an address the owner logged in from lately (a trusted
//   address). This is the pattern of Microsoft's "smart lockout" (familiar locations are not
//   locked out with unfamiliar ones) and of Dovecot's auth_penalty (delays, not refusals): a
//   distributed guesser is slowed to a crawl, the owner from a new network waits a few seconds
//   once, and from a known one not at all.
// - Password hashes run through a HashGate (hash-gate.ts): bounded at once, per remote address
//   too, and past the bound refused at once as 'busy' (a temporary failure), never queued.
// - Verified-login cache (the idea of Dovecot's auth_cache): after a successful argon2 check the
//   authenticator keeps HMAC-SHA256(process key, stored hash, password) per account for a few
//   minutes, so a client that logs in again and again (IMAP clients open a connection per
//   folder sync) costs one HMAC instead of 19 MiB of argon2. Failures never use or fill it: a
//   wrong password or an unknown user always pays the full hash. A password change changes the
//   stored hash, so an old entry can no longer match. Only digests are kept, never passwords.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Account, MailStore } from '../store/types.ts';
import type { Coordination } from '../store/coordination-types.ts';
import { verifyPassword, dummyPasswordHash } from './password.ts';
import { normaliseAddress } from '../mail/address.ts';
import { HashGate } from './hash-gate.ts';
import { failuresOfAccount, failuresOfAccountAddress, failuresOfIp, troubleOfIp, trustedAddress } from './login-blocks.ts';

export interface AuthLimits {
  windowMs: number;
  /** Failures from one address (over all accounts) before it is refused. */
  maxFailuresPerIp: number;
  /** Failures from one address for one account before that address is refused for it. */
  maxFailuresPerAccountAddress: number;
  /** Failures for one account (over all addresses) before attempts from untrusted addresses are delayed. */
  maxFailuresPerAccount: number;
  /** The delay grows by this much per failure past maxFailuresPerAccount … */
  delayStepMs: number;
  /** … up to this. */
  maxDelayMs: number;
  /** An address the owner logged in from is trusted for the account this long. */
  trustedAddressMs: number;
  /** How long a verified login is remembered (0 disables the cache). */
  verifiedCacheMs: number;
}

export const DEFAULT_AUTH_LIMITS: AuthLimits = {
  windowMs: 5 * 60_000,
  maxFailuresPerIp: 10,
  maxFailuresPerAccountAddress: 5,
  maxFailuresPerAccount: 30,
  delayStepMs: 500,
  maxDelayMs: 15_000,
  trustedAddressMs: 30 * 86_400_000,
  verifiedCacheMs: 10 * 60_000,
};

const MAX_VERIFIED_ENTRIES = 100_000;

export type AuthResult =
  | { ok: true; account: Account }
  /** 'rate-limited' and 'busy' are temporary: try again later. */
  | { ok: false; reason: 'invalid' | 'rate-limited' | 'busy' | 'disabled' };

export interface AuthContext {
  ip: string;
  protocol: 'smtp' | 'imap' | 'pop3' | 'http';
}

export interface AuthenticatorOptions {
  store: MailStore;
  /** Where failures are counted: shared by every node, so a limit holds across the installation. */
  coordination: Coordination;
  limits?: AuthLimits;
  /** Clock of the verified-login cache (the failure windows run on the coordination's clock). */
  now?: () => number;
  verify?: (password: string, hash: string) => Promise<boolean>;
  /** The bound on password hashes at once (default: DEFAULT_HASH_GATE). */
  hashGate?: HashGate;
  /** Waits before a delayed attempt (tests observe the delays instead of waiting them out). */
  sleep?: (ms: number) => Promise<void>;
}

export class Authenticator {
  private readonly store: MailStore;
  private readonly coordination: Coordination;
  private readonly limits: AuthLimits;
  private readonly now: () => number;
  private readonly cacheKey = randomBytes(32);
  private readonly verified = new Map<number, { digest: Buffer; expires: number }>();
  /** Attempts running now, by account and password digest: a client opening ten connections at once pays one hash. */
  private readonly inFlight = new Map<string, Promise<AuthResult>>();

  private readonly verify: (password: string, hash: string) => Promise<boolean>;
  private readonly hashGate: HashGate;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(opts: AuthenticatorOptions) {
    this.store = opts.store;
    this.coordination = opts.coordination;
    this.limits = opts.limits ?? DEFAULT_AUTH_LIMITS;
    this.now = opts.now ?? Date.now;
    this.verify = opts.verify ?? verifyPassword;
    this.hashGate = opts.hashGate ?? new HashGate();
    this.sleep = opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async authenticate(username: string, password: string, ctx: AuthContext): Promise<AuthResult> {
    const address = normaliseAddress(username);
    const account = address ? await this.store.getAccountByAddress(address) : null;
    if (!account) return this.attempt(address ?? username.toLowerCase(), null, password, ctx);
    // The same account and password being tried already (a client opening ten connections at
    // once): this attempt shares that one, its single check and its outcome, and is not counted.
    const key = `${account.id}:${this.digest(account, password).toString('hex')}`;
    const running = this.inFlight.get(key);
    if (running) return running;
    const attempt = this.attempt(account.address, account, password, ctx);
    this.inFlight.set(key, attempt);
    try {
      return await attempt;
    } finally {
      this.inFlight.delete(key);
    }
  }

  private async attempt(name: string, account: Account | null, password: string, ctx: AuthContext): Promise<AuthResult> {
    const limits = this.limits;
    const ipKey = failuresOfIp(ctx.ip);
    const pairKey = failuresOfAccountAddress(name, ctx.ip);
    const accountKey = failuresOfAccount(name);
    const windowMs = limits.windowMs;
    const [ipCount, pairCount] = await Promise.all([this.coordination.countHits(ipKey, windowMs), this.coordination.countHits(pairKey, windowMs)]);
    if (ipCount >= limits.maxFailuresPerIp || pairCount >= limits.maxFailuresPerAccountAddress) return { ok: false, reason: 'rate-limited' };
    if (account && this.isVerified(account, password)) {
      if (account.disabled) return { ok: false, reason: 'disabled' };
      return { ok: true, account };
    }

    // A password check is counted as it starts (see the notes above): concurrent checks each get
    // their own count, so no more start than the limit allows. One that finds the count past the
    // limit only because of checks still running is refused for now ('busy').
    const [ipHit, pairHit, accountHit] = await Promise.all([
      this.coordination.recordHit(ipKey, windowMs),
      this.coordination.recordHit(pairKey, windowMs),
      this.coordination.recordHit(accountKey, windowMs),
    ]);
    const takeBack = async (): Promise<void> => {
      await Promise.all([
        this.coordination.withdrawHit(ipKey, ipHit.id),
        this.coordination.withdrawHit(pairKey, pairHit.id),
        this.coordination.withdrawHit(accountKey, accountHit.id),
      ]);
    };
    if (ipHit.count > limits.maxFailuresPerIp || pairHit.count > limits.maxFailuresPerAccountAddress) {
      await takeBack();
      return { ok: false, reason: 'busy' };
    }
    // Many failures for this account from many addresses: slow every untrusted address down.
    const over = accountHit.count - limits.maxFailuresPerAccount;
    if (over > 0 && !(account && (await this.isTrustedAddress(account, ctx.ip)))) {
      await this.sleep(Math.min(limits.maxDelayMs, over * limits.delayStepMs));
    }
    const hash = account?.passwordHash ?? (await dummyPasswordHash());
    // An address that failed or was refused lately waits behind those that did not (hash-gate.ts).
    const troubleKey = troubleOfIp(ctx.ip);
    const suspect = (await this.coordination.countHits(troubleKey, windowMs)) > 0;
    const checked = await this.hashGate.run(ctx.ip, () => this.verify(password, hash), suspect ? 'suspect' : 'clean');
    if (checked.busy) {
      await this.coordination.recordHit(troubleKey, windowMs);
      // The address's attempt still counts (a flood refused for now becomes 'suspect' and then
      // limited); the account's does not, so a flood cannot slow its owner down this way.
      await Promise.all([this.coordination.withdrawHit(accountKey, accountHit.id), this.coordination.withdrawHit(pairKey, pairHit.id)]);
      return { ok: false, reason: 'busy' };
    }
    if (!account || !checked.value) {
      // A failure keeps its hits in the window.
      await this.coordination.recordHit(troubleKey, windowMs);
      return { ok: false, reason: 'invalid' };
    }
    await takeBack();
    if (account.disabled) return { ok: false, reason: 'disabled' };
    this.remember(account, password);
    await this.trustAddress(account, ctx.ip);
    return { ok: true, account };
  }

  /** The owner logged in from this address lately (one hit per account and address, renewed at each login). */
  private async isTrustedAddress(account: Account, ip: string): Promise<boolean> {
    return (await this.coordination.countHits(trustedAddress(account.id, ip), this.limits.trustedAddressMs)) > 0;
  }

  private async trustAddress(account: Account, ip: string): Promise<void> {
    const key = trustedAddress(account.id, ip);
    await this.coordination.clearHits(key);
    await this.coordination.recordHit(key, this.limits.trustedAddressMs);
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
  async isIpLimited(ip: string): Promise<boolean> {
    return (await this.coordination.countHits(failuresOfIp(ip), this.limits.windowMs)) >= this.limits.maxFailuresPerIp;
  }
}
