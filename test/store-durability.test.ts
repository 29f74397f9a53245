// kill -9 during appends (SECURITY-CASES.md "Everyone"): after a restart every acknowledged
// append is there exactly once, no row refers to a missing or partial blob, counters match the
// rows, and no UID is handed out twice.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../src/store/sqlite/index.ts';
import { TieredBlobStore } from '../src/store/blob-tiered.ts';
import { InProcessChangeBus } from '../src/store/change-bus.ts';
import { assertBlobsIntact, assertCountersConsistent, summaryFor } from './helpers/store-fixtures.ts';
import { runUntilKilled } from './helpers/child-process.ts';

const CHILD = path.join(import.meta.dirname, 'helpers', 'store-append-child.ts');

interface Acked {
  uid: number;
  id: number;
  size: number;
}

/** Runs the child until it has acknowledged `killAfter` appends, then SIGKILLs it. */
function runAndKill(dir: string, accountId: number, mailboxId: number, killAfter: number, onLine?: (a: Acked) => void): Promise<Acked[]> {
  return runUntilKilled(CHILD, [dir, String(accountId), String(mailboxId), '4'], killAfter, (line) => {
    const [uid, id, size] = line.split(' ').map(Number);
    return { uid, id, size };
  }, onLine);
}

describe('store durability under SIGKILL', () => {
  it('loses no acknowledged append and reuses no UID across repeated kills', { timeout: 120_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'posthorn-durability-'));
    try {
      const open = () => openSqliteStore({ path: path.join(dir, 'posthorn.db'), bus: new InProcessChangeBus() });
      const blobs = new TieredBlobStore(path.join(dir, 'blobs'));
      let store = await open();
      await store.addDomain('example.org');
      const account = await store.createAccount({ address: 'u@example.org', passwordHash: 'h' });
      const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
      await store.close();

      let maxUidEver = 0;
      const allAcked: Acked[] = [];
      for (let round = 0; round < 5; round++) {
        const acked = await runAndKill(dir, account.id, inbox.id, 5 + Math.floor(Math.random() * 60));
        allAcked.push(...acked);
        store = await open();
        const rows = await store.listMessages(inbox.accountId, inbox.id);
        const byUid = new Map(rows.map((r) => [r.uid, r]));
        assert.equal(new Set(rows.map((r) => r.id)).size, rows.length, 'message ids unique');
        for (const a of allAcked) {
          const row = byUid.get(a.uid);
          assert.ok(row, `acknowledged uid ${a.uid} is there`);
          assert.equal(row.id, a.id, `uid ${a.uid} is the acknowledged message`);
          assert.equal(row.size, a.size);
        }
        await assertBlobsIntact(store, blobs, account.id);
        await assertCountersConsistent(store, account.id);
        for (const r of rows) maxUidEver = Math.max(maxUidEver, r.uid);
        for (const a of allAcked) maxUidEver = Math.max(maxUidEver, a.uid);
        const blob = await blobs.put(Buffer.from(`after restart ${round}`));
        const next = await store.appendMessage(account.id, inbox.id, { blobId: blob.id, size: blob.size, summary: summaryFor('after') });
        assert.ok(next.uid > maxUidEver, `new UID ${next.uid} > every UID handed out (${maxUidEver})`);
        maxUidEver = next.uid;
        allAcked.push({ uid: next.uid, id: next.id, size: blob.size });
        await store.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('two processes on one database', () => {
  it('a second process appending at the same time: unique UIDs, exact counters', { timeout: 120_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'posthorn-twoproc-'));
    try {
      const store = await openSqliteStore({ path: path.join(dir, 'posthorn.db'), bus: new InProcessChangeBus() });
      const blobs = new TieredBlobStore(path.join(dir, 'blobs'));
      await store.addDomain('example.org');
      const account = await store.createAccount({ address: 'u@example.org', passwordHash: 'h' });
      const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
      const mine: number[] = [];
      let stop = false;
      let first: () => void = () => {};
      const childStarted = new Promise<void>((resolve) => (first = resolve));
      // This process appends while the child does, starting once the child has committed once.
      const parentLoop = (async () => {
        await childStarted;
        while (!stop) {
          const blob = await blobs.put(Buffer.from(`parent ${mine.length} ${Math.random()}`));
          mine.push((await store.appendMessage(account.id, inbox.id, { blobId: blob.id, size: blob.size, summary: summaryFor('p') })).uid);
        }
      })();
      const theirs = await runAndKill(dir, account.id, inbox.id, 200, () => first());
      stop = true;
      await parentLoop;
      const uids = [...mine, ...theirs.map((a) => a.uid)];
      assert.equal(new Set(uids).size, uids.length, 'no UID handed out twice across processes');
      assert.ok(mine.length > 0 && theirs.length >= 200);
      const rows = await store.listMessages(inbox.accountId, inbox.id);
      const present = new Set(rows.map((r) => r.uid));
      for (const u of uids) assert.ok(present.has(u), `uid ${u} stored`);
      await assertCountersConsistent(store, account.id);
      await assertBlobsIntact(store, blobs, account.id);
      await store.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
