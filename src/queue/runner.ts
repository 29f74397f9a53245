// The outbound queue runner: picks due recipients, delivers them grouped by (message, domain),
// and records each outcome; reschedules temporary failures (RFC 5321 §4.5.4.1), sends one delay
// notice, and a DSN (RFC 3464) for permanent failures and expiry — never to the null sender <>
// (RFC 5321 §4.5.5), and never for a bounce we generated ourselves.
//
// Implementation notes:
// - A recipient is attempted only under this runner's claim (DeliveryQueue.claimDue): other
//   runners, in this process or on other nodes sharing the store, skip it. The claim is renewed
//   while the attempt runs; results are recorded only while it is held, and what was claimed
//   but not attempted (stop) is given back.
// - A group whose attempt throws (a database error, a body gone) keeps its claim until the lease
//   runs out: that is its back-off, instead of a pass that fails again at once.
// - The DSN is handed to `submitBounce` (local delivery or the queue) BEFORE the failure is
//   recorded, so a crash in between can at worst bounce twice, never lose the bounce.
// - `running` guards against overlapping passes of one runner.

import type { Logger } from '../observe/log.ts';
import type { DnsResolver } from '../net/dns.ts';
import type { BlobStore } from '../store/types.ts';
import type { AttemptOutcome, DeliveryQueue, QueuedMessage, QueuedRecipient } from '../store/queue-types.ts';
import { resolveRoute, RouteError, type RouteHost } from './route.ts';
import { sendToHost, HostUnreachable, type ClientOptions, type RecipientResult } from './client.ts';
import { buildDsn, type DsnRecipient } from './dsn.ts';
import net from 'node:net';
import { randomUUID } from 'node:crypto';

export interface QueueSchedule {
  /** Delays between attempts, ms; the last one repeats (RFC 5321 §4.5.4.1: at least 30 minutes is usual). */
  retryDelaysMs: number[];
  /** Give up (and bounce) after this long in the queue (RFC 5321 §4.5.4.1: at least 4–5 days). */
  maxAgeMs: number;
  /** Send one "delayed" DSN to the sender after this long. */
  delayNoticeAfterMs: number;
}

export const DEFAULT_SCHEDULE: QueueSchedule = {
  retryDelaysMs: [5, 10, 30, 60, 120, 240].map((m) => m * 60_000),
  maxAgeMs: 5 * 24 * 3600_000,
  delayNoticeAfterMs: 4 * 3600_000,
};

/** How long a claim lasts unless renewed; renewed every third of it while an attempt runs. */
export const DEFAULT_LEASE_MS = 5 * 60_000;
/** Recipients claimed per pass. */
const CLAIM_LIMIT = 1000;

export interface QueueRunnerOptions {
  store: DeliveryQueue;
  /** Where the bodies of queued messages are. */
  blobs: BlobStore;
  /** This runner's name in its claims; unique by default (host, process, random). */
  owner?: string;
  leaseMs?: number;
  resolver: DnsResolver;
  log: Logger;
  hostname: string;
  schedule: QueueSchedule;
  client: Omit<ClientOptions, 'hostname'>;
  /** Port of remote MX hosts: 25 in production, a test peer's port in tests. */
  mxPort: number;
  /** Delivers a DSN (from <>) to `to`: locally when hosted, else through the queue. */
  submitBounce: (to: string, message: Buffer) => Promise<void>;
  /** Parallel (message, domain) transactions. */
  concurrency: number;
  now?: () => number;
}

interface Group {
  message: QueuedMessage;
  domain: string;
  recipients: QueuedRecipient[];
}

export class QueueRunner {
  private readonly opts: QueueRunnerOptions;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private readonly listeners = new Set<() => void>();
  readonly owner: string;
  private readonly leaseMs: number;
  /** Claimed recipients whose results are not recorded yet. */
  private readonly held = new Set<number>();

  constructor(opts: QueueRunnerOptions) {
    this.opts = opts;
    this.owner = opts.owner ?? `${opts.hostname}/${process.pid}/${randomUUID()}`;
    this.leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  start(): void {
    this.stopped = false;
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Something became due (a new message, a `queue retry`): run a pass now. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.running = this.pass()
      .catch((err: unknown) => this.opts.log.error({ event: 'queue-pass-failed', protocol: 'smtp-out', err: (err as Error).message }))
      .finally(() => {
        this.running = null;
        for (const l of this.listeners) l();
        if (this.again) {
          this.again = false;
          this.kick();
        } else {
          this.arm().catch((err: unknown) => this.opts.log.error({ event: 'queue-timer-failed', protocol: 'smtp-out', err: (err as Error).message }));
        }
      });
  }

  /** Resolves after the next completed pass (tests and `queue retry` use it). */
  passCompleted(): Promise<void> {
    return new Promise((resolve) => {
      const l = (): void => {
        this.listeners.delete(l);
        resolve();
      };
      this.listeners.add(l);
    });
  }

  private async arm(): Promise<void> {
    if (this.stopped) return;
    const next = await this.opts.store.nextDue();
    // Wake at the next due attempt, and at least every minute (another process may have queued).
    const delay = next === null ? 60_000 : Math.min(60_000, Math.max(0, next - this.now()));
    if (this.stopped || this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), delay);
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    const claimed = await this.opts.store.claimDue({ owner: this.owner, now: this.now(), leaseMs: this.leaseMs, limit: CLAIM_LIMIT });
    if (claimed.length === CLAIM_LIMIT) this.again = true;
    for (const r of claimed) this.held.add(r.id);
    const renewal = setInterval(() => this.renewClaims(), Math.max(1, Math.floor(this.leaseMs / 3)));
    renewal.unref();
    try {
      const groups = new Map<string, Group>();
      for (const r of claimed) {
        const key = `${r.messageId} ${r.domain}`;
        let group = groups.get(key);
        if (!group) {
          const message = await this.opts.store.getMessage(r.messageId);
          if (!message) {
            this.held.delete(r.id); // dropped meanwhile: its recipients went with it
            continue;
          }
          group = { message, domain: r.domain, recipients: [] };
          groups.set(key, group);
        }
        group.recipients.push(r);
      }
      const work = [...groups.values()];
      const workers = Array.from({ length: Math.min(this.opts.concurrency, work.length) }, async () => {
        for (let g = work.shift(); g && !this.stopped; g = work.shift()) {
          try {
            await this.deliverGroup(g);
          } catch (err) {
            // One group's failure (a message dropped by `queue drop` mid-attempt, a database
            // error) leaves its recipients pending under a claim that runs out; the others go on.
            for (const r of g.recipients) this.held.delete(r.id);
            this.opts.log.error({ event: 'queue-attempt-failed', protocol: 'smtp-out', queueId: g.message.id, domain: g.domain, err: (err as Error).message });
          }
        }
      });
      await Promise.all(workers);
    } finally {
      clearInterval(renewal);
      // Claimed but not attempted (the runner is stopping): due again at once for whoever runs.
      const unattempted = [...this.held];
      this.held.clear();
      await this.opts.store.releaseClaims(this.owner, unattempted);
    }
  }

  private renewClaims(): void {
    const ids = [...this.held];
    if (ids.length === 0) return;
    this.opts.store.renewClaims(this.owner, ids, this.now() + this.leaseMs).then(
      (still) => {
        if (still.length < ids.length) this.opts.log.warn({ event: 'queue-claim-lost', protocol: 'smtp-out', owner: this.owner, lost: ids.length - still.length });
      },
      (err: unknown) => this.opts.log.error({ event: 'queue-claim-renewal-failed', protocol: 'smtp-out', err: (err as Error).message }),
    );
  }

  private async route(domain: string): Promise<RouteHost[]> {
    const relay = this.opts.client.relay;
    if (relay) {
      const addresses = net.isIP(relay.host) ? [relay.host] : ((await this.opts.resolver(relay.host, 'A')) as string[]);
      return addresses.map((address) => ({ host: relay.host, address, port: relay.port }));
    }
    return resolveRoute(domain, this.opts.resolver, this.opts.mxPort);
  }

  /** RFC 5321 §4.5.4.1: try each host in order until one gives SMTP answers. */
  private async attempt(group: Group): Promise<{ results: RecipientResult[]; remote: string | null }> {
    const addresses = group.recipients.map((r) => r.address);
    let hosts: RouteHost[];
    try {
      hosts = await this.route(group.domain);
    } catch (err) {
      const permanent = err instanceof RouteError && err.permanent;
      const status = err instanceof RouteError ? err.status : '4.4.3';
      const reply = (err as Error).message;
      return { results: addresses.map((address) => ({ address, kind: permanent ? 'permanent' : 'temporary', status, reply })), remote: null };
    }
    const body = await this.opts.blobs.get(group.message.blobId);
    let lastError = 'no mail host answered';
    for (const host of hosts) {
      try {
        const results = await sendToHost(host, group.message.sender, addresses, body, { ...this.opts.client, hostname: this.opts.hostname });
        return { results, remote: host.host };
      } catch (err) {
        if (!(err instanceof HostUnreachable)) throw err;
        lastError = err.message;
        this.opts.log.info({ event: 'queue-host-unreachable', protocol: 'smtp-out', host: host.host, address: host.address, err: err.message });
      }
    }
    return { results: addresses.map((address) => ({ address, kind: 'temporary', status: '4.4.1', reply: lastError })), remote: null };
  }

  private nextDelay(attempts: number): number {
    const delays = this.opts.schedule.retryDelaysMs;
    return delays[Math.min(attempts, delays.length - 1)];
  }

  private async deliverGroup(group: Group): Promise<void> {
    const { results, remote } = await this.attempt(group);
    const now = this.now();
    const byAddress = new Map(results.map((r) => [r.address.toLowerCase(), r]));
    const outcomes: AttemptOutcome[] = [];
    const bounce: DsnRecipient[] = [];
    const delayed: DsnRecipient[] = [];
    const age = now - group.message.createdAt;
    for (const r of group.recipients) {
      const result = byAddress.get(r.address.toLowerCase()) ?? { address: r.address, kind: 'temporary', status: '4.4.0', reply: 'no reply for this recipient' };
      const base = { recipientId: r.id, error: result.reply, status: result.status, remote };
      if (result.kind === 'sent') {
        outcomes.push({ ...base, state: 'delivered', error: null });
        this.opts.log.info({ event: 'queue-delivered', protocol: 'smtp-out', queueId: r.messageId, to: r.address, remote, reply: result.reply });
        continue;
      }
      const expired = result.kind === 'temporary' && age + this.nextDelay(r.attempts) > this.opts.schedule.maxAgeMs;
      if (result.kind === 'permanent' || expired) {
        outcomes.push({ ...base, state: 'failed' });
        const status = expired && !result.status.startsWith('5') ? `5${result.status.slice(1)}` : result.status;
        bounce.push({ address: r.address, action: 'failed', status, diagnostic: expired ? `${result.reply} (gave up after ${Math.round(age / 3600_000)} h)` : result.reply, remoteMta: remote, lastAttemptAt: now });
        this.opts.log.warn({ event: 'queue-failed', protocol: 'smtp-out', queueId: r.messageId, to: r.address, remote, reply: result.reply, expired });
        continue;
      }
      const notify = !r.delayNotified && age >= this.opts.schedule.delayNoticeAfterMs;
      outcomes.push({ ...base, state: 'pending', nextAttemptAt: now + this.nextDelay(r.attempts), delayNotified: notify });
      if (notify) delayed.push({ address: r.address, action: 'delayed', status: result.status, diagnostic: result.reply, remoteMta: remote, lastAttemptAt: now, willRetryUntil: group.message.createdAt + this.opts.schedule.maxAgeMs });
      this.opts.log.info({ event: 'queue-deferred', protocol: 'smtp-out', queueId: r.messageId, to: r.address, remote, reply: result.reply, attempts: r.attempts + 1 });
    }
    for (const list of [bounce, delayed]) {
      if (list.length > 0) await this.notifySender(group.message, list, now);
    }
    const recorded = new Set(await this.opts.store.recordAttempts(this.owner, outcomes));
    for (const r of group.recipients) this.held.delete(r.id);
    if (recorded.size < outcomes.length) {
      // Another runner took the claim over (this attempt outlived its lease) or the message was
      // dropped: the newer state stands.
      this.opts.log.warn({ event: 'queue-claim-lost', protocol: 'smtp-out', queueId: group.message.id, domain: group.domain, owner: this.owner, unrecorded: outcomes.length - recorded.size });
    }
  }

  private async notifySender(message: QueuedMessage, recipients: DsnRecipient[], now: number): Promise<void> {
    // RFC 5321 §4.5.5 / RFC 3464 §2: no notification to the null reverse-path, and none about our own bounces.
    if (message.sender === '' || message.isBounce) {
      this.opts.log.warn({ event: 'queue-bounce-suppressed', protocol: 'smtp-out', queueId: message.id, reason: message.sender === '' ? 'null-sender' : 'bounce-of-bounce' });
      return;
    }
    const original = await this.opts.blobs.get(message.blobId);
    const dsn = buildDsn({ reportingMta: this.opts.hostname, to: message.sender, arrivalDate: message.createdAt, recipients, original, now });
    await this.opts.submitBounce(message.sender, dsn);
  }
}
