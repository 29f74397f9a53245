// SEARCH evaluation (RFC 9051 §6.4.4; RFC 7162 §3.1.5 MODSEQ) over the store's message rows,
// the SEARCH keys kept with them since ingest (SUBJECT/FROM/TO/CC/BCC: src/mail/message-keys.ts),
// the summaries cached at ingest (SENTDATE, other headers' offsets), header blocks read as blob
// slices, and — only for TEXT and BODY — the search text the store kept at ingest (see
// headerPrefixLength).
//
// The key tree comes from the wire layer with its depth already bounded (MAX_SEARCH_DEPTH), so
// the recursive evaluator below cannot run out of stack.

import type { MessageRecord, MessageWithSummary } from '../store/types.ts';
import { compareDates, dayOf, intervalsContain, resolveSequenceSet, type DateOp, type ImapDate, type Interval, type SearchKey } from '../wire/imap/index.ts';
import type { MessageSummary } from '../wire/mime/types.ts';
import type { MessageKeyName } from '../mail/message-keys.ts';
import { headerValuesLength, MAX_SEARCH_HEADER_BYTES, searchableHeaderFields } from '../mail/search-text.ts';
import { storeCall } from './errors.ts';
import type { ImapSession } from './session.ts';
import type { SelectedMailboxView } from './view.ts';
import { toObjectId } from '../mail/object-ids.ts';

const BATCH = 200;
const NO_KEYS: (string | number | null)[] = [];
/** Header keys answered from the stored SEARCH keys (decoded, lower-cased), without a summary or the blob. */
const KEY_OF_FIELD: Readonly<Record<string, MessageKeyName>> = {
  subject: 'searchSubject',
  from: 'searchFrom',
  to: 'searchTo',
  cc: 'searchCc',
  bcc: 'searchBcc',
};

interface Needs {
  keys: Set<MessageKeyName>;
  summary: boolean;
  headers: boolean;
  text: boolean;
  /** BODY needs the text without its header part. */
  body: boolean;
  modseq: boolean;
}

function analyse(root: SearchKey): Needs {
  const needs: Needs = { keys: new Set(), summary: false, headers: false, text: false, body: false, modseq: false };
  const stack: SearchKey[] = [root];
  while (stack.length > 0) {
    const k = stack.pop()!;
    if (k.type === 'and') stack.push(...k.keys);
    else if (k.type === 'or') stack.push(k.left, k.right);
    else if (k.type === 'not') stack.push(k.key);
    else if (k.type === 'sentdate') needs.summary = true;
    else if (k.type === 'header') {
      const key = KEY_OF_FIELD[k.field];
      if (key) needs.keys.add(key);
      else needs.summary = needs.headers = true;
    }
    else if (k.type === 'body' || k.type === 'text') {
      needs.text = needs.summary = true;
      if (k.type === 'body') needs.body = true;
    }
    else if (k.type === 'modseq') needs.modseq = true;
  }
  return needs;
}

interface Candidate {
  rec: MessageRecord;
  seq: number;
  /** The stored keys asked for, in Env.keyIndex order. */
  keys: (string | number | null)[];
  summary: MessageSummary | null;
  /** Header fields: lower-case name, value decoded and lower-cased. */
  headers: { name: string; value: string }[] | null;
  /** Decoded header values and text bodies (TEXT), and the bodies alone (BODY), lower-cased. */
  text: string | null;
  body: string | null;
}

interface Env {
  exists: number;
  maxUid: number;
  saved: Set<number> | null;
  /** \Recent in this session (RFC 3501 §2.3.2): session state, not a stored flag. */
  recent: ReadonlySet<number>;
  keyIndex: ReadonlyMap<MessageKeyName, number>;
  cache: Map<SearchKey, Interval[]>;
}

function dateMatches(ms: number | null, op: DateOp, date: ImapDate, offsetMinutes = 0): boolean {
  if (ms === null) return false;
  const c = compareDates(dayOf(ms, offsetMinutes), date);
  return op === 'before' ? c < 0 : op === 'on' ? c === 0 : c >= 0;
}

/** Obsolete zone names (RFC 5322 §4.3), minutes east of UTC; other names count as UTC there. */
const OBS_ZONES: Record<string, number> = {
  UT: 0, GMT: 0, EST: -300, EDT: -240, CST: -360, CDT: -300, MST: -420, MDT: -360, PST: -480, PDT: -420,
};

/** The zone a Date: header was written in (RFC 5322 §3.3), minutes east of UTC; 0 if none. */
export function dateHeaderOffset(date: string | null): number {
  if (date === null) return 0;
  // A trailing comment such as "(EET)" is not the zone (CFWS, RFC 5322 §3.2.2).
  const bare = date.replace(/\([^()]*\)/g, ' ').trim();
  const numeric = /([+-])(\d\d)(\d\d)$/.exec(bare);
  if (numeric) {
    const minutes = Number(numeric[2]) * 60 + Number(numeric[3]);
    return numeric[1] === '-' ? -minutes : minutes;
  }
  const named = /([A-Za-z]+)$/.exec(bare);
  return named ? (OBS_ZONES[named[1].toUpperCase()] ?? 0) : 0;
}

function intervals(env: Env, key: SearchKey & { type: 'sequence' | 'uid' }): Interval[] {
  let iv = env.cache.get(key);
  if (!iv) {
    iv = key.set.kind === 'set' ? resolveSequenceSet(key.set, key.type === 'uid' ? env.maxUid : env.exists) : [];
    env.cache.set(key, iv);
  }
  return iv;
}

function matches(key: SearchKey, c: Candidate, env: Env): boolean {
  switch (key.type) {
    case 'all':
      return true;
    case 'and':
      return key.keys.every((k) => matches(k, c, env));
    case 'or':
      return matches(key.left, c, env) || matches(key.right, c, env);
    case 'not':
      return !matches(key.key, c, env);
    case 'flag': {
      if (key.flag.toLowerCase() === '\\recent') return env.recent.has(c.rec.uid) === key.set;
      const lower = key.flag.toLowerCase();
      return c.rec.flags.some((f) => f.toLowerCase() === lower) === key.set;
    }
    case 'header': {
      const value = key.value.toLowerCase();
      const stored = KEY_OF_FIELD[key.field];
      if (stored) {
        const text = c.keys[env.keyIndex.get(stored)!] as string | null;
        // RFC 9051 §6.4.4: an empty string matches every message that has the field.
        return text !== null && text.includes(value);
      }
      return c.headers!.some((h) => h.name === key.field && h.value.includes(value));
    }
    case 'body':
      return c.body!.includes(key.value.toLowerCase());
    case 'text':
      return c.text!.includes(key.value.toLowerCase());
    case 'internaldate':
      return dateMatches(c.rec.internalDate, key.op, key.date);
    case 'sentdate': {
      // RFC 9051 §6.4.4: the Date: header's date "disregarding time and timezone", i.e. the
      // day as written in the sender's own zone, not that instant's day in UTC. Without a
      // Date: header the internal date stands in.
      const s = c.summary!;
      if (s.sentDate === null) return dateMatches(c.rec.internalDate, key.op, key.date);
      return dateMatches(s.sentDate, key.op, key.date, dateHeaderOffset(s.envelope.date));
    }
    case 'size':
      return key.op === 'larger' ? c.rec.size > key.size : c.rec.size < key.size;
    case 'sequence':
      if (key.set.kind === 'saved') return env.saved?.has(c.rec.uid) ?? false;
      return intervalsContain(intervals(env, key), c.seq);
    case 'uid':
      if (key.set.kind === 'saved') return env.saved?.has(c.rec.uid) ?? false;
      return intervalsContain(intervals(env, key), c.rec.uid);
    case 'modseq':
      return c.rec.modseq >= key.modseq;
    case 'objectid':
      return toObjectId(key.kind, key.kind === 'email' ? c.rec.emailId : c.rec.threadId) === key.id;
  }
}

/** Header fields of a message, decoded (RFC 2047) for comparison. */
async function loadHeaders(s: ImapSession, m: MessageWithSummary): Promise<{ name: string; value: string }[]> {
  const root = m.summary.root;
  return searchableHeaderFields(await s.ctx.deps.blobs.read(m.blobId, root.headerStart, Math.min(root.headerEnd, root.headerStart + MAX_SEARCH_HEADER_BYTES)));
}

/**
 * TEXT and BODY compare with the parser's search text (decoded header values, then decoded text
 * bodies), kept by the store since ingest (getSearchTexts). For BODY the header values the text
 * starts with are skipped: their length comes from the header block alone, a small blob slice.
 */
async function headerPrefixLength(s: ImapSession, m: MessageWithSummary): Promise<number> {
  const root = m.summary.root;
  return headerValuesLength(await s.ctx.deps.blobs.read(m.blobId, root.headerStart, Math.min(root.headerEnd, root.headerStart + MAX_SEARCH_HEADER_BYTES)));
}

export interface SearchHit {
  seq: number;
  uid: number;
  modseq: number;
  record: MessageRecord;
  /** Present when the search loaded summaries (or was asked to: THREAD=REFERENCES). */
  summary: MessageSummary | null;
  /** The stored keys the search used or was asked for, in keyIndex order. */
  keys: (string | number | null)[];
}

/** Every message of the view (not expunged elsewhere) that matches, in sequence order. */
export async function runSearch(
  s: ImapSession,
  view: SelectedMailboxView,
  key: SearchKey,
  opts: { summaries?: boolean; keys?: readonly MessageKeyName[] } = {},
): Promise<{ hits: SearchHit[]; usesModseq: boolean; keyIndex: ReadonlyMap<MessageKeyName, number> }> {
  const needs = analyse(key);
  if (opts.summaries) needs.summary = true;
  for (const k of opts.keys ?? []) needs.keys.add(k);
  const store = s.ctx.deps.store;
  const keyNames = [...needs.keys];
  const keyIndex = new Map(keyNames.map((k, i) => [k, i]));
  const rows = keyNames.length > 0
    ? await storeCall(() => store.listMessagesWithKeys(s.accountId(), view.mailboxId, keyNames))
    : (await storeCall(() => store.listMessages(s.accountId(), view.mailboxId))).map((record) => ({ record, keys: NO_KEYS }));
  const env: Env = {
    exists: view.exists,
    maxUid: view.uids.length > 0 ? view.uids[view.uids.length - 1] : 0,
    saved: s.savedResult ? new Set(s.savedResult) : null,
    recent: view.recent,
    keyIndex,
    cache: new Map(),
  };
  const candidates: Candidate[] = [];
  for (const { record: rec, keys } of rows) {
    const seq = view.seqOf(rec.uid);
    if (seq === 0 || view.expunged.has(rec.uid)) continue;
    candidates.push({ rec, seq, keys, summary: null, headers: null, text: null, body: null });
  }
  const hits: SearchHit[] = [];
  for (let i = 0; i < candidates.length; i += BATCH) {
    const batch = candidates.slice(i, i + BATCH);
    if (needs.summary) {
      const uids = batch.map((c) => c.rec.uid);
      const full = new Map((await storeCall(() => store.getMessages(s.accountId(), view.mailboxId, uids))).map((m) => [m.uid, m]));
      const texts = needs.text ? new Map((await storeCall(() => store.getSearchTexts(s.accountId(), view.mailboxId, uids))).map((t) => [t.uid, t.text])) : null;
      for (const c of batch) {
        const m = full.get(c.rec.uid);
        if (!m) continue;
        c.summary = m.summary;
        if (needs.headers) c.headers = await loadHeaders(s, m);
        if (texts) {
          const text = texts.get(c.rec.uid) ?? '';
          c.text = text.toLowerCase();
          if (needs.body) c.body = text.slice(Math.min(await headerPrefixLength(s, m), text.length)).toLowerCase();
        }
      }
    }
    for (const c of batch) {
      if (needs.summary && !c.summary) continue;
      if (matches(key, c, env)) hits.push({ seq: c.seq, uid: c.rec.uid, modseq: c.rec.modseq, record: c.rec, summary: c.summary, keys: c.keys });
    }
  }
  hits.sort((a, b) => a.seq - b.seq);
  return { hits, usesModseq: needs.modseq, keyIndex };
}
