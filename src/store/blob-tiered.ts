// The embedded blob store (DESIGN.md §3): message bodies content-addressed by SHA-256, small
// ones as rows of <dir>/blobs.db (blob-table.ts), large ones as files <dir>/ab/cd/<id>
// (blob-files.ts). Reads look in the table first, then in the files, so a data directory
// written before the table existed (every blob a file) reads as it did.
//
// Why this shape — durability amortised the way the mail database's group commit does it. A
// blob as a file costs a temp file, its fsync, a rename and a directory fsync (8–10 file
// operations, 2 fsyncs, 4 with new fan-out directories) before the row naming it can commit; a
// row in a WAL database costs its share of one fsync per batch, and every put of one turn of the
// event loop shares that batch. Measured with bench/store-append.ts (blob puts only, 10 KB,
// 16 concurrent, same run, 2 shared cores; section 5 prints it):
//     files (temp, fsync, rename, fsync dir)         TODO-FIGURE
//     table (one transaction per turn, one WAL fsync) TODO-FIGURE
// Above TABLE_MAX_BYTES a body goes to a file: a row is written twice (WAL, then checkpoint)
// and its COMMIT fsyncs on the main thread, where a file is written once and fsynced on the
// thread pool; and read(id, start, end) streams a file in chunks where the table would hand
// over the whole value. TABLE_MAX_BYTES is SYNC_READ_MAX, the bound below which reads are
// synchronous anyway (blob-files.ts), so one rule covers both: what the table holds is read
// synchronously, everything larger is streamed.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { StoreError } from './types.ts';
import type { BlobStore } from './types.ts';
import { BlobTable } from './blob-table.ts';
import { FileBlobStore, SYNC_READ_MAX, blobIdOf, isBlobId } from './blob-files.ts';

export const TABLE_MAX_BYTES = SYNC_READ_MAX;
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
