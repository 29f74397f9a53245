// IMAP's STORAGE figures (RFC 9208 §5.1, KiB): an account under its limit never reads as over it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { storageKiB } from '../src/mail/quota.ts';

test('STORAGE usage and limit in KiB, rounded so that under the limit never reads as over it', () => {
  assert.deepEqual(storageKiB(19_558, 20_000), { usage: 20, limit: 20 });
  assert.deepEqual(storageKiB(0, 5 * 1024 * 1024), { usage: 0, limit: 5120 });
  assert.deepEqual(storageKiB(1, 1024), { usage: 1, limit: 1 });
  for (let limit = 1; limit < 5000; limit += 7) {
    for (const used of [0, 1, limit - 1, limit]) {
      if (used < 0) continue;
      const k = storageKiB(used, limit);
      assert.ok(k.usage <= k.limit, `${used} of ${limit} bytes read as ${k.usage} of ${k.limit}`);
    }
  }
  assert.ok(storageKiB(6000, 4000).usage > storageKiB(6000, 4000).limit, 'over the limit reads as over it');
});
