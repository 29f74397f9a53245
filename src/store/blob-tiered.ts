// The embedded blob store (DESIGN.md §3): message bodies content-addressed by SHA-256, small
// ones as rows of <dir>/blobs.db (blob-table.ts), large ones as files <dir>/ab/cd/<id>
// (blob-files.ts). Reads look in the table first, then in the files, so a data directory
// written before the table existed (every blob a file) reads as it did.
//
// Why this shape — durability amortised the way the mail database's group commit does it. A
// blob as a file costs a temp file, its fsync, a rename and a directory fsync (8–10 file
// operations, 2 fsyncs, up to 4 with new fan-out directories) before the row naming it can
// commit; a row costs its share of one WAL fsync per batch, and every put of one turn of the
// event loop shares that batch (blob-table.ts). bench/store-append.ts section 5, blob puts only,
// 16 concurrent, two runs on the shared 2-core machine (disk 224 and 378 fsync/s):
//     size      files puts/s  (main thread)   table puts/s  (main thread)
//     10 KB       462 / 775     36% / 46%      5,066 / 3,275   60% / 57%
//     64 KB       446 / 723     39% / 50%        692 / 1,452   74% / 79%
//     128 KB        – / 485        – / 44%          – / 476       – / 86%
//     256 KB      259 / 275     38% / 36%        261 / 200     92% / 92%
//     1 MB        164 / 145     64% / 68%        101 / 110     99% / 99%
// files: 3.2–3.5 fsyncs per put (fresh fan-out directories); table: 0.06 (1 per batch of 16),
// plus a checkpoint's two fsyncs per ~4 MB of WAL. Up to 64 KB the table is 2–10× faster; from
// 128 KB on it is no faster and takes twice the main thread (a row is copied into the WAL on
// the main thread and written again at the checkpoint, where a file is written once from the
// thread pool). So TABLE_MAX_BYTES is 64 KiB: most mail is smaller, attachments go to files,
// and read(id, start, end) of a large message streams a file in chunks instead of handing over
// a whole value. bench/smtp-ingest.ts (10 KB, 50 sessions, medians of 3, Dovecot LMTP into
// Maildir in the same run): every body a file 471 and 552 msg/s (Dovecot 454 and 566, disk
// 2,105 and 1,386 fsync/s); this shape 1,032 and 1,104 msg/s (Dovecot 443 and 506, disk 3,075
// and 2,973 fsync/s), 0.07 blob fsyncs per message; the table's flush is 2% of the main thread.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { StoreError } from './types.ts';
import type { BlobStore } from './types.ts';
import { BlobTable } from './blob-table.ts';
import { FileBlobStore, blobIdOf, isBlobId } from './blob-files.ts';

export const TABLE_MAX_BYTES = 64 * 1024;
export const TABLE_FILE = 'blobs.db';

export class TieredBlobStore implements BlobStore {
  readonly dir: string;
  readonly table: BlobTable;
  readonly files: FileBlobStore;
  private readonly now: () => number;

  constructor(dir: string, opts: { now?: () => number; busyTimeoutMs?: number } = {}) {
    this.dir = dir;
    this.now = opts.now ?? Date.now;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.table = new BlobTable(join(dir, TABLE_FILE), { busyTimeoutMs: opts.busyTimeoutMs });
    this.files = new FileBlobStore(dir);
  }

  private check(id: string): void {
    if (!isBlobId(id)) throw new StoreError('INVALID', 'invalid blob id');
  }

  async put(content: Uint8Array): Promise<{ id: string; size: number }> {
    const size = content.byteLength;
    if (size > TABLE_MAX_BYTES) return this.files.put(content);
    const id = blobIdOf(content);
    await this.table.put(id, content, this.now());
    return { id, size };
  }

  async get(id: string): Promise<Buffer> {
    this.check(id);
    return this.table.get(id) ?? this.files.get(id);
  }

  async read(id: string, start: number, end: number): Promise<Buffer> {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
      throw new StoreError('INVALID', 'invalid byte range');
    }
    this.check(id);
    return this.table.read(id, start, end) ?? this.files.read(id, start, end);
  }

  async has(id: string): Promise<boolean> {
    if (!isBlobId(id)) return false;
    return this.table.has(id) || (await this.files.has(id));
  }

  async delete(id: string): Promise<void> {
    this.check(id);
    await this.table.delete(id);
    await this.files.delete(id);
  }

  async *list(): AsyncIterable<{ id: string; mtimeMs: number }> {
    yield* this.table.list();
    yield* this.files.list();
  }

  /** Counted durability work, for tests and benchmarks: fsyncs issued so far. */
  syncCount(): number {
    return this.table.stats.walSyncs + this.files.stats.fileSyncs + this.files.stats.dirSyncs;
  }

  async close(): Promise<void> {
    await this.table.close();
  }
}
