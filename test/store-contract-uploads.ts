// Store contract: uploads belong to one account, expire, and decide with messages which blobs
// an account may read; GC keeps an unexpired upload's blob.

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { collectGarbage } from '../src/store/blob-gc.ts';
import { withStore, type OpenTestStore } from './helpers/store-contract-kit.ts';

const HOUR = 3_600_000;

export function uploadsContract(open: OpenTestStore): void {
  it('an upload is its account’s only, until it expires; a message blob is readable by its account only', () =>
    withStore(open, async (ctx) => {
      const { store, blobs, account, inbox } = ctx;
      const other = await store.createAccount({ address: 'other@example.org', passwordHash: 'h' });
      const blob = await blobs.put(new TextEncoder().encode('uploaded bytes'));
      const record = await store.recordUpload(account.id, { blobId: blob.id, type: 'text/plain', size: blob.size, expiresAt: Date.now() + HOUR });
      assert.equal(record.blobId, blob.id);
      assert.equal(record.type, 'text/plain');
      assert.equal(record.size, blob.size);
      assert.deepEqual(await store.getUpload(account.id, blob.id), record);
      assert.equal(await store.getUpload(other.id, blob.id), null, 'another account does not see it');
      assert.equal(await store.isBlobOfAccount(account.id, blob.id), true);
      assert.equal(await store.isBlobOfAccount(other.id, blob.id), false);

      const expired = await blobs.put(new TextEncoder().encode('expired upload'));
      await store.recordUpload(account.id, { blobId: expired.id, type: 'application/octet-stream', size: expired.size, expiresAt: Date.now() - 1 });
      assert.equal(await store.getUpload(account.id, expired.id), null);
      assert.equal(await store.isBlobOfAccount(account.id, expired.id), false);
      assert.equal(await store.isBlobReferenced(expired.id), false);

      const message = await ctx.append(inbox, { subject: 'mine' });
      assert.equal(await store.isBlobOfAccount(account.id, message.blobId), true);
      assert.equal(await store.isBlobOfAccount(other.id, message.blobId), false);

      assert.equal(await store.pruneUploads(Date.now()), 1, 'only the expired upload goes');
      assert.ok(await store.getUpload(account.id, blob.id));
    }));

  it('GC keeps an unexpired upload’s blob; removing the account releases it', () =>
    withStore(open, async (ctx) => {
      const { store, blobs, account } = ctx;
      const blob = await blobs.put(new TextEncoder().encode('keep me while uploaded'));
      await store.recordUpload(account.id, { blobId: blob.id, type: 'text/plain', size: blob.size, expiresAt: Date.now() + HOUR });
      assert.equal(await store.isBlobReferenced(blob.id), true);
      await collectGarbage(store, blobs, { graceMs: 0, now: () => Date.now() + HOUR });
      assert.equal(await blobs.has(blob.id), true);
      await store.removeAccount(account.id);
      assert.equal(await store.isBlobReferenced(blob.id), false);
    }));
}
