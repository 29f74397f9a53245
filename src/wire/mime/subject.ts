// RFC 5256 §2.1 base subject, for SORT SUBJECT and THREAD ORDEREDSUBJECT/REFERENCES.
// Input is the already RFC 2047-decoded subject (step 1's conversion to UTF-8).

// Subjects longer than this are cut first: the steps below rescan the leading blobs, which is
// quadratic on a hostile "[a][a][a]…" subject, and no real subject is this long.
const MAX_SUBJECT = 2048;

function isWsp(c: number): boolean {
  return c === 32 || c === 9;
}

/** Length of the subj-blob ("[" *BLOBCHAR "]" *WSP) at s[i], or 0. */
function blobAt(s: string, i: number): number {
  if (s.charCodeAt(i) !== 0x5b) return 0;
  let j = i + 1;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c === 0x5d) break;
    if (c === 0x5b) return 0;
    j++;
  }
  if (j >= s.length) return 0;
  j++;
  while (j < s.length && isWsp(s.charCodeAt(j))) j++;
  return j - i;
}

/** Length of subj-leader "*subj-blob subj-refwd" at the start, or 0 (RFC 5256 §5 ABNF). */
function refwdLeader(s: string): number {
  let i = 0;
  for (let n; (n = blobAt(s, i)) > 0; ) i += n;
  const lower = s.slice(i, i + 3).toLowerCase();
  if (lower.startsWith('re')) i += 2;
  else if (lower === 'fwd') i += 3;
  else if (lower.startsWith('fw')) i += 2;
  else return 0;
  while (i < s.length && isWsp(s.charCodeAt(i))) i++;
  i += blobAt(s, i);
  return s.charCodeAt(i) === 0x3a ? i + 1 : 0;
}

export function baseSubject(subject: string): string {
  // (1) collapse every run of whitespace to one space.
  let s = subject.slice(0, MAX_SUBJECT).replace(/[\s]+/g, ' ');
  for (;;) {
    // (2) remove trailing "(fwd)" and whitespace, repeatedly.
    for (;;) {
      if (s.length > 0 && isWsp(s.charCodeAt(s.length - 1))) s = s.slice(0, -1);
      else if (s.toLowerCase().endsWith('(fwd)')) s = s.slice(0, -5);
      else break;
    }
    // (3)–(5): strip leaders and leading blobs until nothing changes.
    for (let changed = true; changed; ) {
      changed = false;
      for (;;) {
        if (s.length > 0 && isWsp(s.charCodeAt(0))) {
          s = s.slice(1);
          changed = true;
          continue;
        }
        const n = refwdLeader(s);
        if (n === 0) break;
        s = s.slice(n);
        changed = true;
      }
      // (4) a leading blob goes if something other than whitespace remains after it.
      const b = blobAt(s, 0);
      if (b > 0 && s.slice(b).trim().length > 0) {
        s = s.slice(b);
        changed = true;
      }
    }
    // (6) "[fwd: … ]" wrapper: unwrap and start again at (2).
    if (s.length >= 6 && s.slice(0, 5).toLowerCase() === '[fwd:' && s.endsWith(']')) {
      s = s.slice(5, -1);
      continue;
    }
    return s;
  }
}
