// Garbage collection of blobs that no message and no queued message refers to (DESIGN.md §3;
// MailStore.isBlobReferenced answers for both).
//
// A blob is written (put) before the message row that refers to it is committed, so a blob
// without a reference may be one whose append is still on its way. Only blobs older than the
// grace period are candidates, and put() refreshes the mtime of a blob that already exists.
// The final check runs guarded, which closes the remaining race with a concurrent put of the
// same content: a file is set aside first (FileBlobStore.deleteUnless), a table row is only
// deleted if its mtime is still the one the check saw (BlobTable.deleteUnless). Each tier of a
// TieredBlobStore is collected on its own.

import type { BlobStore, MailStore } from './types.ts';
import { FileBlobStore } from './blob-files.ts';
import { TieredBlobStore } from './blob-tiered.ts';

/** A set of blobs that can delete one guarded by a final check. */
interface GuardedBlobs {
  list(): AsyncIterable<{ id: string; mtimeMs: number }>;
  deleteUnless(id: string, keep: (mtimeMs: number) => Promise<boolean>): Promise<boolean>;
}

/** A store without a guarded delete: the plain delete after the check (no concurrent puts). */
function unguarded(blobs: BlobStore): GuardedBlobs {
  return {
    list: () => blobs.list(),
    deleteUnless: async (id) => {
      await blobs.delete(id);
      return true;
    },
  };
}

export interface GarbageResult {
  scanned: number;
  deleted: number;
  referenced: number;
  /** Unreferenced but inside the grace period. */
  young: number;
  /** Temp files of interrupted puts removed. */
  tempRemoved: number;
}

export async function collectGarbage(
  store: MailStore,
  blobs: BlobStore,
  opts: { graceMs: number; now?: () => number },
): Promise<GarbageResult> {
  const now = opts.now ?? Date.now;
  const result: GarbageResult = { scanned: 0, deleted: 0, referenced: 0, young: 0, tempRemoved: 0 };
  const files = blobs instanceof TieredBlobStore ? blobs.files : blobs instanceof FileBlobStore ? blobs : null;
  const tiers: GuardedBlobs[] = blobs instanceof TieredBlobStore ? [blobs.table, blobs.files] : [files ?? unguarded(blobs)];
  if (files) await files.recoverSetAside();
  const isYoung = (mtimeMs: number) => now() - mtimeMs < opts.graceMs;

  for (const tier of tiers) {
    for await (const { id, mtimeMs } of tier.list()) {
      result.scanned++;
      if (isYoung(mtimeMs)) {
        result.young++;
        continue;
      }
      if (await store.isBlobReferenced(id)) {
        result.referenced++;
        continue;
      }
      if (await tier.deleteUnless(id, async (m) => isYoung(m) || (await store.isBlobReferenced(id)))) result.deleted++;
      else result.referenced++;
    }
  }

  result.tempRemoved = await sweepTemporary(blobs, { olderThanMs: opts.graceMs, now });
  return result;
}

/**
 * Removes the temporary files of puts that a crash interrupted (written, never renamed into
 * place) that are older than olderThanMs; a younger one may be a put still running in another
 * process. Returns how many went. The server runs it once at start, and blob GC each time.
 */
export async function sweepTemporary(blobs: BlobStore, opts: { olderThanMs: number; now?: () => number }): Promise<number> {
  const files = blobs instanceof TieredBlobStore ? blobs.files : blobs instanceof FileBlobStore ? blobs : null;
  if (!files) return 0;
  const now = opts.now ?? Date.now;
  let removed = 0;
  for await (const t of files.listTemporary()) {
    if (now() - t.mtimeMs < opts.olderThanMs) continue;
    await files.removeTemporary(t.path);
    removed++;
  }
  return removed;
}
