// The size of a message as POP3 transmits it (RFC 1939 §11: LIST and STAT report octets as
// transmitted, with CRLF line ends, which can differ from the stored size when a message was
// stored with bare LFs). Measured by the same encoder that produces RETR (message-encoder.ts).
//
// Nothing new is stored: a blob is immutable and content-addressed, so its POP3 size is a pure
// function of its id, and an in-process cache keyed by blob id is never stale. The first STAT
// or LIST of a maildrop after a restart reads the blobs it has not seen; RETR fills the cache
// for free as it encodes. The cache is bounded (oldest entries dropped first).

import type { BlobStore } from '../store/types.ts';
import { MessageEncoder } from '../wire/pop3/message-encoder.ts';

const READ_CHUNK = 1024 * 1024;
const PARALLEL_READS = 8;
const DEFAULT_MAX_ENTRIES = 200_000;

export class PopSizeCache {
  private readonly blobs: BlobStore;
  private readonly sizes = new Map<string, number>();
  private readonly maxEntries: number;

  constructor(blobs: BlobStore, maxEntries = DEFAULT_MAX_ENTRIES) {
    this.blobs = blobs;
    this.maxEntries = maxEntries;
  }

  peek(blobId: string): number | undefined {
    return this.sizes.get(blobId);
  }

  remember(blobId: string, octets: number): void {
    if (this.sizes.has(blobId)) return;
    if (this.sizes.size >= this.maxEntries) {
      const oldest = this.sizes.keys().next().value;
      if (oldest !== undefined) this.sizes.delete(oldest);
    }
    this.sizes.set(blobId, octets);
  }

  async sizeOf(blobId: string, storedSize: number): Promise<number> {
    const known = this.sizes.get(blobId);
    if (known !== undefined) return known;
    const enc = new MessageEncoder({ measureOnly: true });
    if (storedSize <= READ_CHUNK) {
      enc.encode(await this.blobs.get(blobId));
    } else {
      for (let at = 0; at < storedSize; at += READ_CHUNK) {
        enc.encode(await this.blobs.read(blobId, at, Math.min(storedSize, at + READ_CHUNK)));
      }
    }
    enc.finish();
    this.remember(blobId, enc.octets);
    return enc.octets;
  }

  /** Sizes of many messages, reading a few blobs at a time. */
  async sizesOf(items: readonly { blobId: string; storedSize: number }[]): Promise<number[]> {
    const out = new Array<number>(items.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < items.length) {
        const i = next++;
        out[i] = this.sizes.get(items[i].blobId) ?? (await this.sizeOf(items[i].blobId, items[i].storedSize));
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_READS, items.length) }, worker));
    return out;
  }
}
