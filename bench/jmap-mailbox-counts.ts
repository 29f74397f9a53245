// JMAP Mailbox counts benchmark (CONVENTIONS.md "Benchmarks").
//   node bench/jmap-mailbox-counts.ts [--messages N] [--repeat R]
// Fills one account with N messages (70 % in INBOX, the rest over 10 mailboxes; threads of
// three; a third unseen, some drafts and \Deleted ones), then measures:
//   1. store.mailboxCounts (what every Mailbox/get and /query reads, from the counters migration
//      10's triggers keep): median and p90 of R runs, against the same counts computed by the
//      best query over the messages (count(DISTINCT thread_id) per mailbox);
//   2. what the triggers cost the writes: appendMessages of the same messages, and setFlags
//      (+\Seen then -\Seen on 1,000 INBOX messages, R times), in a store with and without them.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import { openSqliteStore } from '../src/store/sqlite/index.ts';
import { InProcessChangeBus } from '../src/store/change-bus.ts';
import type { AppendInput, MailStore } from '../src/store/types.ts';
import { summaryFor } from '../test/helpers/store-fixtures.ts';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '100000' }, repeat: { type: 'string', default: '9' } } });
const N = Number(values.messages);
const REPEAT = Math.max(1, Number(values.repeat));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
function p90(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.9))];
}

function input(i: number): AppendInput {
  const thread = Math.floor(i / 3);
  const subject = `Conversation ${thread}`;
  const summary = { ...summaryFor(subject, 2000), messageId: `m${i}@bench`, inReplyTo: i % 3 ? [`m${thread * 3}@bench`] : [], references: i % 3 ? [`m${thread * 3}@bench`] : [] };
  const flags = i % 3 === 0 ? [] : i % 50 === 1 ? ['\\Seen', '\\Deleted'] : i % 40 === 2 ? ['\\Draft'] : ['\\Seen'];
  return { blobId: createHash('sha256').update(String(i)).digest('hex'), size: 2000, flags, summary };
}

async function fill(store: MailStore, accountId: number): Promise<number> {
  const boxes = [(await store.getMailbox(accountId, 'INBOX'))!.id];
  for (let b = 0; b < 10; b++) boxes.push((await store.createMailbox(accountId, `Folder ${b}`)).id);
  const start = performance.now();
  const batch = 1000;
  for (let i = 0; i < N; i += batch) {
    const byBox = new Map<number, AppendInput[]>();
    for (let k = i; k < Math.min(N, i + batch); k++) {
      const box = k % 10 < 7 ? boxes[0] : boxes[1 + (Math.floor(k / 3) % 10)];
      byBox.set(box, [...(byBox.get(box) ?? []), input(k)]);
    }
    for (const [box, inputs] of byBox) await store.appendMessages(accountId, box, inputs);
  }
  return (N / (performance.now() - start)) * 1000;
}

async function openFilled(dir: string, dropIndexes: boolean): Promise<{ store: MailStore; accountId: number; rate: number; file: string }> {
  const file = path.join(dir, 'posthorn.db');
  const bus = new InProcessChangeBus();
  let store = await openSqliteStore({ path: file, bus });
  await store.addDomain('example.org');
  const account = await store.createAccount({ address: 'bench@example.org', passwordHash: 'x' });
  if (dropIndexes) {
    await store.close();
    const raw = new DatabaseSync(file);
    raw.exec('DROP TRIGGER mailbox_thread_insert; DROP TRIGGER mailbox_thread_delete; DROP TRIGGER mailbox_thread_update; DROP TRIGGER mailbox_thread_unread;');
    raw.close();
    store = await openSqliteStore({ path: file, bus });
  }
  const rate = await fill(store, account.id);
  return { store, accountId: account.id, rate, file };
}

const D = `instr(flags, '"\\\\Draft"') = 0`;
const SCAN_SQL = `SELECT b.id, b.message_count - b.deleted_count,
  (SELECT count(DISTINCT thread_id) FROM message WHERE mailbox_id = b.id AND deleted = 0),
  (SELECT count(*) FROM message WHERE mailbox_id = b.id AND deleted = 0 AND seen = 0 AND ${D}),
  (SELECT count(DISTINCT thread_id) FROM message WHERE mailbox_id = b.id AND deleted = 0 AND seen = 0 AND ${D})
  FROM mailbox b WHERE b.account_id = ?`;

/** setFlags +\Seen and -\Seen on 1,000 INBOX messages: ms per 1,000 flag changes, median. */
async function flagTimes(store: MailStore, accountId: number): Promise<number> {
  const inbox = (await store.getMailbox(accountId, 'INBOX'))!;
  const uids = (await store.listMessages(accountId, inbox.id)).slice(0, 1000).map((m) => m.uid);
  const times: number[] = [];
  for (let r = 0; r < REPEAT; r++) {
    for (const mode of ['add', 'remove'] as const) {
      const t = performance.now();
      await store.setFlags(accountId, inbox.id, uids, mode, ['\\Seen']);
      times.push(performance.now() - t);
    }
  }
  return median(times);
}

const withDir = fs.mkdtempSync(path.join(os.tmpdir(), 'posthorn-bench-counts-'));
const withoutDir = fs.mkdtempSync(path.join(os.tmpdir(), 'posthorn-bench-counts-'));
try {
  const withTriggers = await openFilled(withDir, false);
  const without = await openFilled(withoutDir, true);
  const flagsWith = await flagTimes(withTriggers.store, withTriggers.accountId);
  const flagsWithout = await flagTimes(without.store, without.accountId);
  await without.store.close();

  const counts = await withTriggers.store.mailboxCounts(withTriggers.accountId);
  const times: number[] = [];
  for (let r = 0; r < REPEAT; r++) {
    const t = performance.now();
    await withTriggers.store.mailboxCounts(withTriggers.accountId);
    times.push(performance.now() - t);
  }
  await withTriggers.store.close();
  const raw = new DatabaseSync(withTriggers.file);
  const scan: number[] = [];
  let scanned: unknown[][] = [];
  const statement = raw.prepare(SCAN_SQL);
  statement.setReturnArrays(true);
  for (let r = 0; r < REPEAT; r++) {
    const t = performance.now();
    scanned = statement.all(withTriggers.accountId) as unknown as unknown[][];
    scan.push(performance.now() - t);
  }
  raw.close();
  const agree = JSON.stringify(scanned.map((r) => r.map(Number)).sort((a, b) => a[0] - b[0])) ===
    JSON.stringify(counts.map((c) => [c.mailboxId, c.emails, c.threads, c.unreadEmails, c.unreadThreads]).sort((a, b) => a[0] - b[0]));
  const inbox = counts.reduce((a, b) => (b.emails > a.emails ? b : a));
  console.log(`messages: ${N} in ${counts.length} mailboxes; largest: ${inbox.emails} Emails, ${inbox.unreadEmails} unread, ${inbox.threads} threads, ${inbox.unreadThreads} unread threads`);
  console.log(`mailboxCounts (counters): median ${median(times).toFixed(2)} ms, p90 ${p90(times).toFixed(2)} ms over ${REPEAT} runs`);
  console.log(`same counts by query over the messages: median ${median(scan).toFixed(1)} ms, p90 ${p90(scan).toFixed(1)} ms; agree: ${agree}`);
  console.log(`appendMessages (batches of 1000): ${withTriggers.rate.toFixed(0)} msg/s with the triggers, ${without.rate.toFixed(0)} msg/s without`);
  console.log(`setFlags on 1000 messages: ${flagsWith.toFixed(1)} ms with the triggers, ${flagsWithout.toFixed(1)} ms without (median)`);
} finally {
  fs.rmSync(withDir, { recursive: true, force: true });
  fs.rmSync(withoutDir, { recursive: true, force: true });
}
