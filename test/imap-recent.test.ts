// IMAP4rev1 \Recent (RFC 3501 §2.3.2, §6.3.1–2, §7.3.2) and the FLAGS response for new keywords
// (RFC 9051 §7.3.5), as raw transcripts between two sessions of one account.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startImapServer, RawImap, message, type ImapTestServer } from './helpers/imap.ts';
import type { Account } from '../src/store/types.ts';

let srv: ImapTestServer;
let counter = 0;

before(async () => {
  srv = await startImapServer({ POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' });
});

after(async () => {
  await srv.stop();
});

const login = (address: string): Promise<RawImap> => RawImap.login(srv.imap, address, 'pw');

async function account(n: number): Promise<{ address: string; account: Account }> {
  const address = `recent${++counter}@example.com`;
  const acc = await srv.addAccount(address, 'pw');
  for (let i = 0; i < n; i++) await srv.deliver(acc, message(`m${i}`));
  return { address, account: acc };
}

const flagsOf = (lines: string[]): string[] => lines.filter((l) => /^\* \d+ FETCH /.test(l)).map((l) => /FLAGS \(([^)]*)\)/.exec(l)![1]);

test('the first session to select a mailbox gets its messages as \\Recent; the next one does not', async () => {
  const { address } = await account(2);
  const a = await login(address);
  const b = await login(address);
  assert.ok((await a.command('s', 'SELECT INBOX')).includes('* 2 RECENT'));
  assert.ok((await b.command('s', 'SELECT INBOX')).includes('* 0 RECENT'));
  assert.deepEqual(flagsOf(await a.command('f', 'FETCH 1:* (FLAGS)')), ['\\Recent', '\\Recent']);
  assert.deepEqual(flagsOf(await b.command('f', 'FETCH 1:* (FLAGS)')), ['', '']);
  // RFC 3501 §6.4.4: NEW = RECENT UNSEEN, OLD = NOT RECENT.
  await a.command('st', 'STORE 1 +FLAGS (\\Seen)');
  assert.equal((await a.command('r', 'SEARCH RECENT'))[0], '* SEARCH 1 2');
  assert.equal((await a.command('n', 'SEARCH NEW'))[0], '* SEARCH 2');
  assert.equal((await a.command('o', 'SEARCH OLD'))[0], '* SEARCH');
  assert.equal((await b.command('o', 'SEARCH OLD'))[0], '* SEARCH 1 2');
  // A STORE that replaces the flags cannot take \Recent away (it is not the client's to set).
  const replaced = await a.command('x', 'STORE 2 FLAGS (\\Flagged)');
  assert.ok(replaced.includes('* 2 FETCH (FLAGS (\\Recent \\Flagged))'), replaced.join(' | '));
  a.close();
  b.close();
});

test('EXAMINE and STATUS show what is recent without taking it; SELECT takes it', async () => {
  const { address } = await account(2);
  const c = await login(address);
  assert.ok((await c.command('e', 'EXAMINE INBOX')).includes('* 2 RECENT'));
  assert.deepEqual(flagsOf(await c.command('f', 'FETCH 1:* (FLAGS)')), ['\\Recent', '\\Recent']);
  await c.command('c', 'CLOSE');
  assert.equal((await c.command('t', 'STATUS INBOX (MESSAGES RECENT)'))[0], '* STATUS INBOX (MESSAGES 2 RECENT 2)');
  assert.ok((await c.command('s', 'SELECT INBOX')).includes('* 2 RECENT'));
  await c.command('c2', 'CLOSE');
  assert.equal((await c.command('t2', 'STATUS INBOX (RECENT)'))[0], '* STATUS INBOX (RECENT 0)');
  assert.ok((await c.command('s2', 'SELECT INBOX')).includes('* 0 RECENT'));
  c.close();
});

test('a delivery is recent to the one session that is told first; the other gets EXISTS without it', async () => {
  const { address, account: acc } = await account(1);
  const a = await login(address);
  const b = await login(address);
  await a.command('s', 'SELECT INBOX');
  await b.command('s', 'SELECT INBOX');
  await srv.deliver(acc, message('new'));
  const first = await a.command('n', 'NOOP');
  assert.deepEqual(first.slice(0, 2), ['* 2 EXISTS', '* 2 RECENT']);
  const second = await b.command('n', 'NOOP');
  assert.deepEqual(second.slice(0, 2), ['* 2 EXISTS', '* 0 RECENT']);
  assert.deepEqual(flagsOf(await a.command('f', 'FETCH 2 (FLAGS)')), ['\\Recent']);
  assert.deepEqual(flagsOf(await b.command('f', 'FETCH 2 (FLAGS)')), ['']);
  // Expunged messages leave the session's recent set.
  await a.command('d', 'STORE 1 +FLAGS.SILENT (\\Deleted)');
  await a.command('x', 'EXPUNGE');
  assert.equal((await a.command('r', 'SEARCH RECENT'))[0], '* SEARCH 1');
  a.close();
  b.close();
});

test('IMAP4rev2 has no \\Recent: no RECENT response, no \\Recent in FLAGS (RFC 9051 Appendix E)', async () => {
  const { address, account: acc } = await account(1);
  const c = await login(address);
  await c.command('e', 'ENABLE IMAP4rev2');
  const sel = await c.command('s', 'SELECT INBOX');
  assert.ok(!sel.some((l) => l.includes('RECENT')), sel.join(' | '));
  assert.deepEqual(flagsOf(await c.command('f', 'FETCH 1 (FLAGS)')), ['']);
  await srv.deliver(acc, message('new'));
  const noop = await c.command('n', 'NOOP');
  assert.ok(noop.includes('* 2 EXISTS') && !noop.some((l) => l.includes('RECENT')), noop.join(' | '));
  c.close();
});

test('a keyword new to the mailbox is announced in FLAGS and PERMANENTFLAGS before a FETCH carries it', async () => {
  const { address } = await account(2);
  const a = await login(address);
  const b = await login(address);
  const sel = await a.command('s', 'SELECT INBOX');
  assert.ok(sel.includes('* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)'), sel.join(' | '));
  await b.command('s', 'SELECT INBOX');
  // Another session's STORE: A hears FLAGS first, then the FETCH.
  await b.command('k', 'STORE 1 +FLAGS ($Project)');
  const noop = await a.command('n', 'NOOP');
  const flagsAt = noop.indexOf('* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Project)');
  const permanentAt = noop.findIndex((l) => l.startsWith('* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Project \\*)]'));
  const fetchAt = noop.findIndex((l) => /^\* 1 FETCH .*\$Project/.test(l));
  assert.ok(flagsAt >= 0 && permanentAt > flagsAt && fetchAt > permanentAt, noop.join(' | '));
  // Once known, the keyword is not announced again; a keyword in any case spelling is the same one.
  const again = await a.command('k2', 'STORE 2 +FLAGS ($project)');
  assert.ok(!again.some((l) => l.startsWith('* FLAGS')), again.join(' | '));
  // The session's own STORE of a new keyword: FLAGS before its FETCH too.
  const own = await a.command('k3', 'STORE 2 +FLAGS (Later)');
  assert.ok(own[0].startsWith('* FLAGS (') && own[0].includes(' Later)'), own.join(' | '));
  assert.match(own[2], /^\* 2 FETCH \(FLAGS \(.*Later/);
  a.close();
  b.close();
});
