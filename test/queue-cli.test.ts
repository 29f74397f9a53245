// posthorn queue list|retry|drop, as functions over a queue database (the lead wires them into
// src/admin/cli.ts), and the queue's persistence across a close and reopen.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { loadConfig, type Config } from '../src/server/config.ts';
import { queueCommands } from '../src/queue/cli.ts';
import { SqliteQueueStore } from '../src/queue/store.ts';
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

async function run(verb: string, args: string[], flags: Record<string, boolean> = {}): Promise<string> {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  const ctx = { store: null as never, config, io: { stdin: new PassThrough(), stdout, stderr: new PassThrough() }, args, flags } as CommandContext;
  await queueCommands[verb](ctx);
  return out;
}

test('the queue survives closing and reopening its database', async () => {
  const q = new SqliteQueueStore(join(dir, 'queue.db'));
  const id = await q.enqueue({ sender: 'alice@posthorn.test', recipients: ['a@remote.test', 'b@other.test'], body: Buffer.from('Subject: persisted\r\n\r\nx\r\n'), now: 1000 });
  await q.close();
  const again = new SqliteQueueStore(join(dir, 'queue.db'));
  const list = await again.list();
  assert.equal(list.length, 1);
  assert.equal(list[0].id, id);
  assert.deepEqual(list[0].recipients.map((r) => [r.address, r.domain, r.state]), [['a@remote.test', 'remote.test', 'pending'], ['b@other.test', 'other.test', 'pending']]);
  assert.equal((await again.getBody(id)).toString(), 'Subject: persisted\r\n\r\nx\r\n');
  await again.close();
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
  const q = new SqliteQueueStore(join(dir, 'queue.db'));
  const [entry] = await q.list();
  await q.recordAttempts(entry.recipients.map((r) => ({ recipientId: r.id, state: 'pending' as const, nextAttemptAt: Date.now() + 3600_000, error: '451 4.4.1 no answer' })));
  assert.equal((await q.due(Date.now(), 10)).length, 0);
  assert.match(await run('retry', [String(entry.id)]), /^2 recipients due now/);
  assert.equal((await q.due(Date.now(), 10)).length, 2);
  await q.close();
  await assert.rejects(run('retry', ['999']), (err: unknown) => err instanceof CliError && /no queued message 999/.test(err.message));
  await assert.rejects(run('retry', ['x1']), (err: unknown) => err instanceof CliError && err.exitCode === 2);
});

test('queue drop removes a message without bouncing; the queue is then empty', async () => {
  const q = new SqliteQueueStore(join(dir, 'queue.db'));
  const [entry] = await q.list();
  await q.close();
  assert.match(await run('drop', [String(entry.id)]), /dropped queued message \d+ \(no bounce is sent\)/);
  assert.equal(await run('list', []), 'the queue is empty\n');
  await assert.rejects(run('drop', [String(entry.id)]), CliError);
  await assert.rejects(run('drop', []), (err: unknown) => err instanceof CliError && err.exitCode === 2);
});
