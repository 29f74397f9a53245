// EmailSubmission/set (RFC 8621 §7.5): create sends (submission-send.ts); update can only try to
// cancel, which a sent message refuses (cannotUnsend: sending is final at once); destroy
// forgets the record, never the mail. On success, onSuccessUpdateEmail / onSuccessDestroyEmail
// run as an implicit Email/set whose response follows this one (RFC 8621 §7.5), e.g. moving the
// sent draft from Drafts to Sent and clearing $draft.

import { StoreError, type SubmissionRecord } from '../../store/types.ts';
import { MethodError, type MethodContext } from '../types.ts';
import { isPlainObject, optionalObject, optionalStringList, type Args } from '../args.ts';
import { checkIfInState, emptySetResponse, readSet, setResponseArgs } from '../standard.ts';
import { fromJmapId, toAccountId, toJmapId } from '../ids.ts';
import { objectState } from './object-state.ts';
import { createSubmission } from './submission-send.ts';
import { submissionToJmap } from './submission-get.ts';

export async function setSubmissions(args: Args, ctx: MethodContext): Promise<Args> {
  const req = readSet(args, ctx, ['onSuccessUpdateEmail', 'onSuccessDestroyEmail']);
  const onSuccessUpdate = optionalObject(args, 'onSuccessUpdateEmail');
  const onSuccessDestroy = optionalStringList(args, 'onSuccessDestroyEmail');
  if (onSuccessUpdate && Object.values(onSuccessUpdate).some((p) => !isPlainObject(p))) {
    throw new MethodError('invalidArguments', 'every value of "onSuccessUpdateEmail" must be a PatchObject', { arguments: ['onSuccessUpdateEmail'] });
  }
  const { store } = ctx.deps;
  const oldState = await objectState(ctx, 'EmailSubmission');
  checkIfInState(req.ifInState, oldState);
  const r = emptySetResponse();
  /** The Email of each submission that succeeded here, by "#creationId" and by id. */
  const succeeded = new Map<string, number>();

  for (const [creationId, obj] of req.create) {
    const result = await createSubmission(ctx, obj);
    if ('error' in result) {
      r.notCreated[creationId] = result.error;
      continue;
    }
    const shown = submissionToJmap(result.record);
    ctx.recordCreated(creationId, shown.id as string);
    // RFC 8620 §5.3: the id and every property the server set.
    const { identityId: _identity, emailId: _email, envelope, ...serverSet } = shown;
    r.created[creationId] = { ...serverSet, ...(obj.envelope ? {} : { envelope }) };
    succeeded.set('#' + creationId, result.record.emailId);
    succeeded.set(shown.id as string, result.record.emailId);
  }

  const ids = [...req.update.keys(), ...req.destroy].map((id) => fromJmapId('submission', id)).filter((n): n is number => n !== null);
  const existing = new Map<string, SubmissionRecord>((await store.getSubmissions(ctx.accountId, ids)).map((s) => [toJmapId('submission', s.id), s]));
  for (const [id, patch] of req.update) {
    const record = existing.get(id);
    if (!record) {
      r.notUpdated[id] = { type: 'notFound' };
      continue;
    }
    const current = submissionToJmap(record);
    const changed = Object.keys(patch).filter((k) => JSON.stringify(patch[k]) !== JSON.stringify(current[k]));
    if (changed.length === 0) {
      r.updated[id] = null;
      succeeded.set(id, record.emailId);
    } else if (changed.length === 1 && changed[0] === 'undoStatus' && patch.undoStatus === 'canceled') {
      r.notUpdated[id] = { type: 'cannotUnsend', description: 'the message has been sent' };
    } else {
      r.notUpdated[id] = { type: 'invalidProperties', properties: changed, description: 'only undoStatus may change' };
    }
  }
  for (const id of req.destroy) {
    const record = existing.get(id);
    try {
      if (!record) throw new StoreError('NOT_FOUND', id);
      await store.destroySubmission(ctx.accountId, record.id);
      r.destroyed.push(id);
      succeeded.set(id, record.emailId);
    } catch (err) {
      if (!(err instanceof StoreError && err.code === 'NOT_FOUND')) throw err;
      r.notDestroyed[id] = { type: 'notFound' };
    }
  }
  const response = setResponseArgs(toAccountId(ctx.accountId), oldState, await objectState(ctx, 'EmailSubmission'), r);
  await afterSuccess(ctx, succeeded, onSuccessUpdate, onSuccessDestroy);
  return response;
}

/** RFC 8621 §7.5: the implicit Email/set for the submissions that succeeded, its response after ours. */
async function afterSuccess(ctx: MethodContext, succeeded: Map<string, number>, update: Args | null, destroy: string[] | null): Promise<void> {
  const emailUpdate: Record<string, unknown> = {};
  for (const [key, patch] of Object.entries(update ?? {})) {
    const emailId = succeeded.get(key);
    if (emailId !== undefined) emailUpdate[toJmapId('email', emailId)] = patch;
  }
  const emailDestroy = [...new Set((destroy ?? []).flatMap((key) => {
    const emailId = succeeded.get(key);
    return emailId === undefined ? [] : [toJmapId('email', emailId)];
  }))];
  if (Object.keys(emailUpdate).length === 0 && emailDestroy.length === 0) return;
  const args: Args = { accountId: toAccountId(ctx.accountId) };
  if (Object.keys(emailUpdate).length) args.update = emailUpdate;
  if (emailDestroy.length) args.destroy = emailDestroy;
  try {
    ctx.addResponse('Email/set', await ctx.call('Email/set', args));
  } catch (err) {
    // The mail is sent whatever happens here: this call's failure is the implicit call's alone.
    if (err instanceof MethodError) return ctx.addResponse('error', err.toArguments());
    ctx.deps.log.error({ event: 'jmap-method-failed', method: 'Email/set', implicit: true, err: (err as Error).message });
    ctx.addResponse('error', { type: 'serverFail', description: 'The implicit Email/set could not complete; it has been logged.' });
  }
}
