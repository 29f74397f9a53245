// THREAD=REFERENCES (RFC 5256 §3, the algorithm after Jamie Zawinski's): threads from
// Message-ID, References and In-Reply-To, then threads with the same base subject merged.
// Reply chains can be thousands deep, so every walk below uses an explicit stack or a loop.

import type { ThreadNode } from '../wire/imap/index.ts';
import type { SearchHit } from './search.ts';

interface Container {
  hit: SearchHit | null;
  parent: Container | null;
  children: Container[];
  /** Sent date of the message, or of the first child once sorted (dummies). */
  date: number;
  seq: number;
}

const REPLY = /^\s*((re|fwd?|fw)\s*(\[[^\]]*\])?\s*:|\[fwd:)/i;

function dateOf(h: SearchHit): number {
  return h.summary!.sentDate ?? h.record.internalDate;
}

function isAncestor(candidate: Container, of: Container): boolean {
  for (let p: Container | null = of; p; p = p.parent) if (p === candidate) return true;
  return false;
}

function unlink(c: Container): void {
  if (!c.parent) return;
  const siblings = c.parent.children;
  siblings.splice(siblings.indexOf(c), 1);
  c.parent = null;
}

function link(parent: Container, child: Container): void {
  child.parent = parent;
  parent.children.push(child);
}

/** Post-order list of every container below the roots (children before their parent). */
function postOrder(roots: Container[]): Container[] {
  const out: Container[] = [];
  const stack: [Container, boolean][] = roots.map((r) => [r, false]);
  while (stack.length > 0) {
    const [c, visited] = stack.pop()!;
    if (visited) {
      out.push(c);
      continue;
    }
    stack.push([c, true]);
    for (const child of c.children) stack.push([child, false]);
  }
  return out;
}

function byDate(a: Container, b: Container): number {
  return a.date - b.date || a.seq - b.seq;
}

/** Sorts every sibling list by date, bottom-up, so a dummy takes its first child's date (§3 step 7). */
function sortAll(roots: Container[]): void {
  for (const c of postOrder(roots)) {
    c.children.sort(byDate);
    if (!c.hit && c.children.length > 0) {
      c.date = c.children[0].date;
      c.seq = c.children[0].seq;
    }
  }
  roots.sort(byDate);
}

export function threadByReferences(hits: SearchHit[], number: (h: SearchHit) => number): ThreadNode[] {
  const byId = new Map<string, Container>();
  const container = (id: string): Container => {
    let c = byId.get(id);
    if (!c) {
      c = { hit: null, parent: null, children: [], date: 0, seq: 0 };
      byId.set(id, c);
    }
    return c;
  };
  let unique = 0;
  // Step 1: link by references.
  for (const h of hits) {
    const s = h.summary!;
    let id = s.messageId;
    // A missing or duplicate Message-ID gets a unique one (§3 step 1).
    if (!id || byId.get(id)?.hit) id = `\u0000${++unique}`;
    const own = container(id);
    own.hit = h;
    own.date = dateOf(h);
    own.seq = h.seq;
    const refs = s.references.length > 0 ? s.references : s.inReplyTo.slice(0, 1);
    let prev: Container | null = null;
    for (const ref of refs) {
      const c = container(ref);
      if (prev && !c.parent && c !== prev && !isAncestor(c, prev)) link(prev, c);
      prev = c;
    }
    // The message's own last reference is its parent, replacing an earlier guess.
    unlink(own);
    if (prev && prev !== own && !isAncestor(own, prev)) link(prev, own);
  }
  // Step 2: the root set; step 4: prune dummies, bottom-up (children before their parent).
  const all = [...byId.values()];
  for (const c of postOrder(all.filter((x) => !x.parent))) {
    if (c.hit) continue;
    const parent = c.parent;
    if (c.children.length === 0) {
      unlink(c);
    } else if (parent) {
      // A dummy inside a thread is replaced by its children.
      const kids = c.children.splice(0);
      parent.children.splice(parent.children.indexOf(c), 1, ...kids);
      for (const k of kids) k.parent = parent;
      c.parent = null;
    } else if (c.children.length === 1) {
      // A dummy root with one child: the child becomes the root.
      c.children.splice(0)[0].parent = null;
    }
    // A dummy root with several children stays (it groups them).
  }
  let roots = all.filter((c) => !c.parent && (c.hit !== null || c.children.length > 0));
  // Step 5: sort the roots by date.
  sortAll(roots);
  // Step 6: merge root threads with the same base subject.
  const subjectOf = (c: Container): { base: string; reply: boolean } | null => {
    const h = c.hit ?? c.children[0]?.hit ?? null;
    if (!h) return null;
    const base = h.summary!.baseSubject.toUpperCase();
    return base ? { base, reply: REPLY.test(h.summary!.subject) } : null;
  };
  const table = new Map<string, Container>();
  for (const r of roots) {
    const s = subjectOf(r);
    if (!s) continue;
    const old = table.get(s.base);
    if (!old || (!r.hit && old.hit) || (old.hit && r.hit && subjectOf(old)!.reply && !s.reply)) table.set(s.base, r);
  }
  const merged: Container[] = [];
  for (const r of roots) {
    if (r.parent) continue; // already merged into a dummy made for an earlier root
    const s = subjectOf(r);
    const t = s ? table.get(s.base) : undefined;
    if (!s || !t || t === r) {
      merged.push(r);
      continue;
    }
    if (!t.hit && !r.hit) {
      for (const k of r.children.splice(0)) link(t, k);
    } else if (!t.hit) {
      link(t, r);
    } else if (r.hit && !subjectOf(t)!.reply && s.reply) {
      link(t, r);
    } else {
      // Neither is clearly the original: a new dummy holds both, in the table's place.
      const dummy: Container = { hit: null, parent: null, children: [], date: 0, seq: 0 };
      const at = merged.indexOf(t);
      link(dummy, t);
      link(dummy, r);
      if (at !== -1) merged[at] = dummy;
      else merged.push(dummy);
      table.set(s.base, dummy);
    }
  }
  const finalRoots = merged.filter((r) => !r.parent);
  // Step 7: sort every level by date.
  sortAll(finalRoots);
  // Convert, iteratively; children are pushed last-first so each list keeps its order.
  const out: ThreadNode[] = [];
  const stack: [Container, ThreadNode[]][] = [];
  for (let i = finalRoots.length - 1; i >= 0; i--) stack.push([finalRoots[i], out]);
  while (stack.length > 0) {
    const [c, into] = stack.pop()!;
    const node: ThreadNode = { number: c.hit ? number(c.hit) : null, children: [] };
    into.push(node);
    for (let i = c.children.length - 1; i >= 0; i--) stack.push([c.children[i], node.children]);
  }
  return out;
}
