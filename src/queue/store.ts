// Persistence of the outbound queue (DESIGN.md §3 `queue`), behind `QueueStore` so a PostgreSQL
// implementation (claiming with FOR UPDATE SKIP LOCKED) can follow. The embedded one is its own
// SQLite file, <dataDir>/queue.db, with the message bodies inside it: a queued message never
// depends on the blob store, so blob garbage collection (which only knows mailbox references)
// cannot remove a body that is still waiting for delivery.
//
// Implementation notes:
// - WAL with synchronous=FULL: enqueue() resolves only after its COMMIT is fsynced, so the 250
//   reply that follows it never promises a message that a crash could lose.
// - One row per message, one per recipient. Recipients are scheduled individually (a domain may
//   accept one and defer another); the runner groups the due ones by message and domain.
// - A message row is removed when none of its recipients is pending any more.

import { DatabaseSync } from 'node:sqlite';

export type RecipientState = 'pending' | 'delivered' | 'failed';

export interface QueuedRecipient {
  id: number;
  messageId: number;
  address: string;
  domain: string;
  state: RecipientState;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  /** Enhanced status code of the last failure (RFC 3463), for the DSN. */
  lastStatus: string | null;
  /** The host that gave the last answer, for the DSN's Remote-MTA. */
  lastRemote: string | null;
  delayNotified: boolean;
}

export interface QueuedMessage {
  id: number;
  /** '' is the null reverse-path <>: never bounced to. */
  sender: string;
  createdAt: number;
  size: number;
  /** True for a DSN we generated: its failure is logged, never bounced again. */
  isBounce: boolean;
}

export interface QueueListing extends QueuedMessage {
  recipients: QueuedRecipient[];
}

export interface EnqueueInput {
  sender: string;
  recipients: string[];
  body: Uint8Array;
  isBounce?: boolean;
  now?: number;
}

export interface AttemptOutcome {
  recipientId: number;
  state: RecipientState;
  nextAttemptAt?: number;
  error?: string | null;
  status?: string | null;
  remote?: string | null;
  delayNotified?: boolean;
}

export interface QueueStore {
  enqueue(input: EnqueueInput): Promise<number>;
  /** Pending recipients due at `now`, oldest first, at most `limit`. */
  due(now: number, limit: number): Promise<QueuedRecipient[]>;
  /** Earliest next attempt of any pending recipient, or null when the queue is empty. */
  nextDue(): Promise<number | null>;
  getMessage(id: number): Promise<QueuedMessage | null>;
  getBody(id: number): Promise<Buffer>;
  recordAttempts(outcomes: AttemptOutcome[]): Promise<void>;
  list(): Promise<QueueListing[]>;
  /** Makes pending recipients due now: all, or those of one message. Returns how many. */
  retry(messageId: number | null, now?: number): Promise<number>;
  /** Removes a message and its recipients without bouncing. Returns true when it existed. */
  drop(messageId: number): Promise<boolean>;
  close(): Promise<void>;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS queue_message (
  id INTEGER PRIMARY KEY,
  sender TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  size INTEGER NOT NULL,
  is_bounce INTEGER NOT NULL DEFAULT 0,
  body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS queue_recipient (
  id INTEGER PRIMARY KEY,
  message_id INTEGER NOT NULL REFERENCES queue_message(id) ON DELETE CASCADE,
  address TEXT NOT NULL,
  domain TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  last_status TEXT,
  last_remote TEXT,
  delay_notified INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS queue_recipient_due ON queue_recipient(state, next_attempt_at);
CREATE INDEX IF NOT EXISTS queue_recipient_message ON queue_recipient(message_id);
`;

interface RecipientRow {
  id: number;
  message_id: number;
  address: string;
  domain: string;
  state: RecipientState;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  last_status: string | null;
  last_remote: string | null;
  delay_notified: number;
}

interface MessageRow {
  id: number;
  sender: string;
  created_at: number;
  size: number;
  is_bounce: number;
}

function recipientFromRow(r: RecipientRow): QueuedRecipient {
  return {
    id: r.id,
    messageId: r.message_id,
    address: r.address,
    domain: r.domain,
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    lastStatus: r.last_status,
    lastRemote: r.last_remote,
    delayNotified: r.delay_notified === 1,
  };
}

function messageFromRow(m: MessageRow): QueuedMessage {
  return { id: m.id, sender: m.sender, createdAt: m.created_at, size: m.size, isBounce: m.is_bounce === 1 };
}

export class SqliteQueueStore implements QueueStore {
  private readonly db: DatabaseSync;

  constructor(path: string) {
    this.db = new DatabaseSync(path);
    this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;');
    this.db.exec(SCHEMA);
  }

  private transaction<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.db.exec('COMMIT');
      return result;
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  async enqueue(input: EnqueueInput): Promise<number> {
    const now = input.now ?? Date.now();
    return this.transaction(() => {
      const row = this.db
        .prepare('INSERT INTO queue_message (sender, created_at, size, is_bounce, body) VALUES (?, ?, ?, ?, ?) RETURNING id')
        .get(input.sender, now, input.body.byteLength, input.isBounce ? 1 : 0, input.body) as { id: number };
      const insert = this.db.prepare('INSERT INTO queue_recipient (message_id, address, domain, next_attempt_at) VALUES (?, ?, ?, ?)');
      for (const address of new Set(input.recipients)) {
        insert.run(row.id, address, address.slice(address.lastIndexOf('@') + 1).toLowerCase(), now);
      }
      return row.id;
    });
  }

  async due(now: number, limit: number): Promise<QueuedRecipient[]> {
    const rows = this.db
      .prepare("SELECT * FROM queue_recipient WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?")
      .all(now, limit) as unknown as RecipientRow[];
    return rows.map(recipientFromRow);
  }

  async nextDue(): Promise<number | null> {
    const row = this.db.prepare("SELECT MIN(next_attempt_at) AS t FROM queue_recipient WHERE state = 'pending'").get() as { t: number | null };
    return row.t;
  }

  async getMessage(id: number): Promise<QueuedMessage | null> {
    const row = this.db.prepare('SELECT id, sender, created_at, size, is_bounce FROM queue_message WHERE id = ?').get(id) as MessageRow | undefined;
    return row ? messageFromRow(row) : null;
  }

  async getBody(id: number): Promise<Buffer> {
    const row = this.db.prepare('SELECT body FROM queue_message WHERE id = ?').get(id) as { body: Uint8Array } | undefined;
    if (!row) throw new Error(`queue message ${id} is gone`);
    return Buffer.from(row.body);
  }

  async recordAttempts(outcomes: AttemptOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    this.transaction(() => {
      const update = this.db.prepare(
        `UPDATE queue_recipient SET state = ?, attempts = attempts + 1, next_attempt_at = COALESCE(?, next_attempt_at),
           last_error = ?, last_status = ?, last_remote = ?, delay_notified = MAX(delay_notified, ?) WHERE id = ? RETURNING message_id`,
      );
      const messages = new Set<number>();
      for (const o of outcomes) {
        const row = update.get(o.state, o.nextAttemptAt ?? null, o.error ?? null, o.status ?? null, o.remote ?? null, o.delayNotified ? 1 : 0, o.recipientId) as
          | { message_id: number }
          | undefined;
        if (row) messages.add(row.message_id);
      }
      // A message with nothing left to deliver leaves the queue (its DSN, if any, is already queued).
      const cleanup = this.db.prepare("DELETE FROM queue_message WHERE id = ? AND NOT EXISTS (SELECT 1 FROM queue_recipient WHERE message_id = ? AND state = 'pending')");
      for (const id of messages) cleanup.run(id, id);
    });
  }

  async list(): Promise<QueueListing[]> {
    const messages = this.db.prepare('SELECT id, sender, created_at, size, is_bounce FROM queue_message ORDER BY id').all() as unknown as MessageRow[];
    const recipients = this.db.prepare('SELECT * FROM queue_recipient ORDER BY message_id, id').all() as unknown as RecipientRow[];
    const byMessage = new Map<number, QueuedRecipient[]>();
    for (const r of recipients) {
      const list = byMessage.get(r.message_id) ?? [];
      list.push(recipientFromRow(r));
      byMessage.set(r.message_id, list);
    }
    return messages.map((m) => ({ ...messageFromRow(m), recipients: byMessage.get(m.id) ?? [] }));
  }

  async retry(messageId: number | null, now = Date.now()): Promise<number> {
    const result = messageId === null
      ? this.db.prepare("UPDATE queue_recipient SET next_attempt_at = ? WHERE state = 'pending'").run(now)
      : this.db.prepare("UPDATE queue_recipient SET next_attempt_at = ? WHERE state = 'pending' AND message_id = ?").run(now, messageId);
    return Number(result.changes);
  }

  async drop(messageId: number): Promise<boolean> {
    const result = this.db.prepare('DELETE FROM queue_message WHERE id = ?').run(messageId);
    return Number(result.changes) > 0;
  }

  async close(): Promise<void> {
    if (this.db.isOpen) this.db.close();
  }
}
