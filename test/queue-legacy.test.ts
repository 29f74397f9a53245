// Upgrading from a Posthorn that kept its outbound queue in <dataDir>/queue.db (bodies inside):
// on first open of the store the queued mail is carried in with its progress, bodies become
// blobs, the old file is renamed to queue.db.migrated, and nothing is carried twice. The old
// database here is written by a process killed right after its commit, as a crashed old server
// would leave it (its last transactions still in the WAL).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/server/config.ts';
import { openConfiguredStore } from '../src/server/open-store.ts';
import { staticResolver } from '../src/net/dns.ts';
import { startHarness, startPeer } from './smtp-harness.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The schema of the old queue.db, as the previous version created it. */
const LEGACY_SCHEMA = `
CREATE TABLE queue_message (id INTEGER PRIMARY KEY, sender TEXT NOT NULL, created_at INTEGER NOT NULL, size INTEGER NOT NULL,
  is_bounce INTEGER NOT NULL DEFAULT 0, body BLOB NOT NULL);
CREATE TABLE queue_recipient (id INTEGER PRIMARY KEY, message_id INTEGER NOT NULL REFERENCES queue_message(id) ON DELETE CASCADE,
  address TEXT NOT NULL, domain TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL, last_error TEXT, last_status TEXT, last_remote TEXT, delay_notified INTEGER NOT NULL DEFAULT 0);
`;

const OLD_BODY = 'From: alice@posthorn.test\r\nTo: carol@remote.test\r\nSubject: queued before the upgrade\r\n\r\nhello\r\n';

/** Writes a legacy queue.db in a child that is SIGKILLed after its last commit. */
function writeLegacyQueue(dir: string, nextAttemptAt: number): void {
  const script = `
    const { DatabaseSync } = require('node:sqlite');
    const db = new DatabaseSync(${JSON.stringify(join(dir, 'queue.db'))});
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;');
    db.exec(${JSON.stringify(LEGACY_SCHEMA)});
    const body = Buffer.from(${JSON.stringify(OLD_BODY)});
    db.prepare('INSERT INTO queue_message VALUES (1, ?, 1000, ?, 0, ?)').run('alice@posthorn.test', body.length, body);
    db.prepare("INSERT INTO queue_recipient VALUES (1, 1, 'carol@remote.test', 'remote.test', 'pending', 2, ?, '451 4.4.1 busy', '4.4.1', 'mx1.remote.test', 0)").run(${nextAttemptAt});
    db.prepare("INSERT INTO queue_recipient VALUES (2, 1, 'dave@remote.test', 'remote.test', 'delivered', 1, 0, NULL, NULL, 'mx1.remote.test', 0)").run();
    db.prepare('INSERT INTO queue_message VALUES (2, ?, 2000, 4, 1, ?)').run('', Buffer.from('DSN!'));
    db.prepare("INSERT INTO queue_recipient VALUES (3, 2, 'erin@other.test', 'other.test', 'pending', 1, ?, NULL, NULL, NULL, 1)").run(${nextAttemptAt});
    process.kill(process.pid, 'SIGKILL');
  `;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(r.signal, 'SIGKILL', r.stderr);
}

test('the old queue.db is carried into the store once, bodies as blobs, and renamed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'posthorn-queue-legacy-'));
  dirs.push(dir);
  writeLegacyQueue(dir, 5000);
  assert.ok(existsSync(join(dir, 'queue.db-wal')), 'the old server left its WAL behind');
  const config = loadConfig({ env: { POSTHORN_DATA_DIR: dir } });

  const first = await openConfiguredStore(config);
  assert.equal(first.carriedQueueMessages, 2);
  const list = await first.store.queue.list();
  assert.deepEqual(list.map((m) => [m.sender, m.createdAt, m.isBounce, m.size]), [['alice@posthorn.test', 1000, false, Buffer.byteLength(OLD_BODY)], ['', 2000, true, 4]]);
  assert.deepEqual(list[0].recipients.map((r) => [r.address, r.state, r.attempts, r.nextAttemptAt, r.lastError, r.lastStatus, r.lastRemote]), [
    ['carol@remote.test', 'pending', 2, 5000, '451 4.4.1 busy', '4.4.1', 'mx1.remote.test'],
    ['dave@remote.test', 'delivered', 1, 0, null, null, 'mx1.remote.test'],
  ]);
  assert.equal(list[1].recipients[0].delayNotified, true);
  assert.equal((await first.blobs.get(list[0].blobId)).toString(), OLD_BODY);
  assert.equal(await first.store.isBlobReferenced(list[0].blobId), true);
  assert.ok(!existsSync(join(dir, 'queue.db')) && !existsSync(join(dir, 'queue.db-wal')), 'the old files are moved aside');
  assert.ok(existsSync(join(dir, 'queue.db.migrated')));
  await first.close();

  // Opened again: nothing more. The same file back in place (a crash after the commit, before
  // the rename) is recognised and only renamed.
  const second = await openConfiguredStore(config);
  assert.equal(second.carriedQueueMessages, 0);
  assert.equal((await second.store.queue.list()).length, 2);
  await second.close();
  renameSync(join(dir, 'queue.db.migrated'), join(dir, 'queue.db'));
  const third = await openConfiguredStore(config);
  assert.equal(third.carriedQueueMessages, 0);
  assert.equal((await third.store.queue.list()).length, 2, 'not carried twice');
  assert.ok(!existsSync(join(dir, 'queue.db')));
  await third.close();
});

test('an upgraded server delivers the mail an older one had queued', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'posthorn-queue-legacy-'));
  dirs.push(dir);
  writeLegacyQueue(dir, 0);
  const peer = await startPeer();
  const resolver = staticResolver({
    'remote.test': { MX: [{ exchange: 'mx1.remote.test', priority: 10 }] },
    'other.test': { MX: [{ exchange: 'mx1.remote.test', priority: 10 }] },
    'mx1.remote.test': { A: ['127.0.0.1'] },
  });
  const h = await startHarness({ dir, roles: ['submissions'], smtp: { resolver, mxPort: peer.port } });
  try {
    const got = await peer.received(2);
    const carol = got.find((m) => m.to.includes('carol@remote.test'));
    assert.ok(carol, 'the pending recipient is delivered');
    assert.deepEqual(carol.to, ['carol@remote.test'], 'the recipient delivered before the upgrade is not sent again');
    assert.match(carol.raw, /Subject: queued before the upgrade/);
    const dsn = got.find((m) => m.to.includes('erin@other.test'));
    assert.equal(dsn?.from, '', 'the carried bounce keeps its null sender');
  } finally {
    await h.stop();
    await peer.close();
  }
});
