// Sequence sets (RFC 9051 §9 sequence-set, seq-range; RFC 5182 "$" for SEARCHRES).
//
//   sequence-set = (seq-number / seq-range) ["," sequence-set]    seq-number = nz-number / "*"
//   seq-range    = seq-number ":" seq-number   ("*:4" is "4:*": the order of the two ends is free)
//
// Sets are kept as ranges, never expanded into numbers: "1:4294967295" is one range. Numbers are
// nz-number, 1..4294967295 (RFC 9051 §9 nz-number, "unsigned 32-bit integer").

export const MAX_NUMBER = 4294967295;

/** "*": the largest number in use (last message's sequence number or UID). */
export type SeqNumber = number | '*';
export interface SeqRange {
  from: SeqNumber;
  to: SeqNumber;
}
export type SequenceSet = { kind: 'set'; ranges: SeqRange[] } | { kind: 'saved' };

/** Closed interval [lo, hi], lo ≤ hi. */
export type Interval = [number, number];

const NZ_NUMBER = /^[1-9][0-9]{0,9}$/;

function seqNumber(text: string): SeqNumber | null {
  if (text === '*') return '*';
  if (!NZ_NUMBER.test(text)) return null;
  const n = Number(text);
  return n <= MAX_NUMBER ? n : null;
}

/** Parses a sequence set; "$" only when allowSaved (RFC 5182 §2.1). Returns null when invalid. */
export function parseSequenceSet(text: string, allowSaved = true): SequenceSet | null {
  if (text === '$') return allowSaved ? { kind: 'saved' } : null;
  const ranges: SeqRange[] = [];
  for (const part of text.split(',')) {
    const colon = part.indexOf(':');
    if (colon === -1) {
      const n = seqNumber(part);
      if (n === null) return null;
      ranges.push({ from: n, to: n });
    } else {
      const from = seqNumber(part.slice(0, colon));
      const to = seqNumber(part.slice(colon + 1));
      if (from === null || to === null) return null;
      ranges.push({ from, to });
    }
  }
  return { kind: 'set', ranges };
}

/**
 * Resolves "*" to `largest` and returns sorted, merged intervals. With largest = 0 (empty
 * mailbox) "*" stands for nothing, so ranges that contain it resolve to their numeric end only.
 */
export function resolveSequenceSet(set: { kind: 'set'; ranges: SeqRange[] }, largest: number): Interval[] {
  const raw: Interval[] = [];
  for (const r of set.ranges) {
    let a = r.from === '*' ? largest : r.from;
    let b = r.to === '*' ? largest : r.to;
    if (largest === 0) {
      if (r.from === '*' && r.to === '*') continue;
      if (r.from === '*') a = b;
      if (r.to === '*') b = a;
    }
    raw.push(a <= b ? [a, b] : [b, a]);
  }
  return mergeIntervals(raw);
}

export function mergeIntervals(intervals: Interval[]): Interval[] {
  const sorted = intervals.slice().sort((x, y) => x[0] - y[0]);
  const out: Interval[] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) {
      if (b > last[1]) last[1] = b;
    } else {
      out.push([a, b]);
    }
  }
  return out;
}

/** True when n is in the (resolved) intervals; binary search. */
export function intervalsContain(intervals: Interval[], n: number): boolean {
  let lo = 0;
  let hi = intervals.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = intervals[mid];
    if (n < a) hi = mid - 1;
    else if (n > b) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Writes a set back in wire form ("1:3,5,7:*"). */
export function formatSequenceSet(set: SequenceSet): string {
  if (set.kind === 'saved') return '$';
  return set.ranges.map((r) => (r.from === r.to ? String(r.from) : `${r.from}:${r.to}`)).join(',');
}

/**
 * Compresses numbers into a sequence set ("1:3,5,7:9"), keeping their order: COPYUID's source
 * and destination sets pair up element by element (RFC 4315 §3), so nothing is sorted here.
 * Sort first for VANISHED (RFC 7162 §3.2.10) and ESEARCH ALL (RFC 4731 §3).
 */
export function compressSequence(numbers: Iterable<number>): string {
  let out = '';
  let start = -1;
  let prev = -1;
  const flush = (): void => {
    if (start === -1) return;
    if (out) out += ',';
    out += start === prev ? String(start) : `${start}:${prev}`;
  };
  for (const n of numbers) {
    if (start !== -1 && n === prev + 1) {
      prev = n;
      continue;
    }
    flush();
    start = prev = n;
  }
  flush();
  return out;
}

/** Writes intervals as a sequence set. */
export function formatIntervals(intervals: Interval[]): string {
  return intervals.map(([a, b]) => (a === b ? String(a) : `${a}:${b}`)).join(',');
}
