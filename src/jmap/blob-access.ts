// Reading a blob on behalf of an account (RFC 8620 §6.2): only blobs the account may read — its
// messages and its unexpired uploads (src/store/upload-types.ts) — whatever ids a client tries.
// Anything else reads as "not found", never as "forbidden", so ids of other accounts leak nothing.

import type { AccountId } from '../store/types.ts';
import type { JmapDeps } from './types.ts';
import { parseBlobId } from './blob-ids.ts';
import { findPart } from '../wire/mime/section.ts';
import { transferDecode } from '../wire/mime/decode.ts';

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

/** A blob an account may read, as the JMAP blob id names it: a whole blob, or one MIME part of a message. */
export interface AccountBlob {
  /** Octets as downloaded: a part is transfer-decoded (RFC 2045 §6). */
  bytes: Buffer;
  /** The part's own Content-Type ("type/subtype"), or null for a whole blob. */
  partType: string | null;
}

/**
 * Reads a whole blob or one part of a message blob (RFC 8620 §6.2 download, RFC 8621 §4.1.4
 * part blobIds). A part id is looked up in the message's MIME tree by its IMAP section number
 * (RFC 9051 §6.4.5); multipart containers have no blob (RFC 8621 §4.1.4 "blobId").
 */
export async function readAccountPart(deps: Pick<JmapDeps, 'store' | 'blobs' | 'parse'>, accountId: AccountId, id: string): Promise<AccountBlob | null> {
  const parsed = parseBlobId(id);
  if (!parsed) return null;
  if (!(await deps.store.isBlobOfAccount(accountId, parsed.blobId))) return null;
  let whole: Buffer;
  try {
    whole = await deps.blobs.get(parsed.blobId);
  } catch {
    return null;
  }
  if (parsed.partId === null) return { bytes: whole, partType: null };
  const part = findPart(deps.parse(whole).summary.root, parsed.partId);
  if (!part || part.type === 'multipart') return null;
  const body = whole.subarray(part.bodyStart, part.bodyEnd);
  return { bytes: Buffer.from(transferDecode(body, part.encoding)), partType: `${part.type}/${part.subtype}` };
}
