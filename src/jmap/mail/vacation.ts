// VacationResponse/get and /set (RFC 8621 §8): one object per account, id "singleton", that can
// be changed but neither created nor destroyed. The reply itself is sent by the delivery
// pipeline (src/delivery/vacation.ts), which reads the same settings from the store.

import type { VacationSettings } from '../../store/types.ts';
import type { MethodContext, SetError } from '../types.ts';
import type { Args } from '../args.ts';
import { checkIfInState, emptySetResponse, pick, readGet, readSet, setResponseArgs } from '../standard.ts';
import { toAccountId } from '../ids.ts';
import { objectState } from './object-state.ts';
import { toUtcDate } from './submission-get.ts';

export const VACATION_CAPABILITY = 'urn:ietf:params:jmap:vacationresponse';
const SINGLETON = 'singleton';
const PROPERTIES = ['id', 'isEnabled', 'fromDate', 'toDate', 'subject', 'textBody', 'htmlBody'] as const;

function toJmap(v: VacationSettings): Args {
  return {
    id: SINGLETON,
    isEnabled: v.isEnabled,
    fromDate: v.fromDate === null ? null : toUtcDate(v.fromDate),
    toDate: v.toDate === null ? null : toUtcDate(v.toDate),
    subject: v.subject,
    textBody: v.textBody,
    htmlBody: v.htmlBody,
  };
}

/** Applies a patch of top-level properties; an error names the bad ones. */
function patched(current: VacationSettings, patch: Args): VacationSettings | SetError {
  const next = { ...current };
  const bad: string[] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key === 'id') {
      if (value !== SINGLETON) bad.push(key);
    } else if (key === 'isEnabled') {
      if (typeof value === 'boolean') next.isEnabled = value;
      else bad.push(key);
    } else if (key === 'fromDate' || key === 'toDate') {
      const ms = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(value) ? Date.parse(value) : NaN;
      if (value === null) next[key] = null;
      else if (!Number.isNaN(ms)) next[key] = ms;
      else bad.push(key);
    } else if (key === 'subject' || key === 'textBody' || key === 'htmlBody') {
      if (value === null || (typeof value === 'string' && value.length <= 100_000)) next[key] = value;
      else bad.push(key);
    } else {
      bad.push(key);
    }
  }
  return bad.length ? { type: 'invalidProperties', properties: bad, description: `invalid properties: ${bad.join(', ')}` } : next;
}

async function getVacation(args: Args, ctx: MethodContext): Promise<Args> {
  const req = readGet(args, ctx, PROPERTIES);
  const state = await objectState(ctx, 'VacationResponse');
  const ids = req.ids ?? [SINGLETON];
  const settings = ids.includes(SINGLETON) ? await ctx.deps.store.getVacationResponse(ctx.accountId) : null;
  return {
    accountId: toAccountId(ctx.accountId),
    state,
    list: settings ? [pick(toJmap(settings), req.properties)] : [],
    notFound: ids.filter((id) => id !== SINGLETON),
  };
}

async function setVacation(args: Args, ctx: MethodContext): Promise<Args> {
  const req = readSet(args, ctx);
  const oldState = await objectState(ctx, 'VacationResponse');
  checkIfInState(req.ifInState, oldState);
  const r = emptySetResponse();
  // RFC 8620 §5.3 "singleton": the one object can be neither created nor destroyed.
  for (const creationId of req.create.keys()) r.notCreated[creationId] = { type: 'singleton', description: 'the VacationResponse exists; update "singleton"' };
  for (const id of req.destroy) r.notDestroyed[id] = { type: 'singleton', description: 'the VacationResponse cannot be destroyed' };
  for (const [id, patch] of req.update) {
    if (id !== SINGLETON) {
      r.notUpdated[id] = { type: 'notFound' };
      continue;
    }
    const next = patched(await ctx.deps.store.getVacationResponse(ctx.accountId), patch);
    if ('type' in next) {
      r.notUpdated[id] = next;
      continue;
    }
    await ctx.deps.store.setVacationResponse(ctx.accountId, next);
    r.updated[id] = null;
  }
  return setResponseArgs(toAccountId(ctx.accountId), oldState, await objectState(ctx, 'VacationResponse'), r);
}

export const vacationMethods = {
  'VacationResponse/get': getVacation,
  'VacationResponse/set': setVacation,
};
