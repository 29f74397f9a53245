// Mailbox/query's filter and sort (RFC 8621 §2.3), with sortAsTree and filterAsTree.

import { MethodError } from '../types.ts';
import { type Args, optionalBoolean } from '../args.ts';
import { collate, matchFilter, readFilter, type Comparator, type Filter } from './query-window.ts';

export interface MailboxCondition {
  parentId?: string | null;
  name?: string;
  role?: string | null;
  hasAnyRole?: boolean;
  isSubscribed?: boolean;
}

export const MAILBOX_SORT_PROPERTIES = ['sortOrder', 'name'] as const;

function readCondition(c: Record<string, unknown>): MailboxCondition {
  const out: MailboxCondition = {};
  for (const [key, value] of Object.entries(c)) {
    const wrong = (what: string) => new MethodError('invalidArguments', `filter "${key}" must be ${what}`, { arguments: ['filter'] });
    switch (key) {
      case 'parentId':
      case 'role':
        if (value !== null && typeof value !== 'string') throw wrong('a string or null');
        out[key] = value;
        break;
      case 'name':
        if (typeof value !== 'string') throw wrong('a string');
        out.name = value;
        break;
      case 'hasAnyRole':
      case 'isSubscribed':
        if (typeof value !== 'boolean') throw wrong('true or false');
        out[key] = value;
        break;
      default:
        throw new MethodError('unsupportedFilter', `cannot filter Mailboxes by "${key}"`);
    }
  }
  return out;
}

export function readMailboxFilter(args: Args): Filter<MailboxCondition> | null {
  return readFilter(args.filter, readCondition);
}

type JmapMailbox = Record<string, unknown> & { id: string; name: string; parentId: string | null; role: string | null; sortOrder: number; isSubscribed: boolean };

function matches(c: MailboxCondition, m: JmapMailbox): boolean {
  if (c.parentId !== undefined && m.parentId !== c.parentId) return false;
  // RFC 8621 §2.3: "contains the given string"; compared without case, as names are shown.
  if (c.name !== undefined && !m.name.toLowerCase().includes(c.name.toLowerCase())) return false;
  if (c.role !== undefined && m.role !== c.role) return false;
  if (c.hasAnyRole !== undefined && (m.role !== null) !== c.hasAnyRole) return false;
  if (c.isSubscribed !== undefined && m.isSubscribed !== c.isSubscribed) return false;
  return true;
}

function comparatorOf(sort: readonly Comparator[]): (a: JmapMailbox, b: JmapMailbox) => number {
  return (a, b) => {
    for (const c of sort) {
      const r = c.property === 'sortOrder' ? a.sortOrder - b.sortOrder : collate(a.name, b.name, c.collation);
      if (r !== 0) return c.isAscending ? r : -r;
    }
    // A stable order for equal keys: the id, so the same query always gives the same list.
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  };
}

export interface MailboxQueryOptions {
  filter: Filter<MailboxCondition> | null;
  sort: Comparator[];
  sortAsTree: boolean;
  filterAsTree: boolean;
}

export function readTreeOptions(args: Args): { sortAsTree: boolean; filterAsTree: boolean } {
  return { sortAsTree: optionalBoolean(args, 'sortAsTree', false), filterAsTree: optionalBoolean(args, 'filterAsTree', false) };
}

/** The ids of the matching mailboxes in query order (RFC 8621 §2.3). */
export function runMailboxQuery(all: JmapMailbox[], q: MailboxQueryOptions): string[] {
  const byId = new Map(all.map((m) => [m.id, m]));
  let included = new Set(all.filter((m) => matchFilter(q.filter, m, matches)).map((m) => m.id));
  if (q.filterAsTree) {
    // "a Mailbox is only included in the query if all its ancestors are also included"
    const ancestorsIn = (m: JmapMailbox): boolean => {
      for (let p = m.parentId; p !== null; p = byId.get(p)?.parentId ?? null) if (!included.has(p)) return false;
      return true;
    };
    included = new Set([...included].filter((id) => ancestorsIn(byId.get(id)!)));
  }
  const compare = comparatorOf(q.sort);
  const chosen = all.filter((m) => included.has(m.id));
  if (!q.sortAsTree) return chosen.sort(compare).map((m) => m.id);
  // "sorted as a tree according to the parentId properties, with each set of children with a
  // common parent sorted according to the standard sort comparator": a depth-first walk over the
  // whole tree (an excluded mailbox still places its included descendants).
  const children = new Map<string | null, JmapMailbox[]>();
  for (const m of all) {
    const parent = m.parentId !== null && byId.has(m.parentId) ? m.parentId : null;
    const list = children.get(parent);
    if (list) list.push(m);
    else children.set(parent, [m]);
  }
  const out: string[] = [];
  const walk = (parent: string | null): void => {
    for (const m of (children.get(parent) ?? []).sort(compare)) {
      if (included.has(m.id)) out.push(m.id);
      walk(m.id);
    }
  };
  walk(null);
  return out;
}
