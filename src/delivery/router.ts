// Where an accepted message goes: hosted recipients through the local delivery pipeline
// (src/delivery/), everything else into the outbound queue. Shared by inbound SMTP,
// submission and the queue's own bounces.
//
// Implementation notes (rules every change must keep):
// - Durable before success: external recipients are committed to the queue (Outbox) and local
//   ones stored by LocalDelivery (blob fsynced once, rows committed) before route() resolves;
//   only then does the caller answer 250.
// - Queue first, then local: a local failure must not leave remote recipients unsent, and a
//   queue failure (disk) must fail the whole transaction before anything was delivered locally.
// - A recipient fails only if every one of its targets failed (today: over quota); the caller
//   decides between refusing the whole message and bouncing the failed part. A message a rule
//   discarded counts as delivered.

import type { AccountId, MailStore, RecipientTarget } from '../store/types.ts';
import type { Outbox } from '../queue/outbox.ts';
import type { DeliveryLog, LocalDelivery, LocalRecipient } from './local-delivery.ts';

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
  local: LocalDelivery;
  /** Where a bounce's recipient lives (hosted, unknown or elsewhere). */
  recipients: Pick<MailStore, 'resolveRecipient'>;
  queue: Pick<Outbox, 'enqueue'>;
  log: DeliveryLog;
  /** Called after something was queued, so the runner tries it right away. */
  onQueued: () => void;
}

export class MailRouter {
  private readonly opts: MailRouterOptions;

  constructor(opts: MailRouterOptions) {
    this.opts = opts;
  }

  async route(sender: string, recipients: RoutedRecipient[], raw: Buffer, opts: { isBounce?: boolean } = {}): Promise<DeliveryOutcome> {
    const local: LocalRecipient[] = [];
    const external = new Set<string>();
    for (const r of recipients) {
      for (const t of r.targets) {
        if (t.kind === 'local') local.push({ address: r.address, account: t.account });
        else external.add(t.address);
      }
    }
    let queuedId: number | null = null;
    if (external.size > 0) {
      queuedId = await this.opts.queue.enqueue({ sender, recipients: [...external], body: raw, isBounce: opts.isBounce });
    }
    const results = await this.opts.local.deliver(raw, { sender, recipients: local });
    if (queuedId !== null) this.opts.onQueued();
    const refused = new Set<AccountId>(results.filter((r) => r.outcome.kind === 'over-quota').map((r) => r.account.id));
    const delivered: string[] = [];
    const overQuota: string[] = [];
    for (const r of recipients) {
      const ok = r.targets.some((t) => t.kind === 'external' || !refused.has(t.account.id));
      (ok ? delivered : overQuota).push(r.address);
    }
    return { delivered, overQuota, queuedId };
  }

  /** A DSN from <>: to the sender's mailboxes when hosted, else out through the queue. */
  async submitBounce(to: string, message: Buffer): Promise<void> {
    const targets = await this.opts.recipients.resolveRecipient(to);
    if (targets === null) {
      await this.opts.queue.enqueue({ sender: '', recipients: [to], body: message, isBounce: true });
      this.opts.onQueued();
      return;
    }
    if (targets.length === 0) {
      this.opts.log.warn({ event: 'bounce-dropped', protocol: 'smtp', to, reason: 'unknown local sender' });
      return;
    }
    const outcome = await this.route('', [{ address: to, targets }], message, { isBounce: true });
    if (outcome.overQuota.length > 0) this.opts.log.warn({ event: 'bounce-dropped', protocol: 'smtp', to, reason: 'over quota' });
  }
}
