// Validation of ids handed to the SQLite backend before they reach SQL.

import { StoreError } from '../types.ts';

export const BLOB_ID = /^[0-9a-f]{64}$/;

/** UIDs (or other positive ids) as the JSON list json_each() reads; INVALID for anything else. */
export function checkUids(uids: readonly number[], what = 'uid'): string {
  for (const u of uids) {
    if (!Number.isSafeInteger(u) || u < 1) throw new StoreError('INVALID', `invalid ${what} ${u}`);
  }
  return JSON.stringify(uids);
}
