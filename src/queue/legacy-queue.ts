// Carries the queue of an older Posthorn, which kept it in a database of its own
// (<dataDir>/queue.db, bodies inside), into the store: an operator who upgrades loses no queued
// mail. Runs when the store is opened, by the server and by the CLI alike.
//
// Implementation notes:
// - Order: every body into the BlobStore (durable), then all messages in ONE commit together
//   with the name of the source (DeliveryQueue.carryIn), then the old file is renamed to
//   queue.db.migrated. A crash before the commit leaves queue.db to be carried in next time
//   (bodies already put are content-addressed: putting them again is harmless); a crash after
//   it leaves a source the store remembers, so the next open only renames.
// - The source is named by the file's device and inode: a queue.db that appears later (an older
//   version started again in this directory) is another file, and is carried in as well.
// - Opening the old database with node:sqlite replays its WAL, so transactions committed just
//   before the old server stopped are carried too.

import { existsSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { BlobStore } from '../store/types.ts';
import type { CarriedMessage, DeliveryQueue, RecipientState } from '../store/queue-types.ts';

export const LEGACY_QUEUE_FILE = 'queue.db';
export const MIGRATED_SUFFIX = '.migrated';

interface LegacyMessageRow {
  id: number;
  sender: string;
  created_at: number;
  is_bounce: number;
  body: Uint8Array;
}

interface LegacyRecipientRow {
  message_id: number;
  address: string;
  domain: string;
  state: RecipientState;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  last_status: string | null;
  last_remote: string | null;
  delay_notified: number;
}

function readLegacy(path: string): { messages: LegacyMessageRow[]; recipients: LegacyRecipientRow[] } {
  const db = new DatabaseSync(path);
  try {
    db.exec('PRAGMA busy_timeout = 5000');
    const hasTables = db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('queue_message', 'queue_recipient')").get() as { n: number };
    if (hasTables.n < 2) return { messages: [], recipients: [] };
    return {
      messages: db.prepare('SELECT id, sender, created_at, is_bounce, body FROM queue_message ORDER BY id').all() as unknown as LegacyMessageRow[],
      recipients: db.prepare('SELECT * FROM queue_recipient ORDER BY message_id, id').all() as unknown as LegacyRecipientRow[],
    };
  } finally {
    db.close();
  }
}

function renameAside(path: string): void {
  // The WAL and shared-memory files go with it if the old server left them (close() of the last
  // connection normally checkpoints and removes them).
  // ENOENT: another process (the CLI and a starting server) carried and renamed it meanwhile.
  for (const suffix of ['-wal', '-shm', '']) {
    try {
      renameSync(path + suffix, path + MIGRATED_SUFFIX + suffix);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

/** Returns how many messages were carried in (0 when there was nothing to carry). */
export async function carryLegacyQueue(dataDir: string, queue: DeliveryQueue, blobs: BlobStore): Promise<number> {
  const path = join(dataDir, LEGACY_QUEUE_FILE);
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  const source = `${LEGACY_QUEUE_FILE} dev ${st.dev} ino ${st.ino}`;
  const { messages, recipients } = readLegacy(path);
  const byMessage = new Map<number, LegacyRecipientRow[]>();
  for (const r of recipients) {
    const list = byMessage.get(r.message_id);
    if (list) list.push(r);
    else byMessage.set(r.message_id, [r]);
  }
  const carried: CarriedMessage[] = [];
  for (const m of messages) {
    const rs = byMessage.get(m.id) ?? [];
    if (!rs.some((r) => r.state === 'pending')) continue;
    const blob = await blobs.put(m.body);
    carried.push({
      sender: m.sender,
      createdAt: m.created_at,
      blobId: blob.id,
      size: blob.size,
      isBounce: m.is_bounce === 1,
      recipients: rs.map((r) => ({
        address: r.address,
        domain: r.domain,
        state: r.state,
        attempts: r.attempts,
        nextAttemptAt: r.next_attempt_at,
        lastError: r.last_error,
        lastStatus: r.last_status,
        lastRemote: r.last_remote,
        delayNotified: r.delay_notified === 1,
      })),
    });
  }
  const added = await queue.carryIn(source, carried);
  renameAside(path);
  return added ? carried.length : 0;
}
