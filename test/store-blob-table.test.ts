// TieredBlobStore: small bodies as rows with group commit, large ones as files, old data
// directories (every body a file) still read; batching counted (not timed), failures,
// dedup, GC races and SIGKILL during batches.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { TieredBlobStore, TABLE_MAX_BYTES, TABLE_FILE } from '../src/store/blob-tiered.ts';
import { DirSync, FileBlobStore } from '../src/store/blob-files.ts';
import { collectGarbage } from '../src/store/blob-gc.ts';
import { StoreError, type MailStore } from '../src/store/types.ts';
import { sha256 } from './helpers/store-fixtures.ts';
import { runUntilKilled } from './helpers/child-process.ts';

const CHILD = path.join(import.meta.dirname, 'helpers', 'blob-put-child.ts');
const HOUR = 3_600_000;

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'posthorn-blob-table-'));
  try {
    await fn(path.join(dir, 'blobs'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function referencing(ids: Set<string>): MailStore {
  return { isBlobReferenced: async (id: string) => ids.has(id) } as unknown as MailStore;
}

const bodies = (n: number, size: number) => Array.from({ length: n }, (_, i) => Buffer.alloc(size, `body ${i} `));

async function listed(blobs: TieredBlobStore): Promise<string[]> {
  const ids = [];
  for await (const b of blobs.list()) ids.push(b.id);
  return ids.sort();
}

describe('TieredBlobStore', () => {
  it('keeps bodies up to TABLE_MAX_BYTES as rows and larger ones as files; reads both, ranges too', () =>
    withDir(async (dir) => {
      const blobs = new TieredBlobStore(dir);
      const small = Buffer.alloc(TABLE_MAX_BYTES, 'abcdefghij');
      const large = Buffer.alloc(TABLE_MAX_BYTES + 1, 'klmnopqrst');
      const s = await blobs.put(small);
      const l = await blobs.put(large);
      assert.deepEqual(s, { id: sha256(small), size: small.length });
      assert.deepEqual(l, { id: sha256(large), size: large.length });
      assert.equal(blobs.table.has(s.id), true);
      assert.equal(fs.existsSync(blobs.files.pathOf(s.id)), false, 'the small body is no file');
      assert.equal(blobs.table.has(l.id), false);
      assert.equal(fs.existsSync(blobs.files.pathOf(l.id)), true, 'the large body is a file');
      for (const [id, content] of [[s.id, small], [l.id, large]] as const) {
        assert.deepEqual(await blobs.get(id), content);
        assert.deepEqual(await blobs.read(id, 3, 1000), content.subarray(3, 1000));
        assert.deepEqual(await blobs.read(id, content.length - 5, content.length + 100), content.subarray(content.length - 5), 'clamped at the end');
        assert.equal((await blobs.read(id, content.length + 10, content.length + 20)).length, 0);
        assert.equal((await blobs.read(id, 7, 7)).length, 0);
        assert.equal(await blobs.has(id), true);
      }
      assert.deepEqual(await listed(blobs), [s.id, l.id].sort());
      const empty = await blobs.put(new Uint8Array(0));
      assert.equal((await blobs.get(empty.id)).length, 0);
      await blobs.delete(s.id);
      await blobs.delete(l.id);
      assert.equal(await blobs.has(s.id), false);
      assert.equal(await blobs.has(l.id), false);
      await assert.rejects(blobs.get(s.id), (e: unknown) => e instanceof StoreError && e.code === 'NOT_FOUND');
      await assert.rejects(blobs.get('../etc/passwd'), (e: unknown) => e instanceof StoreError && e.code === 'INVALID');
      await assert.rejects(blobs.read(empty.id, 5, 2), (e: unknown) => e instanceof StoreError && e.code === 'INVALID');
      assert.equal(await blobs.has('not-an-id'), false);
      await blobs.close();
    }));

  it('reads a data directory written before the table existed (every body a file)', () =>
    withDir(async (dir) => {
      const before = new FileBlobStore(dir);
      const content = Buffer.from('written by an earlier version\r\n');
      const { id } = await before.put(content);
      const blobs = new TieredBlobStore(dir);
      assert.deepEqual(await blobs.get(id), content);
      assert.deepEqual(await blobs.read(id, 8, 13), Buffer.from('by an'));
      assert.equal(await blobs.has(id), true);
      assert.deepEqual(await listed(blobs), [id]);
      // GC still collects the old file once nothing refers to it.
      fs.utimesSync(before.pathOf(id), new Date(Date.now() - 2 * HOUR), new Date(Date.now() - 2 * HOUR));
      const r = await collectGarbage(referencing(new Set()), blobs, { graceMs: HOUR });
      assert.equal(r.deleted, 1);
      assert.equal(await blobs.has(id), false);
      await blobs.close();
    }));

  it('N concurrent small puts share one commit (one WAL fsync), counted', () =>
    withDir(async (dir) => {
      const blobs = new TieredBlobStore(dir);
      const n = 50;
      const before = blobs.syncCount();
      const results = await Promise.all(bodies(n, 10_240).map((b) => blobs.put(b)));
      assert.equal(blobs.table.stats.commits, 1);
      assert.equal(blobs.table.stats.walSyncs, 1);
      assert.equal(blobs.syncCount() - before, 1, `${n} puts, one fsync`);
      assert.equal(new Set(results.map((r) => r.id)).size, n);
      for (const [i, b] of bodies(n, 10_240).entries()) assert.deepEqual(await blobs.get(results[i].id), b);
      await blobs.close();
    }));

  it('dedups inside one batch and across batches; a repeated put advances the mtime only', () =>
    withDir(async (dir) => {
      let clock = 1_000_000;
      const blobs = new TieredBlobStore(dir, { now: () => clock });
      const content = Buffer.from('the same message twice');
      const [a, b] = await Promise.all([blobs.put(content), blobs.put(content)]);
      assert.deepEqual(a, b);
      assert.equal(blobs.table.stats.rowsWritten, 1, 'one row for both');
      assert.equal(blobs.table.stats.commits, 1);
      assert.equal(blobs.table.mtimeOf(a.id), 1_000_000);
      clock = 5_000_000;
      await blobs.put(content);
      assert.equal(blobs.table.stats.rowsWritten, 1, 'no second row');
      assert.equal(blobs.table.mtimeOf(a.id), 5_000_000, 'refreshed for the GC grace period');
      clock = 10; // a clock that went back: the mtime still advances
      await blobs.put(content);
      assert.equal(blobs.table.mtimeOf(a.id), 5_000_001);
      await blobs.close();
    }));

  it('a batch that fails fails every put in it and stores none of them', () =>
    withDir(async (dir) => {
      const blobs = new TieredBlobStore(dir);
      const batch = bodies(10, 1000);
      const poison = batch[7];
      // A second connection installs a trigger that aborts the insert of one body of the batch.
      const other = new DatabaseSync(path.join(dir, TABLE_FILE));
      other.exec(`CREATE TRIGGER fail BEFORE INSERT ON blob WHEN NEW.id = '${sha256(poison)}' BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
      const outcomes = await Promise.allSettled(batch.map((b) => blobs.put(b)));
      assert.deepEqual(outcomes.map((o) => o.status), batch.map(() => 'rejected'));
      for (const b of batch) assert.equal(await blobs.has(sha256(b)), false, 'nothing of the failed batch is stored');
      assert.equal(blobs.table.stats.rowsWritten, 0);
      assert.equal(blobs.table.stats.commits, 0);
      other.exec('DROP TRIGGER fail');
      other.close();
      const again = await Promise.all(batch.map((b) => blobs.put(b)));
      for (const [i, r] of again.entries()) assert.deepEqual(await blobs.get(r.id), batch[i]);
      assert.equal(blobs.table.stats.rowsWritten, batch.length);
      await blobs.close();
    }));

  it('answers UNAVAILABLE, not a false success, while another process holds the write lock too long', () =>
    withDir(async (dir) => {
      const blobs = new TieredBlobStore(dir, { busyTimeoutMs: 100 });
      const other = new DatabaseSync(path.join(dir, TABLE_FILE));
      other.exec('BEGIN IMMEDIATE');
      const outcomes = await Promise.allSettled([blobs.put(Buffer.from('one')), blobs.put(Buffer.from('two'))]);
      for (const o of outcomes) assert.ok(o.status === 'rejected' && o.reason instanceof StoreError && o.reason.code === 'UNAVAILABLE');
      other.exec('ROLLBACK');
      other.close();
      const { id } = await blobs.put(Buffer.from('one'));
      assert.deepEqual(await blobs.get(id), Buffer.from('one'));
      await blobs.close();
    }));

  it('large puts stay files: one file fsync each, no commit', () =>
    withDir(async (dir) => {
      const blobs = new TieredBlobStore(dir);
      const large = bodies(4, TABLE_MAX_BYTES + 100);
      const results = await Promise.all(large.map((b) => blobs.put(b)));
      assert.equal(blobs.files.stats.fileSyncs, 4);
      assert.equal(blobs.table.stats.commits, 0);
      for (const [i, r] of results.entries()) assert.deepEqual(await blobs.get(r.id), large[i]);
      await blobs.close();
    }));

  it('directory fsyncs requested in one turn share one fsync; a later request gets its own', () =>
    withDir(async (dir) => {
      fs.mkdirSync(dir, { recursive: true });
      const stats = { fileSyncs: 0, dirSyncs: 0 };
      const dirs = new DirSync(stats);
      await Promise.all(Array.from({ length: 5 }, () => dirs.sync(dir)));
      assert.equal(stats.dirSyncs, 1);
      const first = dirs.sync(dir);
      await new Promise((r) => setImmediate(r)); // the first has started: a rename now needs another
      const second = dirs.sync(dir);
      await Promise.all([first, second]);
      assert.equal(stats.dirSyncs, 3);
    }));
});

describe('TieredBlobStore garbage collection', () => {
  it('deletes unreferenced old rows, keeps referenced and young ones', () =>
    withDir(async (dir) => {
      let clock = Date.now() - 2 * HOUR;
      const blobs = new TieredBlobStore(dir, { now: () => clock });
      const referenced = await blobs.put(Buffer.from('referenced'));
      const orphan = await blobs.put(Buffer.from('orphan'));
      const largeOrphan = await blobs.put(Buffer.alloc(TABLE_MAX_BYTES + 1, 'x'));
      fs.utimesSync(blobs.files.pathOf(largeOrphan.id), new Date(clock), new Date(clock));
      clock = Date.now();
      const fresh = await blobs.put(Buffer.from('fresh orphan'));
      const r = await collectGarbage(referencing(new Set([referenced.id])), blobs, { graceMs: HOUR });
      assert.deepEqual(r, { scanned: 4, deleted: 2, referenced: 1, young: 1, tempRemoved: 0 });
      assert.equal(await blobs.has(orphan.id), false);
      assert.equal(await blobs.has(largeOrphan.id), false);
      assert.equal(await blobs.has(referenced.id), true);
      assert.equal(await blobs.has(fresh.id), true);
      await blobs.close();
    }));

  it('a put of the same content while GC decides wins: the row stays', () =>
    withDir(async (dir) => {
      let clock = Date.now() - 2 * HOUR;
      const blobs = new TieredBlobStore(dir, { now: () => clock });
      const content = Buffer.from('put again during GC');
      const { id } = await blobs.put(content);
      clock = Date.now();
      // The put resolves between GC's look at the mtime and its delete.
      const deleted = await blobs.table.deleteUnless(id, async () => {
        await blobs.put(content);
        return false;
      });
      assert.equal(deleted, false);
      assert.deepEqual(await blobs.get(id), content);
      await blobs.close();
    }));

  it('a put queued behind GC\'s delete writes the row again', () =>
    withDir(async (dir) => {
      let clock = Date.now() - 2 * HOUR;
      const blobs = new TieredBlobStore(dir, { now: () => clock });
      const content = Buffer.from('put right after GC');
      const { id } = await blobs.put(content);
      clock = Date.now();
      const [deleted, put] = await Promise.all([blobs.table.deleteUnless(id, async () => false), Promise.resolve().then(() => blobs.put(content))]);
      assert.equal(deleted, true);
      assert.equal(put.id, id);
      assert.deepEqual(await blobs.get(id), content);
      await blobs.close();
    }));
});

/** Runs the child until it has reported `killAfter` durable puts, then SIGKILLs it. */
function runAndKill(dir: string, killAfter: number): Promise<{ id: string; size: number }[]> {
  return runUntilKilled(CHILD, [dir, '8'], killAfter, (line) => {
    const [id, size] = line.split(' ');
    return { id, size: Number(size) };
  });
}

describe('TieredBlobStore under SIGKILL', () => {
  it('loses no put that resolved, across repeated kills during batches', { timeout: 120_000 }, () =>
    withDir(async (dir) => {
      const all: { id: string; size: number }[] = [];
      for (let round = 0; round < 4; round++) {
        all.push(...(await runAndKill(dir, 20 + Math.floor(Math.random() * 200))));
        const blobs = new TieredBlobStore(dir);
        for (const a of all) {
          const content = await blobs.get(a.id);
          assert.equal(content.length, a.size, `blob ${a.id} complete`);
          assert.equal(sha256(content), a.id, `blob ${a.id} intact`);
        }
        await blobs.close();
      }
      assert.ok(all.some((a) => a.size > TABLE_MAX_BYTES), 'large puts (files) were among them');
    }));
});
