// Uploads (src/store/upload-types.ts): one row per account and blob; expiry is checked on read,
// so an expired upload is invisible at once and pruneUploads only tidies.

import type { UploadRecord, UploadStore } from '../upload-types.ts';
import type { Db } from './db.ts';

interface UploadRow {
  account_id: number;
  blob_id: string;
  type: string;
  size: number;
  created_at: number;
  expires_at: number;
}

const toRecord = (r: UploadRow): UploadRecord => ({ accountId: r.account_id, blobId: r.blob_id, type: r.type, size: r.size, createdAt: r.created_at, expiresAt: r.expires_at });

export function uploadOps(db: Db): UploadStore {
  return {
    recordUpload: (accountId, input) =>
      db.write(() =>
        toRecord(
          db.get<UploadRow>(
            `INSERT INTO upload (account_id, blob_id, type, size, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (account_id, blob_id) DO UPDATE SET type = excluded.type, expires_at = MAX(expires_at, excluded.expires_at)
             RETURNING *`,
            accountId, input.blobId, input.type, input.size, db.now(), input.expiresAt,
          )!,
        ),
      ),

    getUpload: (accountId, blobId) =>
      db.read(() => {
        const r = db.get<UploadRow>('SELECT * FROM upload WHERE account_id = ? AND blob_id = ? AND expires_at > ?', accountId, blobId, db.now());
        return r ? toRecord(r) : null;
      }),

    isBlobOfAccount: (accountId, blobId) =>
      db.read(
        () =>
          db.get(
            `SELECT 1 AS x FROM message WHERE blob_id = ? AND account_id = ?
             UNION ALL SELECT 1 FROM upload WHERE account_id = ? AND blob_id = ? AND expires_at > ? LIMIT 1`,
            blobId, accountId, accountId, blobId, db.now(),
          ) !== undefined,
      ),

    pruneUploads: (now) => db.write(() => db.run('DELETE FROM upload WHERE expires_at <= ?', now).changes),
  };
}
