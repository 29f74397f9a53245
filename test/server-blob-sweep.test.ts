// The temp files of blob puts that a crash interrupted (written, never renamed into place) are
// removed when the server starts, but not one young enough to be a put still running elsewhere.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer, tempDir } from './helpers/server.ts';

test('a crash\'s blob temp files are swept at start; a young one is left alone', async () => {
  const dir = tempDir('blob-sweep');
  try {
    await (await startTestServer(dir.path, [])).stop();
    const fanout = join(dir.path, 'blobs', 'ab', 'cd');
    mkdirSync(fanout, { recursive: true });
    const old = join(fanout, '.tmp-0123456789abcdef');
    const young = join(fanout, '.tmp-fedcba9876543210');
    writeFileSync(old, 'half a message');
    writeFileSync(young, 'a put in progress');
    const hourAgo = (Date.now() - 60 * 60_000) / 1000;
    utimesSync(old, hourAgo, hourAgo);
    const server = await startTestServer(dir.path, []);
    try {
      await server.startSweep;
      assert.equal(existsSync(old), false, 'the crash leftover is gone');
      assert.equal(existsSync(young), true, 'the young one may be a put still running');
    } finally {
      await server.stop();
    }
  } finally {
    dir.remove();
  }
});
