// IMAP PREVIEW (RFC 8970) over a real socket: the preview made at ingest — the same text JMAP's
// Email/get shows — with and without the LAZY modifier; a modifier it does not know is BAD.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startImapServer, message, RawImap, type ImapTestServer } from './helpers/imap.ts';
import type { Account } from '../src/store/types.ts';

const ADDRESS = 'preview@example.com';
const PASSWORD = 'preview pw';
let srv: ImapTestServer;
let user: Account;

before(async () => {
  srv = await startImapServer({ POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' });
  user = await srv.addAccount(ADDRESS, PASSWORD);
  await srv.deliver(user, message('with a body', 'Dear Bob,\r\n\r\n  the   meeting moved to Tuesday.\r\n'));
  await srv.deliver(user, message('umlauts', 'Grüße aus Köln\r\n', 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n'));
});
after(() => srv.stop());

test('PREVIEW is advertised and answers the stored preview, with or without LAZY', async () => {
  const c = await RawImap.login(srv.imap, ADDRESS, PASSWORD);
  try {
    assert.match((await c.command('c', 'CAPABILITY')).join('\n'), /\bPREVIEW\b/);
    await c.command('s', 'SELECT INBOX');
    const stored = await srv.server.deps.store.getMessages(user.id, (await srv.mailbox(user, 'INBOX')).id, [1]);
    assert.equal(stored[0].summary.preview, 'Dear Bob, the meeting moved to Tuesday.');
    for (const [tag, command] of [['a', 'FETCH 1 (PREVIEW)'], ['b', 'FETCH 1 PREVIEW (LAZY)'], ['d', 'UID FETCH 1 (UID PREVIEW (LAZY))']]) {
      const lines = await c.command(tag, command);
      assert.match(lines.at(-1)!, new RegExp(`^${tag} OK`), command);
      assert.ok(lines.some((l) => l.includes('PREVIEW "Dear Bob, the meeting moved to Tuesday."')), `${command}: ${lines.join('\n')}`);
    }
    assert.match((await c.command('e', 'FETCH 1 (PREVIEW (EAGER))')).at(-1)!, /^e BAD/);
    assert.match((await c.command('f', 'FETCH 1 (PREVIEW ())')).at(-1)!, /^f BAD/);
  } finally {
    c.close();
  }
});

test('a preview with non-ASCII text comes whole, as a literal (8-bit text is never put in a quoted string)', async () => {
  const c = await RawImap.login(srv.imap, ADDRESS, PASSWORD);
  try {
    await c.command('s', 'SELECT INBOX');
    const plain = (await c.command('a', 'FETCH 2 (PREVIEW)')).join('\n');
    assert.match(plain, /PREVIEW \{\d+\}/, plain);
    assert.ok(plain.includes('Grüße aus Köln'), plain);
  } finally {
    c.close();
  }
});
