// JMAP Mailbox (RFC 8621 §2) over real HTTP: the mail capability, Mailbox/get with every
// property, Mailbox/set creating, renaming, moving and destroying, its SetErrors for bad input,
// and the counts after messages arrive.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startJmapServer, type JmapTestServer } from './helpers/jmap.ts';
import { hashPassword } from '../src/auth/password.ts';
import { ingestMessage } from '../src/delivery/explicit-target.ts';
import type { Account } from '../src/store/types.ts';

const MAIL = 'urn:ietf:params:jmap:mail';
let jmap: JmapTestServer;
let alice: Account;
let bob: Account;

before(async () => {
  jmap = await startJmapServer();
  const store = jmap.server.deps.store;
  alice = (await store.getAccountByAddress(jmap.address))!;
  bob = await store.createAccount({ address: 'bob@example.com', passwordHash: await hashPassword('bob password') });
});
after(() => jmap.stop());

/** One method call; returns [name, arguments]. */
async function call(name: string, args: Record<string, unknown>): Promise<[string, any]> {
  const [[n, a]] = await jmap.call([[name, { accountId: jmap.accountId, ...args }, 'c']]);
  return [n, a];
}

async function mailboxes(): Promise<Map<string, any>> {
  const [, r] = await call('Mailbox/get', { ids: null });
  return new Map(r.list.map((m: any) => [m.name + '@' + (m.parentId ?? ''), m]));
}

async function byName(name: string, parentId: string | null = null): Promise<any> {
  const m = (await mailboxes()).get(name + '@' + (parentId ?? ''));
  assert.ok(m, `mailbox ${name} under ${parentId}`);
  return m;
}

async function set(args: Record<string, unknown>): Promise<any> {
  const [n, r] = await call('Mailbox/set', args);
  assert.equal(n, 'Mailbox/set', JSON.stringify(r));
  return r;
}

async function deliver(account: Account, mailboxName: string, subject: string, extra = '', flags: string[] = []): Promise<void> {
  const store = jmap.server.deps.store;
  const mailbox = (await store.getMailbox(account.id, mailboxName))!;
  const raw = `From: x@example.org\r\nTo: ${account.address}\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@example.org>\r\n${extra}\r\nbody\r\n`;
  await ingestMessage(jmap.server.deps, account.id, mailbox.id, Buffer.from(raw), { flags });
}

test('the session names the mail capability with its account values (RFC 8621 §1.3.1)', async () => {
  const session = (await (await fetch(`${jmap.base}/.well-known/jmap`, { headers: { authorization: jmap.authorization } })).json()) as any;
  assert.deepEqual(session.capabilities[MAIL], {});
  assert.equal(session.primaryAccounts[MAIL], jmap.accountId);
  const cap = session.accounts[jmap.accountId].accountCapabilities[MAIL];
  assert.equal(cap.maxMailboxesPerEmail, null);
  assert.equal(cap.maxMailboxDepth, 32);
  assert.ok(cap.maxSizeMailboxName >= 100, 'RFC 8621 §1.3.1: at least 100');
  assert.ok(cap.maxSizeAttachmentsPerEmail > 0 && cap.maxSizeAttachmentsPerEmail < jmap.server.deps.config.limits.maxMessageBytes);
  assert.deepEqual(cap.emailQuerySortOptions, ['receivedAt', 'sentAt', 'size', 'from', 'to', 'subject', 'hasKeyword', 'allInThreadHaveKeyword', 'someInThreadHaveKeyword']);
  assert.equal(cap.mayCreateTopLevelMailbox, true);
});

test('Mailbox/get: every property of the standard mailboxes, roles from special-use, INBOX keeps its place', async () => {
  const [name, r] = await call('Mailbox/get', { ids: null });
  assert.equal(name, 'Mailbox/get');
  assert.match(r.state, /^s/);
  const roles = new Map(r.list.map((m: any) => [m.name, m.role]));
  assert.deepEqual(Object.fromEntries(roles), { INBOX: 'inbox', Drafts: 'drafts', Sent: 'sent', Junk: 'junk', Trash: 'trash', Archive: 'archive' });
  const inbox = r.list.find((m: any) => m.role === 'inbox');
  assert.deepEqual(Object.keys(inbox).sort(), ['id', 'isSubscribed', 'myRights', 'name', 'parentId', 'role', 'sortOrder', 'totalEmails', 'totalThreads', 'unreadEmails', 'unreadThreads']);
  assert.equal(inbox.parentId, null);
  assert.equal(inbox.isSubscribed, true);
  assert.equal(inbox.myRights.mayRename, false);
  assert.equal(inbox.myRights.mayDelete, false);
  assert.equal(inbox.myRights.mayAddItems, true);
  const trash = r.list.find((m: any) => m.role === 'trash');
  assert.equal(trash.myRights.mayDelete, true);

  const [, some] = await call('Mailbox/get', { ids: [inbox.id, 'Mnope', 'E1'], properties: ['name'] });
  assert.deepEqual(some.list, [{ id: inbox.id, name: 'INBOX' }]);
  assert.deepEqual(some.notFound, ['Mnope', 'E1']);
  const [err, bad] = await call('Mailbox/get', { ids: null, properties: ['name', 'colour'] });
  assert.equal(err, 'error');
  assert.equal(bad.type, 'invalidArguments');
  const [err2, bad2] = await call('Mailbox/get', { ids: 'M1' });
  assert.equal(err2, 'error');
  assert.equal(bad2.type, 'invalidArguments');
});

test('another account’s mailboxes are not found, and its accountId is refused', async () => {
  const bobInbox = (await jmap.server.deps.store.getMailbox(bob.id, 'INBOX'))!;
  const bobId = 'M' + bobInbox.id.toString(36);
  const [, got] = await call('Mailbox/get', { ids: [bobId] });
  assert.deepEqual(got.notFound, [bobId]);
  const r = await set({
    create: { child: { name: 'Sneaky', parentId: bobId } },
    update: { [bobId]: { name: 'Mine now' } },
    destroy: [bobId],
  });
  assert.equal(r.notCreated.child.type, 'invalidProperties');
  assert.deepEqual(r.notCreated.child.properties, ['parentId']);
  assert.equal(r.notUpdated[bobId].type, 'notFound');
  assert.equal(r.notDestroyed[bobId].type, 'notFound');
  assert.ok(await jmap.server.deps.store.getMailbox(bob.id, 'INBOX'), 'Bob’s INBOX is untouched');
  assert.equal(await jmap.server.deps.store.getMailbox(bob.id, 'Sneaky/Mine now'), null);
  const [e, err] = await call('Mailbox/get', { accountId: 'A' + bob.id.toString(36), ids: null });
  assert.equal(e, 'error');
  assert.equal(err.type, 'accountNotFound');
});

test('Mailbox/set create: name, parentId by creation id, role, sortOrder, isSubscribed; the created object has the server-set properties', async () => {
  const r = await set({
    create: {
      // The child names its parent's creation id before the parent appears: created in dependency order.
      child: { name: 'Invoices', parentId: '#top', sortOrder: 5 },
      top: { name: 'Finance', isSubscribed: true },
      flagged: { name: 'Starred', role: 'flagged' },
    },
  });
  assert.equal(r.notCreated, null, JSON.stringify(r.notCreated));
  assert.match(r.created.top.id, /^M/);
  assert.equal(r.created.top.totalEmails, 0);
  assert.equal(r.created.top.myRights.mayDelete, true);
  assert.equal(r.created.top.sortOrder, 0, 'defaults are reported');
  assert.equal(r.created.child.isSubscribed, true, 'RFC 8621 §2: new mailboxes of the user default to subscribed');
  assert.notEqual(r.oldState, r.newState);
  const store = jmap.server.deps.store;
  assert.ok(await store.getMailbox(alice.id, 'Finance/Invoices'));
  assert.equal((await store.getMailbox(alice.id, 'Finance/Invoices'))!.sortOrder, 5);
  assert.equal((await store.getMailbox(alice.id, 'Starred'))!.role, '\\Flagged');
  assert.ok((await store.listSubscriptions(alice.id)).includes('Finance'));
  const child = await byName('Invoices', r.created.top.id);
  assert.equal(child.id, r.created.child.id);
  assert.equal(child.sortOrder, 5);
  assert.equal((await byName('Starred')).role, 'flagged');

  // A later call refers to the creation id through the request's createdIds (RFC 8620 §5.3).
  const both = await jmap.call([
    ['Mailbox/set', { accountId: jmap.accountId, create: { a: { name: 'Projects' } } }, '0'],
    ['Mailbox/set', { accountId: jmap.accountId, create: { b: { name: 'Posthorn', parentId: '#a' } } }, '1'],
  ]);
  assert.equal(both[1][1].notCreated, null, JSON.stringify(both[1][1]));
  assert.ok(await store.getMailbox(alice.id, 'Projects/Posthorn'));
});

test('Mailbox/set create refuses bad input with invalidProperties naming the property', async () => {
  const long = 'x'.repeat(256);
  const r = await set({
    create: {
      noName: { parentId: null },
      emptyName: { name: '' },
      slash: { name: 'a/b' },
      tooLong: { name: long },
      wrongType: { name: 42 },
      control: { name: 'bad\u0001name' },
      wildcard: { name: 'what*' },
      unknownProp: { name: 'Fine', colour: 'red' },
      serverSet: { name: 'Fine2', totalEmails: 3 },
      role: { name: 'Roles', role: 'inbox' },
      roleTaken: { name: 'Roles2', role: 'trash' },
      roleUnknown: { name: 'Roles3', role: 'shopping' },
      sortOrder: { name: 'Sorted', sortOrder: -1 },
      sortOrderBig: { name: 'Sorted2', sortOrder: 2 ** 31 },
      subscribed: { name: 'Subbed', isSubscribed: 'yes' },
      parentMissing: { name: 'Orphan', parentId: 'Mzzzz' },
      parentUnknownRef: { name: 'Orphan2', parentId: '#nothing' },
      loopA: { name: 'LoopA', parentId: '#loopB' },
      loopB: { name: 'LoopB', parentId: '#loopA' },
    },
  });
  const expect: Record<string, string[]> = {
    noName: ['name'], emptyName: ['name'], slash: ['name'], tooLong: ['name'], wrongType: ['name'], control: ['name'],
    wildcard: ['name'], unknownProp: ['colour'], serverSet: ['totalEmails'],
    role: ['role'], roleTaken: ['role'], roleUnknown: ['role'], sortOrder: ['sortOrder'], sortOrderBig: ['sortOrder'],
    subscribed: ['isSubscribed'], parentMissing: ['parentId'], parentUnknownRef: ['parentId'],
  };
  for (const [cid, properties] of Object.entries(expect)) {
    assert.equal(r.notCreated?.[cid]?.type, 'invalidProperties', `${cid}: ${JSON.stringify(r.notCreated?.[cid])}`);
    assert.deepEqual(r.notCreated[cid].properties, properties, cid);
  }
  // RFC 8621 §2: no two siblings of one name; "inbox" at the top is INBOX (RFC 9051 §5.1).
  const dup = await set({ create: { drafts: { name: 'Drafts' }, inbox: { name: 'inbox' } } });
  const drafts = await byName('Drafts');
  assert.deepEqual(dup.notCreated.drafts, { type: 'alreadyExists', properties: ['name'], description: dup.notCreated.drafts.description, existingId: drafts.id });
  assert.equal(dup.notCreated.inbox.type, 'alreadyExists');
  assert.equal(dup.notCreated.inbox.existingId, (await byName('INBOX')).id);
  // A cycle of creation ids: neither can be created first.
  assert.ok(r.notCreated.loopA && r.notCreated.loopB, 'a loop of parents is refused');
  assert.equal(r.created, null);
  assert.equal(r.oldState, r.newState, 'nothing changed');

  // A deep enough hierarchy runs into the store's depth limit (maxMailboxDepth).
  let parent: string | null = null;
  let refused: any = null;
  for (let depth = 1; depth <= 33 && !refused; depth++) {
    const step: any = await set({ create: { d: { name: `d${depth}`, parentId: parent } } });
    if (step.created) parent = step.created.d.id;
    else refused = { depth, error: step.notCreated.d };
  }
  assert.equal(refused?.depth, 33);
  assert.equal(refused.error.type, 'invalidProperties');
});

test('Mailbox/set update: rename and move keep the id; children follow; sortOrder, isSubscribed, role', async () => {
  const store = jmap.server.deps.store;
  const c = await set({ create: { p: { name: 'Clients' }, q: { name: 'Acme', parentId: '#p' }, r: { name: '2026', parentId: '#q' }, s: { name: 'Elsewhere' } } });
  const { p, q, r: deep, s } = c.created;
  const before = (await store.getMailbox(alice.id, 'Clients/Acme'))!;

  const u = await set({ update: { [q.id]: { name: 'Acme Corp', parentId: s.id, sortOrder: 3, isSubscribed: true } } });
  assert.deepEqual(u.updated, { [q.id]: null });
  const moved = (await store.getMailbox(alice.id, 'Elsewhere/Acme Corp'))!;
  assert.equal(moved.id, before.id, 'the same mailbox');
  assert.equal(moved.uidValidity, before.uidValidity, 'UIDVALIDITY stays');
  assert.equal(moved.sortOrder, 3);
  assert.ok(await store.getMailbox(alice.id, 'Elsewhere/Acme Corp/2026'), 'the child moved with it');
  const got = await byName('Acme Corp', s.id);
  assert.equal(got.id, q.id);
  assert.equal(got.isSubscribed, true);
  assert.equal((await byName('2026', q.id)).id, deep.id);
  assert.equal((await byName('Clients')).id, p.id, 'the old parent stays');

  // Moving to the top level, and a role given and taken back.
  const top = await set({ update: { [q.id]: { parentId: null, role: 'all' } } });
  assert.deepEqual(top.updated, { [q.id]: null }, JSON.stringify(top.notUpdated));
  assert.equal((await byName('Acme Corp')).role, 'all');
  assert.equal((await store.getMailbox(alice.id, 'Acme Corp'))!.role, '\\All');
  await set({ update: { [q.id]: { role: null, isSubscribed: false } } });
  const plain = await byName('Acme Corp');
  assert.equal(plain.role, null);
  assert.equal(plain.isSubscribed, false);
  // One call renames a parent and unsubscribes its child: the child's subscription moved with the rename first.
  assert.ok((await store.listSubscriptions(alice.id)).includes('Acme Corp/2026'), 'subscribed by default');
  const pair = await set({ update: { [q.id]: { name: 'Acme Ltd' }, [deep.id]: { isSubscribed: false } } });
  assert.equal(pair.notUpdated, null, JSON.stringify(pair.notUpdated));
  assert.equal((await byName('2026', q.id)).isSubscribed, false);
  assert.ok(!(await store.listSubscriptions(alice.id)).some((n) => n.endsWith('/2026')), 'no subscription left under any name');
  await set({ update: { [q.id]: { name: 'Acme Corp' } } });
  const plainAgain = await byName('Acme Corp');
  // Server-set properties may be sent back unchanged.
  // (myRights with its members in another order is the same value.)
  const rights = Object.fromEntries(Object.entries(plain.myRights).reverse());
  const same = await set({ update: { [q.id]: { totalEmails: plainAgain.totalEmails, myRights: rights, name: 'Acme Corp' } } });
  assert.deepEqual(same.updated, { [q.id]: null });
});

test('Mailbox/set update refuses cycles, INBOX renames, duplicates and bad values', async () => {
  const c = await set({ create: { a: { name: 'Tree' }, b: { name: 'Branch', parentId: '#a' }, l: { name: 'Leaf', parentId: '#b' }, o: { name: 'Other' } } });
  const { a, b, l, o } = c.created;
  const inbox = await byName('INBOX');
  const drafts = await byName('Drafts');
  const r = await set({
    update: {
      [a.id]: { parentId: l.id }, // under its own grandchild
      [b.id]: { parentId: b.id }, // under itself
      [inbox.id]: { name: 'Renamed inbox' },
      [drafts.id]: { name: 'Sent' },
      [o.id]: { sortOrder: 'first' },
      [l.id]: { unread: 3 },
      Mzzzz: { name: 'ghost' },
    },
  });
  assert.deepEqual(r.notUpdated[a.id].properties, ['parentId']);
  assert.deepEqual(r.notUpdated[b.id].properties, ['parentId']);
  assert.equal(r.notUpdated[inbox.id].type, 'forbidden');
  assert.equal(r.notUpdated[drafts.id].type, 'alreadyExists');
  assert.equal(r.notUpdated[drafts.id].existingId, await byName('Sent').then((m) => m.id));
  assert.deepEqual(r.notUpdated[o.id].properties, ['sortOrder']);
  assert.deepEqual(r.notUpdated[l.id].properties, ['unread']);
  assert.equal(r.notUpdated.Mzzzz.type, 'notFound');
  const serverSet = await set({ update: { [o.id]: { totalEmails: 7 } } });
  assert.deepEqual(serverSet.notUpdated[o.id].properties, ['totalEmails']);
  assert.equal((await byName('Tree')).id, a.id, 'nothing moved');
  assert.equal((await byName('Leaf', b.id)).id, l.id);
});

test('Mailbox/set destroy: mailboxHasChild, mailboxHasEmail unless onDestroyRemoveEmails; an Email in two mailboxes only leaves this one', async () => {
  const store = jmap.server.deps.store;
  const c = await set({ create: { parent: { name: 'Old' }, kid: { name: 'Older', parentId: '#parent' }, full: { name: 'Full' } } });
  const { parent, kid, full } = c.created;
  const inbox = await byName('INBOX');
  await deliver(alice, 'Full', 'only here');
  await deliver(alice, 'Full', 'also elsewhere');
  const fullBox = (await store.getMailbox(alice.id, 'Full'))!;
  const messages = await store.listMessages(alice.id, fullBox.id);
  const shared = messages.find((m) => m.uid === 2)!;
  const archive = (await store.getMailbox(alice.id, 'Archive'))!;
  await store.copyMessages(alice.id, fullBox.id, [shared.uid], archive.id);

  const refused = await set({ destroy: [parent.id, full.id, inbox.id] });
  assert.equal(refused.notDestroyed[parent.id].type, 'mailboxHasChild');
  assert.equal(refused.notDestroyed[full.id].type, 'mailboxHasEmail');
  assert.equal(refused.notDestroyed[inbox.id].type, 'forbidden');
  assert.equal(refused.destroyed, null);

  // Parent and child in one call: the child goes first.
  const tree = await set({ destroy: [parent.id, kid.id] });
  assert.deepEqual([...tree.destroyed].sort(), [kid.id, parent.id].sort());
  assert.equal(await store.getMailbox(alice.id, 'Old'), null);

  const gone = await set({ destroy: [full.id], onDestroyRemoveEmails: true });
  assert.deepEqual(gone.destroyed, [full.id]);
  assert.equal(await store.getMailbox(alice.id, 'Full'), null);
  const emails = await store.getEmails(alice.id, messages.map((m) => m.emailId));
  assert.deepEqual(emails.map((e) => e.id), [shared.emailId], 'the Email only in Full is destroyed, the shared one stays');
  assert.deepEqual(emails[0].mailboxes.map((m) => m.mailboxId), [archive.id]);
  const [e, err] = await call('Mailbox/set', { destroy: [], onDestroyRemoveEmails: 'yes' });
  assert.equal(e, 'error');
  assert.equal(err.type, 'invalidArguments');
});

test('counts after messages arrive: Emails, unread (not $seen, not $draft), threads; \\Deleted ones are not counted (RFC 8621 §2)', async () => {
  const store = jmap.server.deps.store;
  await set({ create: { box: { name: 'Counted' } } });
  await deliver(alice, 'Counted', 'Plans');
  await deliver(alice, 'Counted', 'Re: Plans', 'In-Reply-To: <Plans@example.org>\r\nReferences: <Plans@example.org>\r\n', ['\\Seen']);
  await deliver(alice, 'Counted', 'Lunch', '', ['\\Seen']);
  await deliver(alice, 'Counted', 'A draft', '', ['\\Draft']);
  await deliver(alice, 'Counted', 'Doomed');
  const box = (await store.getMailbox(alice.id, 'Counted'))!;
  const doomed = (await store.listMessages(alice.id, box.id)).at(-1)!;
  await store.setFlags(alice.id, box.id, [doomed.uid], 'add', ['\\Deleted']);
  const m = await byName('Counted');
  assert.deepEqual(
    { totalEmails: m.totalEmails, unreadEmails: m.unreadEmails, totalThreads: m.totalThreads, unreadThreads: m.unreadThreads },
    { totalEmails: 4, unreadEmails: 1, totalThreads: 3, unreadThreads: 1 },
  );
  await store.setFlags(alice.id, box.id, [1], 'add', ['\\Seen']);
  assert.equal((await byName('Counted')).unreadThreads, 0);
});

test('a JMAP create and rename reach IMAP: LIST shows them (imapflow)', async () => {
  const { ImapFlow } = await import('imapflow');
  const srv = await startJmapServer({ enable: ['imap'] });
  try {
    const [[, created]] = await srv.call([['Mailbox/set', { accountId: srv.accountId, create: { a: { name: 'Reisen', isSubscribed: true }, b: { name: 'Größe', parentId: '#a' } } }, 'c']]);
    const client = new ImapFlow({ host: '127.0.0.1', port: srv.server.ports.imap!, secure: false, auth: { user: srv.address, pass: srv.password }, tls: { rejectUnauthorized: false }, logger: false });
    await client.connect();
    try {
      let paths = (await client.list()).map((m) => m.path);
      assert.ok(paths.includes('Reisen') && paths.includes('Reisen/Größe'), paths.join(', '));
      await srv.call([['Mailbox/set', { accountId: srv.accountId, update: { [created.created.a.id]: { name: 'Urlaub', sortOrder: 2 } } }, 'c']]);
      paths = (await client.list()).map((m) => m.path);
      assert.ok(paths.includes('Urlaub') && paths.includes('Urlaub/Größe') && !paths.includes('Reisen'), paths.join(', '));
      const subscribed = (await client.list({ statusQuery: {} })).filter((m) => m.subscribed).map((m) => m.path);
      assert.ok(subscribed.includes('Urlaub'), 'the subscription followed the rename');
      // A role is IMAP's special-use attribute (RFC 6154).
      await srv.call([['Mailbox/set', { accountId: srv.accountId, update: { [created.created.a.id]: { role: 'flagged' } } }, 'c']]);
      assert.equal((await client.list()).find((m) => m.path === 'Urlaub')?.specialUse, '\\Flagged');
      await srv.call([['Mailbox/set', { accountId: srv.accountId, destroy: [created.created.b.id] }, 'c']]);
      paths = (await client.list()).map((m) => m.path);
      assert.ok(!paths.includes('Urlaub/Größe'), paths.join(', '));
    } finally {
      await client.logout();
    }
  } finally {
    await srv.stop();
  }
});
