// Where an accepted message goes: hosted recipients into their INBOX, everything else into the
// outbound queue. Shared by inbound SMTP, submission and the queue's own bounces.
//
// Implementation notes (rules every change must keep):
// - Durable before success: the blob is put once (fsynced by the BlobStore) for all local
//   recipients, the message is parsed once, then one appendMessage per account (the store
//   commits and fsyncs, then publishes on the ChangeBus, which wakes IDLE/JMAP sessions).
//   External recipients are committed to the queue database. Only then does the caller answer 250.
// - An account addressed several times (directly and through aliases) gets one copy.
// - A recipient fails only if every one of its targets failed (today: over quota); the caller
//   decides between refusing the whole message and bouncing the failed part.

import type { Account, RecipientTarget } from '../store/types.ts';
import { StoreError } from '../store/types.ts';
import type { SmtpDeps as ServerDeps } from './deps.ts';
import type { QueueStore } from '../queue/store.ts';

export interface RoutedRecipient {
  /** The address as given in RCPT TO. */
  address: string;
  targets: RecipientTarget[];
}

export interface DeliveryOutcome {
  delivered: string[];
  /** Recipients none of whose targets could take the message, with the reason. */
  overQuota: string[];
  queuedId: number | null;
}

export interface MailRouterOptions {
  deps: ServerDeps;
  queue: QueueStore;
  /** Called after something was queued, so the runner tries it right away. */
  onQueued: () => void;
}

export class MailRouter {
  private readonly deps: ServerDeps;
  private readonly queue: QueueStore;
  private readonly onQueued: () => void;

  constructor(opts: MailRouterOptions) {
    this.deps = opts.deps;
    this.queue = opts.queue;
    this.onQueued = opts.onQueued;
  }

  /** Appends one message to the INBOX of each account; returns the ids of accounts over quota. */
  async deliverLocal(accounts: Account[], raw: Buffer): Promise<Set<number>> {
    const overQuota = new Set<number>();
    if (accounts.length === 0) return overQuota;
    const { store, blobs } = this.deps;
    const blob = await blobs.put(raw);
    const parsed = this.deps.parse(raw);
    const internalDate = Date.now();
    await Promise.all(
      accounts.map(async (account) => {
        const inbox = await store.getMailbox(account.id, 'INBOX');
        if (!inbox) throw new StoreError('NOT_FOUND', `account ${account.address} has no INBOX`);
        try {
          await store.appendMessage(account.id, inbox.id, {
            blobId: blob.id,
            size: blob.size,
            internalDate,
            summary: parsed.summary,
            searchText: parsed.searchText,
          });
        } catch (err) {
          if (err instanceof StoreError && err.code === 'OVER_QUOTA') overQuota.add(account.id);
          else throw err;
        }
      }),
    );
    return overQuota;
  }

  async route(sender: string, recipients: RoutedRecipient[], raw: Buffer, opts: { isBounce?: boolean } = {}): Promise<DeliveryOutcome> {
    const accounts = new Map<number, Account>();
    const external = new Set<string>();
    for (const r of recipients) {
      for (const t of r.targets) {
        if (t.kind === 'local') accounts.set(t.account.id, t.account);
        else external.add(t.address);
      }
    }
    // Queue first: a local failure below must not leave remote recipients unsent, and a queue
    // failure (disk) must fail the whole transaction before anything was delivered locally.
    let queuedId: number | null = null;
    if (external.size > 0) {
      queuedId = await this.queue.enqueue({ sender, recipients: [...external], body: raw, isBounce: opts.isBounce });
    }
    const overQuotaAccounts = await this.deliverLocal([...accounts.values()], raw);
    if (queuedId !== null) this.onQueued();
    const delivered: string[] = [];
    const overQuota: string[] = [];
    for (const r of recipients) {
      const ok = r.targets.some((t) => t.kind === 'external' || !overQuotaAccounts.has(t.account.id));
      (ok ? delivered : overQuota).push(r.address);
    }
    return { delivered, overQuota, queuedId };
  }

  /** A DSN from <>: into the sender's INBOX when hosted, else out through the queue. */
  async submitBounce(to: string, message: Buffer): Promise<void> {
    const targets = await this.deps.store.resolveRecipient(to);
    if (targets === null) {
      await this.queue.enqueue({ sender: '', recipients: [to], body: message, isBounce: true });
      this.onQueued();
      return;
    }
    if (targets.length === 0) {
      this.deps.log.warn({ event: 'bounce-dropped', protocol: 'smtp', to, reason: 'unknown local sender' });
      return;
    }
    const outcome = await this.route('', [{ address: to, targets }], message, { isBounce: true });
    if (outcome.overQuota.length > 0) this.deps.log.warn({ event: 'bounce-dropped', protocol: 'smtp', to, reason: 'over quota' });
  }
}
