// Mailbox management in the authenticated state: CREATE, DELETE, RENAME (RFC 9051 §6.3.4–6),
// SUBSCRIBE/UNSUBSCRIBE (§6.3.7–8), STATUS (§6.3.11, RFC 8438 SIZE, RFC 7162 HIGHESTMODSEQ),
// GETQUOTA/GETQUOTAROOT (RFC 9208). STATUS answers from the mailbox's counters, never by
// scanning messages.

import { storageKiB } from '../mail/quota.ts';
import { toObjectId } from '../mail/object-ids.ts';
import type { Mailbox, SpecialUse } from '../store/types.ts';
import { quotaResponse, quotaRootResponse, statusResponse, type StatusItem } from '../wire/imap/index.ts';
import { command } from './descriptor.ts';
import { ImapNo, storeCall } from './errors.ts';
import { existingMailbox, mailboxName } from './names.ts';
import type { ImapSession } from './session.ts';
import { AUTHENTICATED } from './state.ts';

const SPECIAL_USES: readonly SpecialUse[] = ['\\Drafts', '\\Sent', '\\Junk', '\\Trash', '\\Archive', '\\All', '\\Flagged'];

// RFC 9051 §6.3.4 (a trailing separator is dropped), RFC 6154 §3 (USE).
const create = command({
  name: 'CREATE',
  states: AUTHENTICATED,
  run: async (s, _tag, cmd) => {
    const arg = cmd.mailbox.ok && cmd.mailbox.name.endsWith('/') ? { ...cmd.mailbox, name: cmd.mailbox.name.slice(0, -1) } : cmd.mailbox;
    const name = mailboxName(arg);
    if (name === 'INBOX') throw new ImapNo('ALREADYEXISTS', 'INBOX always exists');
    let role: SpecialUse | null = null;
    if (cmd.specialUse.length > 1) throw new ImapNo('USEATTR', 'Only one special-use attribute per mailbox');
    if (cmd.specialUse.length === 1) {
      role = SPECIAL_USES.find((u) => u.toLowerCase() === cmd.specialUse[0].toLowerCase()) ?? null;
      if (!role) throw new ImapNo('USEATTR', 'Unsupported special-use attribute');
    }
    const created = await storeCall(() => s.ctx.deps.store.createMailbox(s.accountId(), name, role));
    // RFC 8474 §4.1: the new mailbox's id in the tagged OK.
    return { code: `MAILBOXID (${toObjectId('mailbox', created.id)})` };
  },
});

// RFC 9051 §6.3.5
const del = command({
  name: 'DELETE',
  states: AUTHENTICATED,
  run: async (s, _tag, cmd) => {
    const name = mailboxName(cmd.mailbox);
    await storeCall(() => s.ctx.deps.store.deleteMailbox(s.accountId(), name));
  },
});

// RFC 9051 §6.3.6: with every child; renaming INBOX moves its messages and leaves it empty.
const rename = command({
  name: 'RENAME',
  states: AUTHENTICATED,
  run: async (s, _tag, cmd) => {
    const from = mailboxName(cmd.from);
    const to = mailboxName(cmd.to);
    const exists = await s.ctx.deps.store.getMailbox(s.accountId(), to);
    if (exists && to !== from) throw new ImapNo('ALREADYEXISTS', 'Target mailbox already exists');
    await storeCall(() => s.ctx.deps.store.renameMailbox(s.accountId(), from, to));
    if (s.state.kind === 'selected' && s.state.view.name === from) s.state.view.name = to;
  },
});

// RFC 9051 §6.3.7–8: subscriptions are independent of existence.
const subscribe = command({
  name: 'SUBSCRIBE',
  states: AUTHENTICATED,
  run: async (s, _tag, cmd) => {
    const name = mailboxName(cmd.mailbox);
    await storeCall(() => s.ctx.deps.store.setSubscribed(s.accountId(), name, true));
  },
});

const unsubscribe = command({
  name: 'UNSUBSCRIBE',
  states: AUTHENTICATED,
  run: async (s, _tag, cmd) => {
    const name = mailboxName(cmd.mailbox);
    await storeCall(() => s.ctx.deps.store.setSubscribed(s.accountId(), name, false));
  },
});

/**
 * STATUS data items from the counters the store keeps with every mutation; RECENT counts the
 * messages above the mailbox's arrival mark (an index range, only when asked for).
 */
export async function statusItems(s: ImapSession, mailbox: Mailbox, items: readonly StatusItem[]): Promise<[string, number | string][]> {
  const recent = items.includes('RECENT') ? await storeCall(() => s.ctx.deps.store.countUnclaimedArrivals(mailbox.accountId, mailbox.id)) : 0;
  return items.map((item): [string, number | string] => {
    switch (item) {
      case 'MESSAGES':
        return [item, mailbox.messageCount];
      case 'UIDNEXT':
        return [item, mailbox.uidNext];
      case 'UIDVALIDITY':
        return [item, mailbox.uidValidity];
      case 'UNSEEN':
        return [item, mailbox.unseenCount];
      case 'DELETED':
        return [item, mailbox.deletedCount];
      case 'SIZE':
        return [item, mailbox.sizeBytes];
      case 'HIGHESTMODSEQ':
        return [item, mailbox.highestModseq];
      case 'RECENT':
        return [item, recent];
      case 'MAILBOXID':
        return [item, `(${toObjectId('mailbox', mailbox.id)})`];
    }
  });
}

const status = command({
  name: 'STATUS',
  states: AUTHENTICATED,
  run: async (s, _tag, cmd) => {
    const mailbox = await existingMailbox(s, cmd.mailbox);
    s.write(statusResponse(mailbox.name, await statusItems(s, mailbox, cmd.items), s.encodeOptions()));
  },
});

/** RFC 9208 §5.1: one quota root "" for the whole account; STORAGE is counted in KiB. */
async function writeQuota(s: ImapSession): Promise<void> {
  const q = await storeCall(() => s.ctx.deps.store.quota(s.accountId()));
  const resources = q.limitBytes === null ? [] : [{ resource: 'STORAGE', ...storageKiB(q.usedBytes, q.limitBytes) }];
  s.write(quotaResponse('', resources));
}

// RFC 9208 §4.1.1
const getQuota = command({
  name: 'GETQUOTA',
  states: AUTHENTICATED,
  run: async (s, _tag, cmd) => {
    if (cmd.root !== '') throw new ImapNo('NONEXISTENT', 'No such quota root');
    await writeQuota(s);
  },
});

// RFC 9208 §4.1.2
const getQuotaRoot = command({
  name: 'GETQUOTAROOT',
  states: AUTHENTICATED,
  run: async (s, _tag, cmd) => {
    const mailbox = await existingMailbox(s, cmd.mailbox);
    s.write(quotaRootResponse(mailbox.name, [''], s.encodeOptions()));
    await writeQuota(s);
  },
});

export const mailboxCommands = [create, del, rename, subscribe, unsubscribe, status, getQuota, getQuotaRoot];
