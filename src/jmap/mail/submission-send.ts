// EmailSubmission/set create (RFC 8621 §7.5): an Email of the account sent through the path SMTP
// submission takes. The same sender rule and preparation (src/delivery/submission.ts: From: and
// envelope sender the user's, Date/Message-ID added, DKIM-signed), then the same router:
// remote recipients into the outbound queue, hosted ones delivered at once.
//
// Implementation notes:
// - The envelope, when the client gives none, is the identity's address and every address of
//   To, Cc and Bcc (RFC 8621 §7 "envelope"); Bcc is removed from what is sent (RFC 5322 §3.6.3),
//   the stored Email keeps it.
// - Sending is final at once (undoStatus "final"): there is no delayed send (maxDelayedSend 0).
// - Each recipient's delivery status starts from what the router did (delivered, refused for
//   quota, queued) and, for queued ones, follows the queue (store/sending-types.ts).

import { randomBytes } from 'node:crypto';
import type { RecipientTarget, SmtpAddressValue, SubmissionEnvelope, SubmissionInput, SubmissionRecord } from '../../store/types.ts';
import type { RoutedRecipient } from '../../delivery/router.ts';
import type { MethodContext, SetError } from '../types.ts';
import { isPlainObject, type Args } from '../args.ts';
import { fromJmapId } from '../ids.ts';
import { addressesOf, authorsOf, mayUseSender, prepareSubmission, SenderNotOwned } from '../../delivery/submission.ts';
import { rfc5322Date, withoutFields } from '../../mail/header-fields.ts';
import { normaliseAddress } from '../../mail/address.ts';
import { accountIdentities } from './identity.ts';

/** Properties a client gives on create; the others are the server's (RFC 8621 §7). */
const CREATE_PROPERTIES = new Set(['identityId', 'emailId', 'envelope']);
const SERVER_SET = new Set(['id', 'threadId', 'sendAt', 'undoStatus', 'deliveryStatus', 'dsnBlobIds', 'mdnBlobIds']);

const invalid = (properties: string[], description: string): SetError => ({ type: 'invalidProperties', properties, description });

/** RFC 8621 §7 Address; parameters other than none are refused: no submission extensions are offered. */
function readAddress(v: unknown): SmtpAddressValue | string {
  if (!isPlainObject(v) || typeof v.email !== 'string' || Object.keys(v).some((k) => k !== 'email' && k !== 'parameters')) return 'an Address is {email, parameters}';
  const p = v.parameters;
  if (p !== undefined && p !== null && !(isPlainObject(p) && Object.keys(p).length === 0)) return 'no SMTP parameters are supported (submissionExtensions is empty)';
  return { email: v.email, parameters: null };
}

function readEnvelope(v: unknown): SubmissionEnvelope | string {
  if (!isPlainObject(v) || Object.keys(v).some((k) => k !== 'mailFrom' && k !== 'rcptTo')) return 'an Envelope is {mailFrom, rcptTo}';
  const mailFrom = readAddress(v.mailFrom);
  if (typeof mailFrom === 'string') return mailFrom;
  if (!Array.isArray(v.rcptTo)) return '"rcptTo" must be a list of Addresses';
  const rcptTo: SmtpAddressValue[] = [];
  for (const r of v.rcptTo) {
    const a = readAddress(r);
    if (typeof a === 'string') return a;
    rcptTo.push(a);
  }
  return { mailFrom, rcptTo };
}

function resolveId(ctx: MethodContext, v: unknown): string | null {
  if (typeof v !== 'string') return null;
  return v.startsWith('#') ? ctx.resolveId(v.slice(1)) : v;
}

export async function createSubmission(ctx: MethodContext, obj: Args): Promise<{ record: SubmissionRecord } | { error: SetError }> {
  const { store, blobs, outbound, hostname } = ctx.deps;
  const unknown = Object.keys(obj).filter((k) => !CREATE_PROPERTIES.has(k) && !(SERVER_SET.has(k) && (obj[k] === null || (k === 'undoStatus' && obj[k] === 'final'))));
  if (unknown.length) return { error: invalid(unknown, `not settable on create: ${unknown.join(', ')}`) };
  if (ctx.account.disabled) return { error: { type: 'forbiddenToSend', description: 'this account may not send mail' } };

  const identityId = fromJmapId('identity', resolveId(ctx, obj.identityId));
  const identity = identityId === null ? undefined : (await accountIdentities(ctx)).find((i) => i.id === identityId);
  if (!identity) return { error: invalid(['identityId'], 'no such identity') };
  const emailId = fromJmapId('email', resolveId(ctx, obj.emailId));
  const [email] = emailId === null ? [] : await store.getEmails(ctx.accountId, [emailId]);
  if (!email) return { error: invalid(['emailId'], 'no such Email') };
  if (email.size > outbound.maxMessageBytes) return { error: { type: 'tooLarge', maxSize: outbound.maxMessageBytes, description: `at most ${outbound.maxMessageBytes} octets` } };
  const raw = await blobs.get(email.blobId);
  if (authorsOf(raw).length === 0) return { error: { type: 'invalidEmail', properties: ['from'], description: 'the Email has no From address' } };

  let envelope: SubmissionEnvelope;
  if (obj.envelope === undefined || obj.envelope === null) {
    // RFC 8621 §7 "envelope": the identity's address, and every To, Cc and Bcc address.
    const seen = new Set<string>();
    const rcptTo: SmtpAddressValue[] = [];
    for (const a of addressesOf(raw, ['to', 'cc', 'bcc'])) {
      const key = (normaliseAddress(a) ?? a).toLowerCase();
      if (a === '' || seen.has(key)) continue;
      seen.add(key);
      rcptTo.push({ email: a, parameters: null });
    }
    envelope = { mailFrom: { email: identity.email, parameters: null }, rcptTo };
  } else {
    const read = readEnvelope(obj.envelope);
    if (typeof read === 'string') return { error: invalid(['envelope'], read) };
    envelope = read;
  }
  if (envelope.rcptTo.length === 0) return { error: { type: 'noRecipients', description: 'the envelope has no recipient' } };
  if (envelope.rcptTo.length > outbound.maxRecipients) return { error: { type: 'tooManyRecipients', maxRecipients: outbound.maxRecipients, description: `at most ${outbound.maxRecipients} recipients` } };
  // RFC 6409 §6.1, the rule of SMTP submission's MAIL FROM.
  if (!(await mayUseSender(store, ctx.account, envelope.mailFrom.email))) {
    return { error: { type: 'forbiddenMailFrom', description: `${envelope.mailFrom.email} is not an address this account may send as` } };
  }

  const routed = new Map<string, { given: string; targets: RecipientTarget[] }>();
  const invalidRecipients: string[] = [];
  for (const r of envelope.rcptTo) {
    const normal = normaliseAddress(r.email);
    if (!normal) {
      invalidRecipients.push(r.email);
      continue;
    }
    if (routed.has(normal)) continue;
    // Not hosted here: out through the queue (an authenticated user may relay); hosted but unknown: refused.
    const targets = (await store.resolveRecipient(normal)) ?? [{ kind: 'external', address: normal }];
    if (targets.length === 0) invalidRecipients.push(r.email);
    else routed.set(normal, { given: r.email, targets });
  }
  if (invalidRecipients.length) return { error: { type: 'invalidRecipients', invalidRecipients, description: 'no such recipient' } };

  let prepared: Buffer;
  const trace = `Received: by ${hostname} (Posthorn JMAP) id ${randomBytes(8).toString('hex')};\r\n\t${rfc5322Date()}\r\n`;
  try {
    prepared = await prepareSubmission({ store, hostname }, withoutFields(raw, ['bcc']), ctx.account, trace);
  } catch (err) {
    if (err instanceof SenderNotOwned) return { error: { type: 'forbiddenFrom', description: err.message } };
    throw err;
  }
  const recipients: RoutedRecipient[] = [...routed].map(([address, r]) => ({ address, targets: r.targets }));
  const outcome = await outbound.router.route(envelope.mailFrom.email, recipients, prepared);
  const refused = new Set(outcome.overQuota);
  const sendAt = Math.floor(Date.now() / 1000) * 1000;
  const statuses: SubmissionInput['recipients'] = [...routed].map(([address, r]) => {
    const external = r.targets.find((t) => t.kind === 'external');
    if (external && outcome.queuedId !== null) {
      return { address: r.given, delivered: 'queued', smtpReply: `250 2.0.0 queued as ${outcome.queuedId}`, queued: { messageId: outcome.queuedId, address: external.address } };
    }
    if (refused.has(address)) return { address: r.given, delivered: 'no', smtpReply: '552 5.2.2 Mailbox full: quota exceeded' };
    return { address: r.given, delivered: 'yes', smtpReply: '250 2.0.0 delivered to the mailbox' };
  });
  ctx.deps.log.info({ event: 'jmap-submitted', protocol: 'jmap', account: ctx.account.address, from: envelope.mailFrom.email, recipients: statuses.length, queued: outcome.queuedId, size: prepared.length });
  const record = await store.createSubmission(ctx.accountId, { identityId: identity.id, emailId: email.id, threadId: email.threadId, envelope, sendAt, recipients: statuses });
  return { record };
}
