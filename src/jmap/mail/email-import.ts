// Email/import (RFC 8621 §4.8): a blob the account may read — an upload, a message, or a part
// of one (an attached message/rfc822) — becomes a new Email through the same ingest path as
// IMAP APPEND (email-store.ts). The stored message is the blob as it is, so the Email's blobId
// is the one given.
//
// Duplicates are allowed (§4.8: the server MAY forbid them): importing the same message twice
// makes two Emails with their own ids and keywords, as APPENDing it twice does, so
// "alreadyExists" is never the answer. A blob that is not a message — its first line is not a
// header field, so the MIME parser finds no header at all — is refused as "invalidEmail"; the
// parser is lenient with everything else (bare LF, odd headers), which §4.8 permits.

import { onlyKnown, optionalObject } from '../args.ts';
import { MethodError, type MethodContext, type SetError } from '../types.ts';
import { checkIfInState } from '../standard.ts';
import { toAccountId } from '../ids.ts';
import { parseDate, parseHeaderBlock } from '../../wire/mime/index.ts';
import type { ParsedMessage } from '../../wire/mime/types.ts';
import { InvalidProperty } from './email-create-headers.ts';
import { blobRef, readBlobContent } from './blob-content.ts';
import { readKeywords, readMailboxIds, readUtcDate, setErrorOf, storeNewEmail, type CreatedEmail } from './email-store.ts';
import { accountState } from './state.ts';

const IMPORT_PROPERTIES = ['blobId', 'mailboxIds', 'keywords', 'receivedAt'];

/** RFC 8621 §4.8 receivedAt default: the most recent Received field's date (the topmost one). */
function lastReceived(raw: Buffer, parsed: ParsedMessage): number | undefined {
  const root = parsed.summary.root;
  const received = parseHeaderBlock(raw, root.headerStart, root.headerEnd, 64 * 1024).find((f) => f.name.toLowerCase() === 'received');
  if (!received) return undefined;
  const when = parseDate(received.value.slice(received.value.lastIndexOf(';') + 1).trim());
  return when ?? undefined;
}

async function importOne(ctx: MethodContext, spec: Record<string, unknown>): Promise<CreatedEmail | SetError> {
  const unknown = Object.keys(spec).filter((k) => !IMPORT_PROPERTIES.includes(k));
  if (unknown.length) return { type: 'invalidProperties', properties: unknown, description: `unknown EmailImport properties: ${unknown.join(', ')}` };
  if (typeof spec.blobId !== 'string') throw new InvalidProperty('blobId', 'must be a blob id');
  const mailboxIds = await readMailboxIds(ctx, 'mailboxIds', spec.mailboxIds);
  const flags = readKeywords('keywords', spec.keywords);
  let receivedAt = readUtcDate('receivedAt', spec.receivedAt);
  const raw = await readBlobContent(ctx.deps, ctx.accountId, blobRef(ctx, spec.blobId));
  // §4.8: an id not found is one of the invalid properties.
  if (raw === null) throw new InvalidProperty('blobId', 'no such blob');
  const parsed = ctx.deps.parse(raw);
  if (raw.length === 0 || parsed.summary.root.headerStart === parsed.summary.root.headerEnd) {
    return { type: 'invalidEmail', description: 'The blob is not an RFC 5322 message: it has no header.' };
  }
  receivedAt ??= lastReceived(raw, parsed);
  return storeNewEmail(ctx, raw, { mailboxIds, flags, receivedAt });
}

export async function emailImport(args: Record<string, unknown>, ctx: MethodContext): Promise<Record<string, unknown>> {
  onlyKnown(args, ['accountId', 'ifInState', 'emails']);
  const emails = optionalObject(args, 'emails');
  if (emails === null) throw new MethodError('invalidArguments', '"emails" must be an object', { arguments: ['emails'] });
  if (Object.keys(emails).length > ctx.deps.limits.maxObjectsInSet) throw new MethodError('requestTooLarge', `at most ${ctx.deps.limits.maxObjectsInSet} emails per import`);
  const ifInState = args.ifInState ?? null;
  if (ifInState !== null && typeof ifInState !== 'string') throw new MethodError('invalidArguments', '"ifInState" must be a string', { arguments: ['ifInState'] });
  const oldState = await accountState(ctx);
  checkIfInState(ifInState, oldState);
  const created: Record<string, CreatedEmail> = {};
  const notCreated: Record<string, SetError> = {};
  for (const [cid, spec] of Object.entries(emails)) {
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
      notCreated[cid] = { type: 'invalidProperties', description: 'an EmailImport is an object' };
      continue;
    }
    try {
      const result = await importOne(ctx, spec as Record<string, unknown>);
      if ('type' in result) notCreated[cid] = result;
      else {
        created[cid] = result;
        ctx.recordCreated(cid, result.id);
      }
    } catch (err) {
      const known = setErrorOf(err);
      if (!known) throw err;
      notCreated[cid] = known;
    }
  }
  return {
    accountId: toAccountId(ctx.accountId),
    oldState,
    newState: await accountState(ctx),
    created: Object.keys(created).length ? created : null,
    notCreated: Object.keys(notCreated).length ? notCreated : null,
  };
}
