// Local delivery of new mail, for every way mail arrives addressed to accounts (SMTP inbound and
// submission, the queue's bounces to hosted senders, later JMAP EmailSubmission, Sieve redirect
// and the importer): ingest → per-account rules → mailbox. Callers that chose the mailbox
// themselves (IMAP APPEND, JMAP Email/import) skip the rules: src/delivery/explicit-target.ts.
//
// Implementation notes (rules every change must keep):
// - Durable before success: the blob is put (fsynced) and the message parsed once for all
//   accounts; every append is committed by the store before deliver() resolves, and only then
//   may a protocol acknowledge the message.
// - An account reached several times (directly and through aliases) is asked once and stored
//   once; a rule naming one mailbox twice stores one copy there (RFC 5228 §2.10.3).
// - Where a decision cannot be followed, the message is kept in INBOX rather than lost: a rule
//   that throws (RFC 5228 §2.10.6 implicit keep), a mailbox that does not exist (as Sieve's
//   fileinto without RFC 5490's :create, RFC 5228 §4.1), an empty placement list.
//   Each such fallback is logged.
// - An account fails only when nothing could be stored for it (today: over quota); a placement
//   refused while another was stored is logged, and the account counts as delivered.

import type { Account, AccountId, MailboxId, MailStore, Mailbox } from '../store/types.ts';
import { StoreError } from '../store/types.ts';
import { canonicalFlag, normaliseFlags } from '../mail/flags.ts';
import { appendOne, type AppendStore } from './append.ts';
import { ingest, type IngestDeps, type IngestedMessage } from './ingest.ts';
import { describeChoice, INBOX, KEEP_IN_INBOX, type DeliveryDecision, type DeliveryEnvelope, type DeliveryRuleInput, type DeliveryRules, type MailboxChoice, type Placement } from './rules.ts';

/** The structured logger (pino's methods fit). */
export interface DeliveryLog {
  info(fields: Record<string, unknown>): void;
  warn(fields: Record<string, unknown>): void;
  error(fields: Record<string, unknown>): void;
}

export interface LocalDeliveryDeps extends IngestDeps {
  store: AppendStore & Pick<MailStore, 'getMailbox' | 'getMailboxByRole'>;
  log: DeliveryLog;
  rules: DeliveryRules;
  /**
   * Runs once the message is stored for an account (the vacation response's reply,
   * src/delivery/vacation.ts); awaited before deliver() resolves, and it must not throw.
   */
  afterStored?: (input: DeliveryRuleInput) => Promise<void>;
}

/** One RCPT TO address that resolved to a hosted account. */
export interface LocalRecipient {
  address: string;
  account: Account;
}

export type AccountOutcome =
  | { kind: 'stored'; mailboxes: { name: string; uid: number }[] }
  | { kind: 'discarded'; reason: string }
  | { kind: 'over-quota' };

export interface AccountDelivery {
  account: Account;
  outcome: AccountOutcome;
}

interface Target {
  mailbox: Mailbox;
  flags: string[];
}

export class LocalDelivery {
  private readonly deps: LocalDeliveryDeps;

  constructor(deps: LocalDeliveryDeps) {
    this.deps = deps;
  }

  /** One message to hosted accounts; one result per distinct account, in order of first RCPT. */
  async deliver(raw: Uint8Array, envelope: { sender: string; recipients: readonly LocalRecipient[] }): Promise<AccountDelivery[]> {
    const byAccount = new Map<AccountId, { account: Account; addresses: string[] }>();
    for (const r of envelope.recipients) {
      const entry = byAccount.get(r.account.id);
      if (entry) {
        if (!entry.addresses.includes(r.address)) entry.addresses.push(r.address);
      } else {
        byAccount.set(r.account.id, { account: r.account, addresses: [r.address] });
      }
    }
    if (byAccount.size === 0) return [];
    const message = await ingest(this.deps, raw);
    const internalDate = Date.now();
    return Promise.all(
      [...byAccount.values()].map(async ({ account, addresses }) => ({
        account,
        outcome: await this.deliverTo(account, { sender: envelope.sender, recipient: addresses[0], originalRecipients: addresses }, message, internalDate),
      })),
    );
  }

  private async deliverTo(account: Account, envelope: DeliveryEnvelope, message: IngestedMessage, internalDate: number): Promise<AccountOutcome> {
    const decision = await this.decide(account, envelope, message);
    if (decision.action === 'discard') {
      this.deps.log.info({ event: 'delivery-discarded', account: account.address, from: envelope.sender, rcpt: envelope.recipient, reason: decision.reason });
      return { kind: 'discarded', reason: decision.reason };
    }
    let placements = decision.placements;
    if (placements.length === 0) {
      this.deps.log.warn({ event: 'delivery-fallback', account: account.address, mailbox: 'INBOX', reason: 'no placement' });
      placements = KEEP_IN_INBOX_PLACEMENTS;
    }
    const targets = await this.targets(account, placements);
    const stored: { name: string; uid: number }[] = [];
    let overQuota = false;
    for (const target of targets) {
      if (stored.some((s) => s.name === target.mailbox.name)) continue; // INBOX already took a fallback copy
      try {
        const r = await this.appendWithFallback(account, target, message, internalDate, stored);
        if (r) stored.push(r);
      } catch (err) {
        if (!(err instanceof StoreError && err.code === 'OVER_QUOTA')) throw err;
        overQuota = true;
      }
    }
    if (stored.length === 0 && overQuota) {
      this.deps.log.info({ event: 'delivery-refused', account: account.address, from: envelope.sender, rcpt: envelope.recipient, reason: 'over quota' });
      return { kind: 'over-quota' };
    }
    if (overQuota) this.deps.log.warn({ event: 'delivery-partial', account: account.address, rcpt: envelope.recipient, reason: 'over quota', stored: stored.map((s) => s.name) });
    this.deps.log.info({ event: 'delivered', account: account.address, from: envelope.sender, rcpt: envelope.recipient, mailboxes: stored.map((s) => s.name) });
    if (stored.length > 0) await this.afterStored({ account, envelope, message: { raw: message.raw, parsed: message.parsed, size: message.size } });
    return { kind: 'stored', mailboxes: stored };
  }

  /** The hook after storing; its failure is logged, never the delivery's. */
  private async afterStored(input: DeliveryRuleInput): Promise<void> {
    if (!this.deps.afterStored) return;
    try {
      await this.deps.afterStored(input);
    } catch (err) {
      this.deps.log.error({ event: 'delivery-after-stored-failed', account: input.account.address, rcpt: input.envelope.recipient, err: (err as Error).message });
    }
  }

  /** The rules' decision; a failing rule keeps the message in INBOX (RFC 5228 §2.10.6). */
  private async decide(account: Account, envelope: DeliveryEnvelope, message: IngestedMessage): Promise<DeliveryDecision> {
    try {
      return await this.deps.rules.decide({ account, envelope, message: { raw: message.raw, parsed: message.parsed, size: message.size } });
    } catch (err) {
      this.deps.log.error({ event: 'delivery-rules-failed', account: account.address, rcpt: envelope.recipient, err: (err as Error).message });
      return KEEP_IN_INBOX;
    }
  }

  /** Placements to existing mailboxes, one per mailbox (flags merged), missing ones replaced by INBOX. */
  private async targets(account: Account, placements: readonly Placement[]): Promise<Target[]> {
    const byMailbox = new Map<MailboxId, Target>();
    for (const p of placements) {
      const mailbox = await this.mailboxFor(account, p.mailbox);
      const flags = this.validFlags(account, p.flags ?? []);
      const existing = byMailbox.get(mailbox.id);
      if (existing) existing.flags = normaliseFlags([...existing.flags, ...flags]);
      else byMailbox.set(mailbox.id, { mailbox, flags });
    }
    return [...byMailbox.values()];
  }

  private async mailboxFor(account: Account, choice: MailboxChoice): Promise<Mailbox> {
    let mailbox: Mailbox | null = null;
    try {
      mailbox = 'name' in choice ? await this.deps.store.getMailbox(account.id, choice.name) : await this.deps.store.getMailboxByRole(account.id, choice.role);
    } catch (err) {
      // A name the store refuses (INVALID) is a mailbox that cannot exist.
      if (!(err instanceof StoreError && err.code === 'INVALID')) throw err;
    }
    if (mailbox) return mailbox;
    return this.fallBackToInbox(account, describeChoice(choice), 'no such mailbox');
  }

  private async fallBackToInbox(account: Account, wanted: string, reason: string): Promise<Mailbox> {
    const inbox = await this.deps.store.getMailbox(account.id, 'INBOX');
    if (!inbox) throw new StoreError('NOT_FOUND', `account ${account.address} has no INBOX`);
    if (wanted !== inbox.name) this.deps.log.warn({ event: 'delivery-fallback', account: account.address, wanted, mailbox: inbox.name, reason });
    return inbox;
  }

  /**
   * A mailbox deleted between lookup and append (NOT_FOUND) is replaced by INBOX like a missing
   * one; null when INBOX already has its copy.
   */
  private async appendWithFallback(account: Account, target: Target, message: IngestedMessage, internalDate: number, stored: readonly { name: string }[]): Promise<{ name: string; uid: number } | null> {
    try {
      const r = await appendOne(this.deps.store, account.id, target.mailbox.id, { message, flags: target.flags, internalDate });
      return { name: target.mailbox.name, uid: r.uid };
    } catch (err) {
      if (!(err instanceof StoreError && err.code === 'NOT_FOUND') || target.mailbox.name === 'INBOX') throw err;
    }
    const inbox = await this.fallBackToInbox(account, target.mailbox.name, 'mailbox deleted during delivery');
    if (stored.some((s) => s.name === inbox.name)) return null;
    const r = await appendOne(this.deps.store, account.id, inbox.id, { message, flags: target.flags, internalDate });
    return { name: inbox.name, uid: r.uid };
  }

  /** RFC 5232 §3: flags that cannot be stored are left out, not a reason to refuse the message. */
  private validFlags(account: Account, flags: readonly string[]): string[] {
    const valid: string[] = [];
    for (const f of flags) {
      try {
        if (canonicalFlag(f) !== null) valid.push(f);
      } catch {
        this.deps.log.warn({ event: 'delivery-flag-ignored', account: account.address, flag: f.slice(0, 64) });
      }
    }
    return normaliseFlags(valid);
  }
}

const KEEP_IN_INBOX_PLACEMENTS: readonly Placement[] = Object.freeze([Object.freeze({ mailbox: INBOX })]);
