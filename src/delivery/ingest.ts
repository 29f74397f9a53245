// Stage 1 of storing new mail: the blob is made durable (BlobStore.put fsyncs, DESIGN.md §3),
// then the message is parsed, once however many accounts and mailboxes it goes to. Nothing here
// refers to it yet: when a later stage stores nothing (quota, a rule's discard), the blob stays
// unreferenced and blob GC removes it.

import type { BlobStore } from '../store/types.ts';
import type { ParsedMessage } from '../wire/mime/types.ts';

export interface IngestDeps {
  blobs: Pick<BlobStore, 'put'>;
  parse: (raw: Uint8Array) => ParsedMessage;
}

/** A message that is durable and parsed, ready to be appended to any number of mailboxes. */
export interface IngestedMessage {
  raw: Uint8Array;
  blobId: string;
  size: number;
  parsed: ParsedMessage;
}

export async function ingest(deps: IngestDeps, raw: Uint8Array): Promise<IngestedMessage> {
  const blob = await deps.blobs.put(raw);
  return { raw, blobId: blob.id, size: blob.size, parsed: deps.parse(raw) };
}
