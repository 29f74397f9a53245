// Message bodies as files, content-addressed by SHA-256 (DESIGN.md §3): <dir>/ab/cd/abcd…(64 hex).
// The embedded store keeps small bodies in a table and only large ones here (blob-tiered.ts);
// data directories from before the table have every body here, and read as before.
//
// Implementation notes:
// - put() is durable before it resolves: temp file in the final directory (same filesystem, so
//   rename is atomic), fsync the file, rename, fsync the directory; a fan-out directory created on
//   the way is fsynced in its parent, or a crash could lose the directory entry of a fsynced file.
// - Directory fsyncs are shared: puts that renamed into the same directory before its fsync
//   started wait for that one fsync (DirSync), as the database's group commit shares a COMMIT.
// - A blob that exists already is not rewritten (immutable, same content by definition) but its
//   mtime is refreshed: garbage collection spares blobs younger than its grace period, which
//   covers the gap between put() and the commit of the message row referring to the blob.
// - Ids are validated before they become paths: only 64 lower-case hex characters.
// - Reads of up to SYNC_READ_MAX bytes (256 KiB, also POP3's streaming chunk) are synchronous.
//   Four thread-pool round trips (open, fstat, read, close) per message cost more than the read
//   itself: the POP3 benchmark downloads 10,000 mixed messages at ~4,800/s with async reads,
//   ~5,000/s with a 128 KiB bound and ~7,000/s with 256 KiB (Dovecot: ~8,000). It is the
//   trade-off node:sqlite already makes for the database pages: a cold read blocks the event
//   loop for one disk access. Larger reads stay asynchronous and chunked.

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, stat, unlink, utimes, type FileHandle } from 'node:fs/promises';
import { openSync, fstatSync, readSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { StoreError } from './types.ts';
import type { BlobStore } from './types.ts';

const BLOB_ID = /^[0-9a-f]{64}$/;
export const SYNC_READ_MAX = 256 * 1024;
const FANOUT = /^[0-9a-f]{2}$/;
export const TEMP_PREFIX = '.tmp-';
/** A blob set aside by GC while it re-checks that nobody needs it (see deleteUnless). */
export const GC_PREFIX = '.gc-';

export function blobIdOf(content: Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

export function isBlobId(id: string): boolean {
  return BLOB_ID.test(id);
}

async function fsyncDir(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** What the store has done to make writes durable (counted, for tests and benchmarks). */
export interface FileSyncStats {
  fileSyncs: number;
  dirSyncs: number;
}

/**
 * fsyncs of directories, shared: a request joins the fsync of that directory that is scheduled
 * but not started yet (it will see every rename done before the request); otherwise it
 * schedules a new one for the next turn of the event loop, so the renames of this turn join.
 */
export class DirSync {
  private readonly waiting = new Map<string, Promise<void>>();
  private readonly stats: FileSyncStats;

  constructor(stats: FileSyncStats) {
    this.stats = stats;
  }

  sync(path: string): Promise<void> {
    const pending = this.waiting.get(path);
    if (pending) return pending;
    const started = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.waiting.delete(path);
      this.stats.dirSyncs++;
      return fsyncDir(path);
    });
    this.waiting.set(path, started);
    return started;
  }
}

function isCode(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === code;
}

export class FileBlobStore implements BlobStore {
  readonly dir: string;
  /**
   * Fan-out directories known to exist (and to be durable: created and parent-fsynced by us, or
   * found existing). Saves three syscalls per put; at most 256 + 65,536 short strings.
   */
  private readonly knownDirs = new Set<string>();
  readonly stats: FileSyncStats = { fileSyncs: 0, dirSyncs: 0 };
  private readonly dirSync = new DirSync(this.stats);

  constructor(dir: string) {
    this.dir = dir;
  }

  pathOf(id: string): string {
    if (!BLOB_ID.test(id)) throw new StoreError('INVALID', 'invalid blob id');
    return join(this.dir, id.slice(0, 2), id.slice(2, 4), id);
  }

  /** mkdir that fsyncs the parent when it created the directory. */
  private async ensureDir(path: string, parent: string): Promise<void> {
    if (this.knownDirs.has(path)) return;
    try {
      await mkdir(path, { mode: 0o700 });
      await this.dirSync.sync(parent);
    } catch (err) {
      if (!isCode(err, 'EEXIST')) throw err;
    }
    this.knownDirs.add(path);
  }

  async put(content: Uint8Array): Promise<{ id: string; size: number }> {
    const id = blobIdOf(content);
    const size = content.byteLength;
    const path = this.pathOf(id);
    try {
      // Exists: refresh mtime for the GC grace period. If GC removed it between our check and
      // now, utimes fails with ENOENT and we write it again below.
      const now = new Date();
      await utimes(path, now, now);
      return { id, size };
    } catch (err) {
      if (!isCode(err, 'ENOENT')) throw translate(err);
    }
    try {
      if (!this.knownDirs.has(this.dir)) {
        await mkdir(this.dir, { recursive: true, mode: 0o700 });
        this.knownDirs.add(this.dir);
      }
      const l1 = join(this.dir, id.slice(0, 2));
      const l2 = join(l1, id.slice(2, 4));
      await this.ensureDir(l1, this.dir);
      await this.ensureDir(l2, l1);
      const temp = join(l2, TEMP_PREFIX + randomBytes(8).toString('hex'));
      let fh: FileHandle | null = await open(temp, 'wx', 0o600);
      try {
        let written = 0;
        while (written < size) {
          const { bytesWritten } = await fh.write(content, written, size - written);
          written += bytesWritten;
        }
        this.stats.fileSyncs++;
        await fh.sync();
        await fh.close();
        fh = null;
        await rename(temp, path);
      } catch (err) {
        if (fh) await fh.close().catch(() => {});
        await unlink(temp).catch(() => {});
        throw err;
      }
      await this.dirSync.sync(l2);
      return { id, size };
    } catch (err) {
      throw translate(err);
    }
  }

  async get(id: string): Promise<Buffer> {
    const path = this.pathOf(id);
    const small = readSmallSync(path, id, 0, Infinity);
    if (small) return small;
    const fh = await openBlob(path, id);
    try {
      return await fh.readFile();
    } finally {
      await fh.close();
    }
  }

  async read(id: string, start: number, end: number): Promise<Buffer> {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
      throw new StoreError('INVALID', 'invalid byte range');
    }
    const small = end - start <= SYNC_READ_MAX ? readSmallSync(this.pathOf(id), id, start, end) : null;
    if (small) return small;
    const fh = await openBlob(this.pathOf(id), id);
    try {
      // No fstat: blobs are immutable, so reading until the range is full or EOF gives the
      // same bytes with one thread-pool round trip less (it showed in the POP3 profile).
      const length = end - start;
      const buf = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(buf, got, length - got, start + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === length ? buf : buf.subarray(0, got);
    } finally {
      await fh.close();
    }
  }

  async has(id: string): Promise<boolean> {
    if (!BLOB_ID.test(id)) return false;
    try {
      await stat(this.pathOf(id));
      return true;
    } catch (err) {
      if (isCode(err, 'ENOENT')) return false;
      throw err;
    }
  }

  async delete(id: string): Promise<void> {
    try {
      await unlink(this.pathOf(id));
    } catch (err) {
      if (!isCode(err, 'ENOENT')) throw err;
    }
  }

  async *list(): AsyncIterable<{ id: string; mtimeMs: number }> {
    for (const l1 of await listDir(this.dir)) {
      if (!FANOUT.test(l1)) continue;
      for (const l2 of await listDir(join(this.dir, l1))) {
        if (!FANOUT.test(l2)) continue;
        for (const name of await listDir(join(this.dir, l1, l2))) {
          if (!BLOB_ID.test(name) || !name.startsWith(l1 + l2)) continue;
          try {
            const st = await stat(join(this.dir, l1, l2, name));
            yield { id: name, mtimeMs: st.mtimeMs };
          } catch (err) {
            if (!isCode(err, 'ENOENT')) throw err;
          }
        }
      }
    }
  }

  /**
   * Deletes a blob unless `keep(mtimeMs)` says otherwise, closing the race with a concurrent
   * put()+append of the same content: the blob is first renamed aside, so a put() that starts
   * now finds it missing and writes a fresh copy, and a put() that already refreshed the mtime
   * is seen by `keep`. Returns whether it was deleted.
   */
  async deleteUnless(id: string, keep: (mtimeMs: number) => Promise<boolean>): Promise<boolean> {
    const path = this.pathOf(id);
    const aside = join(path, '..', GC_PREFIX + id);
    try {
      await rename(path, aside);
    } catch (err) {
      if (isCode(err, 'ENOENT')) return false;
      throw err;
    }
    let restore = true;
    try {
      restore = await keep((await stat(aside)).mtimeMs);
    } finally {
      // On error, restore: a wrongly kept blob costs space, a wrongly deleted one loses mail.
      if (restore) await rename(aside, path);
    }
    if (!restore) await unlink(aside);
    return !restore;
  }

  /** Puts back blobs that a GC run interrupted by a crash had set aside (see deleteUnless). */
  async recoverSetAside(): Promise<number> {
    let recovered = 0;
    for (const l1 of await listDir(this.dir)) {
      if (!FANOUT.test(l1)) continue;
      for (const l2 of await listDir(join(this.dir, l1))) {
        if (!FANOUT.test(l2)) continue;
        for (const name of await listDir(join(this.dir, l1, l2))) {
          if (!name.startsWith(GC_PREFIX) || !BLOB_ID.test(name.slice(GC_PREFIX.length))) continue;
          const id = name.slice(GC_PREFIX.length);
          const aside = join(this.dir, l1, l2, name);
          if (await this.has(id)) await unlink(aside);
          else await rename(aside, this.pathOf(id));
          recovered++;
        }
      }
    }
    return recovered;
  }

  async removeTemporary(path: string): Promise<void> {
    await unlink(path).catch((err: unknown) => {
      if (!isCode(err, 'ENOENT')) throw err;
    });
  }

  /** Temp files left by a crash between create and rename, with their mtimes (for GC). */
  async *listTemporary(): AsyncIterable<{ path: string; mtimeMs: number }> {
    for (const l1 of await listDir(this.dir)) {
      if (!FANOUT.test(l1)) continue;
      for (const l2 of await listDir(join(this.dir, l1))) {
        if (!FANOUT.test(l2)) continue;
        for (const name of await listDir(join(this.dir, l1, l2))) {
          if (!name.startsWith(TEMP_PREFIX)) continue;
          const path = join(this.dir, l1, l2, name);
          try {
            yield { path, mtimeMs: (await stat(path)).mtimeMs };
          } catch (err) {
            if (!isCode(err, 'ENOENT')) throw err;
          }
        }
      }
    }
  }
}

async function listDir(path: string): Promise<string[]> {
  try {
    return (await readdir(path)).sort();
  } catch (err) {
    if (isCode(err, 'ENOENT')) return [];
    throw err;
  }
}

/**
 * Bytes [start, end) of a blob read synchronously when that range is at most SYNC_READ_MAX bytes
 * (see the implementation notes); null when it is larger (the caller reads asynchronously).
 */
function readSmallSync(path: string, id: string, start: number, end: number): Buffer | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if (isCode(err, 'ENOENT')) throw new StoreError('NOT_FOUND', `no blob ${id}`);
    throw translate(err);
  }
  try {
    const last = end === Infinity ? fstatSync(fd).size : end;
    const length = Math.max(0, last - start);
    if (length > SYNC_READ_MAX) return null;
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = readSync(fd, buf, got, length - got, start + got);
      if (n === 0) break;
      got += n;
    }
    return got === length ? buf : buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

async function openBlob(path: string, id: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (err) {
    if (isCode(err, 'ENOENT')) throw new StoreError('NOT_FOUND', `no blob ${id}`);
    throw err;
  }
}

/** Disk full and friends are temporary failures (SECURITY-CASES.md: never a false success). */
function translate(err: unknown): unknown {
  if (err instanceof StoreError) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EIO' || code === 'EMFILE' || code === 'ENFILE') {
    return new StoreError('UNAVAILABLE', `blob store temporarily unavailable: ${code}`);
  }
  return err;
}
