// LIST (RFC 9051 §6.3.9; RFC 5258 LIST-EXTENDED; RFC 5819 LIST-STATUS; RFC 6154 SPECIAL-USE;
// RFC 3348 CHILDREN) and LSUB (RFC 3501 §6.3.9). One read of the account's mailboxes (with
// their counters, so LIST-STATUS needs no further query) and one of its subscriptions.

import { mailboxAncestors, MAILBOX_SEPARATOR } from '../mail/mailbox-name.ts';
import type { Mailbox } from '../store/types.ts';
import { listResponse, quote, statusResponse, type ListArgs, type MailboxArg } from '../wire/imap/index.ts';
import { command } from './descriptor.ts';
import { statusItems } from './commands-mailbox.ts';
import type { ImapSession } from './session.ts';
import { AUTHENTICATED } from './state.ts';

/** reference + pattern → a matcher (RFC 9051 §6.3.9: "*" matches anything, "%" stops at "/"). */
export function patternMatcher(reference: MailboxArg, pattern: MailboxArg): ((name: string) => boolean) | null {
  if (!reference.ok || !pattern.ok) return null;
  let full = reference.name + pattern.name;
  // INBOX is case-insensitive, also as the first component of a pattern.
  full = full.replace(/^inbox(?=$|\/)/i, 'INBOX');
  let re = '^';
  for (const ch of full) {
    if (ch === '*') re += '.*';
    else if (ch === '%') re += '[^/]*';
    else re += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  const regex = new RegExp(re + '$', 'su');
  return (name) => regex.test(name);
}

interface Entry {
  name: string;
  mailbox: Mailbox | null;
  subscribed: boolean;
  hasChildren: boolean;
  hasSubscribedChild: boolean;
}

async function entries(s: ImapSession): Promise<Map<string, Entry>> {
  const store = s.ctx.deps.store;
  const [mailboxes, subscriptions] = await Promise.all([store.listMailboxes(s.accountId()), store.listSubscriptions(s.accountId())]);
  const map = new Map<string, Entry>();
  const entry = (name: string): Entry => {
    let e = map.get(name);
    if (!e) {
      e = { name, mailbox: null, subscribed: false, hasChildren: false, hasSubscribedChild: false };
      map.set(name, e);
    }
    return e;
  };
  for (const m of mailboxes) {
    entry(m.name).mailbox = m;
    for (const parent of mailboxAncestors(m.name)) entry(parent).hasChildren = true;
  }
  for (const name of subscriptions) {
    entry(name).subscribed = true;
    for (const parent of mailboxAncestors(name)) entry(parent).hasSubscribedChild = true;
  }
  return map;
}

function sortNames(a: string, b: string): number {
  if (a === b) return 0;
  if (a === 'INBOX') return -1;
  if (b === 'INBOX') return 1;
  return a < b ? -1 : 1;
}

async function list(s: ImapSession, args: ListArgs, kind: 'LIST' | 'LSUB'): Promise<void> {
  const opts = s.encodeOptions();
  // RFC 9051 §6.3.9: an empty pattern asks for the hierarchy delimiter and the root.
  if (kind === 'LIST' && args.patterns.length === 1 && args.patterns[0].ok && args.patterns[0].wire === '' && !args.selection.subscribed && !args.selection.specialUse) {
    s.write(listResponse('LIST', ['\\Noselect'], MAILBOX_SEPARATOR, '', opts));
    return;
  }
  const matchers = args.patterns.map((p) => patternMatcher(args.reference, p)).filter((m) => m !== null);
  const matches = (name: string): boolean => matchers.some((m) => m(name));
  const all = await entries(s);
  const subscribedOnly = args.selection.subscribed || kind === 'LSUB';
  const showSubscribed = args.selection.subscribed || args.returns.subscribed;
  const names = [...all.keys()].sort(sortNames);
  // RFC 5258 §3.5: RECURSIVEMATCH reports a parent for its subscribed descendants only when
  // they are not listed themselves (they do not match the pattern).
  const parentsOfUnlisted = new Set<string>();
  if (args.selection.recursiveMatch) {
    for (const e of all.values()) if (e.subscribed && !matches(e.name)) for (const p of mailboxAncestors(e.name)) parentsOfUnlisted.add(p);
  }
  for (const name of names) {
    const e = all.get(name)!;
    if (!matches(name)) continue;
    let childInfo = false;
    if (subscribedOnly && !e.subscribed) {
      // RFC 5258 §3.5 RECURSIVEMATCH: a parent that is listed because of subscribed children.
      if (args.selection.recursiveMatch && parentsOfUnlisted.has(name)) childInfo = true;
      // RFC 3501 §6.3.9: LSUB "%" shows an unsubscribed parent of a subscribed child as \Noselect.
      else if (kind === 'LSUB' && e.hasSubscribedChild) childInfo = true;
      else continue;
    }
    if (args.selection.specialUse && !e.mailbox?.role) continue;
    if (!subscribedOnly && !e.mailbox && !e.hasChildren) continue;
    const attrs: string[] = [];
    if (kind === 'LSUB') {
      if (!e.mailbox || !e.subscribed) attrs.push('\\Noselect');
    } else if (!e.mailbox) {
      attrs.push(e.hasChildren ? '\\Noselect' : '\\NonExistent');
    }
    if (kind === 'LIST') attrs.push(e.hasChildren ? '\\HasChildren' : '\\HasNoChildren');
    if (showSubscribed && e.subscribed && kind === 'LIST') attrs.push('\\Subscribed');
    if (e.mailbox?.role && kind === 'LIST') attrs.push(e.mailbox.role);
    const extended = childInfo && kind === 'LIST' ? `(${quote('CHILDINFO')} (${quote('SUBSCRIBED')}))` : null;
    await s.send(listResponse(kind, attrs, MAILBOX_SEPARATOR, name, opts, extended));
    // RFC 5819 §2: a STATUS response after the LIST line of every selectable mailbox.
    if (args.returns.status && e.mailbox) await s.send(statusResponse(name, await statusItems(s, e.mailbox, args.returns.status), opts));
  }
}

const listCommand = command({
  name: 'LIST',
  states: AUTHENTICATED,
  run: async (s, _tag, cmd) => list(s, cmd, 'LIST'),
});

const lsub = command({
  name: 'LSUB',
  states: AUTHENTICATED,
  run: async (s, _tag, cmd) =>
    list(
      s,
      {
        extended: false,
        selection: { subscribed: true, remote: false, recursiveMatch: false, specialUse: false },
        reference: cmd.reference,
        patterns: [cmd.pattern],
        returns: { subscribed: false, children: false, specialUse: false, status: null },
      },
      'LSUB',
    ),
});

export const listCommands = [listCommand, lsub];
