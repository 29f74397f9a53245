// The coordination contract on the embedded store's split backend: leases and slots in memory,
// window counters in a SQLite file that two connections (the server and the command line, or
// two nodes of the test) share; plus what only the file promises: counts outlive a reopen.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { InProcessCoordination } from '../src/store/coordination-memory.ts';
import { SplitCoordination } from '../src/store/coordination-split.ts';
import { SqliteWindowCounters } from '../src/store/sqlite/window-counters.ts';
import { coordinationContract } from './coordination-contract.ts';
import { tempDir } from './helpers/server.ts';

coordinationContract('in-process claims, SQLite counters', async (clock) => {
  const dir = tempDir('counters');
  const path = join(dir.path, 'counters.db');
  const claims = new InProcessCoordination({ now: () => clock.now() });
  const countersA = new SqliteWindowCounters({ path, now: () => clock.now() });
  const countersB = new SqliteWindowCounters({ path, now: () => clock.now() });
  return {
    a: new SplitCoordination(claims, countersA),
    b: new SplitCoordination(claims, countersB),
    cleanup: async () => {
      countersA.close();
      countersB.close();
      dir.remove();
    },
  };
});

describe('SQLite window counters', () => {
  it('keep their counts across close and reopen (a restart does not reset the limits)', async () => {
    const dir = tempDir('counters');
    try {
      const path = join(dir.path, 'counters.db');
      const first = new SqliteWindowCounters({ path });
      for (let i = 0; i < 3; i++) await first.recordHit('login-failures/ip/192.0.2.1', 60_000);
      first.close();
      const again = new SqliteWindowCounters({ path });
      assert.equal(await again.countHits('login-failures/ip/192.0.2.1', 60_000), 3);
      again.close();
    } finally {
      dir.remove();
    }
  });

  it('waits for another connection’s write lock from a timer instead of failing or blocking', async () => {
    const dir = tempDir('counters');
    try {
      const path = join(dir.path, 'counters.db');
      const counters = new SqliteWindowCounters({ path });
      const { DatabaseSync } = await import('node:sqlite');
      const other = new DatabaseSync(path);
      other.exec('BEGIN IMMEDIATE');
      let settled = false;
      const hit = counters.recordHit('k', 60_000).finally(() => (settled = true));
      // The event loop keeps running while the hit waits: five timer turns pass, and it is still waiting.
      let ticks = 0;
      await new Promise<void>((resolve) => {
        const ticker = setInterval(() => {
          if (++ticks < 5) return;
          clearInterval(ticker);
          resolve();
        }, 1);
      });
      assert.equal(settled, false, 'the hit waits for the lock');
      other.exec('COMMIT');
      assert.equal((await hit).count, 1);
      other.close();
      counters.close();
    } finally {
      dir.remove();
    }
  });
});
