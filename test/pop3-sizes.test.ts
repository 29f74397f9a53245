// POP3 sizes as transmitted (src/pop3/sizes.ts): measured once per blob by the same encoder as
// RETR, and remembered in the store, so a restart (a new, empty in-process cache) does not read
// every blob of the maildrop again.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../src/store/sqlite/index.ts';
import { FileBlobStore } from '../src/store/blob-files.ts';
import { InProcessChangeBus } from '../src/store/change-bus.ts';
import { PopSizeCache } from '../src/pop3/sizes.ts';
import type { BlobStore } from '../src/store/types.ts';
import { summaryFor } from './helpers/store-fixtures.ts';

/** A BlobStore that counts the reads POP3 sizing makes. */
function counting(blobs: BlobStore): BlobStore & { reads: number } {
  const c = {
    reads: 0,
    put: (b: Uint8Array) => blobs.put(b),
    get: (id: string) => { c.reads++; return blobs.get(id); },
    read: (id: string, s: number, e: number) => { c.reads++; return blobs.read(id, s, e); },
    has: (id: string) => blobs.has(id),
    delete: (id: string) => blobs.delete(id),
    list: () => blobs.list(),
  };
  return c;
}

test('measured POP3 sizes survive a restart: the second cache reads no blob and gives the same sizes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'posthorn-pop3-sizes-'));
  try {
    const store = await openSqliteStore({ path: join(dir, 'p.db'), bus: new InProcessChangeBus() });
    const files = new FileBlobStore(join(dir, 'blobs'));
    await store.addDomain('example.org');
    const acc = await store.createAccount({ address: 'u@example.org', passwordHash: 'h' });
    const inbox = (await store.getMailbox(acc.id, 'INBOX'))!;
    const items = [];
    // Bare LF line ends: the POP3 size (CRLF on the wire) differs from the stored size.
    for (const body of ['Subject: a\n\nline one\nline two\n', 'Subject: b\r\n\r\nalready CRLF\r\n', 'Subject: c\n\n.dot first\n']) {
      const blob = await files.put(Buffer.from(body));
      await store.appendMessage(acc.id, inbox.id, { blobId: blob.id, size: blob.size, summary: summaryFor('x') });
      items.push({ blobId: blob.id, storedSize: blob.size });
    }
    const errors: unknown[] = [];
    const first = counting(files);
    const before = new PopSizeCache(first, store, (e) => errors.push(e));
    const sizes = await before.sizesOf(inbox.accountId, inbox.id, items);
    assert.equal(first.reads, 3);
    assert.deepEqual(sizes, [items[0].storedSize + 4, items[1].storedSize, items[2].storedSize + 3], "one octet per bare LF");
    await before.remembering;

    const second = counting(files);
    const after = new PopSizeCache(second, store, (e) => errors.push(e));
    assert.deepEqual(await after.sizesOf(inbox.accountId, inbox.id, items), sizes);
    assert.equal(second.reads, 0, 'nothing read again');
    assert.deepEqual(errors, []);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
