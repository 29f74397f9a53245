// Read-ahead for sequential downloads. A client that downloads its maildrop sends RETR 1, 2, 3 …
// (pipelined or not); reading a blob costs several round trips to the file system thread pool,
// during which the session would otherwise sit idle. After a RETR, the next few small messages
// are read in the background, so the following RETRs find their bytes ready and reading overlaps
// with sending.
//
// Bounded per session: at most MAX_AHEAD messages and MAX_BYTES octets in memory, only
// messages small enough to be sent in one piece; TOP never triggers it (a preview client does
// not want whole messages read).

import type { BlobStore } from '../store/types.ts';

/** What read-ahead needs of a maildrop entry (maildrop.ts ReadAheadEntry has it). */
export interface ReadAheadEntry {
  number: number;
  blobId: string;
  storedSize: number;
  deleted: boolean;
}

const MAX_AHEAD = 8;
const MAX_BYTES = 2 * 1024 * 1024;

export class ReadAhead {
  private readonly blobs: BlobStore;
  private readonly maxMessage: number;
  private readonly pending = new Map<number, { promise: Promise<Buffer>; size: number }>();
  private bytes = 0;

  /** `maxMessage`: largest message read ahead (larger ones are streamed in chunks anyway). */
  constructor(blobs: BlobStore, maxMessage: number) {
    this.blobs = blobs;
    this.maxMessage = maxMessage;
  }

  /** The bytes of a message read ahead, or null (then the caller reads it itself). */
  take(entry: ReadAheadEntry): Promise<Buffer> | null {
    const hit = this.pending.get(entry.number);
    if (!hit) return null;
    this.pending.delete(entry.number);
    this.bytes -= hit.size;
    return hit.promise;
  }

  /** After RETR of `after`: start reading the next live messages, within the bounds. */
  schedule(entries: readonly ReadAheadEntry[], after: ReadAheadEntry): void {
    // Whatever was read ahead for earlier numbers was skipped by the client: let it go.
    for (const [n, p] of this.pending) {
      if (n <= after.number) {
        this.pending.delete(n);
        this.bytes -= p.size;
      }
    }
    for (let i = after.number; i < entries.length && i < after.number + MAX_AHEAD; i++) {
      const e = entries[i];
      if (e.deleted || this.pending.has(e.number)) continue;
      if (e.storedSize > this.maxMessage || this.bytes + e.storedSize > MAX_BYTES || this.pending.size >= MAX_AHEAD) break;
      const promise = this.blobs.read(e.blobId, 0, e.storedSize);
      // A failure is reported to whoever takes it (RETR then answers -ERR); never unhandled.
      promise.catch(() => {});
      this.pending.set(e.number, { promise, size: e.storedSize });
      this.bytes += e.storedSize;
    }
  }

  clear(): void {
    this.pending.clear();
    this.bytes = 0;
  }
}
