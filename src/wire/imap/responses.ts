// Untagged data responses (RFC 9051 §7.2–§7.4; RFC 4731 ESEARCH; RFC 5256 SORT/THREAD;
// RFC 7162 VANISHED; RFC 2971 ID; RFC 2342 NAMESPACE; RFC 9208 QUOTA). Each returns one
// complete line, CRLF included. Sequence sets are passed ready-made (compressSequence in
// sequence.ts), so each caller decides order and sorting.

import { quote, ResponseBuilder, type EncodeOptions } from './encode.ts';
import { encodeMailboxUtf7 } from './utf7.ts';

/** "* LIST (attrs) "/" name [extended items]" (RFC 9051 §7.3.1). */
export function listResponse(
  kind: 'LIST' | 'LSUB',
  attributes: readonly string[],
  delimiter: string | null,
  name: string,
  options: EncodeOptions = {},
  extended: string | null = null,
): Buffer {
  const b = new ResponseBuilder(options).raw(`* ${kind} `).flags(attributes).sp();
  if (delimiter === null) b.nil();
  else b.raw(quote(delimiter));
  b.sp().mailbox(name);
  if (extended) b.sp().raw(extended);
  return b.line();
}

/** "* STATUS name (MESSAGES 3 UIDNEXT 4 …)" (RFC 9051 §7.3.3). */
/** A string value is written as given (RFC 8474 §4.2: "MAILBOXID" SP "(" objectid ")"). */
export function statusResponse(name: string, items: readonly [string, number | string][], options: EncodeOptions = {}): Buffer {
  return new ResponseBuilder(options)
    .raw('* STATUS ')
    .mailbox(name)
    .raw(' (' + items.map(([k, v]) => `${k} ${v}`).join(' ') + ')')
    .line();
}

function numberList(kind: 'SEARCH' | 'SORT', numbers: readonly number[], modseq: number | null): Buffer {
  let line = '* ' + kind;
  for (const n of numbers) line += ' ' + n;
  if (modseq !== null) line += ` (MODSEQ ${modseq})`;
  return Buffer.from(line + '\r\n', 'latin1');
}

/** "* SEARCH 2 3 6 [(MODSEQ 917162500)]" (RFC 3501 §7.2.5; RFC 7162 §3.1.5). */
export function searchResponse(numbers: readonly number[], modseq: number | null = null): Buffer {
  return numberList('SEARCH', numbers, modseq);
}

/** "* SORT 2 3 6 [(MODSEQ n)]" (RFC 5256 §4; RFC 7162 §3.1.5 adds the MODSEQ). */
export function sortResponse(numbers: readonly number[], modseq: number | null = null): Buffer {
  return numberList('SORT', numbers, modseq);
}

/**
 * "* ESEARCH (TAG "a") UID MIN 1 MAX 9 COUNT 5 ALL 1:3,5 MODSEQ 12" (RFC 4731 §3, RFC 7162
 * §3.1.5). `all` is a ready sequence set (see compressSequence); absent items are omitted.
 */
export function esearchResponse(
  tag: string,
  uid: boolean,
  result: { min?: number; max?: number; count?: number; all?: string; modseq?: number },
): Buffer {
  let line = `* ESEARCH (TAG ${quote(tag)})`;
  if (uid) line += ' UID';
  if (result.min !== undefined) line += ` MIN ${result.min}`;
  if (result.max !== undefined) line += ` MAX ${result.max}`;
  if (result.count !== undefined) line += ` COUNT ${result.count}`;
  if (result.all) line += ` ALL ${result.all}`;
  if (result.modseq !== undefined) line += ` MODSEQ ${result.modseq}`;
  return Buffer.from(line + '\r\n', 'latin1');
}

/** "* VANISHED [(EARLIER)] 300:310,405" (RFC 7162 §3.2.10); `uids` is a ready sequence set. */
export function vanishedResponse(uids: string, earlier: boolean): Buffer {
  return Buffer.from(`* VANISHED ${earlier ? '(EARLIER) ' : ''}${uids}\r\n`, 'latin1');
}

/** A thread tree: a message, or a dummy (number null) standing for a missing parent. */
export interface ThreadNode {
  number: number | null;
  children: ThreadNode[];
}

/**
 * "* THREAD (2)(3 6 (4 23)(44 7 96))" (RFC 5256 §4): a chain of only children is written inline,
 * branches as nested lists; a dummy parent contributes no number ("((3)(5))"). Written with an
 * explicit stack: a reply chain 10,000 messages long is a 10,000-step loop, not recursion.
 */
export function threadResponse(roots: readonly ThreadNode[]): Buffer {
  let out = '* THREAD ';
  const stack: (ThreadNode | string)[] = [];
  for (let i = roots.length - 1; i >= 0; i--) stack.push(roots[i]);
  while (stack.length > 0) {
    const task = stack.pop()!;
    if (typeof task === 'string') {
      out += task;
      continue;
    }
    out += '(';
    let node = task;
    let first = true;
    // Follow the chain while each message has exactly one child.
    for (;;) {
      if (node.number !== null) {
        out += (first ? '' : ' ') + node.number;
        first = false;
      }
      if (node.children.length === 1 && node.number !== null) {
        node = node.children[0];
        continue;
      }
      break;
    }
    const kids = node.children;
    stack.push(')');
    if (kids.length > 0) {
      for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
      if (!first) stack.push(' ');
    }
  }
  return Buffer.from(out.trimEnd() + '\r\n', 'latin1');
}

/** "* ID ("name" "Posthorn" …)" or "* ID NIL" (RFC 2971 §3.2). */
export function idResponse(params: readonly [string, string | null][] | null): Buffer {
  const b = new ResponseBuilder().raw('* ID ');
  if (params === null || params.length === 0) return b.nil().line();
  b.raw('(');
  params.forEach(([k, v], i) => {
    if (i > 0) b.sp();
    b.string(k).sp().nstring(v);
  });
  return b.raw(')').line();
}

/** One namespace: prefix and hierarchy delimiter (RFC 2342 §5). */
export interface Namespace {
  prefix: string;
  delimiter: string | null;
}

/** "* NAMESPACE (("" "/")) NIL NIL" (RFC 9051 §7.3.2; RFC 2342 §5). */
export function namespaceResponse(
  personal: readonly Namespace[],
  other: readonly Namespace[],
  shared: readonly Namespace[],
  options: EncodeOptions = {},
): Buffer {
  const b = new ResponseBuilder(options).raw('* NAMESPACE');
  for (const group of [personal, other, shared]) {
    b.sp();
    if (group.length === 0) {
      b.nil();
      continue;
    }
    b.raw('(');
    for (const ns of group) {
      b.raw('(').string(options.utf8 ? ns.prefix : encodeMailboxUtf7(ns.prefix)).sp();
      if (ns.delimiter === null) b.nil();
      else b.raw(quote(ns.delimiter));
      b.raw(')');
    }
    b.raw(')');
  }
  return b.line();
}

/** "* QUOTA "" (STORAGE 10 512 MESSAGE 3 1000)" (RFC 9208 §4.2.1): usage and limit per resource. */
export function quotaResponse(root: string, resources: readonly { resource: string; usage: number; limit: number }[]): Buffer {
  const b = new ResponseBuilder().raw('* QUOTA ').astring(root).raw(' (');
  b.raw(resources.map((r) => `${r.resource} ${r.usage} ${r.limit}`).join(' '));
  return b.raw(')').line();
}

/** "* QUOTAROOT INBOX """ (RFC 9208 §4.2.2). */
export function quotaRootResponse(mailbox: string, roots: readonly string[], options: EncodeOptions = {}): Buffer {
  const b = new ResponseBuilder(options).raw('* QUOTAROOT ').mailbox(mailbox);
  for (const r of roots) b.sp().astring(r);
  return b.line();
}
