// STORE on SQLite (RFC 9051 §6.4.6, RFC 7162 §3.1.3 UNCHANGEDSINCE) and the rule that keeps the
// Email model whole: every message of one Email carries the same flags except \Deleted
// (mail-types.ts). A change to messages of one mailbox is therefore applied to their Emails'
// messages in other mailboxes as well — each gets the mutation's modseq and a change-log row,
// so IMAP sessions there hear of it (a FETCH) like of any other flag change — while \Deleted
// stays with the messages it was set on: IMAP deletes per mailbox (mark, then EXPUNGE), and a
// copy kept in Archive must not be expunged with the one deleted from INBOX.

import type { FlagMode, MailStore, SetFlagsResult } from '../types.ts';
import { applyFlagChange, normaliseFlags, sameFlags } from '../../mail/flags.ts';
import type { Db, Mutation } from './db.ts';
import { requireMailbox } from './lookup.ts';
import { checkUids } from './message-ids.ts';

const DELETED = '\\Deleted';

interface FlagColumns {
  json: string;
  seen: number;
  deleted: number;
}

export function flagColumns(flags: readonly string[]): FlagColumns {
  return { json: JSON.stringify(flags), seen: flags.includes('\\Seen') ? 1 : 0, deleted: flags.includes(DELETED) ? 1 : 0 };
}

interface FlagOutcome {
  current: string[];
  next: string[];
  same: boolean;
  cols: FlagColumns;
  countersChange: boolean;
}

const DRAFT = '\\Draft';

/**
 * Whether a change moves a counter: \Seen or \Deleted (their columns), or \Draft (a draft is not
 * unread, RFC 8621 §2 unreadEmails). The counter triggers fire only when the UPDATE names
 * `seen`/`deleted`, so every other flag change (a keyword on 100,000 messages) costs them nothing.
 */
function movesCounters(before: FlagColumns, after: FlagColumns, current: readonly string[], next: readonly string[]): boolean {
  return after.seen !== before.seen || after.deleted !== before.deleted || current.includes(DRAFT) !== next.includes(DRAFT);
}

function flagOutcome(current: readonly string[], mode: FlagMode, change: readonly string[]): FlagOutcome {
  const next = Object.freeze(applyFlagChange(current, mode, change)) as string[];
  const cols = flagColumns(next);
  const before = flagColumns(current);
  return { current: current as string[], next, same: sameFlags(current, next), cols, countersChange: movesCounters(before, cols, current, next) };
}

/**
 * The same change as seen by another message of the Email: without \Deleted, and with
 * `replace` keeping that message's own \Deleted.
 */
function siblingChange(current: readonly string[], mode: FlagMode, change: readonly string[]): string[] {
  const keywords = change.filter((f) => f !== DELETED);
  if (mode !== 'replace') return applyFlagChange(current, mode, keywords);
  return applyFlagChange(current, 'replace', current.includes(DELETED) ? [...keywords, DELETED] : keywords);
}

/** Writes new flags to one row, naming seen/deleted only when they change (the counter trigger fires on them). */
function writeFlags(db: Db, id: number, o: FlagOutcome, modseq: number): void {
  // A keyword on 100,000 messages would otherwise rewrite the counters 100,000 times.
  if (o.countersChange) {
    db.run('UPDATE message SET flags = ?, seen = ?, deleted = ?, modseq = ? WHERE id = ?', o.cols.json, o.cols.seen, o.cols.deleted, modseq, id);
  } else {
    db.run('UPDATE message SET flags = ?, modseq = ? WHERE id = ?', o.cols.json, modseq, id);
  }
}

type MessageFlagRow = [id: number, uid: number, modseq: number, flags: string, emailId: number, threadId: number];

/** Carries the change to the other messages of the changed Emails (see the notes above). */
function mirrorToSiblings(db: Db, m: Mutation, mailboxId: number, emailIds: number[], mode: FlagMode, flags: readonly string[]): void {
  if (emailIds.length === 0) return;
  if (mode !== 'replace' && flags.every((f) => f === DELETED)) return;
  const siblings = db.rows(
    `SELECT id, mailbox_id, uid, flags, email_id, thread_id FROM message
     WHERE email_id IN (SELECT value FROM json_each(?)) AND mailbox_id <> ?`,
    JSON.stringify(emailIds), mailboxId,
  ) as [number, number, number, string, number, number][];
  for (const [id, siblingMailbox, uid, flagsJson, emailId, threadId] of siblings) {
    const current = db.flagLists.parse(flagsJson);
    const next = siblingChange(current, mode, flags);
    if (sameFlags(current, next)) continue;
    const cols = flagColumns(next);
    const before = flagColumns(current);
    writeFlags(db, id, { current, next, same: false, cols, countersChange: movesCounters(before, cols, current, next) }, m.modseq());
    m.messageChange('message-flags', siblingMailbox, { id, uid, email_id: emailId, thread_id: threadId });
  }
}

export function flagOps(db: Db): Pick<MailStore, 'setFlags'> {
  return {
    setFlags: async (accountId, mailboxId, uids, mode, flags, unchangedSince) => {
      const list = checkUids(uids);
      normaliseFlags(flags); // reject invalid flags before queueing
      return db.mutate(accountId, (m): SetFlagsResult => {
        requireMailbox(db, accountId, mailboxId);
        const rows = db.rows(
          'SELECT id, uid, modseq, flags, email_id, thread_id FROM message WHERE mailbox_id = ? AND uid IN (SELECT value FROM json_each(?)) ORDER BY uid',
          mailboxId, list,
        ) as MessageFlagRow[];
        const result: SetFlagsResult = { updated: [], modified: [] };
        const changedEmails: number[] = [];
        // A mailbox has few distinct flag lists: the change is worked out once per list.
        const outcomes = new Map<string, FlagOutcome>();
        for (const [id, uid, rowModseq, flagsJson, emailId, threadId] of rows) {
          // RFC 7162 §3.1.3: UNCHANGEDSINCE fails (and leaves alone) every message changed since.
          if (unchangedSince !== undefined && rowModseq > unchangedSince) {
            result.modified.push(uid);
            continue;
          }
          let o = outcomes.get(flagsJson);
          if (!o) {
            o = flagOutcome(db.flagLists.parse(flagsJson), mode, flags);
            outcomes.set(flagsJson, o);
          }
          if (o.same) {
            // Nothing changes, so no new modseq; FLAGS (replace) still reports every match, as a
            // non-silent STORE answers with a FETCH for each (RFC 9051 §6.4.6).
            if (mode === 'replace') result.updated.push({ uid, modseq: rowModseq, flags: o.current });
            continue;
          }
          const modseq = m.modseq();
          writeFlags(db, id, o, modseq);
          m.messageChange('message-flags', mailboxId, { id, uid, email_id: emailId, thread_id: threadId });
          changedEmails.push(emailId);
          result.updated.push({ uid, modseq, flags: o.next });
        }
        mirrorToSiblings(db, m, mailboxId, changedEmails, mode, flags);
        return result;
      });
    },
  };
}
