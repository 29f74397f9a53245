// One Email in two mailboxes, seen from IMAP (src/store/mail-types.ts): after a COPY the message
// in Archive is the same Email as the one in INBOX, so a keyword set on either reaches the other
// at once — a session idling on Archive is told with a FETCH — while \Deleted and EXPUNGE stay
// with the mailbox they were done in (the "move by COPY, \Deleted, EXPUNGE" of older clients).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startImapServer, message, RawImap, type ImapTestServer } from './helpers/imap.ts';

const ADDRESS = 'keywords@example.com';
const PASSWORD = 'keywords pw';
let srv: ImapTestServer;

before(async () => {
  srv = await startImapServer({ POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' });
  const user = await srv.addAccount(ADDRESS, PASSWORD);
  await srv.deliver(user, message('kept'));
});

after(async () => {
  await srv.stop();
});

/** Reads untagged lines until one matches, failing with what arrived if none does in time. */
async function untilMatch(c: RawImap, re: RegExp): Promise<string> {
  const seen: string[] = [];
  for (;;) {
    const line = await c.line();
    assert.ok(line !== null, `no line matching ${re}; got:\n${seen.join('\n')}`);
    if (re.test(line)) return line;
    seen.push(line);
  }
}

test('a keyword set in INBOX reaches the copy in Archive live; \\Deleted and EXPUNGE do not', async () => {
  const mover = await RawImap.login(srv.imap, ADDRESS, PASSWORD);
  const watcher = await RawImap.login(srv.imap, ADDRESS, PASSWORD);
  try {
    assert.match((await mover.command('s', 'SELECT INBOX')).at(-1)!, /^s OK/);
    const copied = (await mover.command('c', 'UID COPY 1 Archive')).at(-1)!;
    const archiveUid = Number(/^c OK \[COPYUID \d+ 1 (\d+)\]/.exec(copied)?.[1]);
    assert.ok(archiveUid > 0, copied);

    assert.match((await watcher.command('w', 'SELECT Archive')).at(-1)!, /^w OK/);
    watcher.send('i IDLE\r\n');
    assert.match((await watcher.line())!, /^\+ /);

    const stored = await mover.command('f', 'UID STORE 1 +FLAGS (\\Seen $Important \\Deleted)');
    assert.match(stored.at(-1)!, /^f OK/);
    const pushed = await untilMatch(watcher, /^\* 1 FETCH /);
    assert.match(pushed, /\\Seen/);
    assert.match(pushed, /\$Important/);
    assert.doesNotMatch(pushed, /\\Deleted/, 'the copy is not deleted');

    // The older clients' move: the INBOX message goes, the Archive one stays.
    const expunged = await mover.command('e', 'EXPUNGE');
    assert.ok(expunged.includes('* 1 EXPUNGE'), expunged.join('\n'));
    watcher.send('DONE\r\n');
    const done = await watcher.until('i');
    assert.ok(!done.some((l) => / EXPUNGE$/.test(l)), done.join('\n'));
    const left = await watcher.command('x', 'EXPUNGE');
    assert.ok(!left.some((l) => / EXPUNGE$/.test(l)), 'EXPUNGE in Archive removes nothing');
    const fetched = await watcher.command('g', `UID FETCH ${archiveUid} (FLAGS)`);
    assert.ok(fetched.some((l) => /FLAGS \((?=.*\\Seen)(?=.*\$Important)(?!.*\\Deleted)[^)]*\)/.test(l)), fetched.join('\n'));

    // And back: a flag removed in Archive leaves the Email, wherever else it is — here nowhere else.
    const { store } = srv.server.deps;
    const account = (await store.getAccountByAddress(ADDRESS))!;
    const archive = (await store.getMailbox(account.id, 'Archive'))!;
    const [record] = await store.getMessages(account.id, archive.id, [archiveUid]);
    const [email] = await store.getEmails(account.id, [record.emailId]);
    assert.deepEqual(email.mailboxes.map((m) => m.mailboxId), [archive.id]);
    assert.deepEqual([...email.keywords].sort(), ['$Important', '\\Seen']);
  } finally {
    mover.close();
    watcher.close();
  }
});
