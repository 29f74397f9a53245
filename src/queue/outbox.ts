// Where a message for remote recipients is put: its body into the BlobStore (durable: temp file,
// fsync, rename), then its rows into the store's DeliveryQueue (committed and fsynced). Only
// then does enqueue() resolve, so the 250 that follows never promises a message a crash loses.
//
// Why the body is a blob and not a column of the queue: a message for local and remote
// recipients is then stored once (content addressing); a large body is written once instead of
// into the WAL and again at the checkpoint, and does not hold up the group commit of every other
// mutation in its batch; and a queue on PostgreSQL reads bodies from the same shared BlobStore
// as the mailboxes. Blob GC keeps it because isBlobReferenced() counts queued messages.

import type { BlobStore } from '../store/types.ts';
import type { DeliveryQueue } from '../store/queue-types.ts';

export interface OutboundMessage {
  /** '' is the null reverse-path <>. */
  sender: string;
  recipients: string[];
  body: Uint8Array;
  /** A DSN we generated (never bounced again). */
  isBounce?: boolean;
  now?: number;
}

export class Outbox {
  private readonly queue: DeliveryQueue;
  private readonly blobs: BlobStore;

  constructor(queue: DeliveryQueue, blobs: BlobStore) {
    this.queue = queue;
    this.blobs = blobs;
  }

  /** Returns the queued message's id. */
  async enqueue(message: OutboundMessage): Promise<number> {
    const blob = await this.blobs.put(message.body);
    return this.queue.enqueue({
      sender: message.sender,
      recipients: message.recipients,
      blobId: blob.id,
      size: blob.size,
      isBounce: message.isBounce,
      now: message.now,
    });
  }
}
