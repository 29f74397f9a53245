// Small message bodies as rows of a SQLite database of their own (<dataDir>/blobs/blobs.db),
// content-addressed by SHA-256 (DESIGN.md §3). The shape and the measurement behind it are in
// blob-tiered.ts; this module is the table and its write path.
//
// Implementation notes:
// - Group commit, as the mail database does (sqlite/db.ts): writes requested in the same turn of
//   the event loop share one transaction, so one WAL fsync makes a whole batch durable. If the
//   COMMIT fails, every write of the batch fails (nothing of it is stored: it rolls back).
// - The WAL fsync runs on the thread pool, not inside COMMIT: synchronous=NORMAL (COMMIT only
//   writes the WAL frames; checkpoints still fsync the WAL before copying it and the database
//   file after), then fsync(2) of the -wal file, the same fsync synchronous=FULL would do
//   inline, and only then do the batch's writes resolve. Batches committed while one fsync runs
//   share the next. A crash before that fsync loses only writes that had not resolved; an fsync
//   that fails fails them (UNAVAILABLE). The main thread is the CPU of every session: in the
//   SMTP ingest profile an inline WAL fsync was 7% of it, waiting.
// - Two puts of the same content in one batch write one row; both resolve with the same id.
// - A put of content that is stored already writes no content but advances the row's mtime
//   (never backwards, always by at least 1 ms): GC spares young blobs, and its final delete
//   only removes a row whose mtime it has seen unchanged (deleteUnless), so a put that lands
//   while GC runs always wins.
// - A database of its own, not tables in posthorn.db: the bodies' WAL traffic and checkpoints
//   stay out of the mail database's write lock, and the schema there is not touched.
// - Reads are synchronous statements, like every read of the mail database.
// - Another process (the CLI) may hold the write lock: SQLite's blocking busy wait is kept to a
//   few milliseconds, and a batch that still finds the lock taken is retried from a timer.

import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { closeSync, fsync, openSync } from 'node:fs';
import { StoreError } from './types.ts';
import { isTemporary, SYNC_BUSY_WAIT_MS, WriteLock } from './sqlite/write-lock.ts';

const MAX_BATCH_ITEMS = 512;
/** Bytes of content per transaction; a larger batch is split (bounds the WAL and the stall). */
const MAX_BATCH_BYTES = 16 * 1024 * 1024;
const SCHEMA_VERSION = 1;

function translate(err: unknown): unknown {
  if (err instanceof StoreError) return err;
  const errno = (err as NodeJS.ErrnoException | null)?.code;
  if (errno === 'ENOSPC' || errno === 'EDQUOT' || errno === 'EIO' || errno === 'EMFILE' || errno === 'ENFILE') {
    return new StoreError('UNAVAILABLE', `blob store temporarily unavailable: ${errno}`);
  }
  if (isTemporary(err)) return new StoreError('UNAVAILABLE', `blob store temporarily unavailable: ${(err as Error).message}`);
  return err;
}

interface Waiter {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

interface PendingWrite {
  /** Set on a put: the id other puts of the same content join while it is queued. */
  putId?: string;
  /** Runs inside the batch's transaction; its value resolves the waiters after COMMIT. */
  run: () => unknown;
  bytes: number;
  waiters: Waiter[];
}

/** What the table has done to make writes durable (counted, for tests and benchmarks). */
export interface TableSyncStats {
  /** Transactions committed. */
  commits: number;
  /** fsyncs of the WAL that made commits durable (one may cover several commits). */
  walSyncs: number;
  /** Rows whose content was written. */
  rowsWritten: number;
}

export class BlobTable {
  readonly path: string;
  private readonly db: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();
  private readonly queue: PendingWrite[] = [];
  /** Puts waiting in the queue, by id: a second put of the same content joins the first. */
  private readonly queuedPuts = new Map<string, PendingWrite>();
  private scheduled = false;
  private closed = false;
  private readonly busyTimeoutMs: number;
  private readonly writeLock: WriteLock;
  private idleWaiters: (() => void)[] = [];
  readonly stats: TableSyncStats = { commits: 0, walSyncs: 0, rowsWritten: 0 };
  /** Committed writes waiting for the next WAL fsync. */
  private unsynced: { waiters: Waiter[]; value: unknown }[] = [];
  private syncing = false;
  private walFd: number | null = null;
  /** Rows inserted by the batch being written (counted once it commits). */
  private batchRows = 0;

  constructor(path: string, opts: { busyTimeoutMs?: number } = {}) {
    this.path = path;
    this.busyTimeoutMs = Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000));
    this.writeLock = new WriteLock(this.busyTimeoutMs);
    this.db = new DatabaseSync(path);
    this.db.exec(`PRAGMA busy_timeout = ${this.busyTimeoutMs}`);
    this.db.exec('PRAGMA journal_mode = WAL');
    // NORMAL: COMMIT writes the WAL without fsync; syncWal() fsyncs it before anything resolves.
    this.db.exec('PRAGMA synchronous = NORMAL');
    this.db.exec('PRAGMA journal_size_limit = 67108864');
    const version = (this.db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
    if (version > SCHEMA_VERSION) throw new StoreError('UNAVAILABLE', `${path} has blob schema ${version}, newer than this server (${SCHEMA_VERSION})`);
    if (version < SCHEMA_VERSION) {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        this.db.exec('CREATE TABLE IF NOT EXISTS blob (id TEXT PRIMARY KEY NOT NULL, mtime INTEGER NOT NULL, content BLOB NOT NULL)');
        this.db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
        this.db.exec('COMMIT');
      } catch (err) {
        this.db.exec('ROLLBACK');
        throw translate(err);
      }
    }
    this.db.exec(`PRAGMA busy_timeout = ${Math.min(SYNC_BUSY_WAIT_MS, this.busyTimeoutMs)}`);
  }

  private stmt(sql: string): StatementSync {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private readRow<T>(sql: string, ...params: (string | number)[]): T | undefined {
    if (this.closed) throw new StoreError('UNAVAILABLE', 'blob store is closed');
    try {
      return this.stmt(sql).get(...params) as T | undefined;
    } catch (err) {
      throw translate(err);
    }
  }

  /** The whole content, or null when the table has no such blob. */
  get(id: string): Buffer | null {
    const row = this.readRow<{ content: Uint8Array }>('SELECT content FROM blob WHERE id = ?', id);
    return row ? asBuffer(row.content) : null;
  }

  /** Bytes [start, end) (SQLite's substr counts bytes of a BLOB, from 1), or null when absent. */
  read(id: string, start: number, end: number): Buffer | null {
    const row = this.readRow<{ part: Uint8Array }>('SELECT substr(content, ?, ?) AS part FROM blob WHERE id = ?', start + 1, end - start, id);
    return row ? asBuffer(row.part ?? new Uint8Array(0)) : null;
  }

  has(id: string): boolean {
    return this.readRow('SELECT 1 AS x FROM blob WHERE id = ?', id) !== undefined;
  }

  mtimeOf(id: string): number | null {
    return this.readRow<{ mtime: number }>('SELECT mtime FROM blob WHERE id = ?', id)?.mtime ?? null;
  }

  /** Durable before it resolves (see the notes: group commit, dedup inside a batch). */
  put(id: string, content: Uint8Array, now: number): Promise<void> {
    const queued = this.queuedPuts.get(id);
    if (queued) {
      return new Promise<void>((resolve, reject) => queued.waiters.push({ resolve: resolve as (v: unknown) => void, reject }));
    }
    const write: PendingWrite = {
      putId: id,
      bytes: content.byteLength,
      waiters: [],
      run: () => {
        const advanced = this.stmt('UPDATE blob SET mtime = max(?, mtime + 1) WHERE id = ?').run(now, id);
        if (Number(advanced.changes) > 0) return undefined;
        this.stmt('INSERT INTO blob (id, mtime, content) VALUES (?, ?, ?)').run(id, now, content);
        this.batchRows++;
        return undefined;
      },
    };
    this.queuedPuts.set(id, write);
    return this.enqueue<void>(write);
  }

  /** Deletes the row when it is there (no re-check: see deleteUnless for GC). */
  delete(id: string): Promise<void> {
    return this.enqueue<void>({ bytes: 0, waiters: [], run: () => void this.stmt('DELETE FROM blob WHERE id = ?').run(id) });
  }

  /**
   * Deletes a blob unless `keep(mtime)` says otherwise. The delete only removes the row if its
   * mtime is still the one `keep` saw: a put of the same content since then advanced it, and
   * a put after the delete writes the row again. Returns whether it was deleted.
   */
  async deleteUnless(id: string, keep: (mtimeMs: number) => Promise<boolean>): Promise<boolean> {
    const mtime = this.mtimeOf(id);
    if (mtime === null || (await keep(mtime))) return false;
    return this.enqueue<boolean>({
      bytes: 0,
      waiters: [],
      run: () => Number(this.stmt('DELETE FROM blob WHERE id = ? AND mtime = ?').run(id, mtime).changes) > 0,
    });
  }

  /** Every row's id and mtime, read in pages by id (no statement stays open across writes). */
  async *list(): AsyncIterable<{ id: string; mtimeMs: number }> {
    let after = '';
    for (;;) {
      const rows = (() => {
        if (this.closed) throw new StoreError('UNAVAILABLE', 'blob store is closed');
        return this.stmt('SELECT id, mtime FROM blob WHERE id > ? ORDER BY id LIMIT 1000').all(after) as { id: string; mtime: number }[];
      })();
      for (const r of rows) yield { id: r.id, mtimeMs: r.mtime };
      if (rows.length < 1000) return;
      after = rows[rows.length - 1].id;
    }
  }

  private enqueue<T>(write: PendingWrite): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError('UNAVAILABLE', 'blob store is closed'));
    return new Promise<T>((resolve, reject) => {
      write.waiters.push({ resolve: resolve as (v: unknown) => void, reject });
      this.queue.push(write);
      if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate, not a microtask: every put of this turn of the event loop joins the batch.
        setImmediate(() => this.flush());
      }
    });
  }

  /** BEGIN IMMEDIATE (sqlite/write-lock.ts), or 'retry' (scheduled) while another process holds the lock, or the error. */
  private begin(): 'ok' | 'retry' | { error: unknown } {
    const r = this.writeLock.begin(this.db, () => this.flush());
    if (r === 'retry') this.scheduled = true;
    return r === 'ok' || r === 'retry' ? r : { error: translate(r.error) };
  }

  private flush(): void {
    this.scheduled = false;
    if (this.closed) return;
    const begun = this.begin();
    if (begun === 'retry') return;
    let count = 0;
    let bytes = 0;
    while (count < this.queue.length && count < MAX_BATCH_ITEMS && (count === 0 || bytes + this.queue[count].bytes <= MAX_BATCH_BYTES)) {
      bytes += this.queue[count].bytes;
      count++;
    }
    const batch = this.queue.splice(0, count);
    // Out of the queue, a put is no longer joinable: a later put of the same content gets a
    // write of its own in the next batch (this one may fail).
    for (const w of batch) if (w.putId !== undefined && this.queuedPuts.get(w.putId) === w) this.queuedPuts.delete(w.putId);
    const values: unknown[] = [];
    let error: unknown = begun === 'ok' ? null : begun.error;
    if (error === null) {
      try {
        this.batchRows = 0;
        for (const w of batch) values.push(w.run());
        this.db.exec('COMMIT');
        this.stats.commits++;
        this.stats.rowsWritten += this.batchRows;
      } catch (err) {
        error = translate(err);
        if (this.db.isTransaction) {
          try {
            this.db.exec('ROLLBACK');
          } catch {
            // The connection rolls back by itself when ROLLBACK is impossible (I/O error).
          }
        }
      }
    }
    if (this.queue.length > 0) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    if (error !== null) {
      for (const w of batch) for (const waiter of w.waiters) waiter.reject(error);
    } else {
      batch.forEach((w, i) => this.unsynced.push({ waiters: w.waiters, value: values[i] }));
      this.syncWal();
    }
    this.notifyIdle();
  }

  /** One fsync of the WAL for every commit made since the last one started (see the notes). */
  private syncWal(): void {
    if (this.syncing || this.unsynced.length === 0) return;
    const group = this.unsynced;
    this.unsynced = [];
    const settle = (err: unknown) => {
      this.syncing = false;
      for (const g of group) for (const waiter of g.waiters) {
        if (err) waiter.reject(translate(err));
        else waiter.resolve(g.value);
      }
      this.syncWal();
      this.notifyIdle();
    };
    let fd: number;
    try {
      fd = this.walFd ??= openSync(this.path + '-wal', 'r');
    } catch (err) {
      settle(err);
      return;
    }
    this.syncing = true;
    this.stats.walSyncs++;
    fsync(fd, settle);
  }

  private notifyIdle(): void {
    if (this.queue.length > 0 || this.scheduled || this.syncing || this.unsynced.length > 0) return;
    const idle = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of idle) f();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.queue.length > 0 || this.scheduled || this.syncing || this.unsynced.length > 0) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
    this.closed = true;
    this.statements.clear();
    this.db.close();
    if (this.walFd !== null) closeSync(this.walFd);
    this.walFd = null;
  }
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}
