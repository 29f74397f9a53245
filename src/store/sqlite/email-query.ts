// Email queries on SQLite (mail-types.ts queryEmails, JMAP Email/query, RFC 8621 §4.4): the
// filter, the sort, thread collapsing and the window are all SQL over the message and email rows
// and the keys kept per blob (message_content), so a query reads only the rows it returns plus
// what the filter needs.
//
// Implementation notes:
// - With an inMailbox condition at the top of the filter the rows are that mailbox's messages
//   without \Deleted (RFC 8621 §4.1.1: such a message is not visible), read through the index
//   (mailbox_id, deleted, internal_date, email_id, thread_id) of migration 13: the newest 50 of
//   100,000 are 50 index steps, no table row. Otherwise the rows are the account's Emails with at
//   least one visible message.
// - A message's internal_date, size, blob, Email and thread are its Email's (messages.ts copies
//   them), and all visible messages of an Email carry the same flags (mail-types.ts), so any one
//   of them stands for the Email.
// - Statements are prepared per query and not cached: a filter's shape is the client's choice,
//   and a cache keyed by it would grow without bound.

import type { SQLInputValue, StatementSync } from 'node:sqlite';
import type { EmailCondition, EmailQuery, EmailQueryResult, EmailSortKey, MailStore } from '../types.ts';
import type { MessageSummary } from '../../wire/mime/types.ts';
import type { Db } from './db.ts';
import { checkUids } from './message-ids.ts';
import { collationKey, rawSortKey } from '../../mail/collation.ts';

/** Column expressions of one row source: the Email's id, thread, received date, size, blob and flags. */
interface Source {
  from: string;
  where: string;
  params: SQLInputValue[];
  id: string;
  thread: string;
  received: string;
  size: string;
  blob: string;
  flags: string;
  hasAttachment: string;
  /** Where the sort keys are read: the message row's copies (migration 13), or the blob's keys. */
  sortKeys: { sentDate: string; subject: string; from: string; to: string } | null;
}

function mailboxSource(mailboxId: number): Source {
  return {
    from: 'message m',
    where: 'm.mailbox_id = ? AND m.deleted = 0',
    params: [mailboxId],
    id: 'm.email_id', thread: 'm.thread_id', received: 'm.internal_date', size: 'm.size', blob: 'm.blob_id', flags: 'm.flags',
    hasAttachment: 'm.has_attachment',
    sortKeys: { sentDate: 'm.sent_date', subject: 'm.sort_subject', from: 'm.display_from', to: 'm.display_to' },
  };
}

function accountSource(accountId: number): Source {
  return {
    from: 'email e',
    where: 'e.account_id = ? AND EXISTS (SELECT 1 FROM message v WHERE v.email_id = e.id AND v.deleted = 0)',
    params: [accountId],
    id: 'e.id', thread: 'e.thread_id', received: 'e.received_at', size: 'e.size', blob: 'e.blob_id',
    flags: '(SELECT v.flags FROM message v WHERE v.email_id = e.id AND v.deleted = 0 LIMIT 1)',
    hasAttachment: '(SELECT v.has_attachment FROM message v WHERE v.email_id = e.id LIMIT 1)',
    sortKeys: null,
  };
}

/**
 * The account's Emails that the word index names for a term (an FTS5 MATCH), as the outer loop:
 * for a rare term (a needle among 100,000) the query then reads its few hits and sorts them,
 * instead of walking every Email by date and probing the hit list (the planner cannot tell a
 * rare word from a common one, so the caller counts the hits first).
 */
function hitsSource(accountId: number, match: string): Source {
  const account = accountSource(accountId);
  return {
    ...account,
    // CROSS JOIN keeps SQLite from reordering: the hits are the outer loop.
    from: '(SELECT rowid AS hit FROM email_search WHERE email_search MATCH ?) h CROSS JOIN email e',
    where: 'e.id = h.hit AND +e.account_id = ? AND EXISTS (SELECT 1 FROM message v WHERE v.email_id = e.id AND v.deleted = 0)',
    params: [match, accountId],
  };
}

/** Word-index hits at most this many: drive the query from them (hitsSource). */
const DRIVE_FROM_HITS_BELOW = 2000;

/** The word-index MATCH of an ASCII term (SqlBuilder.textTerm's rule), or null when it has no words or is not ASCII. */
function wordMatch(term: string): string | null {
  if (!ASCII.test(term)) return null;
  const words = term.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length > 0);
  if (words.length === 0) return null;
  return words.map((w, i) => (i === words.length - 1 ? `"${w}" *` : `"${w}"`)).join(' AND ');
}

/** A text condition every result must meet (the filter itself or a member of its top-level AND), as a word-index MATCH. */
function requiredWordMatch(filter: EmailCondition | null): string | null {
  if (!filter) return null;
  const members = filter.kind === 'and' ? filter.conditions : [filter];
  for (const c of members) {
    if (c.kind !== 'textContains') continue;
    for (const term of c.terms) {
      const match = wordMatch(term);
      if (match) return match;
    }
  }
  return null;
}

/** LIKE pattern matching a flag inside the row's JSON flag list; LIKE folds ASCII case, as flags compare. */
function flagPattern(flag: string): string {
  return '%' + JSON.stringify(flag).replace(/[!%_]/g, '!$&') + '%';
}

function likeContains(term: string): string {
  return '%' + term.replace(/[!%_]/g, '!$&') + '%';
}

const ASCII = /^[\x00-\x7f]*$/;
const FIELD_COLUMN = { subject: 'c.search_subject', from: 'c.search_from', to: 'c.search_to', cc: 'c.search_cc', bcc: 'c.search_bcc' } as const;
const SORT_COLUMN = { subject: 'c.sort_subject', from: 'c.display_from', to: 'c.display_to' } as const;

class SqlBuilder {
  readonly params: SQLInputValue[] = [];
  /** The query reads message_content: its keys only, or (needsContentRow) the summary or search text too. */
  needsContent = false;
  needsContentRow = false;
  readonly s: Source;

  constructor(s: Source) {
    this.s = s;
  }

  private bind(v: SQLInputValue): string {
    this.params.push(v);
    return '?';
  }

  private threadFlag(flag: string, quantifier: 'all' | 'some' | 'none'): string {
    const match = quantifier === 'all' ? 'NOT LIKE' : 'LIKE';
    const exists = `EXISTS (SELECT 1 FROM message t WHERE t.thread_id = ${this.s.thread} AND t.deleted = 0 AND t.flags ${match} ${this.bind(flagPattern(flag))} ESCAPE '!')`;
    return quantifier === 'some' ? exists : `NOT ${exists}`;
  }

  condition(c: EmailCondition): string {
    const s = this.s;
    switch (c.kind) {
      case 'and':
        return c.conditions.length === 0 ? '1' : `(${c.conditions.map((x) => this.condition(x)).join(' AND ')})`;
      case 'or':
        return c.conditions.length === 0 ? '0' : `(${c.conditions.map((x) => this.condition(x)).join(' OR ')})`;
      case 'not':
        return c.conditions.length === 0 ? '1' : `NOT (${c.conditions.map((x) => this.condition(x)).join(' OR ')})`;
      case 'inMailbox':
        return `EXISTS (SELECT 1 FROM message x WHERE x.email_id = ${s.id} AND x.mailbox_id = ${this.bind(c.mailboxId)} AND x.deleted = 0)`;
      case 'inMailboxOtherThan':
        return `EXISTS (SELECT 1 FROM message x WHERE x.email_id = ${s.id} AND x.deleted = 0 AND x.mailbox_id NOT IN (SELECT value FROM json_each(${this.bind(JSON.stringify(c.mailboxIds))})))`;
      case 'receivedBefore':
        return `${s.received} < ${this.bind(c.at)}`;
      case 'receivedAfter':
        return `${s.received} >= ${this.bind(c.at)}`;
      case 'minSize':
        return `${s.size} >= ${this.bind(c.size)}`;
      case 'maxSize':
        return `${s.size} < ${this.bind(c.size)}`;
      case 'hasFlag':
        return `${s.flags} LIKE ${this.bind(flagPattern(c.flag))} ESCAPE '!'`;
      case 'threadFlag':
        return this.threadFlag(c.flag, c.quantifier);
      case 'hasAttachment':
        return `${s.hasAttachment} = ${c.value ? 1 : 0}`;
      case 'fieldContains': {
        this.needsContent = true;
        const col = FIELD_COLUMN[c.field];
        // The SEARCH keys are stored lower-cased (message-keys.ts); the terms come lower-cased.
        return c.terms.length === 0 ? '1' : `(${c.terms.map((t) => `instr(IFNULL(${col}, ''), ${this.bind(t)}) > 0`).join(' AND ')})`;
      }
      case 'textContains':
        this.needsContent = this.needsContentRow = true;
        if (c.terms.length === 0) return '1';
        return `(${c.terms.map((t) => this.textTerm(t)).join(' AND ')})`;
      case 'emailIds':
        return `${s.id} IN (SELECT value FROM json_each(${this.bind(JSON.stringify(c.ids))}))`;
    }
  }

  /**
   * One search term. An ASCII term with words in it is looked up in the word index (each of its
   * words, the last as a prefix: the term matches from the start of a word) and then checked as
   * a substring with LIKE, which folds ASCII case in C. Other terms (no words, or non-ASCII:
   * scripts written without spaces need substrings) are a substring test on every candidate,
   * with Unicode case folding in a function.
   */
  private textTerm(term: string): string {
    if (!ASCII.test(term)) return `mail_icontains(c.search_text, ${this.bind(term)})`;
    const match = wordMatch(term);
    // Parameters bind in the order their placeholders appear.
    const indexed = match === null ? '' : `${this.s.id} IN (SELECT rowid FROM email_search WHERE email_search MATCH ${this.bind(match)}) AND `;
    return `(${indexed}IFNULL(c.search_text, '') LIKE ${this.bind(likeContains(term))} ESCAPE '!')`;
  }

  sortKey(k: EmailSortKey): string {
    const s = this.s;
    const dir = k.ascending ? 'ASC' : 'DESC';
    switch (k.key) {
      case 'receivedAt':
        return `${s.received} ${dir}`;
      case 'size':
        return `${s.size} ${dir}`;
      case 'sentAt':
        // RFC 5256 §2.2's rule: without a usable Date: header the received date stands in.
        if (!s.sortKeys) this.needsContent = true;
        return `COALESCE(${s.sortKeys?.sentDate ?? 'c.sent_date'}, ${s.received}) ${dir}`;
      case 'subject':
      case 'from':
      case 'to': {
        const col = s.sortKeys ? s.sortKeys[k.key] : SORT_COLUMN[k.key];
        if (!s.sortKeys) this.needsContent = true;
        // The columns are i;ascii-casemap keys already (message-keys.ts); i;unicode-casemap and
        // i;ascii-numeric are computed from them (ASCII case is all casemap changed), i;octet
        // needs the value as written.
        if (k.collation === 'i;ascii-casemap') return `${col} ${dir}`;
        if (k.collation === 'i;octet') {
          this.needsContent = this.needsContentRow = true;
          return `mail_raw_sort_key(c.summary, ${this.bind(k.key)}) ${dir}`;
        }
        return `mail_collation_key(${this.bind(k.collation)}, ${col}) ${dir}`;
      }
      case 'hasFlag':
        return `(${s.flags} LIKE ${this.bind(flagPattern(k.flag))} ESCAPE '!') ${dir}`;
      case 'someInThreadHaveFlag':
        return `${this.threadFlag(k.flag, 'some')} ${dir}`;
      case 'allInThreadHaveFlag':
        return `${this.threadFlag(k.flag, 'all')} ${dir}`;
    }
  }
}

/** The top-level inMailbox condition (alone or inside a top-level AND), which picks the mailbox source. */
function topMailbox(filter: EmailCondition | null): { mailboxId: number; rest: EmailCondition | null } | null {
  if (!filter) return null;
  if (filter.kind === 'inMailbox') return { mailboxId: filter.mailboxId, rest: null };
  if (filter.kind !== 'and') return null;
  const i = filter.conditions.findIndex((c) => c.kind === 'inMailbox');
  if (i < 0) return null;
  const rest = filter.conditions.filter((_, j) => j !== i);
  return { mailboxId: (filter.conditions[i] as { mailboxId: number }).mailboxId, rest: rest.length ? { kind: 'and', conditions: rest } : null };
}

/**
 * The join to the blob's keys. When only the keys are read, through the index that holds them
 * (migration 13): in the row they come after the summary and search text, behind overflow pages.
 */
function contentJoin(s: Source, needed: boolean, wholeRow: boolean): string {
  if (!needed) return '';
  return ` JOIN message_content c${wholeRow ? '' : ' INDEXED BY message_content_keys'} ON c.blob_id = ${s.blob}`;
}

function prepare(db: Db, sql: string): StatementSync {
  const st = db.sqlite.prepare(sql);
  st.setReturnArrays(true);
  return st;
}

function runQuery(db: Db, accountId: number, q: EmailQuery): EmailQueryResult {
  const empty: EmailQueryResult = { emailIds: [], threadIds: [], position: 0, total: q.calculateTotal ? 0 : null, anchorFound: false };
  const top = topMailbox(q.filter);
  let source: Source;
  let filter = q.filter;
  if (top) {
    // Another account's mailbox holds nothing for this one.
    if (!db.get('SELECT 1 AS x FROM mailbox WHERE id = ? AND account_id = ?', top.mailboxId, accountId)) return empty;
    source = mailboxSource(top.mailboxId);
    filter = top.rest;
  } else {
    const match = requiredWordMatch(q.filter);
    const hits = match === null ? null : (db.get<{ n: number }>('SELECT COUNT(*) AS n FROM (SELECT 1 FROM email_search WHERE email_search MATCH ? LIMIT ?)', match, DRIVE_FROM_HITS_BELOW)?.n ?? 0);
    source = match !== null && hits !== null && hits < DRIVE_FROM_HITS_BELOW ? hitsSource(accountId, match) : accountSource(accountId);
  }
  const where = new SqlBuilder(source);
  const filterSql = filter ? where.condition(filter) : '1';
  const order = new SqlBuilder(source);
  const keys = q.sort.map((k) => order.sortKey(k));
  // Ties: receivedAt newest first, then the Email id in receivedAt's direction (stable across calls).
  const received = q.sort.find((k) => k.key === 'receivedAt');
  if (!received) keys.push(`${source.received} DESC`);
  keys.push(`${source.id} ${received?.ascending ? 'ASC' : 'DESC'}`);
  const join = contentJoin(source, where.needsContent || order.needsContent, where.needsContentRow || order.needsContentRow);
  const countJoin = contentJoin(source, where.needsContent, where.needsContentRow);
  const base = `FROM ${source.from}${join} WHERE ${source.where} AND ${filterSql}`;
  const select = `SELECT ${source.id}, ${source.thread} ${base} ORDER BY ${keys.join(', ')}`;
  const selectParams = [...source.params, ...where.params, ...order.params];

  let total: number | null = null;
  const count = (): number => {
    if (total !== null) return total;
    if (top && !filter && !q.collapseThreads) {
      const r = db.get<{ n: number }>('SELECT message_count - deleted_count AS n FROM mailbox WHERE id = ?', top.mailboxId);
      return (total = r?.n ?? 0);
    }
    const what = q.collapseThreads ? `COUNT(DISTINCT ${source.thread})` : 'COUNT(*)';
    const r = prepare(db, `SELECT ${what} FROM ${source.from}${countJoin} WHERE ${source.where} AND ${filterSql}`).get(...source.params, ...where.params) as unknown as [number];
    return (total = r[0]);
  };

  const limit = q.limit ?? Number.MAX_SAFE_INTEGER;
  const emailIds: number[] = [];
  const threadIds: number[] = [];
  let position: number;
  let anchorFound = true;
  if (q.anchor === null) {
    position = q.position >= 0 ? q.position : Math.max(0, count() + q.position);
    if (!q.collapseThreads) {
      const rows = prepare(db, `${select} LIMIT ? OFFSET ?`).all(...selectParams, q.limit ?? -1, position) as unknown as [number, number][];
      for (const [id, thread] of rows) {
        emailIds.push(id);
        threadIds.push(thread);
      }
    } else if (limit > 0) {
      const seen = new Set<number>();
      let index = 0;
      for (const row of prepare(db, select).iterate(...selectParams) as unknown as Iterable<[number, number]>) {
        if (seen.has(row[1])) continue;
        seen.add(row[1]);
        if (index++ < position) continue;
        emailIds.push(row[0]);
        threadIds.push(row[1]);
        if (emailIds.length >= limit) break;
      }
    }
  } else {
    // The anchor's index is only known by walking the sorted results up to it.
    const seen = new Set<number>();
    const ids: number[] = [];
    const threads: number[] = [];
    let anchorIndex = -1;
    let start = 0;
    for (const row of prepare(db, select).iterate(...selectParams) as unknown as Iterable<[number, number]>) {
      if (q.collapseThreads) {
        if (seen.has(row[1])) continue;
        seen.add(row[1]);
      }
      ids.push(row[0]);
      threads.push(row[1]);
      if (anchorIndex < 0 && row[0] === q.anchor) {
        anchorIndex = ids.length - 1;
        start = Math.max(0, anchorIndex + q.anchorOffset);
      }
      if (anchorIndex >= 0 && ids.length >= start + limit) break;
    }
    anchorFound = anchorIndex >= 0;
    position = anchorFound ? start : 0;
    if (anchorFound) {
      emailIds.push(...ids.slice(start, start + limit));
      threadIds.push(...threads.slice(start, start + limit));
    }
  }
  return { emailIds, threadIds, position, total: q.calculateTotal ? count() : total, anchorFound };
}

/** SQL functions the queries call: Unicode case-insensitive containment and the collation keys. */
function registerFunctions(db: Db): void {
  db.sqlite.function('mail_icontains', { deterministic: true }, (text, term) =>
    typeof text === 'string' && typeof term === 'string' && text.toLowerCase().includes(term) ? 1 : 0,
  );
  db.sqlite.function('mail_collation_key', { deterministic: true }, (collation, value) => collationKey(String(collation), typeof value === 'string' ? value : ''));
  db.sqlite.function('mail_raw_sort_key', { deterministic: true }, (summary, key) => {
    if (typeof summary !== 'string') return '';
    return rawSortKey(JSON.parse(summary) as MessageSummary, String(key));
  });
}

export function emailQueryOps(db: Db): Pick<MailStore, 'queryEmails' | 'getEmailSearchTexts'> {
  registerFunctions(db);
  return {
    queryEmails: (accountId, query) => db.read(() => runQuery(db, accountId, query)),

    getEmailSearchTexts: async (accountId, ids) => {
      const list = checkUids(ids, 'email id');
      return db.read(() =>
        db
          .all<{ id: number; blob_id: string; summary: string; search_text: string | null }>(
            `SELECT e.id, e.blob_id, c.summary, c.search_text FROM email e JOIN message_content c USING (blob_id)
             WHERE +e.account_id = ? AND e.id IN (SELECT value FROM json_each(?))
               AND EXISTS (SELECT 1 FROM message v WHERE v.email_id = e.id AND v.deleted = 0)`,
            accountId, list,
          )
          .map((r) => ({ id: r.id, blobId: r.blob_id, summary: JSON.parse(r.summary) as MessageSummary, text: r.search_text ?? '' })),
      );
    },
  };
}
