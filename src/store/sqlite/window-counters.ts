// Window counters (the counting half of coordination-types.ts) in a SQLite file of their own,
// <dataDir>/counters.db, so that the login limits survive a restart and the command line can
// list and clear them (`posthorn auth blocked|unblock`) while the server runs.
//
// Why a file of its own, without fsync: a failed login must not cost a disk flush (a guessing
// flood would become disk load) nor wait for the mail database's write lock. synchronous=OFF
// risks losing the last counts in a power cut, which for a limiter means a few more guesses,
// never lost mail. Every operation is one statement (a hit: an insert, then a count up to its
// rowid), so concurrent writers — the server and the command line — never see a half-done one.
//
// Another process holding the write lock (the command line clearing a key) is waited for from a
// timer, never in SQLite's blocking busy wait, so the event loop keeps serving.

import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { checkDuration, type CoordinationKey, type WindowCounters, type WindowHit } from '../coordination-types.ts';

export interface SqliteWindowCountersOptions {
  path: string;
  now?: () => number;
  /** How long an operation retries while another process holds the write lock (default 2000 ms). */
  busyWaitMs?: number;
}

/** Rows past their window are swept after this many hits (and at open). */
const SWEEP_EVERY = 1000;

export class SqliteWindowCounters implements WindowCounters {
  private readonly db: DatabaseSync;
  private readonly now: () => number;
  private readonly busyWaitMs: number;
  private readonly statements = new Map<string, StatementSync>();
  private hitsSinceSweep = 0;

  constructor(opts: SqliteWindowCountersOptions) {
    this.now = opts.now ?? Date.now;
    this.busyWaitMs = opts.busyWaitMs ?? 2000;
    this.db = new DatabaseSync(opts.path);
    // Opening may meet another process creating the same file (two commands at once): at open,
    // and only then, SQLite's own busy wait is fine — nothing is being served yet.
    this.db.exec(`PRAGMA busy_timeout = ${this.busyWaitMs}`);
    this.db.exec('PRAGMA journal_mode = WAL');
    this.db.exec('PRAGMA synchronous = OFF');
    this.db.exec(`CREATE TABLE IF NOT EXISTS hit (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      key TEXT NOT NULL,
      expires_at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS hit_key ON hit(key, expires_at);
    CREATE INDEX IF NOT EXISTS hit_expiry ON hit(expires_at);`);
    this.stmt('DELETE FROM hit WHERE expires_at <= ?').run(this.now());
    this.db.exec('PRAGMA busy_timeout = 0');
  }

  private stmt(sql: string): StatementSync {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  /** Runs fn, retrying from a timer while another process holds the write lock. */
  private async withRetry<T>(fn: () => T): Promise<T> {
    const deadline = Date.now() + this.busyWaitMs;
    for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
      try {
        return fn();
      } catch (err) {
        if (!isBusy(err) || Date.now() >= deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  async recordHit(key: CoordinationKey, windowMs: number): Promise<WindowHit> {
    checkDuration(windowMs);
    return this.withRetry(() => {
      const now = this.now();
      if (++this.hitsSinceSweep >= SWEEP_EVERY) {
        this.hitsSinceSweep = 0;
        this.stmt('DELETE FROM hit WHERE expires_at <= ?').run(now);
      }
      // The insert's rowid orders hits; counting those up to it (not all) gives each hit the count
      // including it and no later one, even when two processes insert on the same key at once.
      const id = Number(this.stmt('INSERT INTO hit (key, expires_at) VALUES (?, ?)').run(key, now + windowMs).lastInsertRowid);
      const { n } = this.stmt('SELECT COUNT(*) AS n FROM hit WHERE key = ? AND expires_at > ? AND id <= ?').get(key, now, id) as { n: number };
      return { id: String(id), count: n };
    });
  }

  async countHits(key: CoordinationKey, windowMs: number): Promise<number> {
    checkDuration(windowMs);
    return this.withRetry(() => (this.stmt('SELECT COUNT(*) AS n FROM hit WHERE key = ? AND expires_at > ?').get(key, this.now()) as { n: number }).n);
  }

  async withdrawHit(key: CoordinationKey, hitId: string): Promise<void> {
    if (!/^\d+$/.test(hitId)) return;
    await this.withRetry(() => this.stmt('DELETE FROM hit WHERE id = ? AND key = ?').run(Number(hitId), key));
  }

  async clearHits(key: CoordinationKey): Promise<void> {
    await this.withRetry(() => this.stmt('DELETE FROM hit WHERE key = ?').run(key));
  }

  async countsByPrefix(prefix: string): Promise<{ key: CoordinationKey; count: number }[]> {
    // A range over the key index: prefix ≤ key < prefix + U+FFFF.
    return this.withRetry(
      () =>
        (this.stmt('SELECT key, COUNT(*) AS count FROM hit WHERE key >= ? AND key < ? AND expires_at > ? GROUP BY key ORDER BY key').all(prefix, prefix + '\uffff', this.now()) as {
          key: string;
          count: number;
        }[]).map((r) => ({ key: r.key, count: r.count })),
    );
  }

  close(): void {
    this.db.close();
  }
}

function isBusy(err: unknown): boolean {
  const e = err as { code?: string; errcode?: number; message?: string };
  return e?.errcode === 5 || e?.errcode === 6 || /database is locked|SQLITE_BUSY/i.test(e?.message ?? '');
}
