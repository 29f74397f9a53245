// Changing messages of the selected mailbox: STORE (RFC 9051 §6.4.6; RFC 7162 §3.1.3
// UNCHANGEDSINCE/MODIFIED), COPY (§6.4.7; RFC 4315 COPYUID), MOVE (RFC 6851), EXPUNGE (§6.4.3)
// and UID EXPUNGE (RFC 4315 §2.1). Each is one store call; this session reports its own
// changes at once and remembers them, so the change log does not report them twice.

import { normaliseFlags } from '../mail/flags.ts';
import { compressSequence, fetchResponse, untaggedStatus, type FetchResponseItem } from '../wire/imap/index.ts';
import { command } from './descriptor.ts';
import { ImapBad, ImapNo, storeCall } from './errors.ts';
import { existingMailbox } from './names.ts';
import type { ImapSession } from './session.ts';
import { SELECTED } from './state.ts';
import { announceExpunges } from './sync.ts';

function writable(s: ImapSession): void {
  if (s.view().readOnly) throw new ImapNo('READ-ONLY', 'Mailbox is read-only (EXAMINE)');
}

const store = command({
  name: 'STORE',
  states: SELECTED,
  run: async (s, _tag, cmd) => {
    writable(s);
    const view = s.view();
    try {
      normaliseFlags(cmd.flags);
    } catch {
      throw new ImapBad('Invalid flag');
    }
    if (cmd.unchangedSince !== null) s.enableCondstore();
    const uids = view.resolve(cmd.sequence, cmd.uid, s.savedResult);
    if (uids.length === 0) return;
    const result = await storeCall(() =>
      s.ctx.deps.store.setFlags(s.accountId(), view.mailboxId, uids, cmd.operation, cmd.flags, cmd.unchangedSince ?? undefined),
    );
    const opts = s.encodeOptions();
    for (const u of result.updated) {
      view.reported.set(u.uid, u.modseq);
      const seq = view.seqOf(u.uid);
      if (seq === 0) continue;
      const items: FetchResponseItem[] = [];
      if (cmd.uid) items.push({ name: 'UID', uid: u.uid });
      // RFC 9051 §6.4.6: .SILENT suppresses the FETCH; RFC 7162 §3.1.3 still wants MODSEQ.
      if (!cmd.silent) items.push({ name: 'FLAGS', flags: s.flagsOut(u.uid, u.flags) });
      if (s.enabled.condstore) items.push({ name: 'MODSEQ', modseq: u.modseq });
      if (!cmd.silent || cmd.unchangedSince !== null) await s.send(fetchResponse(seq, items, opts));
    }
    if (result.modified.length > 0) {
      const numbers = cmd.uid ? result.modified : result.modified.map((uid) => view.seqOf(uid)).filter((n) => n > 0);
      return { code: `MODIFIED ${compressSequence(numbers.sort((a, b) => a - b))}`, text: 'Conditional STORE failed for some messages' };
    }
  },
});

const copy = command({
  name: 'COPY',
  states: SELECTED,
  run: async (s, _tag, cmd) => {
    const view = s.view();
    // RFC 9051 §6.4.7: a missing destination is NO [TRYCREATE].
    const dest = await existingMailbox(s, cmd.mailbox, 'TRYCREATE');
    const uids = view.resolve(cmd.sequence, cmd.uid, s.savedResult);
    if (uids.length === 0) return;
    const store = s.ctx.deps.store;
    if (cmd.name === 'MOVE') writable(s);
    const result = await storeCall(() =>
      cmd.name === 'MOVE'
        ? store.moveMessages(s.accountId(), view.mailboxId, uids, dest.id)
        : store.copyMessages(s.accountId(), view.mailboxId, uids, dest.id),
    );
    if (result.mapping.length === 0) return;
    const code = `COPYUID ${result.uidValidity} ${compressSequence(result.mapping.map((m) => m.sourceUid))} ${compressSequence(result.mapping.map((m) => m.destUid))}`;
    if (cmd.name === 'COPY') return { code };
    // RFC 6851 §4.3: COPYUID in an untagged OK before the expunges, then the tagged OK.
    s.write(untaggedStatus('OK', 'Moved', code));
    await announceExpunges(s, view, [...result.mapping.map((m) => m.sourceUid), ...view.expunged]);
  },
});

const move = { ...copy, name: 'MOVE' as const };

const expunge = command({
  name: 'EXPUNGE',
  states: SELECTED,
  run: async (s, _tag, cmd) => {
    writable(s);
    const view = s.view();
    let uids: number[] | undefined;
    if (cmd.uid && cmd.sequence) {
      uids = view.resolve(cmd.sequence, true, s.savedResult);
      if (uids.length === 0) return;
    }
    const removed = await storeCall(() => s.ctx.deps.store.expunge(s.accountId(), view.mailboxId, { uids, onlyDeleted: true }));
    await announceExpunges(s, view, [...removed, ...view.expunged]);
  },
});

export const storeCommands = [store, copy, move, expunge];
