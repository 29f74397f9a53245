// A user removed or given a new password by the administrator (the `posthorn` CLI, another
// process on the same store) loses its open IMAP and POP3 sessions: the next command gets
// "* BYE" (POP3: "-ERR [AUTH]") and the connection closes; an idling IMAP session ends at its
// next keepalive. Nothing answers OK
// for an account that is gone.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startImapServer, message, RawImap, type ImapTestServer } from './helpers/imap.ts';
import { runCli } from './helpers/server.ts';
import { startPop3Server, RawPop3, message as popMessage } from './helpers/pop3.ts';

let srv: ImapTestServer;
let env: Record<string, string>;

before(async () => {
  srv = await startImapServer({ POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' }, { idleKeepaliveSeconds: 1 });
  env = { POSTHORN_DATA_DIR: srv.dir };
});
after(() => srv.stop());

async function linesUntilClosed(c: RawImap): Promise<string[]> {
  const lines: string[] = [];
  for (;;) {
    const line = await c.line();
    if (line === null) return lines;
    lines.push(line);
  }
}

test('IMAP: after `user passwd` the next command gets BYE, the connection closes; the new password logs in', async () => {
  const user = await srv.addAccount('passwd@example.com', 'old password');
  await srv.deliver(user, message('kept'));
  const c = await RawImap.login(srv.imap, 'passwd@example.com', 'old password');
  assert.match((await c.command('s', 'SELECT INBOX')).at(-1)!, /^s OK/);
  const changed = await runCli(['user', 'passwd', 'passwd@example.com', '--password-stdin'], env, 'a new password\n');
  assert.equal(changed.code, 0, changed.stderr);
  c.send('n NOOP\r\n');
  const lines = await linesUntilClosed(c);
  assert.deepEqual(lines, ['* BYE The password of this account was changed; log in again']);
  assert.ok(c.closed);
  const again = await RawImap.login(srv.imap, 'passwd@example.com', 'a new password');
  assert.match((await again.command('s', 'SELECT INBOX')).join('\n'), /\* 1 EXISTS/);
  again.close();
});

test('IMAP: after `user remove` a session gets BYE instead of empty answers; an idling one at its next keepalive', async () => {
  await srv.addAccount('gone@example.com', 'gone password');
  const active = await RawImap.login(srv.imap, 'gone@example.com', 'gone password');
  const idler = await RawImap.login(srv.imap, 'gone@example.com', 'gone password');
  assert.match((await active.command('s', 'SELECT INBOX')).at(-1)!, /^s OK/);
  assert.match((await idler.command('s', 'SELECT INBOX')).at(-1)!, /^s OK/);
  idler.send('i IDLE\r\n');
  assert.match((await idler.line())!, /^\+ /);
  assert.equal(await idler.line(), '* OK Still here');

  const removed = await runCli(['user', 'remove', 'gone@example.com'], env);
  assert.equal(removed.code, 0, removed.stderr);
  active.send('l LIST "" "*"\r\n');
  assert.deepEqual(await linesUntilClosed(active), ['* BYE This account no longer exists']);
  const idlerLines = await linesUntilClosed(idler);
  assert.equal(idlerLines.at(-1), '* BYE This account no longer exists');
  assert.ok(idlerLines.slice(0, -1).every((l) => l === '* OK Still here'), idlerLines.join('\n'));
});

test('POP3: after `user passwd` the next command gets -ERR [AUTH] and the connection closes without deleting anything', async () => {
  const pop = await startPop3Server({ env: { POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' } });
  try {
    const user = await pop.addAccount('pop@example.com', 'pop password');
    await pop.deliver(user, popMessage('kept', 'body'));
    const c = await RawPop3.connect(pop.pop3);
    assert.match((await c.line())!, /^\+OK/);
    assert.match((await c.command('USER pop@example.com'))!, /^\+OK/);
    assert.match((await c.command('PASS pop password'))!, /^\+OK/);
    assert.match((await c.command('DELE 1'))!, /^\+OK/);
    const changed = await runCli(['user', 'passwd', 'pop@example.com', '--password-stdin'], { POSTHORN_DATA_DIR: pop.dir }, 'another password\n');
    assert.equal(changed.code, 0, changed.stderr);
    assert.equal(await c.command('QUIT'), '-ERR [AUTH] The password of this account was changed; log in again');
    await c.waitClosed();
    assert.equal((await pop.server.deps.store.listMessages(user.id, (await pop.inbox(user)).id)).length, 1, 'the DELE was not carried out');
  } finally {
    await pop.stop();
  }
});
