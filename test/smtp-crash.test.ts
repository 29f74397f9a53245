// SECURITY-CASES.md "kill -9 at any moment during delivery": `posthorn serve` as a process takes
// mail from concurrent SMTP sessions and is killed with SIGKILL while deliveries are in flight.
// After a restart every message that got 250 is in the INBOX exactly once, and UIDs are unique.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/server/config.ts';
import { openConfiguredStore } from '../src/server/open-store.ts';
import { RawSmtp, freePort, message } from './smtp-harness.ts';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'posthorn');

function serve(env: Record<string, string>): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(BIN, ['serve'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  let buffered = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if ((JSON.parse(line) as { event?: string }).event === 'ready') resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`posthorn serve exited with ${code}`)));
  });
  return { child, ready };
}

test('kill -9 during concurrent deliveries: every 250 survives exactly once after restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'posthorn-smtp-crash-'));
  try {
    const port = await freePort();
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      POSTHORN_DATA_DIR: dir,
      POSTHORN_BIND: '127.0.0.1',
      POSTHORN_HOSTNAME: 'mx.posthorn.test',
      POSTHORN_SMTP_PORT: String(port),
      POSTHORN_LOG_LEVEL: 'info',
    };
    for (const name of ['SUBMISSION', 'SUBMISSIONS', 'IMAP', 'IMAPS', 'POP3', 'POP3S', 'HTTP']) env[`POSTHORN_${name}_PORT`] = '0';
    const config = loadConfig({ env });
    const setup = await openConfiguredStore(config);
    await setup.store.addDomain('posthorn.test');
    await setup.store.createAccount({ address: 'crash@posthorn.test', passwordHash: 'unused' });
    await setup.store.close();

    const first = serve(env);
    await first.ready;
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

    const second = serve(env);
    await second.ready;
    const stopped = once(second.child, 'exit');
    second.child.kill('SIGTERM');
    await stopped;

    const after = await openConfiguredStore(config);
    try {
      const account = (await after.store.getAccountByAddress('crash@posthorn.test'))!;
      const inbox = (await after.store.getMailbox(account.id, 'INBOX'))!;
      const records = await after.store.listMessages(inbox.id);
      const uids = records.map((r) => r.uid);
      assert.equal(new Set(uids).size, uids.length, 'UIDs unique');
      const subjects = (await after.store.getMessages(inbox.id, uids)).map((m) => m.summary.subject);
      for (const s of acked) assert.equal(subjects.filter((x) => x === s).length, 1, `${s} stored exactly once`);
      assert.equal(account.usedBytes, records.reduce((sum, r) => sum + r.size, 0));
    } finally {
      await after.store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
