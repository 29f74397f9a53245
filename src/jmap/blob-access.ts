// Reading a blob on behalf of an account (RFC 8620 §6.2): only blobs the account may read — its
// messages and its unexpired uploads (src/store/upload-types.ts) — whatever ids a client tries.
// Anything else reads as "not found", never as "forbidden", so ids of other accounts leak nothing.

import type { AccountId } from '../store/types.ts';
import type { JmapDeps } from './types.ts';
import type { MimePart } from '../wire/mime/types.ts';
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
  return messagePart(deps.parse, whole, parsed.partId.split('.'));
}

function decodedBody(message: Buffer, part: MimePart): Buffer {
  return Buffer.from(transferDecode(message.subarray(part.bodyStart, part.bodyEnd), part.encoding));
}

/**
 * The part at `steps` of a message. A message/rfc822 part sent base64 or quoted-printable
 * (RFC 2046 §5.2.1 forbids it; mail has it) is a leaf of the parsed tree; Email/parse reads its
 * decoded body as a message, so a section that goes on below such a leaf continues in that body.
 */
function messagePart(parse: JmapDeps['parse'], message: Buffer, steps: string[]): AccountBlob | null {
  const root = parse(message).summary.root;
  const part = findPart(root, steps.join('.'));
  if (part) return part.type === 'multipart' ? null : { bytes: decodedBody(message, part), partType: `${part.type}/${part.subtype}` };
  for (let k = steps.length - 1; k >= 1; k--) {
    const leaf = findPart(root, steps.slice(0, k).join('.'));
    if (leaf && leaf.parts.length === 0 && leaf.message === null && (leaf.encoding === 'BASE64' || leaf.encoding === 'QUOTED-PRINTABLE')) {
      return messagePart(parse, decodedBody(message, leaf), steps.slice(k));
    }
  }
  return null;
}
