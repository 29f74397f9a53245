// SEARCH and UID SEARCH (RFC 9051 §6.4.4), with ESEARCH results (RFC 4731; always under
// IMAP4rev2, RFC 9051 §7.3.4), SEARCHRES (RFC 5182) and MODSEQ (RFC 7162 §3.1.5).

import { compressSequence, esearchResponse, searchResponse } from '../wire/imap/index.ts';
import { command } from './descriptor.ts';
import { runSearch } from './search.ts';
import { SELECTED } from './state.ts';

const search = command({
  name: 'SEARCH',
  states: SELECTED,
  run: async (s, tag, cmd) => {
    const view = s.view();
    const { hits, usesModseq } = await runSearch(s, view, cmd.criteria);
    // RFC 7162 §3.1.5: SEARCH MODSEQ enables CONDSTORE and reports the highest mod-sequence found.
    if (usesModseq) s.enableCondstore();
    const modseq = usesModseq && hits.length > 0 ? hits.reduce((m, h) => Math.max(m, h.modseq), 0) : null;
    const numbers = hits.map((h) => (cmd.uid ? h.uid : h.seq));
    const returns = cmd.returns ?? (s.enabled.rev2 ? { min: false, max: false, all: true, count: false, save: false } : null);
    if (!returns) {
      s.write(searchResponse(numbers, modseq));
      return;
    }
    if (returns.save) {
      // RFC 5182 §2.1: with MIN or MAX alone, only those are saved.
      const only = (returns.min || returns.max) && !returns.all && !returns.count;
      const saved = only ? [...(returns.min && hits.length ? [hits[0].uid] : []), ...(returns.max && hits.length ? [hits[hits.length - 1].uid] : [])] : hits.map((h) => h.uid);
      s.savedResult = saved;
      // RFC 5182 §2.1: SAVE alone returns no ESEARCH response.
      if (!returns.min && !returns.max && !returns.all && !returns.count) return;
    }
    const result: { min?: number; max?: number; count?: number; all?: string; modseq?: number } = {};
    if (returns.min && numbers.length) result.min = numbers[0];
    if (returns.max && numbers.length) result.max = numbers[numbers.length - 1];
    if (returns.count) result.count = numbers.length;
    if (returns.all && numbers.length) result.all = compressSequence(numbers);
    if (modseq !== null) {
      // RFC 7162 §3.1.5 (with RFC 4731): the highest mod-sequence of the messages *returned*;
      // with only MIN and/or MAX that is just those one or two messages.
      const onlyEnds = (returns.min || returns.max) && !returns.all && !returns.count;
      const returned = onlyEnds ? [...(returns.min ? [hits[0]] : []), ...(returns.max ? [hits[hits.length - 1]] : [])] : hits;
      result.modseq = returned.reduce((m, h) => Math.max(m, h.modseq), 0);
    }
    s.write(esearchResponse(tag, cmd.uid, result));
  },
});

export const searchCommands = [search];
