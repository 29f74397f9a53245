// Blobs an account uploaded (RFC 8620 §6.1) and which blobs an account may read. An upload is
// the account's own: another account cannot see, download or use it, even knowing its id (the
// blob store is content-addressed and shared, so the ownership lives here, not in the blob).

import type { AccountId } from './ids.ts';

export interface UploadRecord {
  accountId: AccountId;
  blobId: string;
  /** The media type the client declared (RFC 8620 §6.1 "type"). */
  type: string;
  size: number;
  createdAt: number;
  /** After this (ms since epoch) the upload is gone unless something else refers to its blob. */
  expiresAt: number;
}

export interface UploadStore {
  /** Records (or renews) the account's upload of a blob that is already durable in the blob store. */
  recordUpload(accountId: AccountId, input: { blobId: string; type: string; size: number; expiresAt: number }): Promise<UploadRecord>;
  /** The account's unexpired upload of this blob, else null. */
  getUpload(accountId: AccountId, blobId: string): Promise<UploadRecord | null>;
  /**
   * Whether the account may read the blob: one of its messages is stored in it, or it uploaded
   * it and the upload has not expired.
   */
  isBlobOfAccount(accountId: AccountId, blobId: string): Promise<boolean>;
  /** Forgets uploads expired at `now`; returns how many. Their blobs are then GC's to judge. */
  pruneUploads(now: number): Promise<number>;
}
