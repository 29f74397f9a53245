// The local delivery pipeline (src/delivery/) on a real SQLite store in a temp directory:
// one blob and one parse however many accounts, rules that choose mailboxes by name and by
// role and set flags, the fallback to INBOX, discard, quota per account, one copy per account,
// and the router's "queue first, then local" around it.

import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../src/store/sqlite/index.ts';
import { FileBlobStore } from '../src/store/blob-files.ts';
import { InProcessChangeBus } from '../src/store/change-bus.ts';
import { parseMessage } from '../src/wire/mime/parse.ts';
import { LocalDelivery, type DeliveryLog, type LocalRecipient } from '../src/delivery/local-delivery.ts';
import { inboxRules, KEEP_IN_INBOX, type DeliveryRuleInput, type DeliveryRules, type DeliveryDecision } from '../src/delivery/rules.ts';
import { ingestMessages } from '../src/delivery/explicit-target.ts';
import { MailRouter } from '../src/delivery/router.ts';
import type { Account, MailStore } from '../src/store/types.ts';
import { assertCountersConsistent } from './helpers/store-fixtures.ts';

interface LogLine {
  level: 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
}

let dir: string;
let store: MailStore;
let blobs: FileBlobStore;
let lines: LogLine[];
let counts: { put: number; parse: number };
let alice: Account;
let bob: Account;
let carol: Account;

const log: DeliveryLog = {
  info: (fields) => lines.push({ level: 'info', fields }),
  warn: (fields) => lines.push({ level: 'warn', fields }),
  error: (fields) => lines.push({ level: 'error', fields }),
};

function raw(subject: string, body = 'Hello.'): Buffer {
  return Buffer.from(`From: Sender <sender@remote.test>\r\nTo: alice@example.org\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@remote.test>\r\n\r\n${body}\r\n`);
}

/** A pipeline over the test store whose blob puts and parses are counted. */
function pipeline(rules: DeliveryRules = inboxRules): LocalDelivery {
  return new LocalDelivery({
    store,
    blobs: { put: (content) => (counts.put++, blobs.put(content)) },
    parse: (bytes) => (counts.parse++, parseMessage(bytes)),
    log,
    rules,
  });
}

async function messagesIn(account: Account, name: string): Promise<{ subject: string | null; flags: string[]; blobId: string }[]> {
  const box = await store.getMailbox(account.id, name);
  assert.ok(box, `${account.address} has ${name}`);
  const records = await store.listMessages(account.id, box.id);
  const full = await store.getMessages(account.id, box.id, records.map((r) => r.uid));
  return full.map((m) => ({ subject: m.summary.subject, flags: m.flags, blobId: m.blobId }));
}

function to(...pairs: [string, Account][]): LocalRecipient[] {
  return pairs.map(([address, account]) => ({ address, account }));
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'posthorn-delivery-'));
  store = await openSqliteStore({ path: path.join(dir, 'posthorn.db'), bus: new InProcessChangeBus() });
  blobs = new FileBlobStore(path.join(dir, 'blobs'));
  lines = [];
  counts = { put: 0, parse: 0 };
  await store.addDomain('example.org');
  alice = await store.createAccount({ address: 'alice@example.org', passwordHash: 'x' });
  bob = await store.createAccount({ address: 'bob@example.org', passwordHash: 'x' });
  carol = await store.createAccount({ address: 'carol@example.org', passwordHash: 'x', quotaBytes: 100 });
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('one blob put and one parse for a message to three accounts; each INBOX gets it, all on that blob', async () => {
  await store.setQuota(carol.id, null);
  const results = await pipeline().deliver(raw('to three'), { sender: 'sender@remote.test', recipients: to(['alice@example.org', alice], ['bob@example.org', bob], ['carol@example.org', carol]) });
  assert.deepEqual(counts, { put: 1, parse: 1 });
  assert.deepEqual(results.map((r) => [r.account.address, r.outcome.kind]), [['alice@example.org', 'stored'], ['bob@example.org', 'stored'], ['carol@example.org', 'stored']]);
  const blobIds = new Set<string>();
  for (const account of [alice, bob, carol]) {
    const inbox = await messagesIn(account, 'INBOX');
    assert.deepEqual(inbox.map((m) => m.subject), ['to three']);
    blobIds.add(inbox[0].blobId);
    await assertCountersConsistent(store, account.id);
  }
  assert.equal(blobIds.size, 1);
  assert.ok(lines.some((l) => l.fields.event === 'delivered' && l.fields.account === 'bob@example.org'));
});

test('no hosted recipient: nothing is written or parsed', async () => {
  assert.deepEqual(await pipeline().deliver(raw('nobody'), { sender: 's@remote.test', recipients: [] }), []);
  assert.deepEqual(counts, { put: 0, parse: 0 });
});

test('an account reached directly and through two aliases is asked once, gets one copy, and sees every RCPT address', async () => {
  const seen: DeliveryRuleInput[] = [];
  const rules: DeliveryRules = { decide: (input) => (seen.push(input), inboxRules.decide(input)) };
  const results = await pipeline(rules).deliver(raw('dedup'), {
    sender: 'sender@remote.test',
    recipients: to(['sales@example.org', alice], ['bob@example.org', bob], ['alice@example.org', alice], ['team@example.org', alice]),
  });
  assert.equal(results.length, 2);
  assert.deepEqual(seen.map((s) => s.account.address), ['alice@example.org', 'bob@example.org']);
  assert.deepEqual(seen[0].envelope, { sender: 'sender@remote.test', recipient: 'sales@example.org', originalRecipients: ['sales@example.org', 'alice@example.org', 'team@example.org'] });
  assert.equal(seen[0].message.parsed.summary.subject, 'dedup');
  assert.equal(seen[0].message.size, raw('dedup').length);
  assert.equal((await messagesIn(alice, 'INBOX')).length, 1);
  assert.deepEqual(counts, { put: 1, parse: 1 });
});

test('rules choose a mailbox by name for one account and by role for another, with flags and keywords', async () => {
  await store.createMailbox(alice.id, 'Lists/dev');
  const rules: DeliveryRules = {
    decide: ({ account }): DeliveryDecision =>
      account.id === alice.id
        ? { action: 'store', placements: [{ mailbox: { name: 'Lists/dev' }, flags: ['\\Seen', '$Dev'] }] }
        : { action: 'store', placements: [{ mailbox: { role: '\\Junk' }, flags: ['$Junk', '\\flagged'] }] },
  };
  const results = await pipeline(rules).deliver(raw('filed'), { sender: 'sender@remote.test', recipients: to(['alice@example.org', alice], ['bob@example.org', bob]) });
  assert.deepEqual(results.map((r) => r.outcome), [{ kind: 'stored', mailboxes: [{ name: 'Lists/dev', uid: 1 }] }, { kind: 'stored', mailboxes: [{ name: 'Junk', uid: 1 }] }]);
  assert.deepEqual((await messagesIn(alice, 'Lists/dev')).map((m) => [m.subject, m.flags]), [['filed', ['\\Seen', '$Dev']]]);
  assert.deepEqual((await messagesIn(bob, 'Junk')).map((m) => m.flags), [['\\Flagged', '$Junk']]);
  assert.equal((await messagesIn(alice, 'INBOX')).length, 0, 'INBOX is a decision, not a constant');
  assert.equal((await messagesIn(bob, 'INBOX')).length, 0);
  await assertCountersConsistent(store, alice.id);
});

test('several placements: one copy per distinct mailbox, flags of the same mailbox merged, invalid flags left out and logged', async () => {
  const rules: DeliveryRules = {
    decide: () => ({
      action: 'store',
      placements: [
        { mailbox: { name: 'INBOX' }, flags: ['$A'] },
        { mailbox: { name: 'Archive' } },
        { mailbox: { name: 'inbox' }, flags: ['$B', 'not a flag', '\\Unknown'] },
        { mailbox: { role: '\\Archive' }, flags: ['\\Answered'] },
      ],
    }),
  };
  const [result] = await pipeline(rules).deliver(raw('twice'), { sender: 's@remote.test', recipients: to(['alice@example.org', alice]) });
  assert.equal(result.outcome.kind, 'stored');
  assert.deepEqual((await messagesIn(alice, 'INBOX')).map((m) => m.flags), [['$A', '$B']]);
  assert.deepEqual((await messagesIn(alice, 'Archive')).map((m) => m.flags), [['\\Answered']]);
  const ignored = lines.filter((l) => l.fields.event === 'delivery-flag-ignored').map((l) => l.fields.flag);
  assert.deepEqual(ignored, ['not a flag', '\\Unknown']);
});

test('a mailbox that does not exist (or cannot) falls back to INBOX and says so in the log', async () => {
  const rules: DeliveryRules = {
    decide: ({ account }) => ({ action: 'store', placements: [{ mailbox: account.id === alice.id ? { name: 'No/Such' } : { name: '../escape' }, flags: ['$Kept'] }] }),
  };
  const results = await pipeline(rules).deliver(raw('fallback'), { sender: 's@remote.test', recipients: to(['alice@example.org', alice], ['bob@example.org', bob]) });
  assert.deepEqual(results.map((r) => r.outcome), [{ kind: 'stored', mailboxes: [{ name: 'INBOX', uid: 1 }] }, { kind: 'stored', mailboxes: [{ name: 'INBOX', uid: 1 }] }]);
  assert.deepEqual((await messagesIn(alice, 'INBOX')).map((m) => [m.subject, m.flags]), [['fallback', ['$Kept']]]);
  const fallbacks = lines.filter((l) => l.fields.event === 'delivery-fallback');
  assert.deepEqual(fallbacks.map((l) => [l.level, l.fields.account, l.fields.wanted, l.fields.mailbox]), [
    ['warn', 'alice@example.org', 'No/Such', 'INBOX'],
    ['warn', 'bob@example.org', '../escape', 'INBOX'],
  ]);
});

test('a role no mailbox has falls back to INBOX as well', async () => {
  const rules: DeliveryRules = { decide: () => ({ action: 'store', placements: [{ mailbox: { role: '\\Flagged' } }] }) };
  await pipeline(rules).deliver(raw('no role'), { sender: 's@remote.test', recipients: to(['alice@example.org', alice]) });
  assert.equal((await messagesIn(alice, 'INBOX')).length, 1);
  assert.ok(lines.some((l) => l.fields.event === 'delivery-fallback' && l.fields.wanted === '\\Flagged'));
});

test('a rule that throws keeps the message in INBOX (implicit keep) and logs the error', async () => {
  const rules: DeliveryRules = {
    decide: () => {
      throw new Error('script broke');
    },
  };
  const [result] = await pipeline(rules).deliver(raw('broken rule'), { sender: 's@remote.test', recipients: to(['alice@example.org', alice]) });
  assert.equal(result.outcome.kind, 'stored');
  assert.equal((await messagesIn(alice, 'INBOX')).length, 1);
  assert.ok(lines.some((l) => l.level === 'error' && l.fields.event === 'delivery-rules-failed' && l.fields.err === 'script broke'));
});

test('discard: accepted, nothing stored for that account, the others still get theirs', async () => {
  const rules: DeliveryRules = { decide: ({ account }) => (account.id === alice.id ? { action: 'discard', reason: 'unwanted' } : KEEP_IN_INBOX) };
  const results = await pipeline(rules).deliver(raw('discard me'), { sender: 's@remote.test', recipients: to(['alice@example.org', alice], ['bob@example.org', bob]) });
  assert.deepEqual(results.map((r) => r.outcome.kind), ['discarded', 'stored']);
  for (const m of await store.listMailboxes(alice.id)) assert.equal(m.messageCount, 0, `${m.name} is empty`);
  assert.equal((await messagesIn(bob, 'INBOX')).length, 1);
  assert.ok(lines.some((l) => l.fields.event === 'delivery-discarded' && l.fields.account === 'alice@example.org' && l.fields.reason === 'unwanted'));
});

test('quota is per account: the one over quota is reported, the others are stored', async () => {
  const results = await pipeline().deliver(raw('big', 'b'.repeat(500)), { sender: 's@remote.test', recipients: to(['alice@example.org', alice], ['carol@example.org', carol], ['bob@example.org', bob]) });
  assert.deepEqual(results.map((r) => [r.account.address, r.outcome.kind]), [['alice@example.org', 'stored'], ['carol@example.org', 'over-quota'], ['bob@example.org', 'stored']]);
  assert.equal((await store.quota(carol.id)).usedBytes, 0);
  await assertCountersConsistent(store, carol.id);
});

test('over quota in one placement while another was stored: delivered, and the refusal is logged', async () => {
  await store.setQuota(carol.id, 400);
  const rules: DeliveryRules = { decide: () => ({ action: 'store', placements: [{ mailbox: { name: 'INBOX' } }, { mailbox: { name: 'Archive' } }] }) };
  const [result] = await pipeline(rules).deliver(raw('fits once', 'c'.repeat(200)), { sender: 's@remote.test', recipients: to(['carol@example.org', carol]) });
  assert.deepEqual(result.outcome, { kind: 'stored', mailboxes: [{ name: 'INBOX', uid: 1 }] });
  assert.ok(lines.some((l) => l.fields.event === 'delivery-partial' && l.fields.account === 'carol@example.org'));
});

test('IMAP-style explicit target: ingest and append without rules, all or none', async () => {
  const archive = (await store.getMailbox(alice.id, 'Archive'))!;
  const results = await ingestMessages({ store, blobs, parse: parseMessage }, alice.id, archive.id, [{ raw: raw('one'), flags: ['\\Seen'] }, { raw: raw('two'), internalDate: 1_000_000 }]);
  assert.deepEqual(results.map((r) => r.uid), [1, 2]);
  assert.deepEqual((await messagesIn(alice, 'Archive')).map((m) => [m.subject, m.flags]), [['one', ['\\Seen']], ['two', []]]);
  await assert.rejects(ingestMessages({ store, blobs, parse: parseMessage }, carol.id, (await store.getMailbox(carol.id, 'INBOX'))!.id, [{ raw: raw('small') }, { raw: raw('large', 'l'.repeat(200)) }]), { code: 'OVER_QUOTA' });
  assert.equal((await store.quota(carol.id)).messageCount, 0, 'neither message of the refused batch was stored');
});

test('the router queues external recipients first, then delivers locally; a recipient fails only when all its targets did', async () => {
  const order: string[] = [];
  const local = pipeline({ decide: (input) => (order.push(`local ${input.account.address}`), inboxRules.decide(input)) });
  const enqueued: { sender: string; recipients: string[]; isBounce?: boolean }[] = [];
  const router = new MailRouter({
    local,
    recipients: store,
    log,
    queue: { enqueue: async (input) => (order.push('queue'), enqueued.push(input), 7) },
    onQueued: () => order.push('kick'),
  });
  const outcome = await router.route('sender@remote.test', [
    { address: 'alice@example.org', targets: [{ kind: 'local', account: alice }] },
    { address: 'carol@example.org', targets: [{ kind: 'local', account: carol }] },
    { address: 'list@example.org', targets: [{ kind: 'local', account: carol }, { kind: 'external', address: 'x@remote.test' }] },
  ], raw('routed', 'r'.repeat(500)));
  assert.deepEqual(order, ['queue', 'local alice@example.org', 'local carol@example.org', 'kick']);
  assert.deepEqual(enqueued.map((e) => e.recipients), [['x@remote.test']]);
  assert.deepEqual(outcome, { delivered: ['alice@example.org', 'list@example.org'], overQuota: ['carol@example.org'], queuedId: 7 });
});

test('a bounce to a hosted sender goes through the rules with the null sender', async () => {
  const seen: DeliveryRuleInput[] = [];
  const rules: DeliveryRules = { decide: (input) => (seen.push(input), { action: 'store', placements: [{ mailbox: { name: 'Archive' } }] }) };
  const router = new MailRouter({ local: pipeline(rules), recipients: store, log, queue: { enqueue: async () => assert.fail('nothing to queue') }, onQueued: () => undefined });
  await router.submitBounce('bob@example.org', raw('Undelivered Mail Returned to Sender'));
  assert.deepEqual(seen.map((s) => s.envelope), [{ sender: '', recipient: 'bob@example.org', originalRecipients: ['bob@example.org'] }]);
  assert.deepEqual((await messagesIn(bob, 'Archive')).map((m) => m.subject), ['Undelivered Mail Returned to Sender']);
});
