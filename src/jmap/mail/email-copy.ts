// Email/copy (RFC 8621 §4.7, RFC 8620 §5.4): Emails of another account stored again in this
// one, with only mailboxIds, keywords and receivedAt chosen anew; then, with
// onSuccessDestroyOriginal, one implicit Email/set destroying the originals, whose response
// follows this one. The source must be another account the user can read
// (src/jmap/copy-accounts.ts); duplicates are allowed, as for Email/import.

import { onlyKnown, optionalBoolean, optionalObject, optionalString } from '../args.ts';
import { MethodError, type Method, type MethodContext, type SetError } from '../types.ts';
import { checkIfInState } from '../standard.ts';
import { fromJmapId, toAccountId, toState } from '../ids.ts';
import { readFromAccount, type AccountAccess } from '../copy-accounts.ts';
import type { AccountId } from '../../store/types.ts';
import { InvalidProperty } from './email-create-headers.ts';
import { readKeywords, readMailboxIds, readUtcDate, setErrorOf, storeNewEmail, type CreatedEmail } from './email-store.ts';
import { accountState } from './state.ts';

const COPY_PROPERTIES = ['id', 'mailboxIds', 'keywords', 'receivedAt'];

async function copyOne(ctx: MethodContext, from: AccountId, spec: Record<string, unknown>): Promise<CreatedEmail | SetError> {
  const unknown = Object.keys(spec).filter((k) => !COPY_PROPERTIES.includes(k));
  if (unknown.length) return { type: 'invalidProperties', properties: unknown, description: 'only mailboxIds, keywords and receivedAt may be set in a copy' };
  const emailId = fromJmapId('email', spec.id);
  const source = emailId === null ? undefined : (await ctx.deps.store.getEmails(from, [emailId]))[0];
  if (!source) return { type: 'notFound', description: `no Email ${String(spec.id)} in the account copied from` };
  const mailboxIds = await readMailboxIds(ctx, 'mailboxIds', spec.mailboxIds);
  const flags = spec.keywords === undefined ? source.keywords : readKeywords('keywords', spec.keywords);
  const receivedAt = readUtcDate('receivedAt', spec.receivedAt) ?? source.receivedAt;
  const raw = await ctx.deps.blobs.get(source.blobId);
  return storeNewEmail(ctx, raw, { mailboxIds, flags, receivedAt });
}

export function emailCopyMethod(access: AccountAccess): Method {
  return async (args, ctx) => {
    onlyKnown(args, ['fromAccountId', 'ifFromInState', 'accountId', 'ifInState', 'create', 'onSuccessDestroyOriginal', 'destroyFromIfInState']);
    const from = readFromAccount(args, ctx, access);
    const create = optionalObject(args, 'create');
    if (create === null) throw new MethodError('invalidArguments', '"create" must be an object', { arguments: ['create'] });
    if (Object.keys(create).length > ctx.deps.limits.maxObjectsInSet) throw new MethodError('requestTooLarge', `at most ${ctx.deps.limits.maxObjectsInSet} copies per call`);
    const destroyOriginal = optionalBoolean(args, 'onSuccessDestroyOriginal', false);
    const destroyFromIfInState = optionalString(args, 'destroyFromIfInState');
    checkIfInState(optionalString(args, 'ifFromInState'), toState((await ctx.deps.store.getAccount(from))?.modseq ?? 0));
    const oldState = await accountState(ctx);
    checkIfInState(optionalString(args, 'ifInState'), oldState);
    const created: Record<string, CreatedEmail> = {};
    const notCreated: Record<string, SetError> = {};
    const originals: string[] = [];
    for (const [cid, spec] of Object.entries(create)) {
      if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
        notCreated[cid] = { type: 'invalidProperties', description: 'a copy is an object with the id to copy' };
        continue;
      }
      try {
        const result = await copyOne(ctx, from, spec as Record<string, unknown>);
        if ('type' in result) notCreated[cid] = result;
        else {
          created[cid] = result;
          ctx.recordCreated(cid, result.id);
          originals.push((spec as { id: string }).id);
        }
      } catch (err) {
        const known = setErrorOf(err);
        if (!known) throw err;
        notCreated[cid] = known;
      }
    }
    // RFC 8620 §5.4: the originals are destroyed by one Email/set after this response.
    if (destroyOriginal && originals.length) {
      const setArgs = { accountId: toAccountId(from), destroy: originals, ...(destroyFromIfInState !== null ? { ifInState: destroyFromIfInState } : {}) };
      try {
        ctx.addResponse('Email/set', await ctx.call('Email/set', setArgs));
      } catch (err) {
        if (!(err instanceof MethodError)) throw err;
        ctx.addResponse('error', err.toArguments());
      }
    }
    return {
      fromAccountId: toAccountId(from),
      accountId: toAccountId(ctx.accountId),
      oldState,
      newState: await accountState(ctx),
      created: Object.keys(created).length ? created : null,
      notCreated: Object.keys(notCreated).length ? notCreated : null,
    };
  };
}

