// The JMAP Mailbox object (RFC 8621 §2) built from the store's mailboxes: the leaf of the
// '/'-separated name, parentId from the name's parent, the role from the IMAP special-use
// attribute (RFC 6154, names lower-cased per RFC 8457), counts, rights and subscription.

import type { AccountId, Mailbox, MailboxCounts, MailStore, SpecialUse } from '../../store/types.ts';
import { MAILBOX_SEPARATOR } from '../../mail/mailbox-name.ts';
import { toJmapId } from '../ids.ts';

export const MAILBOX_PROPERTIES = [
  'id', 'name', 'parentId', 'role', 'sortOrder', 'totalEmails', 'unreadEmails', 'totalThreads', 'unreadThreads', 'myRights', 'isSubscribed',
] as const;

/** Properties only the server sets (RFC 8621 §2: "server-set"). */
export const SERVER_SET_PROPERTIES = ['id', 'totalEmails', 'unreadEmails', 'totalThreads', 'unreadThreads', 'myRights'] as const;

/** RFC 8621 §2.2: what updatedProperties names when only counts changed. */
export const COUNT_PROPERTIES = ['totalEmails', 'unreadEmails', 'totalThreads', 'unreadThreads'] as const;

const ROLE_OF_SPECIAL_USE: Record<SpecialUse, string> = {
  '\\Drafts': 'drafts',
  '\\Sent': 'sent',
  '\\Junk': 'junk',
  '\\Trash': 'trash',
  '\\Archive': 'archive',
  '\\All': 'all',
  '\\Flagged': 'flagged',
};

const SPECIAL_USE_OF_ROLE = new Map<string, SpecialUse>(Object.entries(ROLE_OF_SPECIAL_USE).map(([use, role]) => [role, use as SpecialUse]));

/** The special-use attribute for a JMAP role a client may give; undefined for one the store cannot keep. */
export function specialUseOfRole(role: string): SpecialUse | undefined {
  return SPECIAL_USE_OF_ROLE.get(role);
}

export function leafName(name: string): string {
  return name.slice(name.lastIndexOf(MAILBOX_SEPARATOR) + 1);
}

export function parentName(name: string): string | null {
  const i = name.lastIndexOf(MAILBOX_SEPARATOR);
  return i === -1 ? null : name.slice(0, i);
}

/** Everything a Mailbox object is made of, read once per method call. */
export interface MailboxSnapshot {
  mailboxes: Mailbox[];
  byId: Map<number, Mailbox>;
  byName: Map<string, Mailbox>;
  counts: Map<number, MailboxCounts>;
  subscribed: Set<string>;
  /** The role each mailbox shows: RFC 8621 §2 allows one mailbox per role, so only the first (lowest id) of several shows it. */
  roles: Map<number, string | null>;
}

export async function readMailboxes(store: MailStore, accountId: AccountId): Promise<MailboxSnapshot> {
  const [mailboxes, counts, subscriptions] = await Promise.all([
    store.listMailboxes(accountId),
    store.mailboxCounts(accountId),
    store.listSubscriptions(accountId),
  ]);
  const roles = new Map<number, string | null>();
  const taken = new Set<string>();
  for (const m of [...mailboxes].sort((a, b) => a.id - b.id)) {
    const role = m.name === 'INBOX' ? 'inbox' : m.role ? ROLE_OF_SPECIAL_USE[m.role] : null;
    roles.set(m.id, role && !taken.has(role) ? role : null);
    if (role) taken.add(role);
  }
  return {
    mailboxes,
    byId: new Map(mailboxes.map((m) => [m.id, m])),
    byName: new Map(mailboxes.map((m) => [m.name, m])),
    counts: new Map(counts.map((c) => [c.mailboxId, c])),
    subscribed: new Set(subscriptions),
    roles,
  };
}

/** RFC 8621 §2 myRights: the account's own mailboxes allow everything, but INBOX keeps its name and place. */
function rightsOf(m: Mailbox): Record<string, boolean> {
  const inbox = m.name === 'INBOX';
  return {
    mayReadItems: true,
    mayAddItems: true,
    mayRemoveItems: true,
    maySetSeen: true,
    maySetKeywords: true,
    mayCreateChild: true,
    mayRename: !inbox,
    mayDelete: !inbox,
    maySubmit: true,
  };
}

/**
 * unreadThreads follows RFC 8621 §2's "simplest solution" (threads with an unread Email in this
 * mailbox), not the trash-aware one: that one moves a mailbox's count when a message in another
 * mailbox changes, which the change log does not record against this mailbox, so Mailbox/changes
 * could not report it. Every count here changes only with this mailbox's own messages.
 */
export function toJmapMailbox(m: Mailbox, snap: MailboxSnapshot): Record<string, unknown> {
  const parent = parentName(m.name);
  const parentMailbox = parent === null ? undefined : snap.byName.get(parent);
  const counts = snap.counts.get(m.id);
  return {
    id: toJmapId('mailbox', m.id),
    name: leafName(m.name),
    parentId: parentMailbox ? toJmapId('mailbox', parentMailbox.id) : null,
    role: snap.roles.get(m.id) ?? null,
    sortOrder: m.sortOrder,
    totalEmails: counts?.emails ?? 0,
    unreadEmails: counts?.unreadEmails ?? 0,
    totalThreads: counts?.threads ?? 0,
    unreadThreads: counts?.unreadThreads ?? 0,
    myRights: rightsOf(m),
    isSubscribed: snap.subscribed.has(m.name),
  };
}
