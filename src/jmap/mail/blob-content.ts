// The bytes a JMAP blob id stands for, read for an account (RFC 8620 §6): a whole blob (an
// upload or a message) through readAccountBlob, or one MIME part of a message
// ("<sha>_1-2", src/jmap/blob-ids.ts) decoded from its transfer encoding (RFC 8621 §4.1.4
// blobId: "after decoding any known Content-Transfer-Encoding"). Anything the account may not
// read is null, like a blob that does not exist.

import type { AccountId } from '../../store/types.ts';
import { findPart, transferDecode } from '../../wire/mime/index.ts';
import type { JmapDeps, MethodContext } from '../types.ts';
import { readAccountBlob } from '../blob-access.ts';
import { parseBlobId } from '../blob-ids.ts';

export async function readBlobContent(deps: Pick<JmapDeps, 'store' | 'blobs' | 'parse'>, accountId: AccountId, id: string): Promise<Buffer | null> {
  const parsed = parseBlobId(id);
  if (!parsed) return null;
  const whole = await readAccountBlob(deps, accountId, parsed.blobId);
  if (!whole || parsed.partId === null) return whole;
  const part = findPart(deps.parse(whole).summary.root, parsed.partId);
  if (!part || part.type === 'multipart') return null;
  return Buffer.from(transferDecode(whole.subarray(part.bodyStart, part.bodyEnd), part.encoding));
}

/** A blob id argument, with creation ids of this request ("#name", RFC 8620 §5.3; RFC 9404 Blob/upload) resolved. */
export function blobRef(ctx: Pick<MethodContext, 'resolveId'>, id: string): string {
  return id.startsWith('#') ? (ctx.resolveId(id.slice(1)) ?? id) : id;
}
