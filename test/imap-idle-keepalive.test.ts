// IDLE keepalive over a real socket: a session that only waits for news is sent "* OK Still
// here" at the configured interval, between pushes that still arrive, and DONE ends IDLE as
// before. The interval is a setting (limits.idle_keepalive).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startImapServer, message, RawImap, type ImapTestServer } from './helpers/imap.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/server/config.ts';
import type { Account } from '../src/store/types.ts';

const ADDRESS = 'idler@example.com';
const PASSWORD = 'idler pw';
let srv: ImapTestServer;
let user: Account;

before(async () => {
  srv = await startImapServer({ POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' }, { idleKeepaliveSeconds: 1 });
  user = await srv.addAccount(ADDRESS, PASSWORD);
});
after(() => srv.stop());

test('an idling session hears "* OK Still here", and pushes and DONE work around it', async () => {
  const c = await RawImap.login(srv.imap, ADDRESS, PASSWORD);
  try {
    await c.command('s', 'SELECT INBOX');
    c.send('i IDLE\r\n');
    assert.match((await c.line())!, /^\+ /);
    assert.equal(await c.line(), '* OK Still here');
    await srv.deliver(user, message('while idling'));
    let line: string | null;
    do line = await c.line();
    while (line === '* OK Still here');
    assert.equal(line, '* 1 EXISTS');
    c.send('DONE\r\n');
    do line = await c.line();
    while (line !== null && line.startsWith('* '));
    assert.match(line ?? '', /^i OK /);
  } finally {
    c.close();
  }
});

test('the interval is a setting, two minutes by default (seconds), 0 to switch it off', () => {
  assert.equal(loadConfig({ env: {} }).limits.idleKeepaliveSeconds, 120);
  const file = join(srv.dir, 'keepalive.toml');
  writeFileSync(file, '[limits]\nidle_keepalive = 300\n');
  assert.equal(loadConfig({ env: {}, file }).limits.idleKeepaliveSeconds, 300);
  writeFileSync(file, '[limits]\nidle_keepalive = 0\n');
  assert.equal(loadConfig({ env: {}, file }).limits.idleKeepaliveSeconds, 0);
});
