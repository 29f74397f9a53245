// SORT, THREAD=ORDEREDSUBJECT and THREAD=REFERENCES (thread-references.ts) (RFC 5256; RFC 5957
// DISPLAYFROM/DISPLAYTO), over the search result. SORT and ORDEREDSUBJECT compare the keys the
// store keeps per message since ingest (src/mail/message-keys.ts: sent date, base subject, first
// addresses, already in i;ascii-casemap form); only REFERENCES reads whole summaries. Ties are
// broken by sequence number (RFC 5256 §3: "the order of messages … is by sequence number").

import type { MessageKeyName } from '../mail/message-keys.ts';
import { sortResponse, threadResponse, type SortKey, type ThreadNode } from '../wire/imap/index.ts';
import { command } from './descriptor.ts';
import { ImapNo } from './errors.ts';
import { runSearch, type SearchHit } from './search.ts';
import { SELECTED } from './state.ts';
import { threadByReferences } from './thread-references.ts';

/** The stored key each SORT criterion compares; ARRIVAL and SIZE come from the message row. */
const KEY_OF: Partial<Record<SortKey, MessageKeyName>> = {
  DATE: 'sentDate',
  SUBJECT: 'sortSubject',
  FROM: 'sortFrom',
  TO: 'sortTo',
  CC: 'sortCc',
  DISPLAYFROM: 'displayFrom',
  DISPLAYTO: 'displayTo',
};

/** A hit's sort value for one criterion. */
type Extract = (h: SearchHit) => number | string;

function extractor(key: SortKey, keyIndex: ReadonlyMap<MessageKeyName, number>): Extract {
  if (key === 'ARRIVAL') return (h) => h.record.internalDate;
  if (key === 'SIZE') return (h) => h.record.size;
  const i = keyIndex.get(KEY_OF[key]!)!;
  // RFC 5256 §2.2: the sent date, or the internal date when the Date header is missing.
  if (key === 'DATE') return (h) => (h.keys[i] as number | null) ?? h.record.internalDate;
  return (h) => (h.keys[i] as string | null) ?? '';
}

function compare(x: number | string, y: number | string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

const sort = command({
  name: 'SORT',
  states: SELECTED,
  run: async (s, _tag, cmd) => {
    const keys = cmd.criteria.map((c) => KEY_OF[c.key]).filter((k) => k !== undefined);
    const { hits, usesModseq, keyIndex } = await runSearch(s, s.view(), cmd.search, { keys });
    // Each hit's values are extracted once, not at every comparison.
    const extract = cmd.criteria.map((c) => extractor(c.key, keyIndex));
    const rows = hits.map((h) => ({ h, v: extract.map((f) => f(h)) }));
    rows.sort((a, b) => {
      for (let i = 0; i < cmd.criteria.length; i++) {
        const r = compare(a.v[i], b.v[i]);
        if (r !== 0) return cmd.criteria[i].reverse ? -r : r;
      }
      return a.h.seq - b.h.seq;
    });
    const sorted = rows.map((r) => r.h);
    if (usesModseq) s.enableCondstore();
    const modseq = usesModseq && sorted.length > 0 ? sorted.reduce((m, h) => Math.max(m, h.modseq), 0) : null;
    s.write(sortResponse(sorted.map((h) => (cmd.uid ? h.uid : h.seq)), modseq));
  },
});

// RFC 5256 §3. ORDEREDSUBJECT: messages grouped by base subject; in each thread the earliest is
// the root and the others are its children, by sent date; threads ordered by their root's date.
const thread = command({
  name: 'THREAD',
  states: SELECTED,
  run: async (s, _tag, cmd) => {
    if (cmd.algorithm === 'REFS') throw new ImapNo(null, 'Thread algorithm REFS is not supported');
    const num = (h: SearchHit): number => (cmd.uid ? h.uid : h.seq);
    if (cmd.algorithm === 'REFERENCES') {
      const { hits } = await runSearch(s, s.view(), cmd.search, { summaries: true });
      s.write(threadResponse(threadByReferences(hits, num)));
      return;
    }
    const { hits, keyIndex } = await runSearch(s, s.view(), cmd.search, { keys: ['sentDate', 'sortSubject'] });
    const sentDate = extractor('DATE', keyIndex) as (h: SearchHit) => number;
    const subject = extractor('SUBJECT', keyIndex);
    const byDate = (a: SearchHit, b: SearchHit): number => sentDate(a) - sentDate(b) || a.seq - b.seq;
    const groups = new Map<string | number, SearchHit[]>();
    for (const h of hits) {
      const key = subject(h);
      const g = groups.get(key);
      if (g) g.push(h);
      else groups.set(key, [h]);
    }
    const threads = [...groups.values()].map((g) => g.sort(byDate));
    threads.sort((a, b) => byDate(a[0], b[0]));
    const roots: ThreadNode[] = threads.map((g) => ({
      number: num(g[0]),
      children: g.slice(1).map((h) => ({ number: num(h), children: [] })),
    }));
    s.write(threadResponse(roots));
  },
});

export const sortCommands = [sort, thread];
