// Every Email/set write reaches IMAP as an IMAP change does: an idling imapflow client hears
// EXISTS for a create, FETCH FLAGS for a keyword change, EXPUNGE for a destroy and for the
// source side of a mailboxIds move; the moved message keeps its identity and the Email its id;
// the other messages keep their UIDs and the mailbox its UIDVALIDITY.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { startJmapServer, type JmapTestServer } from './helpers/jmap.ts';
import { aliceAccount, imapClient, mailboxId } from './helpers/jmap-write.ts';
import { ingestMessage } from '../src/delivery/explicit-target.ts';
import { fromJmapId } from '../src/jmap/ids.ts';
import type { Account } from '../src/store/types.ts';

let jmap: JmapTestServer;
let account: Account;

before(async () => {
  jmap = await startJmapServer({ enable: ['imap'] });
  account = await aliceAccount(jmap);
});
after(() => jmap.stop());

async function set(args: Record<string, unknown>): Promise<any> {
  const [[name, result]] = await jmap.call([['Email/set', { accountId: jmap.accountId, ...args }, 's']]);
  assert.equal(name, 'Email/set', JSON.stringify(result));
  return result;
}

const message = (subject: string): Buffer =>
  Buffer.from(`From: a@example.org\r\nTo: alice@example.com\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@example.org>\r\n\r\nBody\r\n`);

test('create, keywords, move, add, destroy: the idling IMAP client sees each at once; other UIDs and UIDVALIDITY stay', async () => {
  const store = jmap.server.deps.store;
  const inboxRow = (await store.getMailbox(account.id, 'INBOX'))!;
  for (const s of ['older-1', 'older-2']) await ingestMessage(jmap.server.deps, account.id, inboxRow.id, message(s));
  const inbox = await mailboxId(jmap, 'INBOX');
  const archive = await mailboxId(jmap, 'Archive');

  const watcher = imapClient(jmap);
  await watcher.connect();
  const opened = await watcher.mailboxOpen('INBOX');
  const uidValidity = opened.uidValidity;
  const uidsBefore = (await watcher.search({ all: true }, { uid: true })) as number[];
  assert.equal(uidsBefore.length, 2);
  const idling = watcher.idle();

  // Create into INBOX: EXISTS.
  const exists = once(watcher, 'exists');
  const r = await set({ create: { n: { mailboxIds: { [inbox]: true }, subject: 'from JMAP', bodyStructure: { partId: '1' }, bodyValues: { '1': { value: 'hi' } } } } });
  const emailId: string = r.created.n.id;
  const [ex] = await exists;
  assert.equal(ex.count, 3);

  // Keywords: an untagged FETCH FLAGS.
  const flags = once(watcher, 'flags');
  assert.deepEqual((await set({ update: { [emailId]: { 'keywords/$flagged': true, 'keywords/$seen': true } } })).updated, { [emailId]: null });
  const [fl] = await flags;
  assert.ok(fl.flags.has('\\Flagged'), [...fl.flags].join(' '));

  // A move (INBOX out, Archive in): EXPUNGE in INBOX; the same message and Email in Archive.
  const before = (await store.getEmails(account.id, [fromJmapId('email', emailId)!]))[0];
  const expunge = once(watcher, 'expunge');
  assert.deepEqual((await set({ update: { [emailId]: { mailboxIds: { [archive]: true } } } })).updated, { [emailId]: null });
  const [exp] = await expunge;
  assert.equal(exp.seq, 3);
  const moved = (await store.getEmails(account.id, [fromJmapId('email', emailId)!]))[0];
  assert.equal(moved.mailboxes.length, 1);
  assert.equal(moved.mailboxes[0].mailboxId, fromJmapId('mailbox', archive));
  assert.equal(moved.mailboxes[0].messageId, before.mailboxes[0].messageId, 'moved, not copied and expunged');
  assert.ok(moved.keywords.includes('\\Flagged') && moved.keywords.includes('\\Seen'));

  // Added back to INBOX by patch: EXISTS again, still one Email in two mailboxes.
  const existsAgain = once(watcher, 'exists');
  await set({ update: { [emailId]: { [`mailboxIds/${inbox}`]: true } } });
  assert.equal((await existsAgain)[0].count, 3);
  const both = (await store.getEmails(account.id, [fromJmapId('email', emailId)!]))[0];
  assert.deepEqual(both.mailboxes.map((m) => m.mailboxId).sort(), [fromJmapId('mailbox', inbox), fromJmapId('mailbox', archive)].sort());

  // Removing the last mailbox is refused; destroy expunges it everywhere.
  const none = await set({ update: { [emailId]: { [`mailboxIds/${inbox}`]: null, [`mailboxIds/${archive}`]: null } } });
  assert.equal(none.notUpdated[emailId].type, 'invalidProperties');
  const gone = once(watcher, 'expunge');
  assert.deepEqual((await set({ destroy: [emailId] })).destroyed, [emailId]);
  assert.equal((await gone)[0].seq, 3);
  assert.deepEqual(await store.getEmails(account.id, [fromJmapId('email', emailId)!]), []);

  await watcher.logout();
  await idling.catch(() => {});
  const check = imapClient(jmap);
  await check.connect();
  const again = await check.mailboxOpen('INBOX');
  assert.equal(again.uidValidity, uidValidity);
  assert.deepEqual(await check.search({ all: true }, { uid: true }), uidsBefore);
  await check.mailboxOpen('Archive');
  assert.deepEqual(await check.search({ all: true }, { uid: true }), [], 'destroyed in Archive too');
  await check.logout();
});

test('updates: only keywords and mailboxIds; whole keywords replace; unknown ids and ids of another kind are notFound', async () => {
  const inbox = await mailboxId(jmap, 'INBOX');
  const r = await set({ create: { n: { mailboxIds: { [inbox]: true }, keywords: { $seen: true, work: true }, bodyStructure: { partId: '1' }, bodyValues: { '1': { value: 'x' } } } } });
  const id: string = r.created.n.id;
  const u = await set({
    update: {
      [id]: { keywords: { $answered: true } },
      E9zzzz: { 'keywords/$seen': true },
      M1: { 'keywords/$seen': true },
    },
  });
  assert.deepEqual(u.updated, { [id]: null });
  assert.equal(u.notUpdated.E9zzzz.type, 'notFound');
  assert.equal(u.notUpdated.M1.type, 'notFound');
  const email = (await jmap.server.deps.store.getEmails(account.id, [fromJmapId('email', id)!]))[0];
  assert.deepEqual(email.keywords, ['\\Answered'], 'the whole set replaced');
  const bad = await set({
    update: {
      [id]: { subject: 'changed' },
    },
  });
  assert.equal(bad.notUpdated[id].type, 'invalidProperties');
  assert.deepEqual(bad.notUpdated[id].properties, ['subject']);
  const badPatch = await set({ update: { [id]: { 'keywords/$seen': false } } });
  assert.equal(badPatch.notUpdated[id].type, 'invalidPatch');
  const conflict = await set({ update: { [id]: { keywords: {}, 'keywords/$seen': true } } });
  assert.equal(conflict.notUpdated[id].type, 'invalidPatch');
  const foreignMailbox = await set({ update: { [id]: { 'mailboxIds/M9zzz': true } } });
  assert.equal(foreignMailbox.notUpdated[id].type, 'invalidProperties');
  // Another account's Email is not found, for update and destroy alike, and stays as it was.
  const store = jmap.server.deps.store;
  const other = await store.createAccount({ address: 'eve@example.com', passwordHash: 'x' });
  const theirs = await ingestMessage(jmap.server.deps, other.id, (await store.getMailbox(other.id, 'INBOX'))!.id, message('theirs'));
  const theirId = 'E' + theirs.emailId.toString(36);
  const foreign = await set({ update: { [theirId]: { 'keywords/$seen': true } }, destroy: [theirId] });
  assert.equal(foreign.notUpdated[theirId].type, 'notFound');
  assert.equal(foreign.notDestroyed[theirId].type, 'notFound');
  assert.deepEqual((await store.getEmails(other.id, [theirs.emailId]))[0].keywords, []);
  const d = await set({ destroy: [id, id.slice(0, 1) + 'zzzzz'] });
  assert.deepEqual(d.destroyed, [id]);
  assert.equal(d.notDestroyed[id.slice(0, 1) + 'zzzzz'].type, 'notFound');
});
