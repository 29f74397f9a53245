// The one place that knows which backend runs (DESIGN.md §2): the embedded default is SQLite in
// <dataDir>/posthorn.db with message bodies in <dataDir>/blobs: small ones as rows of
// blobs/blobs.db, large ones (and every body of a data directory from before) as files
// (store/blob-tiered.ts).

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from './config.ts';
import type { MailStore, BlobStore, ChangeBus } from '../store/types.ts';
import { openSqliteStore } from '../store/sqlite/index.ts';
import { TieredBlobStore } from '../store/blob-tiered.ts';
import { InProcessChangeBus } from '../store/change-bus.ts';
import type { Coordination } from '../store/coordination-types.ts';
import { InProcessCoordination } from '../store/coordination-memory.ts';
import { SplitCoordination } from '../store/coordination-split.ts';
import { SqliteWindowCounters } from '../store/sqlite/window-counters.ts';
import { carryLegacyQueue } from '../queue/legacy-queue.ts';

export interface OpenedStore {
  store: MailStore;
  blobs: BlobStore;
  bus: ChangeBus;
  coordination: Coordination;
  /** Messages carried in from an older version's queue.db on this open (usually 0). */
  carriedQueueMessages: number;
  /** Closes the store, the blobs and the counters (after the last operation has finished). */
  close(): Promise<void>;
}

export async function openConfiguredStore(config: Config): Promise<OpenedStore> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const bus = new InProcessChangeBus();
  const store = await openSqliteStore({ path: join(config.dataDir, 'posthorn.db'), bus });
  const blobs = new TieredBlobStore(join(config.dataDir, 'blobs'));
  // An older Posthorn kept the outbound queue in <dataDir>/queue.db: carried in on first open.
  let carriedQueueMessages: number;
  try {
    carriedQueueMessages = await carryLegacyQueue(config.dataDir, store.queue, blobs);
  } catch (err) {
    await store.close();
    await blobs.close();
    throw err;
  }
  // Leases and slots in memory, like the bus: one process serves the embedded store, and a claim
  // must die with it (coordination-memory.ts). Window counters (the login limits) in a file of
  // their own, so they outlive a restart and `posthorn auth` can list and clear them
  // (sqlite/window-counters.ts).
  const counters = new SqliteWindowCounters({ path: join(config.dataDir, 'counters.db') });
  const coordination = new SplitCoordination(new InProcessCoordination(), counters);
  const close = async (): Promise<void> => {
    await store.close();
    await blobs.close?.();
    counters.close();
  };
  return { store, blobs, bus, coordination, carriedQueueMessages, close };
}
