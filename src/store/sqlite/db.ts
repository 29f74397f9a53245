// The SQLite connection, its statement cache and the write path.
//
// Implementation notes:
// - Every mutation runs inside BEGIN IMMEDIATE … COMMIT (the write lock is taken up front, so a
//   second process — the CLI while the server runs — makes it wait instead of failing half-way).
//   SQLite's own busy wait blocks the thread, i.e. every session of the server: it is kept to a
//   few milliseconds, and a batch that still finds the lock taken is retried from a timer until
//   busyTimeoutMs has passed (then UNAVAILABLE). synchronous=FULL: COMMIT returns only after the
//   WAL is fsynced.
// - Group commit: mutations requested in the same turn of the event loop share one transaction;
//   each runs in its own SAVEPOINT, so one failing (OVER_QUOTA, NOT_FOUND) rolls back alone. No
//   promise resolves and no ChangeEvent is published before the COMMIT that made its mutation
//   durable; if the COMMIT fails, every mutation of the batch fails.
// - One mutation = one new account modseq (allocated lazily on its first change row), every
//   touched message and mailbox gets it, and after the commit exactly one ChangeEvent is published.
// - Nothing about accounts is cached in memory: another process may add or change them.

import { DatabaseSync, type StatementSync, type SQLInputValue } from 'node:sqlite';
import { StoreError } from '../types.ts';
import type { AccountId, ChangeBus, ChangeEvent, ChangeKind, EmailId, MailboxId, MessageId, ThreadId } from '../types.ts';
import { migrate } from './migrations.ts';
import { FlagLists } from './rows.ts';
import { isTemporary, primaryCode, SQLITE_CONSTRAINT, SYNC_BUSY_WAIT_MS, WriteLock } from './write-lock.ts';

const MAX_BATCH = 256;
export function translateError(err: unknown): unknown {
  if (err instanceof StoreError) return err;
  const code = (err as { errcode?: number }).errcode;
  if (typeof code === 'number') {
    const primary = primaryCode(err);
    if (isTemporary(err)) {
      return new StoreError('UNAVAILABLE', `database temporarily unavailable: ${(err as Error).message}`);
    }
    if (primary === SQLITE_CONSTRAINT && /UNIQUE|PRIMARY KEY/.test((err as Error).message)) {
      return new StoreError('ALREADY_EXISTS', (err as Error).message);
    }
    // A row that refers to a parent which is gone (an account removed by the CLI meanwhile).
    if (primary === SQLITE_CONSTRAINT && /FOREIGN KEY/.test((err as Error).message)) {
      return new StoreError('NOT_FOUND', (err as Error).message);
    }
  }
  return err;
}

/** The change-log side of one mutation. */
export class Mutation {
  readonly db: Db;
  readonly accountId: AccountId;
  private modseqValue = 0;
  private readonly kinds = new Set<ChangeKind>();
  private readonly mailboxes = new Set<MailboxId>();
  /** Messages whose earlier change rows this mutation supersedes (see finish()). */
  private readonly reflagged: MessageId[] = [];
  private readonly removed = new Map<MailboxId, MessageId[]>();

  constructor(db: Db, accountId: AccountId) {
    this.db = db;
    this.accountId = accountId;
  }

  /** The modseq of this mutation; the first call bumps the account's counter (RFC 7162 §3.1). */
  modseq(): number {
    if (this.modseqValue === 0) {
      const row = this.db.get<{ modseq: number }>('UPDATE account SET modseq = modseq + 1 WHERE id = ? RETURNING modseq', this.accountId);
      if (!row) throw new StoreError('NOT_FOUND', `no account ${this.accountId}`);
      this.modseqValue = row.modseq;
    }
    return this.modseqValue;
  }

  /** Appends a change-log row and marks the mailbox as touched by this mutation. */
  change(
    kind: ChangeKind,
    mailboxId: MailboxId | null,
    uid: number | null = null,
    messageId: MessageId | null = null,
    emailId: EmailId | null = null,
    threadId: ThreadId | null = null,
  ): void {
    const modseq = this.modseq();
    this.db.run(
      'INSERT INTO change_log (account_id, modseq, kind, mailbox_id, uid, message_id, email_id, thread_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      this.accountId, modseq, kind, mailboxId, uid, messageId, emailId, threadId,
    );
    this.kinds.add(kind);
    if (mailboxId !== null) this.mailboxes.add(mailboxId);
    if (messageId === null || mailboxId === null) return;
    if (kind === 'message-flags') this.reflagged.push(messageId);
    else if (kind === 'message-removed') {
      const list = this.removed.get(mailboxId);
      if (list) list.push(messageId);
      else this.removed.set(mailboxId, [messageId]);
    }
  }

  /** change() for a message row: its Email and thread go into the log with it (JMAP /changes). */
  messageChange(kind: 'message-added' | 'message-flags' | 'message-removed', mailboxId: MailboxId, row: { id: number; uid: number; email_id: number; thread_id: number }): void {
    this.change(kind, mailboxId, row.uid, row.id, row.email_id, row.thread_id);
  }

  /**
   * Keeps the change log from growing with every flag change: a message's newer flags row makes
   * its older ones redundant (a catching-up session reads the current flags anyway), and its
   * removal from a mailbox makes that mailbox's older added/flags rows redundant (a session that
   * never saw the message has nothing to learn; one that did learns of the removal). What stays
   * is one row per message and mailbox, plus the removals QRESYNC reports as VANISHED.
   */
  private supersede(): void {
    if (this.reflagged.length > 0) {
      this.db.run(
        "DELETE FROM change_log WHERE kind = 'message-flags' AND message_id IN (SELECT value FROM json_each(?)) AND modseq < ?",
        JSON.stringify(this.reflagged), this.modseqValue,
      );
    }
    for (const [mailboxId, ids] of this.removed) {
      this.db.run(
        "DELETE FROM change_log WHERE kind IN ('message-added', 'message-flags') AND mailbox_id = ? AND message_id IN (SELECT value FROM json_each(?)) AND modseq < ?",
        mailboxId, JSON.stringify(ids), this.modseqValue,
      );
    }
  }

  /** Raises HIGHESTMODSEQ of every touched mailbox that still exists; returns the event, if any. */
  finish(): ChangeEvent | null {
    if (this.modseqValue === 0) return null;
    this.supersede();
    for (const id of this.mailboxes) {
      this.db.run('UPDATE mailbox SET highest_modseq = ? WHERE id = ?', this.modseqValue, id);
    }
    return { accountId: this.accountId, modseq: this.modseqValue, kinds: [...this.kinds], mailboxIds: [...this.mailboxes] };
  }
}

interface PendingWrite {
  run: () => { value: unknown; event: ChangeEvent | null };
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export interface DbOptions {
  path: string;
  bus: ChangeBus;
  now: () => number;
  busyTimeoutMs: number;
  groupCommit: boolean;
}

export class Db {
  readonly sqlite: DatabaseSync;
  readonly bus: ChangeBus;
  readonly now: () => number;
  private readonly statements = new Map<string, StatementSync>();
  private readonly arrayStatements = new Map<string, StatementSync>();
  /** Parsed flag lists shared by the records this connection reads (rows.ts FlagLists). */
  readonly flagLists = new FlagLists();
  private readonly queue: PendingWrite[] = [];
  private scheduled = false;
  private readonly groupCommit: boolean;
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  private readonly busyTimeoutMs: number;
  private readonly writeLock: WriteLock;

  constructor(opts: DbOptions) {
    this.bus = opts.bus;
    this.now = opts.now;
    this.groupCommit = opts.groupCommit;
    this.busyTimeoutMs = Math.max(0, Math.floor(opts.busyTimeoutMs));
    this.writeLock = new WriteLock(this.busyTimeoutMs);
    this.sqlite = new DatabaseSync(opts.path);
    // Opening may wait the whole timeout (migrations run before anything else is served).
    this.sqlite.exec(`PRAGMA busy_timeout = ${this.busyTimeoutMs}`);
    this.sqlite.exec('PRAGMA journal_mode = WAL');
    // FULL: every COMMIT fsyncs the WAL, so an acknowledged mutation survives power loss.
    this.sqlite.exec('PRAGMA synchronous = FULL');
    this.sqlite.exec('PRAGMA foreign_keys = ON');
    // The WAL file is reused after each checkpoint but never shrinks; cap what stays on disk.
    this.sqlite.exec('PRAGMA journal_size_limit = 67108864');
    // A page cache of 64 MiB instead of SQLite's 2 MB: sorting a 100,000-message mailbox by
    // subject looks up each message's key at random, and with 2 MB nearly every lookup was a
    // read from the OS (1.5 s; bench/jmap-query.ts). Pages are only held once read.
    this.sqlite.exec('PRAGMA cache_size = -65536');
    migrate(this.sqlite, this.now());
    this.sqlite.exec(`PRAGMA busy_timeout = ${Math.min(SYNC_BUSY_WAIT_MS, this.busyTimeoutMs)}`);
  }

  private stmt(sql: string): StatementSync {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.sqlite.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /**
   * Rows as arrays, columns in SELECT order: node:sqlite builds them in about half the time of
   * objects, which shows when a 100,000-message mailbox is listed.
   */
  rows(sql: string, ...params: SQLInputValue[]): unknown[][] {
    let s = this.arrayStatements.get(sql);
    if (!s) {
      s = this.sqlite.prepare(sql);
      s.setReturnArrays(true);
      this.arrayStatements.set(sql, s);
    }
    return s.all(...params) as unknown as unknown[][];
  }

  get<T>(sql: string, ...params: SQLInputValue[]): T | undefined {
    return this.stmt(sql).get(...params) as T | undefined;
  }

  all<T>(sql: string, ...params: SQLInputValue[]): T[] {
    return this.stmt(sql).all(...params) as T[];
  }

  run(sql: string, ...params: SQLInputValue[]): { changes: number; lastInsertRowid: number } {
    const r = this.stmt(sql).run(...params);
    return { changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) };
  }

  /** A read; translated errors, no transaction (each statement sees one committed snapshot). */
  read<T>(fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError('UNAVAILABLE', 'store is closed'));
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(translateError(err));
    }
  }

  /** A mutation without change-log rows (settings, domains, aliases). */
  write<T>(fn: () => T): Promise<T> {
    return this.enqueue(() => ({ value: fn(), event: null }));
  }

  /** A mutation of one account's mail data: fn records its changes on the Mutation. */
  mutate<T>(accountId: AccountId, fn: (m: Mutation) => T): Promise<T> {
    return this.enqueue(() => {
      const m = new Mutation(this, accountId);
      const value = fn(m);
      return { value, event: m.finish() };
    });
  }

  private enqueue<T>(run: PendingWrite['run']): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError('UNAVAILABLE', 'store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate, not a microtask: lets every request that arrived in this turn of the
        // event loop join the batch.
        if (this.groupCommit) setImmediate(() => this.flush());
        else queueMicrotask(() => this.flush());
      }
    });
  }

  /** Takes the write lock (write-lock.ts); on 'retry' the batch stays queued for the next attempt. */
  private begin(): 'ok' | 'retry' | { error: unknown } {
    const r = this.writeLock.begin(this.sqlite, () => this.flush());
    if (r === 'retry') this.scheduled = true;
    return r === 'ok' || r === 'retry' ? r : { error: translateError(r.error) };
  }

  private flush(): void {
    this.scheduled = false;
    if (this.closed) return;
    const begun = this.begin();
    if (begun === 'retry') return;
    const batch = this.queue.splice(0, this.groupCommit ? MAX_BATCH : 1);
    const outcomes: ({ ok: true; value: unknown; event: ChangeEvent | null } | { ok: false; error: unknown })[] = [];
    let commitError: unknown = begun === 'ok' ? null : begun.error;
    if (commitError === null) {
      for (const w of batch) {
        try {
          this.sqlite.exec('SAVEPOINT w');
        } catch (err) {
          // Cannot even open a savepoint (I/O error): the whole batch fails, nothing is committed.
          commitError = translateError(err);
          break;
        }
        try {
          const r = w.run();
          this.sqlite.exec('RELEASE w');
          outcomes.push({ ok: true, value: r.value, event: r.event });
        } catch (err) {
          try {
            this.sqlite.exec('ROLLBACK TO w');
            this.sqlite.exec('RELEASE w');
          } catch (rollbackErr) {
            commitError = translateError(rollbackErr);
          }
          outcomes.push({ ok: false, error: translateError(err) });
          if (commitError !== null) break;
        }
      }
      if (commitError === null) {
        try {
          this.sqlite.exec('COMMIT');
        } catch (err) {
          commitError = translateError(err);
        }
      }
      if (commitError !== null && this.sqlite.isTransaction) {
        try {
          this.sqlite.exec('ROLLBACK');
        } catch {
          // The connection rolls back by itself when ROLLBACK is impossible (e.g. I/O error).
        }
      }
    }
    if (this.queue.length > 0) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    batch.forEach((w, i) => {
      const o = outcomes[i];
      if (commitError !== null) {
        w.reject(o && !o.ok ? o.error : commitError);
      } else if (o.ok) {
        if (o.event) this.publish(o.event);
        w.resolve(o.value);
      } else {
        w.reject(o.error);
      }
    });
    if (this.queue.length === 0 && !this.scheduled) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of waiters) f();
    }
  }

  private publish(event: ChangeEvent): void {
    try {
      this.bus.publish(event);
    } catch {
      // A failing bus must not turn a committed mutation into an error: listeners re-read
      // changesSince() anyway, so a lost event only delays an update.
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.queue.length > 0 || this.scheduled) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
    this.closed = true;
    this.statements.clear();
    this.arrayStatements.clear();
    this.sqlite.close();
  }
}
