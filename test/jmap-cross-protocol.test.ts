// One account, three clients at once: a JMAP client (over real HTTP, with an EventSource open),
// imapflow and Python's imaplib (over real IMAP sockets), doing flags, moves, deletes, mailbox
// create/rename/destroy, a draft and a send concurrently. Every change reaches the other side by
// push (an idling IMAP session hears JMAP's changes; the EventSource hears IMAP's), and at the
// end every view — IMAP, JMAP and the store itself — shows the same mailboxes, messages and flags.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ImapFlow } from 'imapflow';
import { startJmapServer, type JmapTestServer } from './helpers/jmap.ts';
import { deliverTo, eventSourceUrl, imapClient, openEventStream, type EventStreamClient } from './helpers/jmap-push.ts';
import { python } from './helpers/imap.ts';
import { toObjectId } from '../src/mail/object-ids.ts';
import { flagToKeyword } from '../src/jmap/mail/keywords.ts';

const USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail', 'urn:ietf:params:jmap:submission'];
const MESSAGES = 24;
let jmap: JmapTestServer;
let accountId: number;

before(async () => {
  jmap = await startJmapServer({ enable: ['imap'] });
  accountId = (await jmap.server.deps.store.getAccountByAddress(jmap.address))!.id;
  for (let i = 0; i < MESSAGES; i++) await deliverTo(jmap, `message ${String(i).padStart(2, '0')}`);
});
after(() => jmap.stop());

const call = (calls: unknown[]) => jmap.call(calls, USING);

/** The response of one method, failing with what came back when it is an error. */
function answer(responses: any[], name: string): any {
  const r = responses.find((x: any[]) => x[0] === name || x[0] === 'error');
  assert.ok(r && r[0] === name, `${name}: ${JSON.stringify(responses)}`);
  return r[1];
}

async function mailboxIds(): Promise<Record<string, string>> {
  const list = answer(await call([['Mailbox/get', { accountId: jmap.accountId, ids: null, properties: ['name', 'parentId'] }, 'm']]), 'Mailbox/get').list;
  return Object.fromEntries(list.map((m: { id: string; name: string }) => [m.name, m.id]));
}

/** IMAP UID of message i of the INBOX as delivered (UIDs 1..MESSAGES in delivery order), and its JMAP id. */
async function inboxMessages(): Promise<{ uid: number; emailId: string; subject: string }[]> {
  const store = jmap.server.deps.store;
  const inbox = (await store.getMailbox(accountId, 'INBOX'))!;
  const records = await store.getMessages(accountId, inbox.id, (await store.listMessages(accountId, inbox.id)).map((m) => m.uid));
  return records.map((m) => ({ uid: m.uid, emailId: toObjectId('email', m.emailId), subject: m.summary.envelope.subject ?? '' }));
}

interface View {
  /** mailbox name → sorted "subject | flags" lines */
  [mailbox: string]: string[];
}

const line = (subject: string, keywords: string[]) => `${subject} | ${[...new Set(keywords)].sort().join(' ')}`;

async function imapView(): Promise<View> {
  const client = await imapClient(jmap);
  try {
    const view: View = {};
    for (const box of await client.list()) {
      const lock = await client.getMailboxLock(box.path);
      try {
        const lines: string[] = [];
        if (client.mailbox && client.mailbox.exists > 0) {
          for await (const m of client.fetch('1:*', { envelope: true, flags: true })) {
            const keywords = [...(m.flags ?? [])].map(flagToKeyword).filter((k): k is string => k !== null);
            lines.push(line(m.envelope?.subject ?? '', keywords));
          }
        }
        view[box.path] = lines.sort();
      } finally {
        lock.release();
      }
    }
    return view;
  } finally {
    await client.logout();
  }
}

async function jmapView(): Promise<View> {
  const boxes = answer(await call([['Mailbox/get', { accountId: jmap.accountId, ids: null, properties: ['name', 'parentId'] }, 'm']]), 'Mailbox/get').list as { id: string; name: string; parentId: string | null }[];
  const byId = new Map(boxes.map((b) => [b.id, b]));
  const fullName = (b: { name: string; parentId: string | null }): string => (b.parentId ? `${fullName(byId.get(b.parentId)!)}/${b.name}` : b.name);
  const view: View = {};
  for (const box of boxes) {
    const responses = await call([
      ['Email/query', { accountId: jmap.accountId, filter: { inMailbox: box.id }, limit: 1000 }, 'q'],
      ['Email/get', { accountId: jmap.accountId, '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties: ['subject', 'keywords'] }, 'g'],
    ]);
    const list = answer(responses, 'Email/get').list as { subject: string; keywords: Record<string, boolean> }[];
    view[fullName(box)] = list.map((e) => line(e.subject ?? '', Object.keys(e.keywords))).sort();
  }
  return view;
}

async function storeView(): Promise<View> {
  const store = jmap.server.deps.store;
  const view: View = {};
  for (const box of await store.listMailboxes(accountId)) {
    const uids = (await store.listMessages(accountId, box.id)).map((m) => m.uid);
    const messages = uids.length ? await store.getMessages(accountId, box.id, uids) : [];
    view[box.name] = messages
      .filter((m) => !m.flags.includes('\\Deleted'))
      .map((m) => line(m.summary.envelope.subject ?? '', m.flags.map(flagToKeyword).filter((k): k is string => k !== null)))
      .sort();
  }
  return view;
}

/** Collects an idling IMAP session's notifications on INBOX. */
async function idleWatcher(): Promise<{ client: ImapFlow; expunged: () => number; flagChanges: () => number; exists: () => number }> {
  const client = await imapClient(jmap);
  await client.mailboxOpen('INBOX');
  let expunged = 0;
  let flagChanges = 0;
  let exists = 0;
  client.on('expunge', () => expunged++);
  client.on('flags', () => flagChanges++);
  client.on('exists', (e: { count: number; prevCount: number }) => (exists += Math.max(0, e.count - e.prevCount)));
  void client.idle();
  return { client, expunged: () => expunged, flagChanges: () => flagChanges, exists: () => exists };
}

/** Waits until `done()` holds, re-checking whenever the client receives something (no fixed sleeps). */
async function until(what: string, done: () => boolean, client: ImapFlow, limitMs = 20_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!done()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise<void>((resolve) => {
      const wake = () => {
        client.off('expunge', wake);
        client.off('flags', wake);
        client.off('exists', wake);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(wake, 250);
      client.on('expunge', wake);
      client.on('flags', wake);
      client.on('exists', wake);
    });
  }
}

test('JMAP, imapflow and imaplib change one account at once; push reaches each side; every view ends equal to the store', async () => {
  const boxes = await mailboxIds();
  const inbox = await inboxMessages();
  assert.equal(inbox.length, MESSAGES);
  const watcher = await idleWatcher();
  const events: EventStreamClient = await openEventStream(eventSourceUrl(jmap, { types: 'Email,Mailbox' }), jmap.authorization);
  const identity = answer(await call([['Identity/get', { accountId: jmap.accountId, ids: null }, 'i']]), 'Identity/get').list[0];
  const imap = await imapClient(jmap);

  const byJmap = async (): Promise<void> => {
    const seen = Object.fromEntries(inbox.slice(0, 6).map((m) => [m.emailId, { 'keywords/$seen': true }]));
    const moved = Object.fromEntries(inbox.slice(6, 9).map((m) => [m.emailId, { [`mailboxIds/${boxes.INBOX}`]: null, [`mailboxIds/${boxes.Archive}`]: true }]));
    answer(await call([['Email/set', { accountId: jmap.accountId, update: { ...seen, ...moved }, destroy: inbox.slice(9, 11).map((m) => m.emailId) }, 'e']]), 'Email/set');
    const made = answer(await call([['Mailbox/set', { accountId: jmap.accountId, create: { p: { name: 'Projects', parentId: null } } }, 'c']]), 'Mailbox/set');
    const projects = made.created.p.id;
    answer(await call([['Mailbox/set', { accountId: jmap.accountId, update: { [projects]: { name: 'Projects 2026' } } }, 'r']]), 'Mailbox/set');
    answer(await call([['Mailbox/set', { accountId: jmap.accountId, destroy: [projects] }, 'd']]), 'Mailbox/set');
    const draft = answer(
      await call([
        ['Email/set', {
          accountId: jmap.accountId,
          create: { d: { mailboxIds: { [boxes.Drafts]: true }, keywords: { $draft: true, $seen: true }, from: [{ email: jmap.address }], to: [{ email: jmap.address }], subject: 'sent by JMAP', textBody: [{ partId: 't', type: 'text/plain' }], bodyValues: { t: { value: 'To myself.' } } } },
        }, 'draft'],
      ]),
      'Email/set',
    );
    const sent = await call([
      ['EmailSubmission/set', {
        accountId: jmap.accountId,
        create: { s: { identityId: identity.id, emailId: draft.created.d.id } },
        onSuccessUpdateEmail: { '#s': { [`mailboxIds/${boxes.Drafts}`]: null, [`mailboxIds/${boxes.Sent}`]: true, 'keywords/$draft': null } },
      }, 'send'],
    ]);
    assert.ok(answer(sent, 'EmailSubmission/set').created?.s, JSON.stringify(sent));
    assert.ok(answer(sent, 'Email/set').updated, JSON.stringify(sent));
  };

  const byImapflow = async (): Promise<void> => {
    const lock = await imap.getMailboxLock('INBOX');
    try {
      await imap.messageFlagsAdd(inbox.slice(11, 15).map((m) => m.uid).join(','), ['\\Flagged'], { uid: true });
      await imap.messageMove(inbox.slice(15, 18).map((m) => m.uid).join(','), 'Trash', { uid: true });
    } finally {
      lock.release();
    }
    await imap.mailboxCreate('From IMAP');
    await imap.mailboxRename('From IMAP', 'From IMAP renamed');
  };

  const byImaplib = (): Promise<string> =>
    python(
      `
import imaplib, sys
c = imaplib.IMAP4('127.0.0.1', int(sys.argv[1]))
c.login(sys.argv[2], sys.argv[3])
c.select('INBOX')
c.uid('STORE', sys.argv[4], '+FLAGS', '(\\\\Deleted)')
c.expunge()
c.create('Py')
c.delete('Py')
c.logout()
print('ok')
`,
      [String(jmap.server.ports.imap), jmap.address, jmap.password, inbox.slice(18, 20).map((m) => m.uid).join(',')],
    );

  const [, , py] = await Promise.all([byJmap(), byImapflow(), byImaplib()]);
  assert.equal(py.trim(), 'ok');

  // Push, both ways. The idling session heard JMAP's and the others' INBOX changes: 2 destroyed
  // and 3 moved by JMAP, 3 moved by imapflow, 2 expunged by imaplib; 6 seen (JMAP) and 4 flagged
  // (imapflow); one new message, the one JMAP sent to its own address.
  await until('the idling session to hear every INBOX change', () => watcher.expunged() >= 10 && watcher.flagChanges() >= 10 && watcher.exists() >= 1, watcher.client);
  assert.equal(watcher.expunged(), 10);
  // The EventSource heard every change, the IMAP-made ones too: one of its events names the
  // account's state as it is now (Email and Mailbox states are the account's mod-sequence).
  const state = answer(await call([['Email/get', { accountId: jmap.accountId, ids: [] }, 'g']]), 'Email/get').state;
  for (;;) {
    const event = await events.next('state');
    const change = JSON.parse(event.data);
    if (Object.values(change.changed as Record<string, Record<string, string>>).some((types) => Object.values(types).includes(state))) break;
  }
  events.close();
  await watcher.client.logout().catch(() => {});
  await imap.logout();

  // Every view equals the store.
  const expected = await storeView();
  assert.deepEqual(await imapView(), expected, 'IMAP sees the store');
  assert.deepEqual(await jmapView(), expected, 'JMAP sees the store');
  assert.ok(!('Projects 2026' in expected) && !('Py' in expected) && 'From IMAP renamed' in expected);
  assert.equal(expected.INBOX.length, MESSAGES - 3 - 2 - 3 - 2 + 1);
  assert.equal(expected.Archive.length, 3);
  assert.equal(expected.Trash.length, 3);
  assert.deepEqual(expected.Sent, ['sent by JMAP | $seen']);
  assert.deepEqual(expected.Drafts, []);
  assert.equal(expected.INBOX.filter((l) => l.endsWith('$seen')).length, 6);
  assert.equal(expected.INBOX.filter((l) => l.includes('$flagged')).length, 4);
});
