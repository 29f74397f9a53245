// Runs the store contract against the SQLite backend, plus what only a file-backed store can
// show: state across close and reopen, migrations, two connections on one file.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../src/store/sqlite/index.ts';
import { FileBlobStore } from '../src/store/blob-files.ts';
import { TieredBlobStore } from '../src/store/blob-tiered.ts';
import { InProcessChangeBus } from '../src/store/change-bus.ts';
import { storeContract } from './store-contract.ts';
import { MIGRATIONS } from '../src/store/sqlite/migrations.ts';
import { summaryFor } from './helpers/store-fixtures.ts';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'posthorn-store-'));
}

storeContract('sqlite', async () => {
  const dir = tempDir();
  const bus = new InProcessChangeBus();
  const store = await openSqliteStore({ path: path.join(dir, 'posthorn.db'), bus });
  return { store, bus, blobs: new TieredBlobStore(path.join(dir, 'blobs')), cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }) };
});

storeContract('sqlite without group commit', async () => {
  const dir = tempDir();
  const bus = new InProcessChangeBus();
  const store = await openSqliteStore({ path: path.join(dir, 'posthorn.db'), bus, groupCommit: false });
  return { store, bus, blobs: new FileBlobStore(path.join(dir, 'blobs')), cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }) };
});

describe('sqlite backend on disk', () => {
  const withDir = async (fn: (dir: string) => Promise<void>) => {
    const dir = tempDir();
    try {
      await fn(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  const open = (dir: string) => openSqliteStore({ path: path.join(dir, 'posthorn.db'), bus: new InProcessChangeBus() });
  const blobId = 'a'.repeat(64);

  it('keeps UIDs, modseqs and counters across close and reopen', () =>
    withDir(async (dir) => {
      let store = await open(dir);
      await store.addDomain('example.org');
      const acc = await store.createAccount({ address: 'u@example.org', passwordHash: 'h' });
      const inbox = (await store.getMailbox(acc.id, 'INBOX'))!;
      for (let i = 0; i < 3; i++) await store.appendMessage(acc.id, inbox.id, { blobId, size: 10, summary: summaryFor('x') });
      await store.expunge(acc.id, inbox.id, { uids: [3], onlyDeleted: false });
      const modseq = (await store.getAccount(acc.id))!.modseq;
      await store.close();
      await assert.rejects(store.getAccount(acc.id), /closed/);

      store = await open(dir);
      const r = await store.appendMessage(acc.id, inbox.id, { blobId, size: 10, summary: summaryFor('x') });
      assert.equal(r.uid, 4, 'the expunged last UID is not reused after a restart');
      assert.ok(r.modseq > modseq);
      assert.equal(r.uidValidity, inbox.uidValidity);
      assert.deepEqual(await store.quota(acc.id), { usedBytes: 30, limitBytes: null, messageCount: 3 });
      assert.equal(await store.claimArrivals(inbox.accountId, inbox.id, 2), 0);
      await store.close();
      store = await open(dir);
      assert.equal((await store.getMailboxById(acc.id, inbox.id))?.arrivalMark, 2, 'the \\Recent mark is kept across a restart');
      assert.equal(await store.countUnclaimedArrivals(inbox.accountId, inbox.id), 1);
      await store.close();
    }));

  it('hands out UIDs up to 2^32-1 and then refuses (RFC 9051 §9)', () =>
    withDir(async (dir) => {
      const store = await open(dir);
      await store.addDomain('example.org');
      const acc = await store.createAccount({ address: 'u@example.org', passwordHash: 'h' });
      const inbox = (await store.getMailbox(acc.id, 'INBOX'))!;
      const { DatabaseSync } = await import('node:sqlite');
      const raw = new DatabaseSync(path.join(dir, 'posthorn.db'));
      raw.prepare('UPDATE mailbox SET uid_next = ? WHERE id = ?').run(0xffffffff, inbox.id);
      raw.close();
      const last = await store.appendMessage(acc.id, inbox.id, { blobId, size: 1, summary: summaryFor('x') });
      assert.equal(last.uid, 0xffffffff);
      await assert.rejects(store.appendMessage(acc.id, inbox.id, { blobId, size: 1, summary: summaryFor('x') }), { code: 'CANNOT' });
      assert.equal((await store.quota(acc.id)).messageCount, 1);
      await store.close();
    }));

  it('migration 2 moves each message\'s parsed content into one row per blob, losing nothing', () =>
    withDir(async (dir) => {
      const { DatabaseSync } = await import('node:sqlite');
      const file = path.join(dir, 'posthorn.db');
      // A database as version 1 left it: summary and search text inside the message rows.
      const v1 = new DatabaseSync(file);
      v1.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)');
      v1.exec(MIGRATIONS[0].sql);
      v1.exec("INSERT INTO schema_version VALUES (1, 'v1', 0)");
      v1.exec("INSERT INTO domain (name, created_at) VALUES ('example.org', 0)");
      v1.exec("INSERT INTO account (address, domain_id, password_hash, next_uid_validity, created_at) VALUES ('u@example.org', 1, 'h', 2, 0)");
      v1.exec("INSERT INTO mailbox (account_id, name, uid_validity, uid_next, highest_modseq, created_at) VALUES (1, 'INBOX', 1, 4, 3, 0)");
      const blobA = 'a'.repeat(64);
      const blobB = 'b'.repeat(64);
      const insert = v1.prepare(`INSERT INTO message (account_id, mailbox_id, uid, modseq, flags, seen, deleted, internal_date, size, blob_id, summary, search_text)
        VALUES (1, 1, ?, ?, '[]', 0, 0, 0, 10, ?, ?, ?)`);
      insert.run(1, 1, blobA, JSON.stringify(summaryFor('first')), 'text a');
      insert.run(2, 2, blobA, JSON.stringify(summaryFor('first')), 'text a');
      insert.run(3, 3, blobB, JSON.stringify(summaryFor('second')), null);
      // A change log as it piled up before migration 5: two flag rows for message 1, message 9
      // added, flagged and removed.
      const log = v1.prepare('INSERT INTO change_log (account_id, modseq, kind, mailbox_id, uid, message_id) VALUES (1, ?, ?, 1, ?, ?)');
      log.run(1, 'message-flags', 1, 1);
      log.run(2, 'message-flags', 1, 1);
      log.run(3, 'message-added', 9, 9);
      log.run(4, 'message-flags', 9, 9);
      log.run(5, 'message-removed', 9, 9);
      v1.close();

      const store = await open(dir);
      // Migration 5: only the latest row per message is left.
      assert.deepEqual(((await store.changesSince(1, 0)).changes).map((c) => [c.modseq, c.kind, c.uid]), [[2, 'message-flags', 1], [5, 'message-removed', 9]]);
      try {
        // Migration 7: every message an Email of its own with a thread; log rows of messages
        // that still exist learn their Email and thread.
        const records = await store.listMessages(1, 1);
        assert.equal(new Set(records.map((r) => r.emailId)).size, 3);
        assert.ok(records.every((r) => r.threadId > 0));
        const emails = await store.getEmails(1, records.map((r) => r.emailId));
        assert.deepEqual(emails.map((e) => e.mailboxes.map((m) => m.uid)).sort(), [[1], [2], [3]]);
        const flagRow = (await store.changesSince(1, 0)).changes.find((c) => c.uid === 1);
        assert.deepEqual([flagRow?.emailId, flagRow?.threadId], [records[0].emailId, records[0].threadId]);
        const msgs = await store.getMessages(1, 1, [1, 2, 3]);
        assert.deepEqual(msgs.map((m) => [m.uid, m.blobId, m.summary.subject]), [[1, blobA, 'first'], [2, blobA, 'first'], [3, blobB, 'second']]);
        assert.deepEqual(await store.getSearchTexts(1, 1, [1, 3]), [{ uid: 1, text: 'text a' }, { uid: 3, text: '' }]);
        assert.equal((await store.getAccount(1))?.usedBytes, 30, 'counters untouched by the migration');
        // Migration 13: the word index and the message rows' copies of the sort keys, from what was stored.
        const query = { filter: null, sort: [], collapseThreads: false, position: 0, anchor: null, anchorOffset: 0, limit: null, calculateTotal: false };
        assert.equal((await store.queryEmails(1, { ...query, filter: { kind: 'textContains', terms: ['text'] } })).emailIds.length, 2);
        const bySubject = await store.queryEmails(1, { ...query, filter: { kind: 'inMailbox', mailboxId: 1 }, sort: [{ key: 'subject', ascending: false, collation: 'i;ascii-casemap' }] });
        assert.deepEqual(bySubject.emailIds, [records[2].emailId, records[1].emailId, records[0].emailId]);
        assert.equal((await store.queryEmails(1, { ...query, filter: { kind: 'hasAttachment', value: false } })).emailIds.length, 3);
        // The content row goes with the last message of its blob.
        await store.expunge(1, 1, { uids: [1], onlyDeleted: false });
        assert.equal((await store.getMessages(1, 1, [2]))[0].summary.subject, 'first');
        await store.expunge(1, 1, { uids: [2], onlyDeleted: false });
        // Migration 4: SEARCH/SORT keys computed from the stored summaries (casemapped, lower-cased).
        const keyed = await store.listMessagesWithKeys(1, 1, ['sortSubject', 'searchSubject', 'sentDate', 'searchTo']);
        assert.deepEqual(keyed.map((k) => [k.record.uid, ...k.keys]), [[3, 'SECOND', 'second', null, null]]);
        // Migration 3: messages stored before \Recent was kept are not recent to anyone.
        assert.equal((await store.getMailboxById(1, 1))?.arrivalMark, 3);
        assert.equal(await store.countUnclaimedArrivals(1, 1), 0);
      } finally {
        await store.close();
      }
      const db = new DatabaseSync(file);
      assert.deepEqual(db.prepare('SELECT blob_id FROM message_content').all().map((r) => r.blob_id), [blobB]);
      db.close();
    }));

  it('migration 10 counts the unread Emails and the threads of existing mailboxes (RFC 8621 §2)', () =>
    withDir(async (dir) => {
      const { DatabaseSync } = await import('node:sqlite');
      // A database as version 8 left it, with messages in two threads.
      const v8 = new DatabaseSync(path.join(dir, 'posthorn.db'));
      v8.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)');
      for (const m of MIGRATIONS.filter((m) => m.version < 10)) {
        v8.exec(m.sql);
        m.run?.(v8);
        v8.prepare('INSERT INTO schema_version VALUES (?, ?, 0)').run(m.version, m.description);
      }
      v8.exec("INSERT INTO domain (name, created_at) VALUES ('example.org', 0)");
      v8.exec("INSERT INTO account (address, domain_id, password_hash, next_uid_validity, created_at) VALUES ('u@example.org', 1, 'h', 2, 0)");
      v8.exec("INSERT INTO mailbox (account_id, name, uid_validity, uid_next, highest_modseq, created_at) VALUES (1, 'INBOX', 1, 5, 4, 0)");
      const insert = v8.prepare(`INSERT INTO message (account_id, mailbox_id, uid, modseq, flags, seen, deleted, internal_date, size, blob_id, email_id, thread_id)
        VALUES (1, 1, ?, ?, ?, ?, ?, 0, 10, ?, ?, ?)`);
      insert.run(1, 1, '[]', 0, 0, 'a'.repeat(64), 1, 1);
      insert.run(2, 2, JSON.stringify(['\\Seen']), 1, 0, 'b'.repeat(64), 2, 1);
      insert.run(3, 3, JSON.stringify(['\\Draft']), 0, 0, 'c'.repeat(64), 3, 2);
      insert.run(4, 4, JSON.stringify(['\\Deleted']), 0, 1, 'd'.repeat(64), 4, 3);
      v8.close();
      const store = await open(dir);
      try {
        assert.deepEqual(await store.mailboxCounts(1), [{ mailboxId: 1, emails: 3, unreadEmails: 1, threads: 2, unreadThreads: 1 }]);
        assert.equal((await store.getMailboxById(1, 1))?.sortOrder, 0);
        // The triggers carry on from the counted state.
        await store.setFlags(1, 1, [1], 'add', ['\\Seen']);
        await store.setFlags(1, 1, [4], 'remove', ['\\Deleted']);
        assert.deepEqual(await store.mailboxCounts(1), [{ mailboxId: 1, emails: 4, unreadEmails: 1, threads: 3, unreadThreads: 1 }]);
      } finally {
        await store.close();
      }
    }));

  it('records the schema version and migrates idempotently', () =>
    withDir(async (dir) => {
      await (await open(dir)).close();
      const store = await open(dir);
      await store.close();
      const { DatabaseSync } = await import('node:sqlite');
      const db = new DatabaseSync(path.join(dir, 'posthorn.db'));
      const rows = db.prepare('SELECT version FROM schema_version').all();
      assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version));
      assert.equal(db.prepare('PRAGMA journal_mode').get()?.journal_mode, 'wal');
      db.close();
    }));

  it('sees accounts another connection (the CLI) adds, and both can write', () =>
    withDir(async (dir) => {
      const server = await open(dir);
      const cli = await open(dir);
      await cli.addDomain('example.org');
      const acc = await cli.createAccount({ address: 'new@example.org', passwordHash: 'h' });
      assert.equal((await server.getAccountByAddress('new@example.org'))?.id, acc.id, 'no stale cache');
      const inbox = (await server.getMailbox(acc.id, 'INBOX'))!;
      const writes = [];
      for (let i = 0; i < 20; i++) {
        const s = i % 2 ? server : cli;
        writes.push(s.appendMessage(acc.id, inbox.id, { blobId, size: 1, summary: summaryFor('x') }));
      }
      const results = await Promise.all(writes);
      assert.deepEqual(results.map((r) => r.uid).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
      await cli.setQuota(acc.id, 5);
      await assert.rejects(server.appendMessage(acc.id, inbox.id, { blobId, size: 1, summary: summaryFor('x') }), { code: 'OVER_QUOTA' });
      await server.close();
      await cli.close();
    }));

  it('waits for another process\'s write lock without blocking the event loop, then writes', () =>
    withDir(async (dir) => {
      const store = await openSqliteStore({ path: path.join(dir, 'posthorn.db'), bus: new InProcessChangeBus(), busyTimeoutMs: 5000 });
      await store.addDomain('example.org');
      const { DatabaseSync } = await import('node:sqlite');
      const other = new DatabaseSync(path.join(dir, 'posthorn.db'));
      other.exec('BEGIN IMMEDIATE');
      const write = store.addDomain('example.net');
      let settled = false;
      write.then(() => { settled = true; }, () => { settled = true; });
      // While the write waits, the loop turns: timers fire and reads are answered. A wait that
      // blocked the loop would hold these timers until the busy timeout had passed, and the write
      // would have failed (UNAVAILABLE) before they ran.
      for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(settled, false, 'after 20 timer turns the write is still waiting for the lock');
      assert.equal((await store.listDomains()).length, 1, 'a read is answered meanwhile');
      other.exec('COMMIT');
      other.close();
      // A write still waiting when busyTimeoutMs runs out rejects with UNAVAILABLE: resolving
      // means it was written once the lock was released.
      await write;
      assert.equal((await store.listDomains()).length, 2);
      await store.close();
    }));

  it('answers UNAVAILABLE, not a false success, while another process holds the write lock', () =>
    withDir(async (dir) => {
      const bus = new InProcessChangeBus();
      const store = await openSqliteStore({ path: path.join(dir, 'posthorn.db'), bus, busyTimeoutMs: 50 });
      await store.addDomain('example.org');
      const acc = await store.createAccount({ address: 'u@example.org', passwordHash: 'h' });
      const events: number[] = [];
      bus.subscribe(acc.id, (e) => events.push(e.modseq));
      const { DatabaseSync } = await import('node:sqlite');
      const other = new DatabaseSync(path.join(dir, 'posthorn.db'));
      other.exec('BEGIN IMMEDIATE');
      await assert.rejects(store.addDomain('example.net'), { code: 'UNAVAILABLE' });
      await assert.rejects(store.createMailbox(acc.id, 'Locked'), { code: 'UNAVAILABLE' });
      assert.deepEqual(events, [], 'no event for a mutation that did not commit');
      other.exec('ROLLBACK');
      other.close();
      await store.addDomain('example.net');
      assert.equal((await store.listDomains()).length, 2);
      assert.equal(await store.getMailbox(acc.id, 'Locked'), null);
      await store.close();
    }));
});
