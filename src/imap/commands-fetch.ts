// FETCH and UID FETCH (RFC 9051 §6.4.5, §6.4.9; RFC 3516 BINARY; RFC 7162 §3.1.4 CHANGEDSINCE,
// §3.2.6 VANISHED). Metadata comes from the message rows, ENVELOPE/BODYSTRUCTURE from the
// summary cached at ingest, content as slices of the blob (fetch-data.ts). Responses are sent
// as they are built, with backpressure, so FETCH 1:* of a large mailbox never sits in memory.

import type { MessageRecord, MessageWithSummary } from '../store/types.ts';
import {
  compressSequence, fetchItemLabel, fetchResponse, fetchSetsSeen, vanishedResponse,
  type FetchCommand, type FetchItem, type FetchResponseItem,
} from '../wire/imap/index.ts';
import { command } from './descriptor.ts';
import { storeCall } from './errors.ts';
import { applyPartial, binarySection, bodySection, MessageBytes } from './fetch-data.ts';
import type { ImapSession } from './session.ts';
import { SELECTED } from './state.ts';
import { toObjectId } from '../mail/object-ids.ts';

const BATCH = 200;
const OUTPUT_CHUNK = 64 * 1024;
const META_ONLY = new Set(['UID', 'FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'MODSEQ', 'EMAILID', 'THREADID']);

/** A data item from the message row alone; null for one that needs the summary or the content. */
function metaItem(s: ImapSession, msg: MessageRecord, item: FetchItem): FetchResponseItem | null {
  switch (item.type) {
    case 'UID':
      return { name: 'UID', uid: msg.uid };
    case 'FLAGS':
      return { name: 'FLAGS', flags: s.flagsOut(msg.uid, msg.flags) };
    case 'INTERNALDATE':
      return { name: 'INTERNALDATE', ms: msg.internalDate };
    case 'RFC822.SIZE':
      return { name: 'RFC822.SIZE', size: msg.size };
    case 'MODSEQ':
      return { name: 'MODSEQ', modseq: msg.modseq };
    // RFC 8474 §5: the ids JMAP shows for the same Email and thread.
    case 'EMAILID':
      return { name: 'EMAILID', id: toObjectId('email', msg.emailId) };
    case 'THREADID':
      return { name: 'THREADID', id: toObjectId('thread', msg.threadId) };
    default:
      return null;
  }
}

/** The items every FETCH response gets whether asked for or not (RFC 9051 §6.4.5, §6.4.9; RFC 7162 §3.1.4.1). */
function implicitItems(s: ImapSession, msg: MessageRecord, items: FetchItem[], cmd: FetchCommand, seenChanged: boolean, out: FetchResponseItem[]): FetchResponseItem[] {
  const has = (type: string): boolean => items.some((i) => i.type === type);
  // RFC 9051 §6.4.9: UID FETCH always includes UID.
  if (cmd.uid && !has('UID')) out.unshift({ name: 'UID', uid: msg.uid });
  // RFC 9051 §6.4.5: a \Seen set by this FETCH is reported.
  if (seenChanged && !has('FLAGS')) out.push({ name: 'FLAGS', flags: s.flagsOut(msg.uid, msg.flags) });
  // RFC 7162 §3.1.4.1: with CHANGEDSINCE, MODSEQ is always included.
  if ((cmd.changedSince !== null || (seenChanged && s.enabled.condstore)) && !has('MODSEQ')) out.push({ name: 'MODSEQ', modseq: msg.modseq });
  return out;
}

/** FETCH of row data only (UID FLAGS …): synchronous, no await per message. */
function metaItemsFor(s: ImapSession, msg: MessageRecord, items: FetchItem[], cmd: FetchCommand, seenChanged: boolean): FetchResponseItem[] {
  const out: FetchResponseItem[] = [];
  for (const item of items) out.push(metaItem(s, msg, item)!);
  return implicitItems(s, msg, items, cmd, seenChanged, out);
}

async function itemsFor(s: ImapSession, msg: MessageWithSummary | MessageRecord, items: FetchItem[], cmd: FetchCommand, seenChanged: boolean): Promise<FetchResponseItem[]> {
  const out: FetchResponseItem[] = [];
  const summary = 'summary' in msg ? msg.summary : null;
  const bytes = summary ? new MessageBytes(s.ctx.deps.blobs, msg as MessageWithSummary) : null;
  for (const item of items) {
    const meta = metaItem(s, msg, item);
    if (meta) {
      out.push(meta);
      continue;
    }
    switch (item.type) {
      case 'ENVELOPE':
        out.push({ name: 'ENVELOPE', envelope: summary!.envelope });
        break;
      case 'PREVIEW':
        // RFC 8970 §3: the same preview JMAP shows (RFC 8621 §4.1.4), made at ingest, so LAZY needs nothing.
        out.push({ name: 'PREVIEW', text: summary!.preview ?? null });
        break;
      case 'BODYSTRUCTURE':
      case 'BODY':
        out.push({ name: item.type, part: summary!.root });
        break;
      case 'RFC822':
        out.push({ name: 'RFC822', data: await bytes!.all() });
        break;
      case 'RFC822.HEADER':
        out.push({ name: 'RFC822.HEADER', data: await bytes!.range(summary!.root.headerStart, summary!.root.headerEnd) });
        break;
      case 'RFC822.TEXT':
        out.push({ name: 'RFC822.TEXT', data: await bytes!.range(summary!.root.bodyStart, msg.size) });
        break;
      case 'BODY[]': {
        const data = await bodySection(bytes!, summary!.root, msg.size, item.section);
        out.push({ name: 'BODY[]', label: fetchItemLabel(item), data: applyPartial(data, item.partial) });
        break;
      }
      case 'BINARY[]': {
        const data = await binarySection(bytes!, summary!.root, msg.size, item.part);
        out.push({ name: 'BINARY[]', label: fetchItemLabel(item), data: applyPartial(data, item.partial) });
        break;
      }
      case 'BINARY.SIZE': {
        const data = await binarySection(bytes!, summary!.root, msg.size, item.part);
        out.push({ name: 'BINARY.SIZE', label: fetchItemLabel(item), size: data ? data.length : 0 });
        break;
      }
    }
  }
  return implicitItems(s, msg, items, cmd, seenChanged, out);
}

const fetch = command({
  name: 'FETCH',
  states: SELECTED,
  run: async (s, _tag, cmd) => {
    const view = s.view();
    const store = s.ctx.deps.store;
    const uids = view.resolve(cmd.sequence, cmd.uid, s.savedResult);
    // RFC 7162 §3.1: FETCH MODSEQ and CHANGEDSINCE are CONDSTORE-enabling commands.
    if (cmd.changedSince !== null || cmd.items.some((i) => i.type === 'MODSEQ')) s.enableCondstore();
    if (cmd.vanished && cmd.changedSince !== null) {
      // RFC 7162 §3.2.6: UIDs of the set that were expunged since CHANGEDSINCE.
      const wanted = new Set(view.resolve(cmd.sequence, true, s.savedResult, true));
      const requestedRange = cmd.sequence;
      const log = await storeCall(() => store.changesSince(s.accountId(), cmd.changedSince!, view.mailboxId));
      const gone = new Set<number>();
      const isGone = (uid: number): boolean => !view.has(uid) || view.expunged.has(uid);
      if (log.complete) {
        for (const c of log.changes) {
          if (c.kind !== 'message-removed' || c.uid === null || !isGone(c.uid)) continue;
          if (wanted.has(c.uid) || inUidSet(requestedRange, c.uid)) gone.add(c.uid);
        }
      } else {
        // Below the log's horizon: every requested UID that is not here (RFC 7162 §3.2.6 allows
        // UIDs the client never knew).
        const top = Math.max(view.uidNext, (view.uids[view.uids.length - 1] ?? 0) + 1);
        for (let uid = 1; uid < top; uid++) if (isGone(uid) && inUidSet(requestedRange, uid)) gone.add(uid);
      }
      if (gone.size > 0) await s.send(vanishedResponse(compressSequence([...gone].sort((a, b) => a - b)), true));
    }
    if (uids.length === 0) return;
    const setSeen = fetchSetsSeen(cmd.items) && !view.readOnly;
    const metaOnly = cmd.items.every((i) => META_ONLY.has(i.type));
    const opts = s.encodeOptions();
    // FETCH 1:* (UID FLAGS) — what every client sends to resynchronise — reads the rows once,
    // without summaries.
    const listed = metaOnly && uids.length > BATCH ? await storeCall(() => store.listMessages(s.accountId(), view.mailboxId)) : null;
    /** The listed rows (ascending UID) of a batch, by binary search: no 100,000-entry Map. */
    const fromListed = (rows: MessageRecord[], batch: number[]): MessageRecord[] => {
      const out: MessageRecord[] = [];
      for (const uid of batch) {
        let lo = 0;
        let hi = rows.length - 1;
        while (lo <= hi) {
          const mid = (lo + hi) >> 1;
          const v = rows[mid].uid;
          if (v === uid) {
            out.push(rows[mid]);
            break;
          }
          if (v < uid) lo = mid + 1;
          else hi = mid - 1;
        }
      }
      return out;
    };
    for (let i = 0; i < uids.length; i += BATCH) {
      const batch = uids.slice(i, i + BATCH);
      let messages: (MessageRecord | MessageWithSummary)[] = listed
        ? fromListed(listed, batch)
        : await storeCall(() => store.getMessages(s.accountId(), view.mailboxId, batch));
      if (cmd.changedSince !== null) messages = messages.filter((m) => m.modseq > cmd.changedSince!);
      const seenChanged = new Set<number>();
      if (setSeen) {
        const unseen = messages.filter((m) => !m.flags.includes('\\Seen')).map((m) => m.uid);
        if (unseen.length > 0) {
          const result = await storeCall(() => store.setFlags(s.accountId(), view.mailboxId, unseen, 'add', ['\\Seen']));
          const byUid = new Map(result.updated.map((u) => [u.uid, u]));
          messages = messages.map((m) => {
            const u = byUid.get(m.uid);
            if (!u) return m;
            seenChanged.add(m.uid);
            view.reported.set(m.uid, u.modseq);
            return { ...m, flags: u.flags, modseq: u.modseq };
          });
        }
      }
      // Small responses go out in one write per OUTPUT_CHUNK: one await per message was a
      // tenth of FETCH 1:* (UID FLAGS) on 100,000 messages.
      const pending: Buffer[] = [];
      let pendingBytes = 0;
      for (const m of messages) {
        const seq = view.seqOf(m.uid);
        if (seq === 0) continue;
        const items = metaOnly ? metaItemsFor(s, m, cmd.items, cmd, seenChanged.has(m.uid)) : await itemsFor(s, m, cmd.items, cmd, seenChanged.has(m.uid));
        const response = fetchResponse(seq, items, opts);
        pending.push(response);
        pendingBytes += response.length;
        if (pendingBytes >= OUTPUT_CHUNK) {
          await s.send(pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes));
          pending.length = 0;
          pendingBytes = 0;
        }
      }
      if (pending.length > 0) await s.send(pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes));
    }
  },
});

/** Whether a UID lies in a UID set as written (ranges may name UIDs no longer in the view). */
function inUidSet(set: FetchCommand['sequence'], uid: number): boolean {
  if (set.kind !== 'set') return false;
  return set.ranges.some((r) => {
    const a = r.from === '*' ? Infinity : r.from;
    const b = r.to === '*' ? Infinity : r.to;
    return uid >= Math.min(a, b) && uid <= Math.max(a, b);
  });
}

export const fetchCommands = [fetch];
