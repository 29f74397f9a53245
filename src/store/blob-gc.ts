// Garbage collection of blobs that no message and no queued message refers to (DESIGN.md §3;
// MailStore.isBlobReferenced answers for both).
//
// A blob is written (put) before the message row that refers to it is committed, so a blob
// without a reference may be one whose append is still on its way. Only blobs older than the
// grace period are candidates, and put() refreshes the mtime of a blob that already exists.
// On a FileBlobStore the final check runs with the blob set aside (FileBlobStore.deleteUnless),
// which closes the remaining race with a concurrent put of the same content.

import type { BlobStore, MailStore } from './types.ts';
import { FileBlobStore } from './blob-files.ts';

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
  const files = blobs instanceof FileBlobStore ? blobs : null;
  if (files) await files.recoverSetAside();
  const isYoung = (mtimeMs: number) => now() - mtimeMs < opts.graceMs;

  for await (const { id, mtimeMs } of blobs.list()) {
    result.scanned++;
    if (isYoung(mtimeMs)) {
      result.young++;
      continue;
    }
    if (await store.isBlobReferenced(id)) {
      result.referenced++;
      continue;
    }
    let deleted: boolean;
    if (files) {
      deleted = await files.deleteUnless(id, async (m) => isYoung(m) || (await store.isBlobReferenced(id)));
    } else {
      await blobs.delete(id);
      deleted = true;
    }
    if (deleted) result.deleted++;
    else result.referenced++;
  }

  if (files) {
    for await (const t of files.listTemporary()) {
      if (isYoung(t.mtimeMs)) continue;
      await files.removeTemporary(t.path);
      result.tempRemoved++;
    }
  }
  return result;
}
