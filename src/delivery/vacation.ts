// The vacation response's reply (RFC 8621 §8, RFC 3834): once a message is stored for an account
// whose vacation response is on, the sender gets one automatic reply per period, sent from <>
// through the same router as every other message.
//
// Implementation notes (rules every change must keep):
// - Never a reply that could start or feed a loop, or answer a machine (RFC 3834 §2): not to
//   the null sender <> (bounces), not to MAILER-DAEMON, postmaster, owner-* or *-request, not to
//   the account itself, not to a message with Auto-Submitted other than "no", a mailing list
//   field (List-Id, List-*) or Precedence bulk/list/junk; and only when one of the account's
//   addresses (its own, or an alias of it) is in To or Cc, so Bcc'd and list mail is not answered.
// - Once per sender per period (RFC 3834 §2, 7 days by default), remembered in the store so
//   every node shares it; the claim is atomic, so two deliveries at once answer once.
// - The reply (RFC 3834 §3): Auto-Submitted: auto-replied, In-Reply-To and References of the
//   message, "Re: " and its subject unless a subject is set, envelope sender <> (§3.3), to the
//   envelope sender (§4); DKIM-signed like any submitted mail of the domain (RFC 6376).
// - It never makes a delivery fail: every error is logged and the delivery goes on.

import { randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { MailStore, RecipientTarget } from '../store/types.ts';
import type { DeliveryLog } from './local-delivery.ts';
import type { DeliveryRuleInput } from './rules.ts';
import type { RoutedRecipient } from './router.ts';
import { addressesOf, dkimSignatureFor, mayUseSender } from './submission.ts';
import { fieldValue, splitHeader } from '../mail/header-fields.ts';
import { normaliseAddress } from '../mail/address.ts';
import { htmlToText } from '../wire/mime/text.ts';

export const DEFAULT_AUTO_REPLY_PERIOD_MS = 7 * 24 * 3600_000;
/** To/Cc addresses looked at for one of the account's own (a huge To: costs no more than this). */
const MAX_ADDRESSES_CHECKED = 50;

export interface VacationResponderDeps {
  store: Pick<MailStore, 'getVacationResponse' | 'claimAutoReply' | 'listAliases' | 'getDomain' | 'resolveRecipient'>;
  hostname: string;
  log: DeliveryLog;
  /** Sends the reply: the router's route(), given late since the router is built on local delivery. */
  send: (sender: string, recipients: RoutedRecipient[], raw: Buffer) => Promise<unknown>;
  periodMs?: number;
  now?: () => number;
}

/** Why a message gets no reply (for the log), or null when it gets one. */
export function autoReplyRefusal(sender: string, raw: Uint8Array): string | null {
  if (sender === '') return 'null sender';
  const local = sender.slice(0, sender.lastIndexOf('@')).toLowerCase();
  if (local === 'mailer-daemon' || local === 'postmaster' || local.startsWith('owner-') || local.endsWith('-request')) return 'sender is a mail system or list address';
  const { fields } = splitHeader(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength));
  for (const f of fields) {
    const value = fieldValue(f).toLowerCase();
    if (f.name === 'auto-submitted' && value.split(';')[0].trim() !== 'no') return 'auto-submitted';
    if (f.name.startsWith('list-')) return 'mailing list';
    if (f.name === 'precedence' && ['bulk', 'list', 'junk'].includes(value)) return `precedence ${value}`;
  }
  return null;
}

export class VacationResponder {
  private readonly deps: VacationResponderDeps;

  constructor(deps: VacationResponderDeps) {
    this.deps = deps;
  }

  /** After a message was stored for the account: the reply, if one is due. Never throws. */
  async afterStored(input: DeliveryRuleInput): Promise<void> {
    const { account, envelope } = input;
    try {
      const sent = await this.reply(input);
      if (sent) this.deps.log.info({ event: 'vacation-reply-sent', account: account.address, to: envelope.sender });
    } catch (err) {
      this.deps.log.error({ event: 'vacation-reply-failed', account: account.address, to: envelope.sender, err: (err as Error).message });
    }
  }

  private async reply({ account, envelope, message }: DeliveryRuleInput): Promise<boolean> {
    const { store } = this.deps;
    const settings = await store.getVacationResponse(account.id);
    const now = (this.deps.now ?? Date.now)();
    if (!settings.isEnabled || (settings.fromDate !== null && now < settings.fromDate) || (settings.toDate !== null && now >= settings.toDate)) return false;
    const sender = normaliseAddress(envelope.sender);
    const refusal = sender === null ? 'null or malformed sender' : autoReplyRefusal(sender, message.raw);
    if (refusal !== null || sender === null) {
      this.deps.log.info({ event: 'vacation-reply-skipped', account: account.address, from: envelope.sender, reason: refusal });
      return false;
    }
    if (await mayUseSender(store, account, sender)) return false;
    const raw = Buffer.from(message.raw.buffer, message.raw.byteOffset, message.raw.byteLength);
    let own: string | null = null;
    for (const a of addressesOf(raw, ['to', 'cc']).slice(0, MAX_ADDRESSES_CHECKED)) {
      if (a && (await mayUseSender(store, account, a))) {
        own = normaliseAddress(a);
        break;
      }
    }
    if (own === null) {
      this.deps.log.info({ event: 'vacation-reply-skipped', account: account.address, from: sender, reason: 'not addressed in To or Cc' });
      return false;
    }
    if (!(await store.claimAutoReply(account.id, sender, now, this.deps.periodMs ?? DEFAULT_AUTO_REPLY_PERIOD_MS))) return false;
    const targets: RecipientTarget[] | null = await store.resolveRecipient(sender);
    if (targets !== null && targets.length === 0) return false;

    const summary = message.parsed.summary;
    const original = summary.subject.trim();
    const subject = settings.subject ?? (/^re:/i.test(original) ? original : `Re: ${original}`);
    const text = settings.textBody ?? (settings.htmlBody !== null ? htmlToText(settings.htmlBody).replace(/\s+/g, ' ').trim() : 'I am away and will read your message when I am back.');
    const references = [...summary.references, ...(summary.messageId ? [summary.messageId] : [])].slice(-32).map((id) => `<${id}>`);
    const composed = await new MailComposer({
      from: own,
      to: sender,
      subject,
      text,
      ...(settings.htmlBody !== null ? { html: settings.htmlBody } : {}),
      ...(summary.messageId ? { inReplyTo: `<${summary.messageId}>` } : {}),
      ...(references.length ? { references } : {}),
      messageId: `<${randomBytes(16).toString('hex')}@${this.deps.hostname}>`,
      date: new Date(now),
      headers: { 'Auto-Submitted': 'auto-replied' },
      xMailer: false,
    }).compile().build();
    const signature = await dkimSignatureFor(store, own.slice(own.lastIndexOf('@') + 1), composed);
    const reply = Buffer.concat([Buffer.from(signature, 'utf8'), composed]);
    await this.deps.send('', [{ address: sender, targets: targets ?? [{ kind: 'external', address: sender }] }], reply);
    return true;
  }
}
