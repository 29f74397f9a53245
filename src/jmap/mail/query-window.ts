// The standard /query arguments and result window (RFC 8620 §5.5): sort comparators, position
// or anchor with anchorOffset, limit, calculateTotal. Types with their own filters and sort
// properties (Mailbox, Quota) share this part.

import { MethodError } from '../types.ts';
import { type Args, isPlainObject, optionalBoolean, optionalInt, optionalString, optionalUnsignedInt } from '../args.ts';

export interface Comparator {
  property: string;
  isAscending: boolean;
  collation: string | null;
}

/** RFC 8620 §5.5 "sort": a list of Comparators on the given properties. */
export function readSort(args: Args, properties: readonly string[]): Comparator[] {
  const v = args.sort;
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new MethodError('invalidArguments', '"sort" must be a list of comparators', { arguments: ['sort'] });
  return v.map((c): Comparator => {
    if (!isPlainObject(c) || typeof c.property !== 'string') throw new MethodError('invalidArguments', 'a comparator needs a "property"', { arguments: ['sort'] });
    for (const key of Object.keys(c)) {
      if (!['property', 'isAscending', 'collation'].includes(key)) throw new MethodError('invalidArguments', `unknown comparator member "${key}"`, { arguments: ['sort'] });
    }
    if (!properties.includes(c.property)) throw new MethodError('unsupportedSort', `cannot sort by "${c.property}"`);
    const collation = optionalString(c, 'collation');
    if (collation !== null && !['i;ascii-casemap', 'i;unicode-casemap', 'i;octet', 'i;ascii-numeric'].includes(collation)) {
      throw new MethodError('unsupportedSort', `unknown collation "${collation}"`);
    }
    return { property: c.property, isAscending: optionalBoolean(c, 'isAscending', true), collation };
  });
}

export interface QueryWindow {
  position: number;
  anchor: string | null;
  anchorOffset: number;
  limit: number | null;
  calculateTotal: boolean;
}

export function readWindow(args: Args): QueryWindow {
  return {
    position: optionalInt(args, 'position') ?? 0,
    anchor: optionalString(args, 'anchor'),
    anchorOffset: optionalInt(args, 'anchorOffset') ?? 0,
    limit: optionalUnsignedInt(args, 'limit'),
    calculateTotal: optionalBoolean(args, 'calculateTotal', false),
  };
}

/** Applies position/anchor and limit to the full sorted result (RFC 8620 §5.5). */
export function applyWindow(ids: readonly string[], w: QueryWindow): { position: number; ids: string[] } {
  let start: number;
  if (w.anchor !== null) {
    const at = ids.indexOf(w.anchor);
    if (at === -1) throw new MethodError('anchorNotFound', 'the anchor is not in the results');
    start = Math.max(0, at + w.anchorOffset);
  } else if (w.position < 0) {
    start = Math.max(0, ids.length + w.position);
  } else {
    start = w.position;
  }
  start = Math.min(start, ids.length);
  const end = w.limit === null ? ids.length : Math.min(ids.length, start + w.limit);
  return { position: start, ids: ids.slice(start, end) };
}

/** RFC 8620 §5.5: a FilterOperator ({operator, conditions}) or a FilterCondition the type checks. */
export type Filter<C> = { operator: 'AND' | 'OR' | 'NOT'; conditions: Filter<C>[] } | { condition: C };

export function readFilter<C>(v: unknown, readCondition: (c: Record<string, unknown>) => C, depth = 0): Filter<C> | null {
  if (v === undefined || v === null) return null;
  if (!isPlainObject(v)) throw new MethodError('invalidArguments', '"filter" must be an object', { arguments: ['filter'] });
  if (depth > 16) throw new MethodError('unsupportedFilter', 'the filter is nested too deeply');
  if ('operator' in v) {
    const { operator, conditions } = v;
    if (operator !== 'AND' && operator !== 'OR' && operator !== 'NOT') throw new MethodError('invalidArguments', 'operator must be AND, OR or NOT', { arguments: ['filter'] });
    if (!Array.isArray(conditions)) throw new MethodError('invalidArguments', 'a FilterOperator needs "conditions"', { arguments: ['filter'] });
    const extra = Object.keys(v).filter((k) => k !== 'operator' && k !== 'conditions');
    if (extra.length) throw new MethodError('invalidArguments', `unknown FilterOperator member "${extra[0]}"`, { arguments: ['filter'] });
    return {
      operator,
      conditions: conditions.map((c) => {
        const f = readFilter(c, readCondition, depth + 1);
        if (!f) throw new MethodError('invalidArguments', 'a condition must be an object', { arguments: ['filter'] });
        return f;
      }),
    };
  }
  return { condition: readCondition(v) };
}

export function matchFilter<C, T>(f: Filter<C> | null, item: T, match: (c: C, item: T) => boolean): boolean {
  if (f === null) return true;
  if ('condition' in f) return match(f.condition, item);
  if (f.operator === 'AND') return f.conditions.every((c) => matchFilter(c, item, match));
  if (f.operator === 'OR') return f.conditions.some((c) => matchFilter(c, item, match));
  return !f.conditions.some((c) => matchFilter(c, item, match));
}

/** Compares two strings under a collation (RFC 4790); i;unicode-casemap is the default for names. */
export function collate(a: string, b: string, collation: string | null): number {
  if (collation === 'i;octet') return Buffer.compare(Buffer.from(a), Buffer.from(b));
  if (collation === 'i;ascii-casemap') {
    const x = a.replace(/[A-Z]/g, (c) => c.toLowerCase());
    const y = b.replace(/[A-Z]/g, (c) => c.toLowerCase());
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (collation === 'i;ascii-numeric') {
    const n = (s: string) => (/^\d+/.exec(s)?.[0] ?? null);
    const x = n(a);
    const y = n(b);
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    return x.length !== y.length ? x.length - y.length : x < y ? -1 : x > y ? 1 : 0;
  }
  const x = a.normalize('NFKD').toLowerCase();
  const y = b.normalize('NFKD').toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}
