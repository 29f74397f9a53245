// Thread ids at ingest (RFC 8621 §3: every Email belongs to exactly one Thread).
//
// Rules, as the large servers apply them (Cyrus's conversations, Gmail, Fastmail): a message
// joins the thread of any earlier message it names — its own Message-ID, In-Reply-To and
// References (RFC 5322 §3.6.4) — provided the base subjects agree (RFC 5256 §2.1, compared
// without case): a reply whose subject was changed starts a conversation of its own, and so a
// mailing-list digest that quotes a hundred Message-IDs cannot glue unrelated threads together.
// Where several earlier threads qualify, the oldest wins. Threads are never merged or split
// afterwards, so a thread id, once given, stays the Email's for good (JMAP clients cache them).
//
// thread_key maps every Message-ID seen in an account (as a message's own id or as one it
// refers to) to the thread that first registered it; first registration wins.

import type { MessageSummary } from '../../wire/mime/types.ts';
import type { SQLInputValue } from 'node:sqlite';

/** What thread assignment needs of a connection: Db, or a migration's adapter over DatabaseSync. */
export interface SqlRunner {
  get<T>(sql: string, ...params: SQLInputValue[]): T | undefined;
  run(sql: string, ...params: SQLInputValue[]): { lastInsertRowid: number };
}

/** At most this many identifiers of one message are looked up: its own, In-Reply-To, and the newest References. */
const MAX_KEYS = 32;
const MAX_KEY_LENGTH = 998; // RFC 5322 §2.1.1 line limit: no real Message-ID is longer

export function threadKeys(summary: MessageSummary): string[] {
  const keys: string[] = [];
  const add = (id: string | null | undefined): void => {
    if (!id || id.length > MAX_KEY_LENGTH || keys.includes(id) || keys.length >= MAX_KEYS) return;
    keys.push(id);
  };
  add(summary.messageId);
  for (const id of summary.inReplyTo ?? []) add(id);
  const refs = summary.references ?? [];
  for (let i = refs.length - 1; i >= 0; i--) add(refs[i]);
  return keys;
}

export function threadSubject(summary: MessageSummary): string {
  return (summary.baseSubject ?? '').toLowerCase();
}

/** The thread of a new Email of the account, made when none fits; registers the message's keys. */
/** `?, ?, …` for n parameters: a list of a few keys costs less bound one by one than parsed by json_each. */
function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/** The thread of a new Email of the account, made when none fits; registers the message's keys. */
export function assignThread(db: SqlRunner, accountId: number, summary: MessageSummary, modseq: number): number {
  const keys = threadKeys(summary);
  const subject = threadSubject(summary);
  let threadId: number | null = null;
  if (keys.length > 0) {
    const row = db.get<{ id: number }>(
      `SELECT t.id FROM thread_key k JOIN thread t ON t.id = k.thread_id
       WHERE k.account_id = ? AND k.message_id IN (${placeholders(keys.length)}) AND t.base_subject = ?
       ORDER BY t.id LIMIT 1`,
      accountId, ...keys, subject,
    );
    if (row) threadId = row.id;
  }
  threadId ??= db.run('INSERT INTO thread (account_id, base_subject, created_modseq) VALUES (?, ?, ?)', accountId, subject, modseq).lastInsertRowid;
  if (keys.length > 0) {
    db.run(
      `INSERT OR IGNORE INTO thread_key (account_id, message_id, thread_id) VALUES ${keys.map(() => '(?, ?, ?)').join(', ')}`,
      ...keys.flatMap((key) => [accountId, key, threadId]),
    );
  }
  return threadId;
}
