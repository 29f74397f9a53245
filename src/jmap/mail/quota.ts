// JMAP Quota (RFC 9425): the account's storage quota as one Quota object — resourceType
// "octets", scope "account", types ["Mail"] — from store.quota(). An account without a limit
// has no Quota object (hardLimit is not optional, RFC 9425 §4.1).
//
// The state is the quota itself (used octets and limit): two equal states are equal objects,
// so /changes and /queryChanges compare the old state with the current one exactly, with no
// change log to consult.

import type { QuotaInfo } from '../../store/types.ts';
import { MethodError, type MethodContext, type MethodSet } from '../types.ts';
import { type Args, onlyKnown, optionalString, optionalUnsignedInt } from '../args.ts';
import { pick, readChanges, readGet } from '../standard.ts';
import { toAccountId } from '../ids.ts';
import { applyWindow, collate, matchFilter, readFilter, readSort, readWindow, type Comparator, type Filter } from './query-window.ts';

export const QUOTA_CAPABILITY = 'urn:ietf:params:jmap:quota';

const QUOTA_ID = 'storage';
const QUOTA_PROPERTIES = ['id', 'resourceType', 'used', 'hardLimit', 'scope', 'name', 'types', 'warnLimit', 'softLimit', 'description'] as const;

interface QuotaState {
  used: number;
  limit: number | null;
}

function stateOf(q: QuotaState): string {
  return `q${q.used.toString(36)}-${q.limit === null ? 'n' : q.limit.toString(36)}`;
}

function parseState(s: string): QuotaState | null {
  const m = /^q([0-9a-z]{1,12})-(n|[0-9a-z]{1,12})$/.exec(s);
  if (!m) return null;
  return { used: parseInt(m[1], 36), limit: m[2] === 'n' ? null : parseInt(m[2], 36) };
}

async function read(ctx: MethodContext): Promise<{ state: string; quota: QuotaState; objects: Record<string, unknown>[] }> {
  const info: QuotaInfo = await ctx.deps.store.quota(ctx.accountId);
  const quota = { used: info.usedBytes, limit: info.limitBytes };
  return { state: stateOf(quota), quota, objects: quota.limit === null ? [] : [toQuota(quota, ctx.account.address)] };
}

function toQuota(q: QuotaState, address: string): Record<string, unknown> {
  return {
    id: QUOTA_ID,
    resourceType: 'octets',
    used: q.used,
    hardLimit: q.limit,
    scope: 'account',
    name: `Mail storage of ${address}`,
    types: ['Mail'],
    warnLimit: null,
    softLimit: null,
    description: null,
  };
}

/** RFC 9425 §4.1 Quota/get. */
async function quotaGet(args: Args, ctx: MethodContext): Promise<Args> {
  const req = readGet(args, ctx, QUOTA_PROPERTIES);
  const { state, objects } = await read(ctx);
  const wanted = req.ids ?? objects.map((o) => o.id as string);
  const byId = new Map(objects.map((o) => [o.id as string, o]));
  return {
    accountId: toAccountId(ctx.accountId),
    state,
    list: wanted.filter((id) => byId.has(id)).map((id) => pick(byId.get(id)!, req.properties)),
    notFound: wanted.filter((id) => !byId.has(id)),
  };
}

/** RFC 9425 §4.2 Quota/changes: with updatedProperties ["used"] when only usage moved. */
async function quotaChanges(args: Args, ctx: MethodContext): Promise<Args> {
  const req = readChanges(args);
  const old = parseState(req.sinceState);
  if (!old) throw new MethodError('cannotCalculateChanges', 'not a state this server issued');
  const { state, quota } = await read(ctx);
  const existed = old.limit !== null;
  const exists = quota.limit !== null;
  const same = old.used === quota.used && old.limit === quota.limit;
  return {
    accountId: toAccountId(ctx.accountId),
    oldState: req.sinceState,
    newState: state,
    hasMoreChanges: false,
    created: !existed && exists ? [QUOTA_ID] : [],
    updated: existed && exists && !same ? [QUOTA_ID] : [],
    destroyed: existed && !exists ? [QUOTA_ID] : [],
    updatedProperties: existed && exists && !same && old.limit === quota.limit ? ['used'] : null,
  };
}

interface QuotaCondition {
  name?: string;
  scope?: string[];
  resourceType?: string;
  type?: string;
}

function readCondition(c: Record<string, unknown>): QuotaCondition {
  const out: QuotaCondition = {};
  for (const [key, value] of Object.entries(c)) {
    const wrong = (what: string) => new MethodError('invalidArguments', `filter "${key}" must be ${what}`, { arguments: ['filter'] });
    if (key === 'name' || key === 'resourceType' || key === 'type') {
      if (typeof value !== 'string') throw wrong('a string');
      out[key] = value;
    } else if (key === 'scope') {
      // RFC 9425 §4.3: scope is one value; a list of them is accepted as "any of".
      if (typeof value === 'string') out.scope = [value];
      else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) out.scope = value as string[];
      else throw wrong('a string');
    } else {
      throw new MethodError('unsupportedFilter', `cannot filter Quotas by "${key}"`);
    }
  }
  return out;
}

function matches(c: QuotaCondition, q: Record<string, unknown>): boolean {
  if (c.name !== undefined && !(q.name as string).toLowerCase().includes(c.name.toLowerCase())) return false;
  if (c.scope !== undefined && !c.scope.includes(q.scope as string)) return false;
  if (c.resourceType !== undefined && q.resourceType !== c.resourceType) return false;
  if (c.type !== undefined && !(q.types as string[]).includes(c.type)) return false;
  return true;
}

function runQuery(objects: Record<string, unknown>[], filter: Filter<QuotaCondition> | null, sort: Comparator[]): string[] {
  return objects
    .filter((o) => matchFilter(filter, o, matches))
    .sort((a, b) => {
      for (const c of sort) {
        const r = c.property === 'used' ? (a.used as number) - (b.used as number) : collate(a.name as string, b.name as string, c.collation);
        if (r !== 0) return c.isAscending ? r : -r;
      }
      return 0;
    })
    .map((o) => o.id as string);
}

/** RFC 9425 §4.3 Quota/query. */
async function quotaQuery(args: Args, ctx: MethodContext): Promise<Args> {
  onlyKnown(args, ['accountId', 'filter', 'sort', 'position', 'anchor', 'anchorOffset', 'limit', 'calculateTotal']);
  const filter = readFilter(args.filter, readCondition);
  const sort = readSort(args, ['name', 'used']);
  const window = readWindow(args);
  const { state, objects } = await read(ctx);
  const ids = runQuery(objects, filter, sort);
  const page = applyWindow(ids, window);
  return {
    accountId: toAccountId(ctx.accountId),
    queryState: state,
    canCalculateChanges: true,
    position: page.position,
    ids: page.ids,
    ...(window.calculateTotal ? { total: ids.length } : {}),
  };
}

/** RFC 9425 §4.4 Quota/queryChanges: the one object is removed and re-added whenever it changed. */
async function quotaQueryChanges(args: Args, ctx: MethodContext): Promise<Args> {
  onlyKnown(args, ['accountId', 'filter', 'sort', 'sinceQueryState', 'maxChanges', 'upToId', 'calculateTotal']);
  const since = optionalString(args, 'sinceQueryState');
  if (since === null) throw new MethodError('invalidArguments', '"sinceQueryState" must be a string', { arguments: ['sinceQueryState'] });
  const maxChanges = optionalUnsignedInt(args, 'maxChanges');
  optionalString(args, 'upToId');
  const filter = readFilter(args.filter, readCondition);
  const sort = readSort(args, ['name', 'used']);
  const window = readWindow({ calculateTotal: args.calculateTotal });
  const old = parseState(since);
  if (!old) throw new MethodError('cannotCalculateChanges', 'not a state this server issued');
  const { state, objects } = await read(ctx);
  const ids = runQuery(objects, filter, sort);
  const changed = state !== since;
  const removed = changed && old.limit !== null ? [QUOTA_ID] : [];
  const added = changed ? ids.map((id, index) => ({ id, index })) : [];
  if (maxChanges !== null && removed.length + added.length > maxChanges) throw new MethodError('tooManyChanges', `more than ${maxChanges} changes`);
  return {
    accountId: toAccountId(ctx.accountId),
    oldQueryState: since,
    newQueryState: state,
    removed,
    added,
    ...(window.calculateTotal ? { total: ids.length } : {}),
  };
}

export const quotaMethods: MethodSet = {
  capability: QUOTA_CAPABILITY,
  sessionCapability: {},
  accountCapability: () => ({}),
  methods: {
    'Quota/get': quotaGet,
    'Quota/changes': quotaChanges,
    'Quota/query': quotaQuery,
    'Quota/queryChanges': quotaQueryChanges,
  },
};
