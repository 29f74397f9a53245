// FileBlobStore and blob garbage collection.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileBlobStore, GC_PREFIX, SYNC_READ_MAX, TEMP_PREFIX } from '../src/store/blob-files.ts';
import { collectGarbage } from '../src/store/blob-gc.ts';
import { StoreError, type MailStore } from '../src/store/types.ts';
import { sha256 } from './helpers/store-fixtures.ts';

async function withBlobs(fn: (blobs: FileBlobStore, dir: string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'posthorn-blobs-'));
  try {
    await fn(new FileBlobStore(path.join(dir, 'blobs')), path.join(dir, 'blobs'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Only isBlobReferenced matters to GC. */
function referencing(ids: Set<string>): MailStore {
  return { isBlobReferenced: async (id: string) => ids.has(id) } as unknown as MailStore;
}

const old = (ms: number) => new Date(Date.now() - ms);

describe('FileBlobStore', () => {
  it('stores content-addressed, fanned out, and reads ranges', () =>
    withBlobs(async (blobs, dir) => {
      const content = Buffer.from('0123456789'.repeat(1000));
      const { id, size } = await blobs.put(content);
      assert.equal(id, sha256(content));
      assert.equal(size, content.length);
      assert.ok(fs.existsSync(path.join(dir, id.slice(0, 2), id.slice(2, 4), id)));
      assert.deepEqual(await blobs.get(id), content);
      assert.equal((await blobs.read(id, 5, 15)).toString(), '5678901234');
      assert.equal((await blobs.read(id, 9995, 20000)).toString(), '56789', 'clamped at the end');
      assert.equal((await blobs.read(id, 20000, 30000)).length, 0);
      assert.equal((await blobs.read(id, 3, 3)).length, 0);
      assert.equal(await blobs.has(id), true);
      const listed = [];
      for await (const b of blobs.list()) listed.push(b.id);
      assert.deepEqual(listed, [id]);
      await blobs.delete(id);
      await blobs.delete(id);
      assert.equal(await blobs.has(id), false);
      await assert.rejects(blobs.get(id), (e: unknown) => e instanceof StoreError && e.code === 'NOT_FOUND');
      const empty = await blobs.put(new Uint8Array(0));
      assert.equal((await blobs.get(empty.id)).length, 0);
    }));

  it('small reads (synchronous) and large reads (asynchronous) give the same bytes', () =>
    withBlobs(async (blobs) => {
      const big = Buffer.alloc(SYNC_READ_MAX * 3 + 17);
      for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 9)) & 0xff;
      const small = big.subarray(0, 1000);
      const { id: bigId } = await blobs.put(big);
      const { id: smallId } = await blobs.put(small);
      assert.ok((await blobs.get(bigId)).equals(big), 'large get');
      assert.ok((await blobs.get(smallId)).equals(small), 'small get');
      const ranges: [number, number][] = [[0, 10], [5, SYNC_READ_MAX + 5], [100, SYNC_READ_MAX * 2 + 100], [big.length - 5, big.length + 50], [big.length + 10, big.length + 20]];
      for (const [start, end] of ranges) {
        assert.ok((await blobs.read(bigId, start, end)).equals(big.subarray(start, end)), `range ${start}-${end}`);
      }
      await assert.rejects(blobs.read('0'.repeat(64), 0, 10), (err: unknown) => err instanceof StoreError && err.code === 'NOT_FOUND');
      await assert.rejects(blobs.get('0'.repeat(64)), (err: unknown) => err instanceof StoreError && err.code === 'NOT_FOUND');
    }));

  it('refuses ids that are not sha-256 hex (no path tricks)', () =>
    withBlobs(async (blobs) => {
      for (const bad of ['../../etc/passwd', 'ab', 'A'.repeat(64), 'g'.repeat(64)]) {
        await assert.rejects(blobs.get(bad), (e: unknown) => e instanceof StoreError && e.code === 'INVALID');
        assert.equal(await blobs.has(bad), false);
      }
      const { id } = await blobs.put(Buffer.from('x'));
      await assert.rejects(blobs.read(id, 5, 2), (e: unknown) => e instanceof StoreError && e.code === 'INVALID');
    }));

  it('does not rewrite an existing blob but refreshes its mtime', () =>
    withBlobs(async (blobs) => {
      const content = Buffer.from('same content');
      const { id } = await blobs.put(content);
      const file = blobs.pathOf(id);
      const ino = fs.statSync(file).ino;
      fs.utimesSync(file, old(86_400_000), old(86_400_000));
      const aged = fs.statSync(file).mtimeMs;
      await blobs.put(content);
      const st = fs.statSync(file);
      assert.equal(st.ino, ino, 'same file, not rewritten');
      assert.ok(st.mtimeMs > aged, 'mtime refreshed');
    }));

  it('concurrent puts of the same content leave one intact blob and no temp files', () =>
    withBlobs(async (blobs, dir) => {
      const content = Buffer.alloc(100_000, 7);
      const results = await Promise.all(Array.from({ length: 8 }, () => blobs.put(content)));
      assert.equal(new Set(results.map((r) => r.id)).size, 1);
      assert.deepEqual(await blobs.get(results[0].id), content);
      const leftovers = fs.readdirSync(path.dirname(blobs.pathOf(results[0].id))).filter((n) => n.startsWith('.'));
      assert.deepEqual(leftovers, []);
      assert.ok(fs.existsSync(dir));
    }));
});

describe('collectGarbage', () => {
  it('deletes unreferenced blobs older than the grace period, and stale temp files', () =>
    withBlobs(async (blobs) => {
      const referenced = await blobs.put(Buffer.from('referenced'));
      const orphan = await blobs.put(Buffer.from('orphan'));
      const fresh = await blobs.put(Buffer.from('fresh orphan'));
      for (const id of [referenced.id, orphan.id]) fs.utimesSync(blobs.pathOf(id), old(7_200_000), old(7_200_000));
      const dir = path.dirname(blobs.pathOf(orphan.id));
      const staleTemp = path.join(dir, TEMP_PREFIX + 'deadbeef');
      const freshTemp = path.join(dir, TEMP_PREFIX + 'cafebabe');
      fs.writeFileSync(staleTemp, 'partial');
      fs.utimesSync(staleTemp, old(7_200_000), old(7_200_000));
      fs.writeFileSync(freshTemp, 'in progress');

      const r = await collectGarbage(referencing(new Set([referenced.id])), blobs, { graceMs: 3_600_000 });
      assert.deepEqual(r, { scanned: 3, deleted: 1, referenced: 1, young: 1, tempRemoved: 1 });
      assert.equal(await blobs.has(orphan.id), false);
      assert.equal(await blobs.has(referenced.id), true);
      assert.equal(await blobs.has(fresh.id), true);
      assert.equal(fs.existsSync(staleTemp), false);
      assert.equal(fs.existsSync(freshTemp), true);
    }));

  it('keeps a blob that becomes referenced while GC looks at it', () =>
    withBlobs(async (blobs) => {
      const b = await blobs.put(Buffer.from('late append'));
      fs.utimesSync(blobs.pathOf(b.id), old(7_200_000), old(7_200_000));
      let calls = 0;
      // Unreferenced at the first look, referenced at the re-check (the append committed between).
      const store = { isBlobReferenced: async () => ++calls > 1 } as unknown as MailStore;
      const r = await collectGarbage(store, blobs, { graceMs: 3_600_000 });
      assert.equal(r.deleted, 0);
      assert.equal(await blobs.has(b.id), true);
    }));

  it('keeps a blob whose put refreshed it while GC had set it aside', () =>
    withBlobs(async (blobs) => {
      const content = Buffer.from('put again during GC');
      const b = await blobs.put(content);
      fs.utimesSync(blobs.pathOf(b.id), old(7_200_000), old(7_200_000));
      const deleted = await blobs.deleteUnless(b.id, async () => {
        await blobs.put(content); // finds it missing and writes it again
        return false;
      });
      assert.equal(deleted, true, 'the set-aside copy is gone');
      assert.deepEqual(await blobs.get(b.id), content, 'the fresh copy survives');
    }));

  it('restores blobs set aside by an interrupted GC run', () =>
    withBlobs(async (blobs) => {
      const b = await blobs.put(Buffer.from('interrupted'));
      const aside = path.join(path.dirname(blobs.pathOf(b.id)), GC_PREFIX + b.id);
      fs.renameSync(blobs.pathOf(b.id), aside);
      const r = await collectGarbage(referencing(new Set([b.id])), blobs, { graceMs: 0 });
      assert.equal(r.referenced, 1);
      assert.equal(await blobs.has(b.id), true);
      assert.equal(fs.existsSync(aside), false);
    }));
});
