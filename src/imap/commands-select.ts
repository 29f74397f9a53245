// SELECT and EXAMINE (RFC 9051 §6.3.2–3; RFC 7162 §3.1.8 CONDSTORE, §3.2.5 QRESYNC), CLOSE
// (§6.4.1), UNSELECT (RFC 3691). SELECT builds the session's view of the mailbox: the UID list
// read once, the mod-sequence read BEFORE it, so a change that races the read is replayed by
// the next sync (replays are idempotent) and never lost.

import { compressSequence, fetchResponse, intervalsContain, resolveSequenceSet, untagged, untaggedStatus, vanishedResponse } from '../wire/imap/index.ts';
import { command } from './descriptor.ts';
import { ImapBad, storeCall } from './errors.ts';
import { existingMailbox } from './names.ts';
import type { ImapSession } from './session.ts';
import { AUTHENTICATED, SELECTED } from './state.ts';
import { recentMark } from './sync.ts';
import { toObjectId } from '../mail/object-ids.ts';
import { SelectedMailboxView } from './view.ts';

/** Leaves the selected state; RFC 9051 §7.1 / RFC 7162 §3.2.11: [CLOSED] marks the switch. */
function deselect(s: ImapSession): void {
  if (s.state.kind !== 'selected') return;
  s.state = { kind: 'authenticated', account: s.state.account };
  s.write(untaggedStatus('OK', 'Previous mailbox closed', 'CLOSED'));
}

const selectCommand = command({
  name: 'SELECT',
  states: AUTHENTICATED,
  run: async (s, _tag, cmd) => {
    const readOnly = cmd.name === 'EXAMINE';
    // RFC 7162 §3.2.5: QRESYNC parameters only after ENABLE QRESYNC.
    if (cmd.qresync && !s.enabled.qresync) throw new ImapBad('QRESYNC is not enabled');
    deselect(s);
    const store = s.ctx.deps.store;
    const mailbox = await existingMailbox(s, cmd.mailbox);
    const records = await storeCall(() => store.listMessages(s.accountId(), mailbox.id));
    const view = new SelectedMailboxView(mailbox, records.map((r) => r.uid), readOnly);
    // EXAMINE takes nothing, so the mark just read with the mailbox is the one to compare with.
    if (records.length > 0) view.takeRecent(view.uids, readOnly ? mailbox.arrivalMark : await recentMark(s, view, view.uids[view.uids.length - 1]));
    if (cmd.condstore) s.enabled.condstore = true;
    let firstUnseen = 0;
    records.forEach((r, i) => {
      view.learnKeywords(r.flags);
      if (firstUnseen === 0 && !r.flags.includes('\\Seen')) firstUnseen = i + 1;
    });
    s.announceFlags(view);
    s.write(untagged(`${view.exists} EXISTS`));
    if (!s.enabled.rev2) {
      // RFC 3501 §6.3.1: RECENT and the first unseen message; RFC 9051 dropped both.
      s.write(untagged(`${view.recent.size} RECENT`));
      if (firstUnseen > 0) s.write(untaggedStatus('OK', 'First unseen', `UNSEEN ${firstUnseen}`));
    }
    s.write(untaggedStatus('OK', 'UIDs valid', `UIDVALIDITY ${mailbox.uidValidity}`));
    s.write(untaggedStatus('OK', 'Predicted next UID', `UIDNEXT ${mailbox.uidNext}`));
    // RFC 7162 §3.1.2.1: every SELECT of a mailbox with persistent mod-sequences says HIGHESTMODSEQ.
    s.write(untaggedStatus('OK', 'Highest', `HIGHESTMODSEQ ${mailbox.highestModseq}`));
    // RFC 8474 §4.3.
    s.write(untaggedStatus('OK', 'Mailbox id', `MAILBOXID (${toObjectId('mailbox', mailbox.id)})`));
    s.state = { kind: 'selected', account: s.account(), view };
    if (cmd.qresync && cmd.qresync.uidValidity === mailbox.uidValidity) {
      const q = cmd.qresync;
      // RFC 7162 §3.2.5.2: what vanished since the client's mod-sequence, limited to the UIDs it knows.
      const log = await storeCall(() => store.changesSince(s.accountId(), q.modseq, mailbox.id));
      const known = q.knownUids && q.knownUids.kind === 'set' ? resolveSequenceSet(q.knownUids, Math.max(mailbox.uidNext - 1, 1)) : null;
      const vanished = new Set<number>();
      if (log.complete) {
        for (const c of log.changes) {
          if (c.kind !== 'message-removed' || c.uid === null || view.has(c.uid)) continue;
          if (known && !intervalsContain(known, c.uid)) continue;
          vanished.add(c.uid);
        }
      } else {
        // The log no longer reaches back to the client's mod-sequence: every UID it may know
        // that is not here has vanished. RFC 7162 §3.2.5.2 lets VANISHED (EARLIER) name UIDs
        // the client never saw; it ignores those.
        for (let uid = 1; uid < mailbox.uidNext; uid++) {
          if (view.has(uid) || (known && !intervalsContain(known, uid))) continue;
          vanished.add(uid);
        }
      }
      if (vanished.size > 0) s.write(vanishedResponse(compressSequence([...vanished].sort((a, b) => a - b)), true));
      for (let i = 0; i < records.length; i++) {
        const r = records[i];
        if (r.modseq <= q.modseq) continue;
        await s.send(fetchResponse(i + 1, [{ name: 'UID', uid: r.uid }, { name: 'FLAGS', flags: s.flagsOut(r.uid, r.flags) }, { name: 'MODSEQ', modseq: r.modseq }], s.encodeOptions()));
      }
    }
    return { code: readOnly ? 'READ-ONLY' : 'READ-WRITE', text: `${cmd.name} completed` };
  },
});

const examine = { ...selectCommand, name: 'EXAMINE' as const };

// RFC 9051 §6.4.1: expunge \Deleted silently (no EXPUNGE responses), then leave.
const close = command({
  name: 'CLOSE',
  states: SELECTED,
  run: async (s) => {
    const view = s.view();
    if (!view.readOnly && !view.gone) {
      await storeCall(() => s.ctx.deps.store.expunge(s.accountId(), view.mailboxId, { onlyDeleted: true }));
    }
    s.state = { kind: 'authenticated', account: s.account() };
  },
});

// RFC 3691: leave without expunging.
const unselect = command({
  name: 'UNSELECT',
  states: SELECTED,
  run: async (s) => {
    s.state = { kind: 'authenticated', account: s.account() };
  },
});

export const selectCommands = [selectCommand, examine, close, unselect];
