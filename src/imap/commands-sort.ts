// SORT, THREAD=ORDEREDSUBJECT and THREAD=REFERENCES (thread-references.ts) (RFC 5256; RFC 5957 DISPLAYFROM/DISPLAYTO), over the search
// result with the summaries cached at ingest: base subject, sent date, first addresses. Ties
// are broken by sequence number (RFC 5256 §3: "the order of messages … is by sequence number").

import type { MessageSummary } from '../wire/mime/types.ts';
import { firstDisplay, firstMailbox } from './addresses.ts';
import { sortResponse, threadResponse, type SortKey, type ThreadNode } from '../wire/imap/index.ts';
import { command } from './descriptor.ts';
import { ImapNo } from './errors.ts';
import { runSearch, type SearchHit } from './search.ts';
import { SELECTED } from './state.ts';
import { threadByReferences } from './thread-references.ts';

/** i;ascii-casemap (RFC 4790 §9.2): ASCII letters compared without case, everything else as is. */
function casemap(s: string): string {
  return s.replace(/[a-z]/g, (c) => c.toUpperCase());
}

function compareStrings(a: string, b: string): number {
  const x = casemap(a);
  const y = casemap(b);
  return x < y ? -1 : x > y ? 1 : 0;
}


/** RFC 5256 §2.2: the sent date, or the internal date when the Date header is missing. */
function sentDate(h: SearchHit): number {
  return h.summary!.sentDate ?? h.record.internalDate;
}

function compareBy(key: SortKey, a: SearchHit, b: SearchHit): number {
  const sa = a.summary as MessageSummary;
  const sb = b.summary as MessageSummary;
  switch (key) {
    case 'ARRIVAL':
      return a.record.internalDate - b.record.internalDate;
    case 'DATE':
      return sentDate(a) - sentDate(b);
    case 'SIZE':
      return a.record.size - b.record.size;
    case 'SUBJECT':
      return compareStrings(sa.baseSubject, sb.baseSubject);
    case 'FROM':
      return compareStrings(firstMailbox(sa.envelope.from), firstMailbox(sb.envelope.from));
    case 'TO':
      return compareStrings(firstMailbox(sa.envelope.to), firstMailbox(sb.envelope.to));
    case 'CC':
      return compareStrings(firstMailbox(sa.envelope.cc), firstMailbox(sb.envelope.cc));
    case 'DISPLAYFROM':
      return compareStrings(firstDisplay(sa.envelope.from), firstDisplay(sb.envelope.from));
    case 'DISPLAYTO':
      return compareStrings(firstDisplay(sa.envelope.to), firstDisplay(sb.envelope.to));
  }
}

const sort = command({
  name: 'SORT',
  states: SELECTED,
  run: async (s, _tag, cmd) => {
    const { hits, usesModseq } = await runSearch(s, s.view(), cmd.search, { summaries: true });
    hits.sort((a, b) => {
      for (const c of cmd.criteria) {
        const r = compareBy(c.key, a, b);
        if (r !== 0) return c.reverse ? -r : r;
      }
      return a.seq - b.seq;
    });
    if (usesModseq) s.enableCondstore();
    const modseq = usesModseq && hits.length > 0 ? hits.reduce((m, h) => Math.max(m, h.modseq), 0) : null;
    s.write(sortResponse(hits.map((h) => (cmd.uid ? h.uid : h.seq)), modseq));
  },
});

// RFC 5256 §3. ORDEREDSUBJECT: messages grouped by base subject; in each thread the earliest is
// the root and the others are its children, by sent date; threads ordered by their root's date.
const thread = command({
  name: 'THREAD',
  states: SELECTED,
  run: async (s, _tag, cmd) => {
    if (cmd.algorithm === 'REFS') throw new ImapNo(null, 'Thread algorithm REFS is not supported');
    const { hits } = await runSearch(s, s.view(), cmd.search, { summaries: true });
    const num = (h: SearchHit): number => (cmd.uid ? h.uid : h.seq);
    if (cmd.algorithm === 'REFERENCES') {
      s.write(threadResponse(threadByReferences(hits, num)));
      return;
    }
    const byDate = (a: SearchHit, b: SearchHit): number => sentDate(a) - sentDate(b) || a.seq - b.seq;
    const groups = new Map<string, SearchHit[]>();
    for (const h of hits) {
      const key = casemap(h.summary!.baseSubject);
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
