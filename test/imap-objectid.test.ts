// IMAP OBJECTID (RFC 8474) over a real socket: MAILBOXID on CREATE, SELECT and STATUS, EMAILID
// and THREADID in FETCH and SEARCH; ids that stay across RENAME and MOVE, are shared by a COPY
// within the account (same Email), and are the ones JMAP shows (src/mail/object-ids.ts).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startImapServer, message, RawImap, type ImapTestServer } from './helpers/imap.ts';
import { toObjectId } from '../src/mail/object-ids.ts';
import type { Account } from '../src/store/types.ts';

const ADDRESS = 'objectid@example.com';
const PASSWORD = 'objectid pw';
let srv: ImapTestServer;
let user: Account;

before(async () => {
  srv = await startImapServer({ POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' });
  user = await srv.addAccount(ADDRESS, PASSWORD);
  await srv.deliver(user, message('first'));
  await srv.deliver(user, message('second'));
});
after(() => srv.stop());

const tagged = (lines: string[]): string => lines.at(-1)!;

test('OBJECTID is advertised; CREATE, SELECT and STATUS name the mailbox id; RENAME keeps it', async () => {
  const c = await RawImap.login(srv.imap, ADDRESS, PASSWORD);
  try {
    assert.match((await c.command('c0', 'CAPABILITY')).join('\n'), /\bOBJECTID\b/);
    const created = tagged(await c.command('c1', 'CREATE Projects'));
    const id = /^c1 OK \[MAILBOXID \(([A-Za-z0-9_-]+)\)\]/.exec(created)?.[1];
    assert.ok(id, created);
    const stored = await srv.mailbox(user, 'Projects');
    assert.equal(id, toObjectId('mailbox', stored.id), 'the id JMAP uses for the same mailbox');
    const status = (await c.command('c2', 'STATUS Projects (MESSAGES MAILBOXID)')).join('\n');
    assert.match(status, new RegExp(`\\* STATUS Projects \\(MESSAGES 0 MAILBOXID \\(${id}\\)\\)`));
    assert.match(tagged(await c.command('c3', 'RENAME Projects Work')), /^c3 OK/);
    const renamed = (await c.command('c4', 'SELECT Work')).join('\n');
    assert.match(renamed, new RegExp(`\\* OK \\[MAILBOXID \\(${id}\\)\\]`), 'RENAME keeps the mailbox id (RFC 8474 §4)');
    const inbox = (await c.command('c5', 'EXAMINE INBOX')).join('\n');
    const inboxId = /\* OK \[MAILBOXID \(([A-Za-z0-9_-]+)\)\]/.exec(inbox)?.[1];
    assert.ok(inboxId && inboxId !== id);
  } finally {
    c.close();
  }
});

test('FETCH EMAILID and THREADID; a COPY within the account is the same Email; MOVE keeps it; SEARCH by either', async () => {
  const c = await RawImap.login(srv.imap, ADDRESS, PASSWORD);
  try {
    await c.command('s', 'SELECT INBOX');
    const fetched = (await c.command('f', 'UID FETCH 1:* (EMAILID THREADID)')).filter((l) => /^\* \d+ FETCH/.test(l));
    assert.equal(fetched.length, 2);
    const ids = fetched.map((l) => ({ email: /EMAILID \(([^)]+)\)/.exec(l)![1], thread: /THREADID \(([^)]+)\)/.exec(l)![1] }));
    const stored = await srv.server.deps.store.listMessages(user.id, (await srv.mailbox(user, 'INBOX')).id);
    assert.deepEqual(ids, stored.map((m) => ({ email: toObjectId('email', m.emailId), thread: toObjectId('thread', m.threadId) })));
    assert.notEqual(ids[0].email, ids[1].email);

    assert.match(tagged(await c.command('cp', 'UID COPY 1 Archive')), /^cp OK/);
    assert.match(tagged(await c.command('mv', 'UID MOVE 2 Trash')), /^mv OK/);
    await c.command('a', 'SELECT Archive');
    const copy = (await c.command('af', 'FETCH 1 (EMAILID THREADID)')).join('\n');
    assert.match(copy, new RegExp(`EMAILID \\(${ids[0].email}\\) THREADID \\(${ids[0].thread}\\)`), 'COPY within an account adds the Email to a mailbox');
    await c.command('t', 'SELECT Trash');
    assert.match((await c.command('tf', 'FETCH 1 (EMAILID)')).join('\n'), new RegExp(`EMAILID \\(${ids[1].email}\\)`), 'MOVE keeps the Email');

    await c.command('i', 'SELECT INBOX');
    assert.match((await c.command('se', `UID SEARCH EMAILID ${ids[0].email}`)).join('\n'), /^\* SEARCH 1$/m);
    assert.match((await c.command('st', `UID SEARCH THREADID ${ids[0].thread}`)).join('\n'), /^\* SEARCH 1$/m);
    assert.match((await c.command('sn', 'UID SEARCH EMAILID E0zz')).join('\n'), /^\* SEARCH$/m, 'an unknown id matches nothing');
    assert.match(tagged(await c.command('sb', 'UID SEARCH EMAILID "a b"')), /^sb BAD/, 'not an objectid');
  } finally {
    c.close();
  }
});
