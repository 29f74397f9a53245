// Email/set (RFC 8621 §4.6): creating a message from an Email object (email-create-*.ts and
// mime-build.ts build it, email-store.ts stores it), updating keywords and mailboxIds (whole or
// by RFC 8620 §5.3 patch), and destroying. Every change is a store mutation IMAP sees at once:
// keywords are flags set on one message of the Email (the store mirrors them to all of its
// messages), a mailbox added is a COPY, one removed an EXPUNGE of that message, and one of
// each a MOVE — so the Email keeps its id, the message keeps its identity (POP3 UIDL), and
// other messages' UIDs and the mailboxes' UIDVALIDITY never change.

import { randomUUID } from 'node:crypto';
import type { EmailRecord, FlagMode, MailboxId } from '../../store/types.ts';
import { checkIfInState, emptySetResponse, readSet, setResponseArgs } from '../standard.ts';
import { fromJmapId, toAccountId } from '../ids.ts';
import type { MethodContext, SetError } from '../types.ts';
import { isValidKeyword, keywordToFlag } from './keywords.ts';
import { CONVENIENCE_HEADERS, isHeaderProperty, readHeaderFields, rfc5322Date } from './email-create-headers.ts';
import { readCreateBody } from './email-create-body.ts';
import { buildMessage } from './mime-build.ts';
import { accountState } from './state.ts';
import { mailboxIdOf, readKeywords, readMailboxIds, readUtcDate, setErrorOf, storeNewEmail, type CreatedEmail } from './email-store.ts';

const CREATE_PROPERTIES = ['mailboxIds', 'keywords', 'receivedAt', 'bodyStructure', 'textBody', 'htmlBody', 'attachments', 'bodyValues', ...Object.keys(CONVENIENCE_HEADERS)];

/** The RFC 5322 message an Email object for creation describes. */
export async function messageFromEmail(ctx: MethodContext, email: Record<string, unknown>): Promise<{ raw: Buffer } | { error: SetError }> {
  const taken = new Set<string>();
  const fields = readHeaderFields(email, false, taken);
  // RFC 8621 §4.6: the server sets Date and Message-ID when the client did not (RFC 5322 §3.6.1, §3.6.4).
  if (!taken.has('date')) fields.unshift({ name: 'Date', value: rfc5322Date('sentAt', new Date().toISOString()) });
  if (!taken.has('message-id')) fields.unshift({ name: 'Message-ID', value: `<${randomUUID()}@${ctx.deps.hostname}>` });
  const body = await readCreateBody(ctx.deps, ctx, ctx.accountId, email, taken);
  if (body.notFound.length) return { error: { type: 'blobNotFound', notFound: body.notFound, description: 'Some blobs could not be found.' } };
  return { raw: await buildMessage(fields, body.root) };
}

async function createEmail(ctx: MethodContext, email: Record<string, unknown>): Promise<CreatedEmail | SetError> {
  for (const key of Object.keys(email)) {
    if (!CREATE_PROPERTIES.includes(key) && !isHeaderProperty(key)) {
      return { type: 'invalidProperties', properties: [key], description: `"${key}" cannot be set on creation` };
    }
  }
  const mailboxIds = await readMailboxIds(ctx, 'mailboxIds', email.mailboxIds);
  const flags = readKeywords('keywords', email.keywords);
  const receivedAt = readUtcDate('receivedAt', email.receivedAt);
  const message = await messageFromEmail(ctx, email);
  if ('error' in message) return message.error;
  return storeNewEmail(ctx, message.raw, { mailboxIds, flags, receivedAt });
}

/** RFC 6901 §4: "~1" is "/", "~0" is "~". */
function unescapePointer(s: string): string {
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

interface EmailPatch {
  keywords: { whole: string[] } | { add: string[]; remove: string[] } | null;
  mailboxes: { whole: MailboxId[] } | { add: MailboxId[]; remove: MailboxId[] } | null;
}

async function readPatch(ctx: MethodContext, patch: Record<string, unknown>): Promise<EmailPatch | SetError> {
  const kw = { whole: null as string[] | null, add: [] as string[], remove: [] as string[] };
  const mb = { whole: null as MailboxId[] | null, add: [] as MailboxId[], remove: [] as MailboxId[] };
  for (const [path, value] of Object.entries(patch)) {
    if (path === 'keywords') kw.whole = readKeywords(path, value ?? {});
    else if (path === 'mailboxIds') mb.whole = await readMailboxIds(ctx, path, value);
    else if (path.startsWith('keywords/')) {
      const keyword = unescapePointer(path.slice('keywords/'.length));
      if (!isValidKeyword(keyword) || (value !== true && value !== null)) return { type: 'invalidPatch', properties: [path], description: 'keywords/<keyword> is set to true or null' };
      (value === true ? kw.add : kw.remove).push(keywordToFlag(keyword));
    } else if (path.startsWith('mailboxIds/')) {
      const id = unescapePointer(path.slice('mailboxIds/'.length));
      if (value !== true && value !== null) return { type: 'invalidPatch', properties: [path], description: 'mailboxIds/<id> is set to true or null' };
      const mailboxId = mailboxIdOf(ctx, id);
      if (value === true) {
        if (mailboxId === null || !(await ctx.deps.store.getMailboxById(ctx.accountId, mailboxId))) return { type: 'invalidProperties', properties: ['mailboxIds'], description: `no mailbox ${id}` };
        mb.add.push(mailboxId);
      } else if (mailboxId !== null) mb.remove.push(mailboxId);
    } else {
      // RFC 8621 §4.1: everything but keywords and mailboxIds is immutable once created.
      return { type: 'invalidProperties', properties: [path.split('/')[0]], description: `"${path}" cannot be changed` };
    }
  }
  // RFC 8620 §5.3: a patch may not both set a property and a path inside it.
  if ((kw.whole && (kw.add.length || kw.remove.length)) || (mb.whole && (mb.add.length || mb.remove.length))) {
    return { type: 'invalidPatch', description: 'a property and a path within it are both patched' };
  }
  return {
    keywords: kw.whole ? { whole: kw.whole } : kw.add.length || kw.remove.length ? { add: kw.add, remove: kw.remove } : null,
    mailboxes: mb.whole ? { whole: mb.whole } : mb.add.length || mb.remove.length ? { add: mb.add, remove: mb.remove } : null,
  };
}

async function emailOf(ctx: MethodContext, id: string): Promise<EmailRecord | null> {
  const resolved = id.startsWith('#') ? ctx.resolveId(id.slice(1)) : id;
  const emailId = fromJmapId('email', resolved);
  if (emailId === null) return null;
  return (await ctx.deps.store.getEmails(ctx.accountId, [emailId]))[0] ?? null;
}

async function updateEmail(ctx: MethodContext, email: EmailRecord, patch: EmailPatch): Promise<SetError | null> {
  const { store } = ctx.deps;
  const acc = ctx.accountId;
  const current = email.mailboxes;
  let target: MailboxId[] | null = null;
  if (patch.mailboxes) {
    const ids = current.map((m) => m.mailboxId);
    target = 'whole' in patch.mailboxes ? patch.mailboxes.whole : [...new Set([...ids, ...patch.mailboxes.add])].filter((id) => !(patch.mailboxes as { remove: MailboxId[] }).remove.includes(id));
    if (target.length === 0) return { type: 'invalidProperties', properties: ['mailboxIds'], description: 'an Email belongs to at least one mailbox' };
  }
  const toAdd = target ? target.filter((id) => !current.some((m) => m.mailboxId === id)) : [];
  const toRemove = target ? current.filter((m) => !target.includes(m.mailboxId)) : [];
  // One mailbox out and one in is a MOVE (RFC 6851): the message and its Email stay the same.
  const moves = Math.min(toAdd.length, toRemove.length);
  // Copies first: they are the only step that can be refused (over quota), and then nothing
  // else has changed yet. They copy from a message that stays, or one about to be moved.
  const source = current.find((m) => target?.includes(m.mailboxId)) ?? toRemove[0];
  const copied: { mailboxId: MailboxId; uid: number }[] = [];
  try {
    for (const to of toAdd.slice(moves)) {
      const copy = await store.copyMessages(acc, source.mailboxId, [source.uid], to);
      copied.push({ mailboxId: to, uid: copy.mapping[0].destUid });
    }
  } catch (err) {
    for (const c of copied) await store.expunge(acc, c.mailboxId, { uids: [c.uid], onlyDeleted: false }).catch(() => {});
    throw err;
  }
  if (patch.keywords && current.length) {
    const one = current[0];
    const apply = async (mode: FlagMode, flags: string[]) => void (await store.setFlags(acc, one.mailboxId, [one.uid], mode, flags));
    if ('whole' in patch.keywords) await apply('replace', patch.keywords.whole);
    else {
      if (patch.keywords.add.length) await apply('add', patch.keywords.add);
      if (patch.keywords.remove.length) await apply('remove', patch.keywords.remove);
    }
  }
  for (let i = 0; i < moves; i++) await store.moveMessages(acc, toRemove[i].mailboxId, [toRemove[i].uid], toAdd[i]);
  for (const m of toRemove.slice(moves)) await store.expunge(acc, m.mailboxId, { uids: [m.uid], onlyDeleted: false });
  return null;
}

export async function destroyEmail(ctx: MethodContext, email: EmailRecord): Promise<void> {
  for (const m of email.mailboxes) await ctx.deps.store.expunge(ctx.accountId, m.mailboxId, { uids: [m.uid], onlyDeleted: false });
}

/** A failure of one record: its SetError, or (logged) serverFail when it was not the client's doing. */
function failure(ctx: MethodContext, err: unknown, what: string): SetError {
  const known = setErrorOf(err);
  if (known) return known;
  ctx.deps.log.error({ event: 'jmap-email-set-failed', what, err: (err as Error).message, stack: (err as Error).stack });
  return { type: 'serverFail', description: 'The server could not complete this change; it has been logged.' };
}

export async function emailSet(args: Record<string, unknown>, ctx: MethodContext): Promise<Record<string, unknown>> {
  const req = readSet(args, ctx);
  const oldState = await accountState(ctx);
  checkIfInState(req.ifInState, oldState);
  const r = emptySetResponse();
  // RFC 8620 §5.3: creates, then updates, then destroys.
  for (const [cid, obj] of req.create) {
    try {
      const created = await createEmail(ctx, obj);
      if ('type' in created) r.notCreated[cid] = created;
      else {
        r.created[cid] = { ...created };
        ctx.recordCreated(cid, created.id);
      }
    } catch (err) {
      r.notCreated[cid] = failure(ctx, err, 'create');
    }
  }
  for (const [id, patch] of req.update) {
    try {
      const email = await emailOf(ctx, id);
      if (!email) {
        r.notUpdated[id] = { type: 'notFound' };
        continue;
      }
      const read = await readPatch(ctx, patch);
      const error = 'type' in read ? read : await updateEmail(ctx, email, read);
      if (error) r.notUpdated[id] = error;
      else r.updated[id] = null;
    } catch (err) {
      r.notUpdated[id] = failure(ctx, err, 'update');
    }
  }
  for (const id of req.destroy) {
    try {
      const email = await emailOf(ctx, id);
      if (!email) r.notDestroyed[id] = { type: 'notFound' };
      else {
        await destroyEmail(ctx, email);
        r.destroyed.push(id);
      }
    } catch (err) {
      r.notDestroyed[id] = failure(ctx, err, 'destroy');
    }
  }
  return setResponseArgs(toAccountId(ctx.accountId), oldState, await accountState(ctx), r);
}
