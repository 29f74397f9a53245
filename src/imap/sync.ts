// Two-way sync (DESIGN.md §1, §4): bring the selected view up to date from the store's change
// log, and tell the client what changed. Called after every command, on NOOP, and during IDLE
// on every bus event. The bus only says "something changed"; what changed is always read from
// changesSince(), so a lost event delays an update until the next command and never loses it.
// A view older than the change log's horizon is brought up to date by comparing it with the
// mailbox instead.
//
// Order of untagged responses: expunges (when allowed), then EXISTS, then FETCH FLAGS, so every
// sequence number a FETCH names is one the client already knows (RFC 9051 §7.4.1, §7.5.1).

import { compressSequence, fetchResponse, untagged, vanishedResponse, type FetchResponseItem } from '../wire/imap/index.ts';
import type { Change } from '../store/types.ts';
import type { ImapSession } from './session.ts';
import type { SelectedMailboxView } from './view.ts';

interface ViewDelta {
  added: Set<number>;
  flagged: Set<number>;
  removed: Set<number>;
  highest: number;
}

/** What changed since the view's modseq, from the change log. */
function deltaFromLog(view: SelectedMailboxView, changes: readonly Change[]): ViewDelta {
  const delta: ViewDelta = { added: new Set(), flagged: new Set(), removed: new Set(), highest: view.modseq };
  for (const c of changes) {
    if (c.modseq > delta.highest) delta.highest = c.modseq;
    if (c.mailboxId !== view.mailboxId) continue;
    if (c.kind === 'mailbox-deleted') {
      view.gone = true;
      for (const uid of view.uids) delta.removed.add(uid);
      delta.added.clear();
      continue;
    }
    if (c.uid === null) continue;
    if (c.kind === 'message-added') {
      if (!view.has(c.uid)) delta.added.add(c.uid);
    } else if (c.kind === 'message-flags') {
      delta.flagged.add(c.uid);
    } else if (c.kind === 'message-removed') {
      if (delta.added.has(c.uid)) delta.added.delete(c.uid);
      else if (view.has(c.uid)) delta.removed.add(c.uid);
    }
  }
  return delta;
}

/**
 * What changed, by comparing the view with the mailbox as it is: for a view older than the
 * change log's horizon, whose removals the log no longer holds. Flag changes are still known
 * exactly (each message keeps its own modseq).
 */
async function deltaFromState(s: ImapSession, view: SelectedMailboxView): Promise<ViewDelta> {
  const store = s.ctx.deps.store;
  const delta: ViewDelta = { added: new Set(), flagged: new Set(), removed: new Set(), highest: view.modseq };
  const mailbox = await store.getMailboxById(s.accountId(), view.mailboxId);
  if (!mailbox) {
    view.gone = true;
    for (const uid of view.uids) delta.removed.add(uid);
    return delta;
  }
  const records = await store.listMessages(s.accountId(), view.mailboxId);
  const present = new Set<number>();
  for (const r of records) {
    present.add(r.uid);
    if (!view.has(r.uid)) delta.added.add(r.uid);
    else if (r.modseq > view.modseq) delta.flagged.add(r.uid);
  }
  for (const uid of view.uids) if (!present.has(uid)) delta.removed.add(uid);
  delta.highest = Math.max(view.modseq, mailbox.highestModseq);
  return delta;
}

export async function syncView(s: ImapSession, view: SelectedMailboxView, allowExpunge: boolean): Promise<void> {
  const store = s.ctx.deps.store;
  const accountId = s.accountId();
  const log = await store.changesSince(accountId, view.modseq, view.mailboxId);
  const { added, flagged, removed, highest } = log.complete ? deltaFromLog(view, log.changes) : await deltaFromState(s, view);
  for (const uid of removed) view.expunged.add(uid);
  if (allowExpunge) await announceExpunges(s, view, [...view.expunged]);
  if (added.size > 0) {
    const uids = [...added].sort((a, b) => a - b);
    view.append(uids);
    // EXISTS first: an idling client hears of new mail without waiting for the \Recent claim
    // (a write). RFC 3501 §7.3.2: the RECENT count follows it (IMAP4rev2 has none).
    await s.send(untagged(`${view.exists} EXISTS`));
    view.takeRecent(uids, await recentMark(s, view, uids[uids.length - 1]));
    if (!s.enabled.rev2) await s.send(untagged(`${view.recent.size} RECENT`));
  }
  const flagUids = [...flagged].filter((uid) => view.has(uid) && !view.expunged.has(uid)).sort((a, b) => a - b);
  if (flagUids.length > 0) {
    const records = await store.getMessages(accountId, view.mailboxId, flagUids);
    for (const r of records) {
      if ((view.reported.get(r.uid) ?? 0) >= r.modseq) continue;
      const seq = view.seqOf(r.uid);
      if (seq === 0 || view.expunged.has(r.uid)) continue;
      const items: FetchResponseItem[] = [{ name: 'UID', uid: r.uid }, { name: 'FLAGS', flags: s.flagsOut(r.uid, r.flags) }];
      // RFC 7162 §3.1.4: once CONDSTORE is enabled, unsolicited FETCH responses carry MODSEQ.
      if (s.enabled.condstore) items.push({ name: 'MODSEQ', modseq: r.modseq });
      await s.send(fetchResponse(seq, items, s.encodeOptions()));
    }
  }
  if (highest > view.modseq) view.modseq = highest;
  for (const [uid, modseq] of view.reported) if (modseq <= view.modseq) view.reported.delete(uid);
}

/**
 * The mailbox's recent mark before this session: a read-write session takes the messages up to
 * upToUid as its own \Recent ones (RFC 3501 §2.3.2: recent to one session only); a read-only
 * one (EXAMINE) sees what is recent without taking it (RFC 3501 §6.3.2).
 */
export async function recentMark(s: ImapSession, view: SelectedMailboxView, upToUid: number): Promise<number> {
  const store = s.ctx.deps.store;
  try {
    if (!view.readOnly) return await store.claimArrivals(s.accountId(), view.mailboxId, upToUid);
    const mailbox = await store.getMailboxById(s.accountId(), view.mailboxId);
    return mailbox ? mailbox.arrivalMark : upToUid;
  } catch (err) {
    // The mailbox was deleted meanwhile (the next sync says so), or the store is busy: \Recent
    // is advisory, so nothing is taken as recent rather than failing the command it follows.
    s.logError('imap-recent-claim-failed', err);
    return upToUid;
  }
}

/**
 * Announces expunges: "* n EXPUNGE" per message (RFC 9051 §7.5.1), or one "* VANISHED" with
 * the UIDs once QRESYNC is enabled (RFC 7162 §3.2.10). Removes them from the view.
 */
export async function announceExpunges(s: ImapSession, view: SelectedMailboxView, uids: number[]): Promise<void> {
  const present = uids.filter((uid) => view.has(uid)).sort((a, b) => a - b);
  if (present.length === 0) return;
  const seqs = view.remove(present);
  if (s.enabled.qresync) {
    await s.send(vanishedResponse(compressSequence(present), false));
    return;
  }
  for (const seq of seqs) await s.send(untagged(`${seq} EXPUNGE`));
}
