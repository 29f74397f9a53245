// The size of a message as POP3 transmits it (RFC 1939 §11: LIST and STAT report octets as
// transmitted, with CRLF line ends, which can differ from the stored size when a message was
// stored with bare LFs). Measured by the same encoder that produces RETR (message-encoder.ts).
//
// A blob is immutable and content-addressed, so its POP3 size is a pure function of its id: an
// in-process cache keyed by blob id is never stale, and what was measured once is kept in the
// store beside the blob (blobMeasures/rememberBlobMeasures), so a restart does not make the next STAT
// read every blob again. Only messages never measured are read; RETR fills the cache for free
// as it encodes. The in-process cache is bounded (oldest entries dropped first).

import type { AccountId, BlobStore, MailboxId, MailStore } from '../store/types.ts';
import { MessageEncoder } from '../wire/pop3/message-encoder.ts';

/** The store's name for this measure (MailStore.blobMeasures): owned here, opaque to the store. */
export const POP3_OCTETS = 'pop3-octets';
const READ_CHUNK = 1024 * 1024;
const PARALLEL_READS = 8;
const DEFAULT_MAX_ENTRIES = 200_000;

export class PopSizeCache {
  private readonly blobs: BlobStore;
  private readonly store: MailStore;
  private readonly sizes = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly onError: (err: unknown) => void;
  /** The last hand-over of measured sizes to the store (not awaited by STAT; tests wait on it). */
  remembering: Promise<void> = Promise.resolve();

  constructor(blobs: BlobStore, store: MailStore, onError: (err: unknown) => void, maxEntries = DEFAULT_MAX_ENTRIES) {
    this.blobs = blobs;
    this.store = store;
    this.onError = onError;
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

  /**
   * Sizes of many messages of one mailbox: from this cache, else as the store remembers them,
   * else measured (a few blobs at a time) and handed to the store to remember.
   */
  async sizesOf(accountId: AccountId, mailboxId: MailboxId, items: readonly { blobId: string; storedSize: number }[]): Promise<number[]> {
    if (items.some((i) => !this.sizes.has(i.blobId))) {
      try {
        for (const [blobId, size] of await this.store.blobMeasures(accountId, mailboxId, POP3_OCTETS)) this.remember(blobId, size);
      } catch (err) {
        this.onError(err);
      }
    }
    const out = new Array<number>(items.length);
    const measured = new Map<string, number>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < items.length) {
        const i = next++;
        const known = this.sizes.get(items[i].blobId);
        if (known !== undefined) {
          out[i] = known;
          continue;
        }
        out[i] = await this.sizeOf(items[i].blobId, items[i].storedSize);
        measured.set(items[i].blobId, out[i]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_READS, items.length) }, worker));
    // Not awaited: the answer does not depend on it, and a failure only means measuring again.
    if (measured.size > 0) this.remembering = this.store.rememberBlobMeasures(POP3_OCTETS, measured).catch(this.onError);
    return out;
  }
}
