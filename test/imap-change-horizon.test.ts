// IMAP over a pruned change log (src/store/change-types.ts): once the rows up to a horizon are
// gone, a session or client whose state is older than it cannot learn its expunges from the
// log. It must still end up right: the selected view compares itself with the mailbox, QRESYNC
// answers VANISHED (EARLIER) for every UID the client may know that is gone (RFC 7162 §3.2.5.2),
// and FETCH … (CHANGEDSINCE … VANISHED) likewise (RFC 7162 §3.2.6).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startImapServer, message, RawImap, type ImapTestServer } from './helpers/imap.ts';
import type { Account, Mailbox } from '../src/store/types.ts';

const ADDRESS = 'horizon@example.com';
const PASSWORD = 'horizon pw';
let srv: ImapTestServer;
let user: Account;
let inbox: Mailbox;

before(async () => {
  srv = await startImapServer({ POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' });
  user = await srv.addAccount(ADDRESS, PASSWORD);
  for (let i = 1; i <= 6; i++) await srv.deliver(user, message(`m${i}`));
  inbox = await srv.mailbox(user, 'INBOX');
});

after(async () => {
  await srv.stop();
});

async function expungeAndPrune(uids: number[]): Promise<number> {
  const { store } = srv.server.deps;
  await store.expunge(user.id, inbox.id, { uids, onlyDeleted: false });
  const modseq = (await store.getAccount(user.id))!.modseq;
  assert.ok((await store.pruneChanges(user.id, modseq)) > 0);
  return modseq;
}

test('a selected session older than the horizon hears of expunges, new mail and flag changes by comparing with the mailbox', async () => {
  const c = await RawImap.login(srv.imap, ADDRESS, PASSWORD);
  try {
    assert.match((await c.command('s', 'SELECT INBOX')).at(-1)!, /^s OK/);
    await srv.server.deps.store.setFlags(user.id, inbox.id, [4], 'add', ['\\Flagged']);
    await srv.deliver(user, message('m7'));
    await expungeAndPrune([2]);
    assert.equal((await srv.server.deps.store.changesSince(user.id, 0, inbox.id)).complete, false);
    const noop = await c.command('n', 'NOOP');
    assert.match(noop.at(-1)!, /^n OK/);
    assert.ok(noop.includes('* 2 EXPUNGE'), noop.join('\n'));
    assert.ok(noop.some((l) => /^\* 6 EXISTS$/.test(l)), noop.join('\n'));
    assert.ok(noop.some((l) => /^\* 3 FETCH \(UID 4 FLAGS \((\\Recent )?\\Flagged\)\)$/.test(l)), noop.join('\n'));
    const all = await c.command('f', 'UID FETCH 1:* (UID)');
    assert.deepEqual(all.filter((l) => l.startsWith('*')).map((l) => Number(/UID (\d+)/.exec(l)![1])), [1, 3, 4, 5, 6, 7]);
  } finally {
    c.close();
  }
});

test('QRESYNC and FETCH VANISHED from a mod-sequence below the horizon report every known UID that is gone', async () => {
  const c = await RawImap.login(srv.imap, ADDRESS, PASSWORD);
  try {
    assert.match((await c.command('e', 'ENABLE QRESYNC')).at(-1)!, /^e OK/);
    const status = (await c.command('st', 'STATUS INBOX (UIDVALIDITY HIGHESTMODSEQ)')).join('\n');
    const uidValidity = Number(/UIDVALIDITY (\d+)/.exec(status)![1]);
    const old = Number(/HIGHESTMODSEQ (\d+)/.exec(status)![1]);
    await expungeAndPrune([5]);
    const selected = await c.command('q', `SELECT INBOX (QRESYNC (${uidValidity} ${old} 1:7))`);
    assert.match(selected.at(-1)!, /^q OK/);
    const vanished = selected.find((l) => l.startsWith('* VANISHED (EARLIER)'));
    assert.ok(vanished, selected.join('\n'));
    // UID 2 went before this client's state, UID 5 after it: the log can no longer tell them
    // apart, and RFC 7162 lets the server name both.
    assert.equal(vanished, '* VANISHED (EARLIER) 2,5');
    const fetched = await c.command('v', `UID FETCH 1:7 (FLAGS) (CHANGEDSINCE ${old} VANISHED)`);
    assert.ok(fetched.includes('* VANISHED (EARLIER) 2,5'), fetched.join('\n'));
  } finally {
    c.close();
  }
});
