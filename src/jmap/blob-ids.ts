// JMAP blob ids (RFC 8620 §6). A stored message or upload is its blob store id (SHA-256, hex:
// valid JMAP Id characters); one MIME part of a message is that id, "_", and the part's id with
// "." written as "-" ("1.2" → "<sha>_1-2"), so a part can be downloaded without storing it twice.

const WHOLE = /^[0-9a-f]{64}$/;
const PART = /^([0-9a-f]{64})_([0-9]+(?:-[0-9]+)*)$/;

export type ParsedBlobId = { blobId: string; partId: null } | { blobId: string; partId: string };

export function parseBlobId(id: unknown): ParsedBlobId | null {
  if (typeof id !== 'string') return null;
  if (WHOLE.test(id)) return { blobId: id, partId: null };
  const m = PART.exec(id);
  return m ? { blobId: m[1], partId: m[2].replace(/-/g, '.') } : null;
}

export function partBlobId(messageBlobId: string, partId: string): string {
  return `${messageBlobId}_${partId.replace(/\./g, '-')}`;
}
