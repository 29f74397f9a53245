// Email/get (RFC 8621 §4.2) and Email/parse (§4.9). A list view (subject, from, preview,
// keywords …) is answered from the store's parse-once summary alone; the blob is read only for
// the properties that need it: its header block for headers, sender, replyTo, bcc and
// header:* properties, the whole message for body part sizes and headers and bodyValues.

import type { Buffer } from 'node:buffer';
import type { EmailRecord } from '../../store/types.ts';
import type { MessageSummary } from '../../wire/mime/types.ts';
import { MethodError, type MethodContext, type MethodSet } from '../types.ts';
import { onlyKnown, optionalStringList } from '../args.ts';
import { readGet } from '../standard.ts';
import { fromJmapId, toAccountId, toJmapId } from '../ids.ts';
import { partBlobId, parseBlobId } from '../blob-ids.ts';
import { readAccountPart } from '../blob-access.ts';
import { keywordsObject } from './keywords.ts';
import {
  BODY_ARGUMENTS, DEFAULT_GET_PROPERTIES, DEFAULT_PARSE_PROPERTIES, EMAIL_PROPERTIES, allowedProperties, blobNeed, emailObject,
  readBodyOptions, utcDate, type BodyOptions,
} from './email-object.ts';
import { MAIL_CAPABILITY } from './capability.ts';
import { accountState } from './state.ts';

/** Blob reads one Email/get keeps in flight (the thread pool has four threads by default). */
const BLOB_READS_AT_ONCE = 8;

/** fn over items with at most `limit` promises pending, results in input order. */
async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

async function emailBlob(ctx: MethodContext, email: EmailRecord, need: 'header' | 'whole'): Promise<Buffer> {
  if (need === 'whole') return ctx.deps.blobs.get(email.blobId);
  // The header block only: a few kilobytes of what may be a large message.
  return ctx.deps.blobs.read(email.blobId, 0, email.summary.root.headerEnd);
}

function storedEmail(ctx: MethodContext, email: EmailRecord, buf: Buffer | null, properties: readonly string[], body: BodyOptions): Record<string, unknown> {
  const mailboxIds: Record<string, true> = {};
  for (const m of email.mailboxes) mailboxIds[toJmapId('mailbox', m.mailboxId)] = true;
  return emailObject(
    {
      view: { buf, root: email.summary.root, blobIdOf: (section) => partBlobId(email.blobId, section) },
      summary: email.summary,
      metadata: {
        id: toJmapId('email', email.id),
        blobId: email.blobId,
        threadId: toJmapId('thread', email.threadId),
        mailboxIds,
        keywords: keywordsObject(email.keywords),
        size: email.size,
        receivedAt: utcDate(email.receivedAt),
      },
      previewFromBody: (b) => ctx.deps.parse(b).summary.preview,
    },
    properties,
    body,
  );
}

/** RFC 8621 §4.2 Email/get. */
async function emailGet(args: Record<string, unknown>, ctx: MethodContext): Promise<Record<string, unknown>> {
  const req = readGet(args, ctx, allowedProperties(args, EMAIL_PROPERTIES), BODY_ARGUMENTS);
  const body = readBodyOptions(args);
  // RFC 8620 §5.1 allows refusing ids: null for a type with too many objects to return at once.
  if (req.ids === null) throw new MethodError('requestTooLarge', 'Email/get needs "ids": an account may hold more Emails than maxObjectsInGet');
  const properties = req.properties ?? DEFAULT_GET_PROPERTIES;
  const state = await accountState(ctx);
  const wanted = new Map<number, string>();
  const notFound: string[] = [];
  for (const id of req.ids) {
    const n = fromJmapId('email', id);
    if (n === null) notFound.push(id);
    else wanted.set(n, id);
  }
  const found = new Map((await ctx.deps.store.getEmails(ctx.accountId, [...wanted.keys()])).map((e) => [e.id, e]));
  const emails: EmailRecord[] = [];
  for (const [n, id] of wanted) {
    const email = found.get(n);
    if (email) emails.push(email);
    else notFound.push(id);
  }
  // The blobs a property needs are read side by side (a few at a time): a file blob's open and
  // read overlap with the others' instead of queueing behind them.
  const bufs = await mapBounded(emails, BLOB_READS_AT_ONCE, (email) => {
    const need = blobNeed(properties, body, email.summary);
    return need === 'none' ? Promise.resolve(null) : emailBlob(ctx, email, need);
  });
  const list = emails.map((email, i) => storedEmail(ctx, email, bufs[i], properties, body));
  return { accountId: toAccountId(ctx.accountId), state, list, notFound };
}

/** The blob as a message: its bytes and its tree, and how its parts' blob ids are formed. */
async function parseSource(ctx: MethodContext, blobId: string): Promise<{ bytes: Buffer; summary: MessageSummary; partBlobIdOf: (section: string) => string } | 'notFound' | 'notParsable'> {
  const parsedId = parseBlobId(blobId);
  const blob = parsedId ? await readAccountPart(ctx.deps, ctx.accountId, blobId) : null;
  if (!parsedId || !blob) return 'notFound';
  const { summary } = ctx.deps.parse(blob.bytes);
  // A message begins with header fields; bytes that do not (an image, a PDF) are no message.
  if (summary.root.headerEnd === summary.root.headerStart) return 'notParsable';
  const prefix = parsedId.partId === null ? '' : parsedId.partId + '.';
  // A part of a stored message is a message/rfc822 part: its parts are the message's "n.1", "n.2" ….
  return { bytes: blob.bytes, summary, partBlobIdOf: (section) => partBlobId(parsedId.blobId, prefix + section) };
}

/** RFC 8621 §4.9 Email/parse: blobs (uploaded messages, message/rfc822 parts) read as Emails. */
async function emailParse(args: Record<string, unknown>, ctx: MethodContext): Promise<Record<string, unknown>> {
  onlyKnown(args, ['accountId', 'blobIds', 'properties', ...BODY_ARGUMENTS]);
  const blobIds = optionalStringList(args, 'blobIds');
  if (blobIds === null) throw new MethodError('invalidArguments', '"blobIds" must be a list of blob ids', { arguments: ['blobIds'] });
  if (blobIds.length > ctx.deps.limits.maxObjectsInGet) throw new MethodError('requestTooLarge', `at most ${ctx.deps.limits.maxObjectsInGet} blobIds per Email/parse`);
  const allowed = allowedProperties(args, EMAIL_PROPERTIES);
  const asked = optionalStringList(args, 'properties');
  const unknown = (asked ?? []).filter((p) => !allowed.includes(p));
  if (unknown.length) throw new MethodError('invalidArguments', `unknown properties: ${unknown.join(', ')}`, { arguments: ['properties'] });
  const properties = asked ? [...new Set(asked)] : DEFAULT_PARSE_PROPERTIES;
  const body = readBodyOptions(args);
  const parsed: Record<string, unknown> = {};
  const notParsable: string[] = [];
  const notFound: string[] = [];
  for (const blobId of new Set(blobIds)) {
    const src = await parseSource(ctx, blobId);
    if (src === 'notFound') notFound.push(blobId);
    else if (src === 'notParsable') notParsable.push(blobId);
    else {
      parsed[blobId] = emailObject(
        {
          view: { buf: src.bytes, root: src.summary.root, blobIdOf: src.partBlobIdOf },
          summary: src.summary,
          // §4.9: not stored, so no id, mailboxes, keywords, received date or thread.
          metadata: { id: null, blobId, threadId: null, mailboxIds: null, keywords: null, size: src.bytes.length, receivedAt: null },
        },
        properties,
        body,
      );
    }
  }
  const orNull = <T>(list: T[]): T[] | null => (list.length ? list : null);
  return {
    accountId: toAccountId(ctx.accountId),
    parsed: Object.keys(parsed).length ? parsed : null,
    notParsable: orNull(notParsable),
    notFound: orNull(notFound),
  };
}

export const emailReadMethods: MethodSet = {
  capability: MAIL_CAPABILITY,
  methods: {
    'Email/get': emailGet,
    'Email/parse': emailParse,
  },
};
