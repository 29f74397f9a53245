// Reading a blob on behalf of an account (RFC 8620 §6.2): only blobs the account may read — its
// messages and its unexpired uploads (src/store/upload-types.ts) — whatever ids a client tries.
// Anything else reads as "not found", never as "forbidden", so ids of other accounts leak nothing.

import type { AccountId } from '../store/types.ts';
import type { JmapDeps } from './types.ts';
import { parseBlobId } from './blob-ids.ts';

/** The whole stored blob named by a JMAP blob id (no part ids), or null. */
export async function readAccountBlob(deps: Pick<JmapDeps, 'store' | 'blobs'>, accountId: AccountId, id: string): Promise<Buffer | null> {
  const parsed = parseBlobId(id);
  if (!parsed || parsed.partId !== null) return null;
  if (!(await deps.store.isBlobOfAccount(accountId, parsed.blobId))) return null;
  try {
    return await deps.blobs.get(parsed.blobId);
  } catch {
    return null;
  }
}
