// Identity/get, /changes and /set (RFC 8621 §6): the From addresses a user sends as. Every
// account has its own address as an identity, made on first use and never removed (mayDelete
// false); a user may add identities only for addresses it may send as, by the one rule SMTP
// submission uses (src/delivery/submission.ts mayUseSender).

import { StoreError, type IdentityFields, type IdentityRecord } from '../../store/types.ts';
import type { MethodContext, SetError } from '../types.ts';
import { isPlainObject, type Args } from '../args.ts';
import { checkIfInState, emptySetResponse, pick, readChanges, readGet, readSet, setResponseArgs } from '../standard.ts';
import { fromJmapId, toAccountId, toJmapId } from '../ids.ts';
import { changesFromCounter, objectState } from './object-state.ts';
import { mayUseSender } from '../../delivery/submission.ts';
import { normaliseAddress } from '../../mail/address.ts';

const PROPERTIES = ['id', 'name', 'email', 'replyTo', 'bcc', 'textSignature', 'htmlSignature', 'mayDelete'] as const;
/** What a client may set; email only on create (RFC 8621 §6.1: immutable). */
const SETTABLE = ['name', 'replyTo', 'bcc', 'textSignature', 'htmlSignature'] as const;

export function identityToJmap(i: IdentityRecord): Record<string, unknown> {
  return {
    id: toJmapId('identity', i.id),
    name: i.name,
    email: i.email,
    replyTo: i.replyTo,
    bcc: i.bcc,
    textSignature: i.textSignature,
    htmlSignature: i.htmlSignature,
    mayDelete: !i.isDefault,
  };
}

/** The account's identities, the default one made first if it is not there yet. */
export async function accountIdentities(ctx: MethodContext): Promise<IdentityRecord[]> {
  await ctx.deps.store.ensureDefaultIdentity(ctx.accountId);
  return ctx.deps.store.listIdentities(ctx.accountId);
}

const invalid = (properties: string[], description: string): SetError => ({ type: 'invalidProperties', properties, description });

/** RFC 8621 §4.1.2.3 EmailAddress[] or null. */
function addressList(v: unknown): { name: string | null; email: string }[] | null | undefined {
  if (v === null) return null;
  if (!Array.isArray(v)) return undefined;
  const out: { name: string | null; email: string }[] = [];
  for (const a of v) {
    if (!isPlainObject(a) || typeof a.email !== 'string' || a.email === '' || !(a.name === null || a.name === undefined || typeof a.name === 'string')) return undefined;
    if (Object.keys(a).some((k) => k !== 'name' && k !== 'email')) return undefined;
    out.push({ name: (a.name as string | null | undefined) ?? null, email: a.email });
  }
  return out;
}

/** Reads the settable properties of a create or an update; an error names the bad ones. */
function readFields(obj: Args, current: IdentityRecord | null): Partial<Omit<IdentityFields, 'email'>> | SetError {
  const out: Partial<Omit<IdentityFields, 'email'>> = {};
  const bad: string[] = [];
  for (const [key, value] of Object.entries(obj)) {
    if (key === 'name' || key === 'textSignature' || key === 'htmlSignature') {
      if (typeof value === 'string' && value.length <= 100_000) out[key] = value;
      else bad.push(key);
    } else if (key === 'replyTo' || key === 'bcc') {
      const list = addressList(value);
      if (list === undefined) bad.push(key);
      else out[key] = list;
    } else if (key === 'email') {
      // Immutable: only the value it has may be given again (RFC 8620 §5.3).
      if (current && value !== current.email) bad.push(key);
    } else if (key === 'id' || key === 'mayDelete') {
      // Server-set (RFC 8620 §5.3): refused unless it repeats what the server has.
      const server = current ? identityToJmap(current)[key] : undefined;
      if (value !== server) bad.push(key);
    } else {
      bad.push(key);
    }
  }
  return bad.length ? invalid(bad, `invalid or read-only properties: ${bad.join(', ')}`) : out;
}

async function getIdentities(args: Args, ctx: MethodContext): Promise<Args> {
  const req = readGet(args, ctx, PROPERTIES);
  const all = await accountIdentities(ctx);
  const state = await objectState(ctx, 'Identity');
  const byId = new Map(all.map((i) => [toJmapId('identity', i.id), i]));
  const ids = req.ids ?? [...byId.keys()];
  const list: Args[] = [];
  const notFound: string[] = [];
  for (const id of ids) {
    const i = byId.get(id);
    if (i) list.push(pick(identityToJmap(i), req.properties));
    else notFound.push(id);
  }
  return { accountId: toAccountId(ctx.accountId), state, list, notFound };
}

async function setIdentities(args: Args, ctx: MethodContext): Promise<Args> {
  const req = readSet(args, ctx);
  const { store } = ctx.deps;
  await accountIdentities(ctx);
  const oldState = await objectState(ctx, 'Identity');
  checkIfInState(req.ifInState, oldState);
  const r = emptySetResponse();
  for (const [creationId, obj] of req.create) {
    const email = typeof obj.email === 'string' ? normaliseAddress(obj.email) : null;
    if (!email) {
      r.notCreated[creationId] = invalid(['email'], 'an email address is required');
      continue;
    }
    const fields = readFields({ ...obj, email: undefined }, null);
    if ('type' in fields) {
      r.notCreated[creationId] = fields;
      continue;
    }
    // RFC 8621 §6.3: forbiddenFrom when the user may not send from this address.
    if (!(await mayUseSender(store, ctx.account, email))) {
      r.notCreated[creationId] = { type: 'forbiddenFrom', description: `${email} is not an address this account may send as` };
      continue;
    }
    const created = await store.createIdentity(ctx.accountId, { name: '', replyTo: null, bcc: null, textSignature: '', htmlSignature: '', ...fields, email });
    const shown = identityToJmap(created);
    ctx.recordCreated(creationId, shown.id as string);
    // RFC 8620 §5.3: the id and every property the server set or defaulted.
    const out: Args = { id: shown.id, mayDelete: shown.mayDelete };
    for (const p of SETTABLE) if (!(p in obj)) out[p] = shown[p];
    if (obj.email !== email) out.email = email;
    r.created[creationId] = out;
  }
  const current = new Map((await store.listIdentities(ctx.accountId)).map((i) => [toJmapId('identity', i.id), i]));
  for (const [id, patch] of req.update) {
    const identity = current.get(id);
    if (!identity) {
      r.notUpdated[id] = { type: 'notFound' };
      continue;
    }
    const fields = readFields(patch, identity);
    if ('type' in fields) {
      r.notUpdated[id] = fields;
      continue;
    }
    await store.updateIdentity(ctx.accountId, identity.id, fields);
    r.updated[id] = null;
  }
  for (const id of req.destroy) {
    const n = fromJmapId('identity', id);
    try {
      if (n === null) throw new StoreError('NOT_FOUND', id);
      await store.destroyIdentity(ctx.accountId, n);
      r.destroyed.push(id);
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      if (err.code === 'NOT_FOUND') r.notDestroyed[id] = { type: 'notFound' };
      else if (err.code === 'CANNOT') r.notDestroyed[id] = { type: 'forbidden', description: "the account's own address cannot be removed" };
      else throw err;
    }
  }
  return setResponseArgs(toAccountId(ctx.accountId), oldState, await objectState(ctx, 'Identity'), r);
}

export const identityMethods = {
  'Identity/get': getIdentities,
  'Identity/changes': async (args: Args, ctx: MethodContext) => {
    const req = readChanges(args);
    await accountIdentities(ctx);
    return changesFromCounter(ctx, 'Identity', 'identity', req);
  },
  'Identity/set': setIdentities,
};
