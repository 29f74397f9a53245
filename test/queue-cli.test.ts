// posthorn queue list|retry|drop, as functions over the store's outbound queue (src/admin/cli.ts
// wires them in), and the queue's persistence across a close and reopen of the store.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { loadConfig, type Config } from '../src/server/config.ts';
import { openConfiguredStore } from '../src/server/open-store.ts';
import { queueCommands } from '../src/admin/commands-queue.ts';
import { Outbox } from '../src/queue/outbox.ts';
import { CliError, type CommandContext } from '../src/admin/cli-support.ts';

let dir: string;
let config: Config;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'posthorn-queue-cli-'));
  config = loadConfig({ env: { POSTHORN_DATA_DIR: dir } });
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a verb the way src/admin/cli.ts does: on a store opened for the command, closed after. */
async function run(verb: string, args: string[], flags: Record<string, boolean> = {}): Promise<string> {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  const opened = await openConfiguredStore(config);
  try {
    const ctx: CommandContext = { store: opened.store, coordination: opened.coordination, config, io: { stdin: new PassThrough(), stdout, stderr: new PassThrough() }, args, flags };
    await queueCommands[verb](ctx);
  } finally {
    await opened.close();
  }
  return out;
}

test('the queue survives closing and reopening the store; the body is a blob', async () => {
  const first = await openConfiguredStore(config);
  const id = await new Outbox(first.store.queue, first.blobs).enqueue({ sender: 'alice@posthorn.test', recipients: ['a@remote.test', 'b@Other.test'], body: Buffer.from('Subject: persisted\r\n\r\nx\r\n'), now: 1000 });
  await first.store.close();
  const again = await openConfiguredStore(config);
  const list = await again.store.queue.list();
  assert.equal(list.length, 1);
  assert.equal(list[0].id, id);
  assert.deepEqual(list[0].recipients.map((r) => [r.address, r.domain, r.state]), [['a@remote.test', 'remote.test', 'pending'], ['b@Other.test', 'other.test', 'pending']]);
  assert.equal((await again.blobs.get(list[0].blobId)).toString(), 'Subject: persisted\r\n\r\nx\r\n');
  await again.store.close();
});

test('queue list shows each recipient; --json gives the entries', async () => {
  const text = await run('list', []);
  assert.match(text, /^ID\s+SENDER\s+SIZE\s+QUEUED\s+RECIPIENT\s+STATE\s+ATTEMPTS\s+NEXT ATTEMPT\s+LAST ERROR/);
  assert.match(text, /alice@posthorn\.test\s+\d+\s+1970-01-01T00:00:01Z\s+a@remote\.test\s+pending/);
  const json = JSON.parse(await run('list', [], { json: true })) as { sender: string; recipients: unknown[] }[];
  assert.equal(json[0].sender, 'alice@posthorn.test');
  assert.equal(json[0].recipients.length, 2);
});

test('queue retry makes pending recipients due now; an unknown id is an error', async () => {
  const { store } = await openConfiguredStore(config);
  const queue = store.queue;
  const [entry] = await queue.list();
  // As a runner would: claim, attempt, record a temporary failure an hour ahead.
  const claimed = await queue.claimDue({ owner: 'test-runner', now: Date.now(), leaseMs: 60_000, limit: 10 });
  assert.equal(claimed.length, 2);
  await queue.recordAttempts('test-runner', claimed.map((r) => ({ recipientId: r.id, state: 'pending' as const, nextAttemptAt: Date.now() + 3600_000, error: '451 4.4.1 no answer' })));
  assert.equal((await queue.claimDue({ owner: 'test-runner', now: Date.now(), leaseMs: 60_000, limit: 10 })).length, 0);
  await store.close();
  assert.match(await run('retry', [String(entry.id)]), /^2 recipients due now/);
  assert.match(await run('list', []), /a@remote\.test\s+pending\s+1\s+\S+\s+451 4\.4\.1 no answer/);
  const reopened = await openConfiguredStore(config);
  assert.equal((await reopened.store.queue.claimDue({ owner: 'test-runner', now: Date.now(), leaseMs: 60_000, limit: 10 })).length, 2);
  await reopened.store.queue.releaseClaims('test-runner', (await reopened.store.queue.list())[0].recipients.map((r) => r.id));
  await reopened.store.close();
  await assert.rejects(run('retry', ['999']), (err: unknown) => err instanceof CliError && /no queued message 999/.test(err.message));
  await assert.rejects(run('retry', ['x1']), (err: unknown) => err instanceof CliError && err.exitCode === 2);
});

test('queue drop removes a message without bouncing; the queue is then empty', async () => {
  const { store } = await openConfiguredStore(config);
  const [entry] = await store.queue.list();
  await store.close();
  assert.match(await run('drop', [String(entry.id)]), /dropped queued message \d+ \(no bounce is sent\)/);
  assert.equal(await run('list', []), 'the queue is empty\n');
  await assert.rejects(run('drop', [String(entry.id)]), CliError);
  await assert.rejects(run('drop', []), (err: unknown) => err instanceof CliError && err.exitCode === 2);
});
