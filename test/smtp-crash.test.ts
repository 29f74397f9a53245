// SECURITY-CASES.md "kill -9 at any moment during delivery": the server as a separate process
// (test/smtp-crash-server.ts: startServer + the SMTP listener, with test DNS answers) takes mail
// from concurrent SMTP sessions and is killed with SIGKILL while deliveries are in flight. After
// a restart every message that got 250 is in the INBOX exactly once, and UIDs are unique.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/server/config.ts';
import { openConfiguredStore } from '../src/server/open-store.ts';
import { RawSmtp, message } from './smtp-harness.ts';
import { spawnTestServer } from './helpers/child-process.ts';

function serve(dir: string): { child: ChildProcess; ready: Promise<number> } {
  const { child, ready } = spawnTestServer('smtp-crash-server.ts', [dir]);
  return { child, ready: ready.then((entry) => entry.port as number) };
}

test('kill -9 during concurrent deliveries: every 250 survives exactly once after restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'posthorn-smtp-crash-'));
  try {
    const env = { POSTHORN_DATA_DIR: dir, POSTHORN_HOSTNAME: 'mx.posthorn.test' };
    const config = loadConfig({ env });
    const setup = await openConfiguredStore(config);
    await setup.store.addDomain('posthorn.test');
    await setup.store.createAccount({ address: 'crash@posthorn.test', passwordHash: 'unused' });
    await setup.store.close();

    const first = serve(dir);
    const port = await first.ready;
    const acked: string[] = [];
    const KILL_AFTER = 60;
    let killed = false;
    const died = once(first.child, 'exit');
    const session = async (id: number): Promise<void> => {
      const c = await RawSmtp.connect(port);
      try {
        await c.reply();
        await c.cmd('EHLO crash.test');
        for (let n = 0; ; n++) {
          const subject = `crash ${id}-${n}`;
          c.write('MAIL FROM:<s@remote.test>\r\nRCPT TO:<crash@posthorn.test>\r\nDATA\r\n');
          const env3 = await c.replies(3);
          if (!env3[2].startsWith('354')) return;
          c.write(message({ to: 'crash@posthorn.test', subject, body: 'x'.repeat(4000) }) + '.\r\n');
          const reply = await c.reply();
          if (reply.startsWith('250')) acked.push(subject);
          if (acked.length >= KILL_AFTER && !killed) {
            killed = true;
            // Other sessions are mid-DATA or mid-commit right now.
            first.child.kill('SIGKILL');
          }
        }
      } catch {
        // The connection died with the server: the message in flight got no 250.
      } finally {
        c.end();
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, i) => session(i)));
    await died;
    assert.ok(acked.length >= KILL_AFTER);

    const second = serve(dir);
    await second.ready;
    const stopped = once(second.child, 'exit');
    second.child.kill('SIGTERM');
    await stopped;

    const after = await openConfiguredStore(config);
    try {
      const account = (await after.store.getAccountByAddress('crash@posthorn.test'))!;
      const inbox = (await after.store.getMailbox(account.id, 'INBOX'))!;
      const records = await after.store.listMessages(inbox.accountId, inbox.id);
      const uids = records.map((r) => r.uid);
      assert.equal(new Set(uids).size, uids.length, 'UIDs unique');
      const subjects = (await after.store.getMessages(inbox.accountId, inbox.id, uids)).map((m) => m.summary.subject);
      for (const s of acked) assert.equal(subjects.filter((x) => x === s).length, 1, `${s} stored exactly once`);
      assert.equal(account.usedBytes, records.reduce((sum, r) => sum + r.size, 0));
    } finally {
      await after.store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
