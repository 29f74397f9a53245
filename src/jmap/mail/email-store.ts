// Storing a new Email for Email/set create, Email/import and Email/copy (RFC 8621 §4.6–§4.8):
// through the same ingest path IMAP APPEND uses (src/delivery/explicit-target.ts: the blob is
// fsynced before the row commits, the store publishes on the ChangeBus, IDLE sessions hear of
// it at once). An Email in several mailboxes is appended to the first and copied to the
// others, so it is one Email (a copy within the account joins the same Email,
// src/store/mail-types.ts). Also the argument readers those methods share: mailboxIds,
// keywords, UTCDate, and the SetError a failure becomes.

import { StoreError, type AccountId, type MailboxId } from '../../store/types.ts';
import { ingestMessage } from '../../delivery/explicit-target.ts';
import { isPlainObject } from '../args.ts';
import type { MethodContext, SetError } from '../types.ts';
import { fromJmapId, toJmapId } from '../ids.ts';
import { isValidKeyword, keywordToFlag } from './keywords.ts';
import { InvalidProperty } from './email-create-headers.ts';
import { MimeBuildError } from './mime-build.ts';

/** A mailbox id argument, with "#creation" ids of this request resolved (RFC 8620 §5.3). */
export function mailboxIdOf(ctx: MethodContext, id: string): MailboxId | null {
  const resolved = id.startsWith('#') ? ctx.resolveId(id.slice(1)) : id;
  return resolved === null ? null : fromJmapId('mailbox', resolved);
}

/** RFC 8621 §4.1.1 mailboxIds `{id: true}`: at least one, each a mailbox of this account. */
export async function readMailboxIds(ctx: MethodContext, property: string, v: unknown): Promise<MailboxId[]> {
  if (!isPlainObject(v)) throw new InvalidProperty(property, 'must be an object of mailbox ids to true');
  const ids: MailboxId[] = [];
  for (const [id, value] of Object.entries(v)) {
    if (value !== true) throw new InvalidProperty(property, 'every value must be true');
    const mailboxId = mailboxIdOf(ctx, id);
    if (mailboxId === null || !(await ctx.deps.store.getMailboxById(ctx.accountId, mailboxId))) throw new InvalidProperty(property, `no mailbox ${id}`);
    if (!ids.includes(mailboxId)) ids.push(mailboxId);
  }
  if (ids.length === 0) throw new InvalidProperty(property, 'an Email belongs to at least one mailbox');
  return ids;
}

/** RFC 8621 §4.1.1 keywords `{keyword: true}` as stored flags. */
export function readKeywords(property: string, v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (!isPlainObject(v)) throw new InvalidProperty(property, 'must be an object of keywords to true');
  const flags: string[] = [];
  for (const [keyword, value] of Object.entries(v)) {
    if (value !== true) throw new InvalidProperty(property, 'every value must be true');
    if (!isValidKeyword(keyword)) throw new InvalidProperty(property, `"${keyword}" is not a valid keyword`);
    flags.push(keywordToFlag(keyword));
  }
  return flags;
}

/** RFC 8620 §1.4 UTCDate ("2014-10-30T06:12:00Z") as ms since the epoch. */
export function readUtcDate(property: string, v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(v)) throw new InvalidProperty(property, 'must be a UTCDate');
  const ms = Date.parse(v);
  if (!Number.isFinite(ms)) throw new InvalidProperty(property, 'is not a valid date');
  return ms;
}

/** Over the server's message size limit (RFC 8620 §5.3 tooLarge). */
export class MessageTooLarge extends Error {}

export interface CreatedEmail {
  id: string;
  blobId: string;
  threadId: string;
  size: number;
}

/** Stores `raw` as one new Email in every mailbox of `mailboxIds` (in that order). */
export async function storeNewEmail(
  ctx: MethodContext,
  raw: Uint8Array,
  placement: { accountId?: AccountId; mailboxIds: MailboxId[]; flags: string[]; receivedAt?: number },
): Promise<CreatedEmail> {
  const { deps } = ctx;
  const accountId = placement.accountId ?? ctx.accountId;
  if (raw.length > deps.outbound.maxMessageBytes) throw new MessageTooLarge();
  const [first, ...others] = placement.mailboxIds;
  const appended = await ingestMessage(deps, accountId, first, raw, { flags: placement.flags, internalDate: placement.receivedAt });
  const placed: { mailboxId: MailboxId; uid: number }[] = [{ mailboxId: first, uid: appended.uid }];
  try {
    for (const to of others) {
      const copy = await deps.store.copyMessages(accountId, first, [appended.uid], to);
      placed.push({ mailboxId: to, uid: copy.mapping[0].destUid });
    }
  } catch (err) {
    // Each record is atomic (RFC 8620 §5.3): a copy refused (quota) takes the rest back.
    for (const p of placed) await deps.store.expunge(accountId, p.mailboxId, { uids: [p.uid], onlyDeleted: false }).catch(() => {});
    throw err;
  }
  const email = (await deps.store.getEmails(accountId, [appended.emailId]))[0];
  return {
    id: toJmapId('email', appended.emailId),
    blobId: email?.blobId ?? '',
    threadId: toJmapId('thread', appended.threadId),
    size: email?.size ?? raw.length,
  };
}

/** The SetError a failed create or update is answered with, or null for an unexpected failure. */
export function setErrorOf(err: unknown): SetError | null {
  if (err instanceof InvalidProperty) return { type: 'invalidProperties', properties: [err.property], description: `${err.property}: ${err.message}` };
  if (err instanceof MessageTooLarge) return { type: 'tooLarge', description: 'The message is larger than the server accepts.' };
  if (err instanceof MimeBuildError) return { type: 'invalidProperties', description: err.message };
  if (err instanceof StoreError) {
    if (err.code === 'OVER_QUOTA') return { type: 'overQuota', description: 'The account is over its quota.' };
    if (err.code === 'NOT_FOUND') return { type: 'notFound' };
    if (err.code === 'INVALID') return { type: 'invalidProperties', description: err.message };
  }
  return null;
}
