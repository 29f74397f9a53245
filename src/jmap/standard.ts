// The standard methods' shared shape (RFC 8620 §5): /get, /changes, /set and /query argument
// reading, limits, property selection and the /changes answer from the store's change log.
// Each object type's file supplies only what is its own.

import type { ChangedObjectType, ObjectChanges } from '../store/types.ts';
import { MethodError, type MethodContext, type SetError } from './types.ts';
import { type Args, isPlainObject, onlyKnown, optionalStringList, optionalUnsignedInt, optionalString } from './args.ts';
import { toAccountId, toJmapId, toState, fromState, type JmapObjectKind } from './ids.ts';

export interface GetRequest {
  /** null: every object (RFC 8620 §5.1, when the type allows it). Creation ids are resolved. */
  ids: string[] | null;
  /** null: the type's default properties. Always includes "id". */
  properties: string[] | null;
}

/** Reads /get's accountId, ids and properties; `extra` names the type's own arguments. */
export function readGet(args: Args, ctx: MethodContext, allProperties: readonly string[], extra: readonly string[] = []): GetRequest {
  onlyKnown(args, ['accountId', 'ids', 'properties', ...extra]);
  const rawIds = optionalStringList(args, 'ids');
  if (rawIds && rawIds.length > ctx.deps.limits.maxObjectsInGet) {
    throw new MethodError('requestTooLarge', `at most ${ctx.deps.limits.maxObjectsInGet} ids per /get`);
  }
  const ids = rawIds ? [...new Set(rawIds.map((id) => (id.startsWith('#') ? (ctx.resolveId(id.slice(1)) ?? id) : id)))] : null;
  const properties = optionalStringList(args, 'properties');
  if (properties) {
    const unknown = properties.filter((p) => !allProperties.includes(p));
    if (unknown.length) throw new MethodError('invalidArguments', `unknown properties: ${unknown.join(', ')}`, { arguments: ['properties'] });
  }
  return { ids, properties: properties ? [...new Set(['id', ...properties])] : null };
}

/** Keeps only the asked-for properties of an object (RFC 8620 §5.1 "properties"). */
export function pick(obj: Record<string, unknown>, properties: readonly string[] | null): Record<string, unknown> {
  if (!properties) return obj;
  const out: Record<string, unknown> = {};
  for (const p of properties) if (p in obj) out[p] = obj[p];
  return out;
}

export interface ChangesRequest {
  sinceState: string;
  maxChanges: number | null;
}

export function readChanges(args: Args): ChangesRequest {
  onlyKnown(args, ['accountId', 'sinceState', 'maxChanges']);
  const sinceState = optionalString(args, 'sinceState');
  if (sinceState === null) throw new MethodError('invalidArguments', '"sinceState" must be a string', { arguments: ['sinceState'] });
  const maxChanges = optionalUnsignedInt(args, 'maxChanges');
  if (maxChanges === 0) throw new MethodError('invalidArguments', '"maxChanges" must be positive', { arguments: ['maxChanges'] });
  return { sinceState, maxChanges };
}

/** RFC 8620 §5.2 /changes answered from the change log, for the types it records. */
export async function changesFromLog(ctx: MethodContext, type: ChangedObjectType, kind: JmapObjectKind, req: ChangesRequest): Promise<Args> {
  const since = sinceOf(req);
  return changesAnswer(ctx, req, kind, await ctx.deps.store.objectChanges(ctx.accountId, type, since, req.maxChanges ?? undefined), 'the change log no longer reaches back to this state');
}

/** The state /changes starts from, as the store counts it; cannotCalculateChanges for a state this server never issued. */
export function sinceOf(req: ChangesRequest): number {
  const since = fromState(req.sinceState);
  if (since === null) throw new MethodError('cannotCalculateChanges', 'not a state this server issued');
  return since;
}

/** The /changes response for what the store answered; null (the store cannot tell) is cannotCalculateChanges. */
export function changesAnswer(ctx: MethodContext, req: ChangesRequest, kind: JmapObjectKind, changes: ObjectChanges | null, whyNot: string): Args {
  if (!changes) throw new MethodError('cannotCalculateChanges', whyNot);
  return {
    accountId: toAccountId(ctx.accountId),
    oldState: req.sinceState,
    newState: toState(changes.newState),
    hasMoreChanges: changes.hasMoreChanges,
    created: changes.created.map((id) => toJmapId(kind, id)),
    updated: changes.updated.map((id) => toJmapId(kind, id)),
    destroyed: changes.destroyed.map((id) => toJmapId(kind, id)),
  };
}

export interface SetRequest {
  ifInState: string | null;
  create: Map<string, Record<string, unknown>>;
  update: Map<string, Record<string, unknown>>;
  destroy: string[];
}

/** Reads /set's arguments (RFC 8620 §5.3); `extra` names the type's own arguments. */
export function readSet(args: Args, ctx: MethodContext, extra: readonly string[] = []): SetRequest {
  onlyKnown(args, ['accountId', 'ifInState', 'create', 'update', 'destroy', ...extra]);
  const ifInState = optionalString(args, 'ifInState');
  const create = new Map<string, Record<string, unknown>>();
  const update = new Map<string, Record<string, unknown>>();
  const objects = (name: string): [string, Record<string, unknown>][] => {
    const v = args[name];
    if (v === undefined || v === null) return [];
    if (!isPlainObject(v)) throw new MethodError('invalidArguments', `"${name}" must be an object`, { arguments: [name] });
    for (const value of Object.values(v)) {
      if (!isPlainObject(value)) throw new MethodError('invalidArguments', `every value of "${name}" must be an object`, { arguments: [name] });
    }
    return Object.entries(v as Record<string, Record<string, unknown>>);
  };
  for (const [id, obj] of objects('create')) create.set(id, obj);
  for (const [id, patch] of objects('update')) update.set(id.startsWith('#') ? (ctx.resolveId(id.slice(1)) ?? id) : id, patch);
  const destroy = (optionalStringList(args, 'destroy') ?? []).map((id) => (id.startsWith('#') ? (ctx.resolveId(id.slice(1)) ?? id) : id));
  if (create.size + update.size + destroy.length > ctx.deps.limits.maxObjectsInSet) {
    throw new MethodError('requestTooLarge', `at most ${ctx.deps.limits.maxObjectsInSet} objects per /set`);
  }
  return { ifInState, create, update, destroy };
}

/** The response of a /set (RFC 8620 §5.3): null members when nothing of that kind happened. */
export interface SetResponse {
  created: Record<string, Record<string, unknown>>;
  updated: Record<string, Record<string, unknown> | null>;
  destroyed: string[];
  notCreated: Record<string, SetError>;
  notUpdated: Record<string, SetError>;
  notDestroyed: Record<string, SetError>;
}

export function emptySetResponse(): SetResponse {
  return { created: {}, updated: {}, destroyed: [], notCreated: {}, notUpdated: {}, notDestroyed: {} };
}

export function setResponseArgs(accountId: string, oldState: string | null, newState: string, r: SetResponse): Args {
  const orNull = <T extends object>(o: T): T | null => (Object.keys(o).length ? o : null);
  return {
    accountId,
    oldState,
    newState,
    created: orNull(r.created),
    updated: orNull(r.updated),
    destroyed: r.destroyed.length ? r.destroyed : null,
    notCreated: orNull(r.notCreated),
    notUpdated: orNull(r.notUpdated),
    notDestroyed: orNull(r.notDestroyed),
  };
}

/** RFC 8620 §5.3 "ifInState": stateMismatch unless the current state is the given one. */
export function checkIfInState(ifInState: string | null, current: string): void {
  if (ifInState !== null && ifInState !== current) throw new MethodError('stateMismatch', `the state is ${current}`);
}
