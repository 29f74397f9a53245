// Sends to push subscriptions (RFC 8620 §7.2): the PushVerification right after a
// subscription is created, and StateChange objects for the types it asked for once it is
// verified and until it expires, as HTTP POSTs to its URL (RFC 8030 §5: a push service; any
// https endpoint that takes a POST).
//
// Implementation notes:
// - Subscriptions live in the store. This node listens (through the hub) to the accounts that
//   have active ones: those it learns of when they are created or verified here, and every
//   REFRESH_MS those the store lists (subscriptions made through another node, expiries). Each
//   change re-reads the account's subscriptions, so an expiry or a deletion is honoured at once.
// - One POST in flight per subscription; changes meanwhile merge into its pending states, so a
//   slow push service costs a map of types, not a queue.
// - The push service answering 404 or 410 means the subscription is gone there (RFC 8030
//   §7.3): it is deleted here too. Redirects are not followed: the URL was checked, its target
//   was not.
// - URLs are https only unless the setting allows http to loopback hosts (pushUrlProblem).

import type { AccountId, MailStore, PushSubscriptionRecord } from '../../store/types.ts';
import type { Logger } from '../../observe/log.ts';
import { toJmapId } from '../ids.ts';
import type { PushHub } from './hub.ts';
import type { PushOptions } from './options.ts';
import { filterTypes, PendingStates, stateChange, type TypeState } from './state-change.ts';
import { encryptPushPayload } from './web-push-encryption.ts';

const REFRESH_MS = 60_000;
const POST_TIMEOUT_MS = 15_000;
/** RFC 8030 §5.2: how long a push service may keep the message for an offline device. */
const TTL_SECONDS = 86_400;

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** Why a URL may not be pushed to, or null when it may (the setting `jmap.push_allow_http_loopback`). */
export function pushUrlProblem(raw: string, options: PushOptions): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a URL';
  }
  if (raw.length > 2048) return 'longer than 2048 characters';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && options.allowHttpLoopback && isLoopbackHost(url.hostname)) return null;
  return options.allowHttpLoopback ? 'must be https (or http to a loopback host)' : 'must be an https URL';
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export class PushSubscriptionSender {
  private readonly store: MailStore;
  private readonly hub: PushHub;
  private readonly options: PushOptions;
  private readonly log: Logger;
  private readonly fetch: FetchLike;
  private readonly watched = new Map<AccountId, () => void>();
  private readonly pending = new Map<number, PendingStates>();
  private readonly inFlight = new Set<number>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(store: MailStore, hub: PushHub, options: PushOptions, log: Logger, fetchImpl: FetchLike = fetch) {
    this.store = store;
    this.hub = hub;
    this.options = options;
    this.log = log;
    this.fetch = fetchImpl;
  }

  start(): void {
    if (this.timer) return;
    this.stopped = false;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const unsubscribe of this.watched.values()) unsubscribe();
    this.watched.clear();
  }

  /** Listen to the account's changes (a subscription of it was created or verified on this node). */
  watch(accountId: AccountId): void {
    if (this.stopped || this.watched.has(accountId)) return;
    this.watched.set(accountId, this.hub.subscribe(accountId, (changed) => void this.onChange(accountId, changed)));
  }

  /** RFC 8620 §7.2.2: the code the client must echo back before it gets any StateChange. */
  sendVerification(sub: PushSubscriptionRecord): Promise<void> {
    return this.post(sub, { '@type': 'PushVerification', pushSubscriptionId: toJmapId('push', sub.id), verificationCode: sub.verificationCode });
  }

  private async refresh(): Promise<void> {
    try {
      const now = Date.now();
      await this.store.pushSubscriptions.deleteExpiredPushSubscriptions(now);
      const active = new Set(await this.store.pushSubscriptions.accountsWithPushSubscriptions(now));
      for (const accountId of active) this.watch(accountId);
      for (const [accountId, unsubscribe] of this.watched) {
        if (!active.has(accountId)) {
          unsubscribe();
          this.watched.delete(accountId);
        }
      }
    } catch (err) {
      this.log.warn({ event: 'jmap-push-refresh-failed', err: (err as Error).message });
    }
  }

  private async onChange(accountId: AccountId, changed: TypeState): Promise<void> {
    let subs: PushSubscriptionRecord[];
    try {
      subs = await this.store.pushSubscriptions.listPushSubscriptions(accountId, Date.now());
    } catch (err) {
      this.log.warn({ event: 'jmap-push-list-failed', account: accountId, err: (err as Error).message });
      return;
    }
    for (const sub of subs) {
      if (!sub.verified) continue;
      const wanted = filterTypes(changed, sub.types ? new Set(sub.types) : null);
      if (!wanted) continue;
      let pending = this.pending.get(sub.id);
      if (!pending) this.pending.set(sub.id, (pending = new PendingStates()));
      pending.merge(wanted);
      void this.drain(sub);
    }
  }

  private async drain(sub: PushSubscriptionRecord): Promise<void> {
    if (this.inFlight.has(sub.id)) return;
    this.inFlight.add(sub.id);
    try {
      for (let pending = this.pending.get(sub.id); pending && !pending.isEmpty; pending = this.pending.get(sub.id)) {
        if (sub.expiresAt !== null && sub.expiresAt <= Date.now()) break;
        await this.post(sub, stateChange(sub.accountId, pending.take()));
      }
    } finally {
      this.inFlight.delete(sub.id);
      this.pending.delete(sub.id);
    }
  }

  private async post(sub: PushSubscriptionRecord, message: unknown): Promise<void> {
    const json = Buffer.from(JSON.stringify(message), 'utf8');
    const headers: Record<string, string> = { TTL: String(TTL_SECONDS), Urgency: 'normal' };
    let body: Uint8Array<ArrayBuffer> = new Uint8Array(json);
    if (sub.keys) {
      body = new Uint8Array(encryptPushPayload(json, sub.keys));
      headers['Content-Encoding'] = 'aes128gcm';
      headers['Content-Type'] = 'application/octet-stream';
    } else {
      headers['Content-Type'] = 'application/json; charset=utf-8';
    }
    if (pushUrlProblem(sub.url, this.options) !== null) return;
    try {
      const res = await this.fetch(sub.url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(POST_TIMEOUT_MS) });
      await res.body?.cancel();
      if (res.status === 404 || res.status === 410) {
        await this.store.pushSubscriptions.deletePushSubscription(sub.accountId, sub.id);
        this.log.info({ event: 'jmap-push-subscription-gone', account: sub.accountId, status: res.status });
      } else if (res.status < 200 || res.status > 299) {
        this.log.warn({ event: 'jmap-push-refused', account: sub.accountId, status: res.status });
      }
    } catch (err) {
      this.log.warn({ event: 'jmap-push-failed', account: sub.accountId, err: (err as Error).message });
    }
  }
}
