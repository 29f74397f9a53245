// JMAP Mailbox/changes, /query and /queryChanges (RFC 8621 §2.2–§2.4), Thread/get and
// /changes (§3), and Quota (RFC 9425), over real HTTP; IMAP CREATE/RENAME/DELETE seen through
// Mailbox/changes; the RFC's examples where they apply.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startJmapServer, type JmapTestServer } from './helpers/jmap.ts';
import { RawImap } from './helpers/imap.ts';
import { ingestMessage } from '../src/delivery/explicit-target.ts';
import type { Account } from '../src/store/types.ts';

const USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail', 'urn:ietf:params:jmap:quota'];
let jmap: JmapTestServer;
let alice: Account;

before(async () => {
  jmap = await startJmapServer({ enable: ['imap'] });
  alice = (await jmap.server.deps.store.getAccountByAddress(jmap.address))!;
});
after(() => jmap.stop());

async function call(name: string, args: Record<string, unknown>): Promise<[string, any]> {
  const [[n, a]] = await jmap.call([[name, { accountId: jmap.accountId, ...args }, 'c']], USING);
  return [n, a];
}

async function ok(name: string, args: Record<string, unknown>): Promise<any> {
  const [n, a] = await call(name, args);
  assert.equal(n, name, JSON.stringify(a));
  return a;
}

async function state(): Promise<string> {
  return (await ok('Mailbox/get', { ids: [] })).state;
}

async function idOf(name: string): Promise<string> {
  const m = await jmap.server.deps.store.getMailbox(alice.id, name);
  assert.ok(m, name);
  return 'M' + m.id.toString(36);
}

async function deliver(mailboxName: string, subject: string, extra = ''): Promise<void> {
  const mailbox = (await jmap.server.deps.store.getMailbox(alice.id, mailboxName))!;
  const raw = `From: x@example.org\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@example.org>\r\n${extra}\r\nbody\r\n`;
  await ingestMessage(jmap.server.deps, alice.id, mailbox.id, Buffer.from(raw), {});
}

test('Mailbox/changes after IMAP CREATE, RENAME and DELETE lists them; a delivery is a counts-only update (RFC 8621 §2.2)', async () => {
  const s0 = await state();
  const imap = await RawImap.connect(jmap.server.ports.imap!);
  assert.match((await imap.line())!, /^\* OK/);
  assert.match((await imap.command('t', 'STARTTLS')).at(-1)!, /^t OK/);
  await imap.upgrade();
  assert.match((await imap.command('l', `LOGIN ${jmap.address} "${jmap.password}"`)).at(-1)!, /^l OK/);
  try {
    assert.match((await imap.command('a', 'CREATE Kept')).at(-1)!, /^a OK/);
    assert.match((await imap.command('b', 'CREATE Doomed')).at(-1)!, /^b OK/);
    const s1 = await state();
    const created = await ok('Mailbox/changes', { sinceState: s0 });
    assert.deepEqual(created.created.sort(), [await idOf('Kept'), await idOf('Doomed')].sort());
    assert.equal(created.newState, s1);
    assert.equal(created.hasMoreChanges, false);

    const doomed = await idOf('Doomed');
    const kept = await idOf('Kept');
    assert.match((await imap.command('c', 'RENAME Kept Renamed')).at(-1)!, /^c OK/);
    assert.match((await imap.command('d', 'DELETE Doomed')).at(-1)!, /^d OK/);
    const changes = await ok('Mailbox/changes', { sinceState: s1 });
    assert.deepEqual(changes.created, []);
    assert.deepEqual(changes.updated, [kept], 'renamed, same id');
    assert.deepEqual(changes.destroyed, [doomed]);
    assert.equal(changes.updatedProperties, null, 'a rename is more than counts');
    const [, got] = await call('Mailbox/get', { ids: [kept] });
    assert.equal(got.list[0].name, 'Renamed');

    // RFC 8621 §2.2's example: only counts changed, and updatedProperties says so.
    const s2 = await state();
    await deliver('INBOX', 'Counts only');
    const counts = await ok('Mailbox/changes', { sinceState: s2 });
    assert.deepEqual(counts.updated, [await idOf('INBOX')]);
    assert.deepEqual(counts.updatedProperties, ['totalEmails', 'unreadEmails', 'totalThreads', 'unreadThreads']);
    // A STORE from IMAP: flags mirror into the counts, still counts only.
    const s3 = await state();
    assert.match((await imap.command('e', 'SELECT INBOX')).at(-1)!, /^e OK/);
    assert.match((await imap.command('f', 'STORE 1 +FLAGS (\\Seen)')).at(-1)!, /^f OK/);
    const seen = await ok('Mailbox/changes', { sinceState: s3 });
    assert.deepEqual(seen.updatedProperties, ['totalEmails', 'unreadEmails', 'totalThreads', 'unreadThreads']);
    const [, inbox] = await call('Mailbox/get', { ids: [await idOf('INBOX')], properties: ['unreadEmails'] });
    assert.equal(inbox.list[0].unreadEmails, 0);

    // maxChanges pages through whole mutations.
    const paged = await ok('Mailbox/changes', { sinceState: s0, maxChanges: 1 });
    assert.equal(paged.hasMoreChanges, true);
    assert.equal(paged.created.length + paged.updated.length + paged.destroyed.length, 1);
    const [e, bad] = await call('Mailbox/changes', { sinceState: 'garbage' });
    assert.equal(e, 'error');
    assert.equal(bad.type, 'cannotCalculateChanges');
    const [e2, bad2] = await call('Mailbox/changes', { sinceState: 7 });
    assert.equal(e2, 'error');
    assert.equal(bad2.type, 'invalidArguments');
  } finally {
    await imap.command('z', 'LOGOUT');
  }
});

test('Mailbox/set changes appear in Mailbox/changes with updatedProperties null (sortOrder, subscription)', async () => {
  const s0 = await state();
  const drafts = await idOf('Drafts');
  await ok('Mailbox/set', { update: { [drafts]: { sortOrder: 9 } } });
  const r = await ok('Mailbox/changes', { sinceState: s0 });
  assert.deepEqual(r.updated, [drafts]);
  assert.equal(r.updatedProperties, null);
  const s1 = await state();
  await ok('Mailbox/set', { update: { [drafts]: { isSubscribed: false } } });
  assert.deepEqual((await ok('Mailbox/changes', { sinceState: s1 })).updated, [drafts]);
  await ok('Mailbox/set', { update: { [drafts]: { sortOrder: 0, isSubscribed: true } } });
  // ifInState (RFC 8620 §5.3)
  const [e, err] = await call('Mailbox/set', { ifInState: s0, update: { [drafts]: { sortOrder: 1 } } });
  assert.equal(e, 'error');
  assert.equal(err.type, 'stateMismatch');
});

test('Mailbox/query: filters, sorts, trees, windows (RFC 8621 §2.3)', async () => {
  const made = await ok('Mailbox/set', {
    create: {
      z: { name: 'Zoo', sortOrder: 1, isSubscribed: false },
      za: { name: 'Apes', parentId: '#z', sortOrder: 2 },
      zb: { name: 'Bears', parentId: '#z', sortOrder: 1 },
      a: { name: 'Alpha', sortOrder: 1, isSubscribed: true },
    },
  });
  const { z, za, zb, a } = made.created;
  const inbox = await idOf('INBOX');

  // RFC 8621 §2.6's example query: the children of one mailbox, by sortOrder then name.
  const kids = await ok('Mailbox/query', { filter: { parentId: z.id }, sort: [{ property: 'sortOrder' }, { property: 'name' }] });
  assert.deepEqual(kids.ids, [zb.id, za.id]);
  assert.equal(kids.position, 0);
  assert.equal(kids.canCalculateChanges, true);
  assert.match(kids.queryState, /^s/);

  const byName = await ok('Mailbox/query', { filter: { parentId: z.id }, sort: [{ property: 'name', isAscending: false }] });
  assert.deepEqual(byName.ids, [zb.id, za.id]);
  const roles = await ok('Mailbox/query', { filter: { hasAnyRole: true }, sort: [{ property: 'name' }], calculateTotal: true });
  assert.equal(roles.total, 6);
  assert.equal(roles.ids[0], await idOf('Archive'));
  const inboxOnly = await ok('Mailbox/query', { filter: { role: 'inbox' } });
  assert.deepEqual(inboxOnly.ids, [inbox]);
  const named = await ok('Mailbox/query', { filter: { name: 'ea' } });
  assert.deepEqual(named.ids, [zb.id], '"contains", without case');
  const notSub = await ok('Mailbox/query', { filter: { operator: 'AND', conditions: [{ isSubscribed: false }, { operator: 'NOT', conditions: [{ parentId: z.id }] }] } });
  assert.ok(notSub.ids.includes(z.id) && !notSub.ids.includes(za.id) && !notSub.ids.includes(a.id));

  // sortAsTree: parents before children, siblings by the comparator.
  const tree = await ok('Mailbox/query', { sortAsTree: true, sort: [{ property: 'sortOrder' }, { property: 'name' }] });
  const at = (id: string) => tree.ids.indexOf(id);
  assert.ok(at(z.id) < at(zb.id) && at(zb.id) < at(za.id), JSON.stringify(tree.ids));
  assert.equal(at(za.id) + 1 - at(z.id), 3, 'the subtree is contiguous');
  assert.equal(tree.canCalculateChanges, false);
  // filterAsTree: a child whose parent is filtered out is left out too.
  const apes = await ok('Mailbox/query', { filter: { name: 'Apes' }, filterAsTree: true });
  assert.deepEqual(apes.ids, []);
  const apesFlat = await ok('Mailbox/query', { filter: { name: 'Apes' } });
  assert.deepEqual(apesFlat.ids, [za.id]);

  // Windows: position, negative position, anchor with offset, limit.
  const all = await ok('Mailbox/query', { sort: [{ property: 'name' }] });
  const page = await ok('Mailbox/query', { sort: [{ property: 'name' }], position: 2, limit: 3 });
  assert.deepEqual(page.ids, all.ids.slice(2, 5));
  const last = await ok('Mailbox/query', { sort: [{ property: 'name' }], position: -2 });
  assert.deepEqual(last.ids, all.ids.slice(-2));
  assert.equal(last.position, all.ids.length - 2);
  const anchored = await ok('Mailbox/query', { sort: [{ property: 'name' }], anchor: all.ids[3], anchorOffset: -1, limit: 2 });
  assert.deepEqual(anchored.ids, all.ids.slice(2, 4));
  assert.equal(anchored.position, 2);

  for (const [args, type] of [
    [{ anchor: 'Mnothere' }, 'anchorNotFound'],
    [{ sort: [{ property: 'totalEmails' }] }, 'unsupportedSort'],
    [{ filter: { colour: 'red' } }, 'unsupportedFilter'],
    [{ filter: { parentId: 5 } }, 'invalidArguments'],
    [{ filter: { operator: 'XOR', conditions: [] } }, 'invalidArguments'],
    [{ limit: -1 }, 'invalidArguments'],
    [{ sortAsTree: 'yes' }, 'invalidArguments'],
    [{ bogus: 1 }, 'invalidArguments'],
  ] as [Record<string, unknown>, string][]) {
    const [n, r] = await call('Mailbox/query', args);
    assert.equal(n, 'error', JSON.stringify(args));
    assert.equal(r.type, type, JSON.stringify(args));
  }
  await ok('Mailbox/set', { destroy: [za.id, zb.id, z.id, a.id] });
});

test('Mailbox/queryChanges: the mailboxes that moved in or out of the results (RFC 8620 §5.6)', async () => {
  const q = { filter: { isSubscribed: true }, sort: [{ property: 'name' }] };
  const first = await ok('Mailbox/query', q);
  const made = await ok('Mailbox/set', { create: { n: { name: 'Newsletters', isSubscribed: true }, h: { name: 'Hidden', isSubscribed: false } } });
  const { n } = made.created;
  await deliver('INBOX', 'Only counts change');
  const r = await ok('Mailbox/queryChanges', { ...q, sinceQueryState: first.queryState, calculateTotal: true });
  assert.equal(r.oldQueryState, first.queryState);
  assert.equal(r.newQueryState, await state());
  const now = await ok('Mailbox/query', q);
  assert.ok(r.removed.includes(n.id));
  assert.deepEqual(r.added, [{ id: n.id, index: now.ids.indexOf(n.id) }]);
  assert.ok(!r.removed.includes(await idOf('INBOX')), 'a mailbox whose counts alone changed did not move');
  assert.equal(r.total, now.ids.length);
  // Applying the changes to the old list gives the new one.
  const patched = first.ids.filter((id: string) => !r.removed.includes(id));
  for (const { id, index } of r.added) patched.splice(index, 0, id);
  assert.deepEqual(patched, now.ids);

  const [e1, tooMany] = await call('Mailbox/queryChanges', { ...q, sinceQueryState: first.queryState, maxChanges: 1 });
  assert.equal(e1, 'error');
  assert.equal(tooMany.type, 'tooManyChanges');
  const [e2, tree] = await call('Mailbox/queryChanges', { ...q, sortAsTree: true, sinceQueryState: first.queryState });
  assert.equal(e2, 'error');
  assert.equal(tree.type, 'cannotCalculateChanges');
  const [e3, bad] = await call('Mailbox/queryChanges', { ...q, sinceQueryState: 'x' });
  assert.equal(e3, 'error');
  assert.equal(bad.type, 'cannotCalculateChanges');
  await ok('Mailbox/set', { destroy: Object.values(made.created).map((m: any) => m.id) });
});

test('Thread/get and Thread/changes (RFC 8621 §3)', async () => {
  const s0 = await state();
  await deliver('INBOX', 'Trip');
  await deliver('Sent', 'Re: Trip', 'In-Reply-To: <Trip@example.org>\r\nReferences: <Trip@example.org>\r\n');
  const inbox = (await jmap.server.deps.store.getMailbox(alice.id, 'INBOX'))!;
  const sent = (await jmap.server.deps.store.getMailbox(alice.id, 'Sent'))!;
  const root = (await jmap.server.deps.store.listMessages(alice.id, inbox.id)).at(-1)!;
  const reply = (await jmap.server.deps.store.listMessages(alice.id, sent.id)).at(-1)!;
  assert.equal(root.threadId, reply.threadId);
  const threadId = 'T' + root.threadId.toString(36);
  const got = await ok('Thread/get', { ids: [threadId, 'Tzzzz', 'M1'] });
  assert.deepEqual(got.list, [{ id: threadId, emailIds: ['E' + root.emailId.toString(36), 'E' + reply.emailId.toString(36)] }]);
  assert.deepEqual(got.notFound, ['Tzzzz', 'M1']);
  assert.equal(got.state, await state());
  const changes = await ok('Thread/changes', { sinceState: s0 });
  assert.deepEqual(changes.created, [threadId]);
  assert.deepEqual(changes.destroyed, []);
  const [e, err] = await call('Thread/get', { ids: null });
  assert.equal(e, 'error');
  assert.equal(err.type, 'requestTooLarge');
  const [e2, err2] = await call('Thread/get', { ids: [threadId], properties: ['subject'] });
  assert.equal(e2, 'error');
  assert.equal(err2.type, 'invalidArguments');
});

test('Quota (RFC 9425): the storage quota with used and hardLimit; changes and queries follow the usage', async () => {
  const store = jmap.server.deps.store;
  const none = await ok('Quota/get', { ids: null });
  assert.deepEqual(none.list, [], 'no limit, no Quota object');
  await store.setQuota(alice.id, 10_000_000);
  const got = await ok('Quota/get', { ids: null });
  const used = (await store.quota(alice.id)).usedBytes;
  assert.deepEqual(got.list, [{
    id: 'storage', resourceType: 'octets', used, hardLimit: 10_000_000, scope: 'account',
    name: `Mail storage of ${jmap.address}`, types: ['Mail'], warnLimit: null, softLimit: null, description: null,
  }]);
  const created = await ok('Quota/changes', { sinceState: none.state });
  assert.deepEqual(created.created, ['storage']);

  const q = await ok('Quota/query', { filter: { resourceType: 'octets', type: 'Mail', scope: 'account' }, sort: [{ property: 'used' }], calculateTotal: true });
  assert.deepEqual(q.ids, ['storage']);
  assert.equal(q.total, 1);
  assert.deepEqual((await ok('Quota/query', { filter: { resourceType: 'count' } })).ids, []);

  await deliver('INBOX', 'Uses space');
  const after = await ok('Quota/get', { ids: ['storage', 'other'], properties: ['used'] });
  assert.ok(after.list[0].used > used);
  assert.deepEqual(after.notFound, ['other']);
  const changed = await ok('Quota/changes', { sinceState: got.state });
  assert.deepEqual(changed.updated, ['storage']);
  assert.deepEqual(changed.updatedProperties, ['used']);
  const unchanged = await ok('Quota/changes', { sinceState: after.state });
  assert.deepEqual([unchanged.created, unchanged.updated, unchanged.destroyed], [[], [], []]);
  const qc = await ok('Quota/queryChanges', { sinceQueryState: q.queryState, sort: [{ property: 'used' }] });
  assert.deepEqual(qc.removed, ['storage']);
  assert.deepEqual(qc.added, [{ id: 'storage', index: 0 }]);
  for (const [method, args, type] of [
    ['Quota/changes', { sinceState: 'nope' }, 'cannotCalculateChanges'],
    ['Quota/query', { filter: { colour: 'red' } }, 'unsupportedFilter'],
    ['Quota/query', { sort: [{ property: 'hardLimit' }] }, 'unsupportedSort'],
    ['Quota/get', { ids: null, properties: ['size'] }, 'invalidArguments'],
  ] as [string, Record<string, unknown>, string][]) {
    const [n, r] = await call(method, args);
    assert.equal(n, 'error', method);
    assert.equal(r.type, type, method);
  }
  // Without the quota capability in "using", its methods are unknown (RFC 8620 §3.6.2).
  const [[n]] = await jmap.call([['Quota/get', { accountId: jmap.accountId, ids: null }, 'c']]);
  assert.equal(n, 'error');
  await store.setQuota(alice.id, null);
  const gone = await ok('Quota/changes', { sinceState: after.state });
  assert.deepEqual(gone.destroyed, ['storage']);
});

test('RFC 8621 §2.6 examples: changes then get by back-reference with updatedProperties; a rename and a refused destroy', async () => {
  const inbox = await idOf('INBOX');
  const s0 = await state();
  await deliver('INBOX', 'Marked read later');
  const responses = await jmap.call([
    ['Mailbox/changes', { accountId: jmap.accountId, sinceState: s0 }, '0'],
    ['Mailbox/get', { accountId: jmap.accountId, '#ids': { resultOf: '0', name: 'Mailbox/changes', path: '/created' } }, '1'],
    ['Mailbox/get', {
      accountId: jmap.accountId,
      '#ids': { resultOf: '0', name: 'Mailbox/changes', path: '/updated' },
      '#properties': { resultOf: '0', name: 'Mailbox/changes', path: '/updatedProperties' },
    }, '2'],
  ], USING);
  assert.deepEqual(responses.map((r: any) => r[0]), ['Mailbox/changes', 'Mailbox/get', 'Mailbox/get']);
  const [, changes] = responses[0];
  assert.deepEqual(changes.updatedProperties, ['totalEmails', 'unreadEmails', 'totalThreads', 'unreadThreads']);
  assert.deepEqual(responses[1][1].list, []);
  const [only] = responses[2][1].list;
  assert.deepEqual(Object.keys(only).sort(), ['id', 'totalEmails', 'totalThreads', 'unreadEmails', 'unreadThreads']);
  assert.equal(only.id, inbox);
  assert.equal(responses[2][1].state, changes.newState);

  const made = await ok('Mailbox/set', { create: { imp: { name: 'Important mail' } } });
  const important = made.created.imp.id;
  const current = await state();
  const r = await ok('Mailbox/set', { ifInState: current, update: { [important]: { name: 'Maybe important mail' } }, destroy: [inbox] });
  assert.equal(r.oldState, current);
  assert.notEqual(r.newState, current);
  assert.deepEqual(r.updated, { [important]: null });
  assert.equal(r.notDestroyed[inbox].type, 'forbidden');
  assert.equal(r.created, null);
  assert.equal(r.destroyed, null);
  assert.ok(await jmap.server.deps.store.getMailbox(alice.id, 'Maybe important mail'));
  await ok('Mailbox/set', { destroy: [important] });
});
