// The selected mailbox as THIS session has been told it (DESIGN.md §4): the sequence-number ↔
// UID map, the expunges it may not announce yet, and the mod-sequence it is synchronised to.
//
// Implementation notes:
// - uids[i] is the UID of message sequence number i + 1, ascending (RFC 9051 §2.3.1.2).
// - A message expunged elsewhere stays in uids (with its sequence number) until the session
//   is allowed to send the EXPUNGE (never during FETCH, STORE, SEARCH: RFC 9051 §7.5.1);
//   until then it is in `expunged` and commands skip it.
// - `reported` remembers flag states this session already sent (its own STORE, a FETCH that
//   set \Seen), so the change log does not make it send the same FETCH FLAGS twice.

import type { Mailbox, MailboxId } from '../store/types.ts';
import { resolveSequenceSet, type Interval, type SequenceSet } from '../wire/imap/index.ts';
import { ImapBad } from './errors.ts';

export class SelectedMailboxView {
  readonly mailboxId: MailboxId;
  name: string;
  readonly readOnly: boolean;
  readonly uidValidity: number;
  uids: number[];
  readonly expunged = new Set<number>();
  /** Highest modseq whose changes have been applied to this view. */
  modseq: number;
  /** UIDNEXT as last seen (for the SELECT response). */
  uidNext: number;
  readonly reported = new Map<number, number>();
  /** UIDs that are \Recent in this session: it was the first to learn of them (RFC 3501 §2.3.2). */
  readonly recent = new Set<number>();
  /** Keywords announced in the last FLAGS response, by lower-case name (RFC 9051 §7.3.5). */
  readonly keywords = new Map<string, string>();
  /** Set when the mailbox was deleted under us. */
  gone = false;

  constructor(mailbox: Mailbox, uids: number[], readOnly: boolean) {
    this.mailboxId = mailbox.id;
    this.name = mailbox.name;
    this.readOnly = readOnly;
    this.uidValidity = mailbox.uidValidity;
    this.uids = uids;
    this.modseq = mailbox.highestModseq;
    this.uidNext = mailbox.uidNext;
  }

  get exists(): number {
    return this.uids.length;
  }

  /** Sequence number of a UID, 0 if not in the view. Binary search. */
  seqOf(uid: number): number {
    let lo = 0;
    let hi = this.uids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.uids[mid];
      if (v === uid) return mid + 1;
      if (v < uid) lo = mid + 1;
      else hi = mid - 1;
    }
    return 0;
  }

  has(uid: number): boolean {
    return this.seqOf(uid) !== 0;
  }

  /**
   * UIDs a command's set names, ascending, without messages already expunged elsewhere.
   * `saved` is the SEARCHRES result (RFC 5182), UIDs; "$" without one is a BAD.
   */
  resolve(set: SequenceSet, byUid: boolean, saved: number[] | null, includeExpunged = false): number[] {
    const out: number[] = [];
    if (set.kind === 'saved') {
      if (saved === null) throw new ImapBad('No saved search result');
      for (const uid of saved) if (this.has(uid) && (includeExpunged || !this.expunged.has(uid))) out.push(uid);
      return out;
    }
    if (this.uids.length === 0) return out;
    if (byUid) {
      const largest = this.uids[this.uids.length - 1];
      const intervals = resolveSequenceSet(set, largest);
      for (const [a, b] of intervals) this.uidsBetween(a, b, out, includeExpunged);
      return out;
    }
    const intervals: Interval[] = resolveSequenceSet(set, this.uids.length);
    for (const [a, b] of intervals) {
      // RFC 9051 §6.4.5: a sequence number beyond the mailbox is an error (BAD).
      if (b > this.uids.length) throw new ImapBad('Invalid message sequence number');
      for (let s = a; s <= b; s++) {
        const uid = this.uids[s - 1];
        if (includeExpunged || !this.expunged.has(uid)) out.push(uid);
      }
    }
    return out;
  }

  private uidsBetween(a: number, b: number, out: number[], includeExpunged: boolean): void {
    let lo = 0;
    let hi = this.uids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.uids[mid] < a) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.uids.length && this.uids[i] <= b; i++) {
      const uid = this.uids[i];
      if (includeExpunged || !this.expunged.has(uid)) out.push(uid);
    }
  }

  /** Adds the keywords among `flags` that FLAGS has not announced yet; true when there were any. */
  learnKeywords(flags: readonly string[]): boolean {
    let learned = false;
    for (const f of flags) {
      if (f.startsWith('\\')) continue;
      const lower = f.toLowerCase();
      if (this.keywords.has(lower)) continue;
      this.keywords.set(lower, f);
      learned = true;
    }
    return learned;
  }

  /** Marks as \Recent the UIDs of the view above `mark`, the mailbox's recent mark before this session took them. */
  takeRecent(uids: readonly number[], mark: number): void {
    for (const uid of uids) if (uid > mark) this.recent.add(uid);
  }

  /** Appends new UIDs (always above every UID in the view: RFC 9051 §2.3.1.1). */
  append(uids: number[]): void {
    for (const uid of uids) {
      const last = this.uids[this.uids.length - 1];
      if (last === undefined || uid > last) this.uids.push(uid);
      else if (!this.has(uid)) {
        // Out of order (cannot happen with ascending UIDs); keep the array sorted anyway.
        this.uids.push(uid);
        this.uids.sort((x, y) => x - y);
      }
      if (uid >= this.uidNext) this.uidNext = uid + 1;
    }
  }

  /**
   * Removes UIDs and returns the sequence numbers to announce, in the order EXPUNGE responses
   * must carry them: each one counted after the previous ones were removed (RFC 9051 §7.5.1).
   */
  remove(uids: Iterable<number>): number[] {
    const drop = new Set<number>();
    for (const uid of uids) if (this.has(uid)) drop.add(uid);
    if (drop.size === 0) return [];
    const seqs: number[] = [];
    const kept: number[] = [];
    let removed = 0;
    for (let i = 0; i < this.uids.length; i++) {
      const uid = this.uids[i];
      if (drop.has(uid)) {
        seqs.push(i + 1 - removed);
        removed++;
        this.expunged.delete(uid);
        this.reported.delete(uid);
        this.recent.delete(uid);
      } else {
        kept.push(uid);
      }
    }
    this.uids = kept;
    return seqs;
  }
}
