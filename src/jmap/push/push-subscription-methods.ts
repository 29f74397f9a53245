// PushSubscription/get and /set (RFC 8620 §7.2). Push subscriptions belong to the credentials,
// not to an account (no accountId, no state); here a user has one account, so they are stored
// per account (src/store/push-subscription-types.ts).
//
// Implementation notes:
// - url and keys are private to the device: never returned; asking for them is forbidden (§7.2.1).
// - On create the server chooses the verification code and POSTs a PushVerification to the url
//   (§7.2.2); the client proves it received it by setting verificationCode to it. A wrong code is
//   invalidProperties. Only verified subscriptions get StateChanges.
// - expires: at most MAX_EXPIRY_MS ahead (the server may shorten it, §7.2); none given means
//   that far. The value chosen comes back in created/updated when it differs from the client's.
// - MAX_PER_ACCOUNT bounds what one user can make the server store and push to.

import { randomBytes } from 'node:crypto';
import { MethodError, type MethodContext, type MethodSet, type SetError } from '../types.ts';
import { type Args, isPlainObject, onlyKnown, optionalStringList } from '../args.ts';
import { CORE_CAPABILITY } from '../core-methods.ts';
import { fromJmapId, toJmapId } from '../ids.ts';
import { readSet } from '../standard.ts';
import type { PushKeys, PushSubscriptionRecord } from '../../store/types.ts';
import { pushUrlProblem } from './push-sender.ts';
import { validPushKeys } from './web-push-encryption.ts';

const MAX_EXPIRY_MS = 7 * 86_400_000;
const MAX_PER_ACCOUNT = 50;
const PROPERTIES = ['id', 'deviceClientId', 'url', 'keys', 'verificationCode', 'expires', 'types'] as const;
const PRIVATE = ['url', 'keys'];

/** RFC 8620 §1.4 UTCDate: "Z", no fractional seconds when they are zero. */
function utcDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}

function parseUtcDate(v: unknown): number | null {
  if (typeof v !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/.test(v)) return null;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? ms : null;
}

function toObject(sub: PushSubscriptionRecord): Record<string, unknown> {
  return {
    id: toJmapId('push', sub.id),
    deviceClientId: sub.deviceClientId,
    verificationCode: sub.verified ? sub.verificationCode : null,
    expires: sub.expiresAt === null ? null : utcDate(sub.expiresAt),
    types: sub.types,
  };
}

const invalid = (properties: string[], description: string): SetError => ({ type: 'invalidProperties', properties, description });

/** The expiry the server grants for what the client asked (null or a UTCDate string). */
function grantExpiry(asked: unknown, now: number): { ok: true; expiresAt: number; changed: boolean } | { ok: false } {
  // Whole seconds, so the UTCDate the client gets back is exactly the expiry kept.
  const latest = Math.floor((now + MAX_EXPIRY_MS) / 1000) * 1000;
  if (asked === null || asked === undefined) return { ok: true, expiresAt: latest, changed: true };
  const ms = parseUtcDate(asked);
  if (ms === null) return { ok: false };
  const expiresAt = Math.min(ms, latest);
  return { ok: true, expiresAt, changed: expiresAt !== ms };
}

function readTypes(v: unknown): string[] | null | undefined {
  if (v === null) return null;
  if (Array.isArray(v) && v.every((t) => typeof t === 'string' && t.length > 0 && t.length <= 64)) return [...new Set(v as string[])];
  return undefined;
}

function readKeys(v: unknown): PushKeys | null | undefined {
  if (v === null || v === undefined) return null;
  if (!isPlainObject(v) || typeof v.p256dh !== 'string' || typeof v.auth !== 'string' || Object.keys(v).length !== 2) return undefined;
  const keys = { p256dh: v.p256dh, auth: v.auth };
  return validPushKeys(keys) ? keys : undefined;
}

async function getSubscriptions(args: Args, ctx: MethodContext): Promise<Args> {
  onlyKnown(args, ['ids', 'properties']);
  const ids = optionalStringList(args, 'ids');
  const properties = optionalStringList(args, 'properties');
  if (properties) {
    const unknown = properties.filter((p) => !(PROPERTIES as readonly string[]).includes(p));
    if (unknown.length) throw new MethodError('invalidArguments', `unknown properties: ${unknown.join(', ')}`, { arguments: ['properties'] });
    if (properties.some((p) => PRIVATE.includes(p))) throw new MethodError('forbidden', 'url and keys are never returned (RFC 8620 §7.2.1)');
  }
  const all = await ctx.deps.store.pushSubscriptions.listPushSubscriptions(ctx.accountId, Date.now());
  const chosen = ids === null ? all : [];
  const notFound: string[] = [];
  if (ids !== null) {
    for (const id of new Set(ids)) {
      const n = fromJmapId('push', id);
      const sub = n === null ? undefined : all.find((s) => s.id === n);
      if (sub) chosen.push(sub);
      else notFound.push(id);
    }
  }
  const pick = (o: Record<string, unknown>): Record<string, unknown> =>
    properties ? Object.fromEntries(Object.entries(o).filter(([k]) => k === 'id' || properties.includes(k))) : o;
  return { list: chosen.map((s) => pick(toObject(s))), notFound };
}

async function setSubscriptions(args: Args, ctx: MethodContext): Promise<Args> {
  onlyKnown(args, ['create', 'update', 'destroy']);
  const req = readSet(args, ctx);
  const store = ctx.deps.store.pushSubscriptions;
  const sender = ctx.deps.push.sender;
  const created: Record<string, Args> = {};
  const updated: Record<string, Args | null> = {};
  const destroyed: string[] = [];
  const notCreated: Record<string, SetError> = {};
  const notUpdated: Record<string, SetError> = {};
  const notDestroyed: Record<string, SetError> = {};
  const now = Date.now();

  for (const [cid, obj] of req.create) {
    const unknown = Object.keys(obj).filter((k) => !(PROPERTIES as readonly string[]).includes(k));
    if (unknown.length) { notCreated[cid] = invalid(unknown, 'unknown properties'); continue; }
    if ('id' in obj || (obj.verificationCode !== undefined && obj.verificationCode !== null)) { notCreated[cid] = invalid(['id' in obj ? 'id' : 'verificationCode'], 'set by the server'); continue; }
    if (typeof obj.deviceClientId !== 'string' || obj.deviceClientId.length === 0 || obj.deviceClientId.length > 255) { notCreated[cid] = invalid(['deviceClientId'], 'a non-empty string is required'); continue; }
    if (typeof obj.url !== 'string') { notCreated[cid] = invalid(['url'], 'a URL is required'); continue; }
    const urlProblem = pushUrlProblem(obj.url, ctx.deps.push.options);
    if (urlProblem) { notCreated[cid] = invalid(['url'], `url ${urlProblem}`); continue; }
    const keys = readKeys(obj.keys);
    if (keys === undefined) { notCreated[cid] = invalid(['keys'], 'keys must be null or { p256dh, auth } as RFC 8291 §3.2 defines them'); continue; }
    const types = obj.types === undefined ? null : readTypes(obj.types);
    if (types === undefined) { notCreated[cid] = invalid(['types'], 'types must be null or a list of type names'); continue; }
    const expiry = grantExpiry(obj.expires, now);
    if (!expiry.ok) { notCreated[cid] = invalid(['expires'], 'expires must be a UTCDate or null'); continue; }
    if ((await store.listPushSubscriptions(ctx.accountId, now)).length >= MAX_PER_ACCOUNT) {
      notCreated[cid] = { type: 'forbidden', description: `at most ${MAX_PER_ACCOUNT} push subscriptions per account` };
      continue;
    }
    const sub = await store.createPushSubscription({
      accountId: ctx.accountId, deviceClientId: obj.deviceClientId, url: obj.url, keys, types,
      verificationCode: randomBytes(16).toString('base64url'), expiresAt: expiry.expiresAt,
    });
    const id = toJmapId('push', sub.id);
    created[cid] = { id, ...(expiry.changed ? { expires: utcDate(expiry.expiresAt) } : {}) };
    ctx.recordCreated(cid, id);
    // RFC 8620 §7.2.2: "the server MUST immediately push a PushVerification object"; the response need not wait for it.
    void sender.sendVerification(sub);
  }

  const current = async (id: string): Promise<PushSubscriptionRecord | null> => {
    const n = fromJmapId('push', id);
    if (n === null) return null;
    return (await store.listPushSubscriptions(ctx.accountId, now)).find((s) => s.id === n) ?? null;
  };

  for (const [id, patch] of req.update) {
    const sub = await current(id);
    if (!sub) { notUpdated[id] = { type: 'notFound' }; continue; }
    const immutable = Object.keys(patch).filter((k) => ['id', 'deviceClientId', 'url', 'keys'].includes(k));
    const unknown = Object.keys(patch).filter((k) => !(PROPERTIES as readonly string[]).includes(k));
    if (unknown.length || immutable.length) { notUpdated[id] = invalid([...unknown, ...immutable], unknown.length ? 'unknown properties' : 'immutable after creation'); continue; }
    const change: { verified?: boolean; expiresAt?: number; types?: string[] | null } = {};
    const reply: Args = {};
    if ('verificationCode' in patch) {
      if (patch.verificationCode !== sub.verificationCode) { notUpdated[id] = invalid(['verificationCode'], 'not the code that was pushed'); continue; }
      change.verified = true;
    }
    if ('types' in patch) {
      const types = readTypes(patch.types);
      if (types === undefined) { notUpdated[id] = invalid(['types'], 'types must be null or a list of type names'); continue; }
      change.types = types;
    }
    if ('expires' in patch) {
      const expiry = grantExpiry(patch.expires, now);
      if (!expiry.ok) { notUpdated[id] = invalid(['expires'], 'expires must be a UTCDate or null'); continue; }
      change.expiresAt = expiry.expiresAt;
      if (expiry.changed) reply.expires = utcDate(expiry.expiresAt);
    }
    await store.updatePushSubscription(ctx.accountId, sub.id, change);
    if (change.verified) sender.watch(ctx.accountId);
    updated[id] = Object.keys(reply).length ? reply : null;
  }

  for (const id of req.destroy) {
    const n = fromJmapId('push', id);
    if (n !== null && (await store.deletePushSubscription(ctx.accountId, n))) destroyed.push(id);
    else notDestroyed[id] = { type: 'notFound' };
  }

  const orNull = <T extends object>(o: T): T | null => (Object.keys(o).length ? o : null);
  return {
    created: orNull(created), updated: orNull(updated), destroyed: destroyed.length ? destroyed : null,
    notCreated: orNull(notCreated), notUpdated: orNull(notUpdated), notDestroyed: orNull(notDestroyed),
  };
}

/** RFC 8620 §7.2: part of the core capability. */
export const pushSubscriptionMethods: MethodSet = {
  capability: CORE_CAPABILITY,
  methods: {
    'PushSubscription/get': getSubscriptions,
    'PushSubscription/set': setSubscriptions,
  },
};
