// Taking SQLite's write lock without blocking the event loop, for every database file the
// store writes (the mail database, db.ts; the blob table, ../blob-table.ts).
//
// SQLite's own busy wait blocks the thread, i.e. every session of the server, so it is kept to
// SYNC_BUSY_WAIT_MS once a database is open. A batch that still finds the lock taken (the CLI,
// another process) is tried again from a timer, with a doubling pause up to MAX_RETRY_DELAY_MS,
// until busyTimeoutMs has passed since its first attempt; then the caller fails it (UNAVAILABLE).

import type { DatabaseSync } from 'node:sqlite';

/** SQLite's blocking busy wait per attempt, once the database is open. */
export const SYNC_BUSY_WAIT_MS = 5;
/** Longest pause between two attempts to take the write lock. */
const MAX_RETRY_DELAY_MS = 50;

/** SQLite primary result codes (errcode & 0xff) the store translates. */
export const SQLITE_BUSY = 5;
export const SQLITE_LOCKED = 6;
export const SQLITE_IOERR = 10;
export const SQLITE_FULL = 13;
export const SQLITE_CONSTRAINT = 19;

export function primaryCode(err: unknown): number {
  return ((err as { errcode?: number } | null)?.errcode ?? 0) & 0xff;
}

/** A temporary condition: the lock is taken, the disk is full or failing. */
export function isTemporary(err: unknown): boolean {
  const primary = primaryCode(err);
  return primary === SQLITE_BUSY || primary === SQLITE_LOCKED || primary === SQLITE_IOERR || primary === SQLITE_FULL;
}

export class WriteLock {
  private readonly busyTimeoutMs: number;
  /** When the current batch first found the write lock taken; null when it has not. */
  private busySince: number | null = null;
  private retryDelayMs = 1;

  constructor(busyTimeoutMs: number) {
    this.busyTimeoutMs = busyTimeoutMs;
  }

  /**
   * BEGIN IMMEDIATE. When another process holds the lock, schedules `retry` and returns 'retry'
   * (the batch stays queued) until the busy timeout has passed; otherwise returns the error.
   */
  begin(db: DatabaseSync, retry: () => void): 'ok' | 'retry' | { error: unknown } {
    try {
      db.exec('BEGIN IMMEDIATE');
      this.reset();
      return 'ok';
    } catch (err) {
      const primary = primaryCode(err);
      const now = Date.now();
      this.busySince ??= now;
      if ((primary === SQLITE_BUSY || primary === SQLITE_LOCKED) && now - this.busySince < this.busyTimeoutMs) {
        setTimeout(retry, this.retryDelayMs);
        this.retryDelayMs = Math.min(MAX_RETRY_DELAY_MS, this.retryDelayMs * 2);
        return 'retry';
      }
      this.reset();
      return { error: err };
    }
  }

  private reset(): void {
    this.busySince = null;
    this.retryDelayMs = 1;
  }
}
