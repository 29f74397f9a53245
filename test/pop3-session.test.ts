// POP3 protocol behaviour on the real server over raw sockets: states, authentication rules,
// the SECURITY-CASES.md POP3 lines, limits, the store effects of RETR and QUIT, and shutdown.

import { DEFAULT_AUTH_LIMITS } from '../src/auth/authenticator.ts';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPop3Server, RawPop3, message, type Pop3TestServer } from './helpers/pop3.ts';
import type { Account, ChangeEvent } from '../src/store/types.ts';

let srv: Pop3TestServer; // plaintext allowed on loopback
let strict: Pop3TestServer; // plaintext only after TLS
let user: Account;

before(async () => {
  srv = await startPop3Server({ env: { POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' } });
  strict = await startPop3Server();
  user = await srv.addAccount('user@example.com', 'correct horse');
  await strict.addAccount('user@example.com', 'correct horse');
});

after(async () => {
  await srv.stop();
  await strict.stop();
});

async function login(port: number, address: string, password: string, opts: { tls?: boolean; localAddress?: string } = {}): Promise<RawPop3> {
  const c = await RawPop3.connect(port, opts);
  assert.match((await c.line()) ?? '', /^\+OK /);
  assert.equal(await c.command(`USER ${address}`), '+OK Send PASS');
  assert.match((await c.command(`PASS ${password}`)) ?? '', /^\+OK Logged in/);
  return c;
}

async function capa(c: RawPop3): Promise<string[]> {
  assert.equal(await c.command('CAPA'), '+OK Capability list follows');
  return c.multiline();
}

test('before TLS (not loopback-allowed): CAPA offers STLS but neither USER nor SASL; USER and AUTH are refused', async () => {
  const c = await RawPop3.connect(strict.pop3);
  await c.line();
  const caps = await capa(c);
  assert.ok(caps.includes('STLS'));
  assert.ok(!caps.includes('USER'));
  assert.ok(!caps.some((l) => l.startsWith('SASL')));
  assert.ok(caps.includes('EXPIRE NEVER USER'));
  assert.ok(caps.includes('IMPLEMENTATION Posthorn'));
  assert.match((await c.command('USER user@example.com')) ?? '', /^-ERR \[SYS\/PERM\] Plaintext authentication is only allowed over TLS/);
  assert.match((await c.command('AUTH PLAIN AHVzZXJAZXhhbXBsZS5jb20AY29ycmVjdCBob3JzZQ==')) ?? '', /^-ERR \[SYS\/PERM\]/);
  assert.equal(await c.command('QUIT'), '+OK Bye');
  await c.waitClosed();
});

test('after STLS: state reset, USER and SASL PLAIN offered, STLS no longer; login works', async () => {
  const c = await RawPop3.connect(strict.pop3);
  await c.line();
  assert.equal(await c.command('STLS'), '+OK Begin TLS negotiation');
  assert.equal(await c.upgrade(), '');
  const caps = await capa(c);
  assert.ok(caps.includes('USER'));
  assert.ok(caps.includes('SASL PLAIN'));
  assert.ok(!caps.includes('STLS'));
  assert.match((await c.command('STLS')) ?? '', /^-ERR TLS is already active/);
  assert.equal(await c.command('USER user@example.com'), '+OK Send PASS');
  assert.match((await c.command('PASS correct horse')) ?? '', /^\+OK Logged in/);
  assert.equal(await c.command('QUIT'), '+OK Bye');
});

test('SECURITY-CASES: STLS\\r\\nCAPA\\r\\n in one packet — CAPA is discarded, not answered after the handshake', async () => {
  const c = await RawPop3.connect(strict.pop3);
  await c.line();
  c.send('STLS\r\nCAPA\r\n');
  assert.equal(await c.line(), '+OK Begin TLS negotiation');
  assert.equal(await c.upgrade(), '', 'nothing after the +OK in plaintext');
  // The first thing answered over TLS must be our NOOP-less probe: an unknown-state command.
  // If CAPA had been kept, its multi-line answer would come first.
  assert.match((await c.command('STAT')) ?? '', /^-ERR Not logged in/);
  assert.equal(await c.command('QUIT'), '+OK Bye');
});

test('USER before TLS on the implicit-TLS port is allowed; STLS there is refused', async () => {
  const c = await RawPop3.connect(strict.pop3s, { tls: true });
  await c.line();
  assert.ok(!(await capa(c)).includes('STLS'));
  assert.match((await c.command('STLS')) ?? '', /^-ERR/);
  assert.equal(await c.command('USER user@example.com'), '+OK Send PASS');
  assert.match((await c.command('PASS correct horse')) ?? '', /^\+OK Logged in/);
  c.close();
});

test('wrong password and unknown user get the same -ERR [AUTH] text; three failures close the connection', async () => {
  const c = await RawPop3.connect(srv.pop3);
  await c.line();
  await c.command('USER user@example.com');
  const wrong = await c.command('PASS nope');
  await c.command('USER nobody@example.com');
  const unknown = await c.command('PASS nope');
  assert.equal(wrong, '-ERR [AUTH] Authentication failed');
  assert.equal(unknown, wrong);
  assert.equal(await c.command('AUTH PLAIN ' + Buffer.from('\0user@example.com\0bad').toString('base64')), '-ERR [AUTH] Authentication failed');
  assert.match((await c.line()) ?? '', /^-ERR Too many failed logins/);
  await c.waitClosed();
});

test('AUTH PLAIN with initial response, with a continuation, "*" cancels, "AUTH" lists mechanisms', async () => {
  const creds = Buffer.from('\0user@example.com\0correct horse').toString('base64');
  let c = await RawPop3.connect(srv.pop3);
  await c.line();
  assert.equal(await c.command('AUTH'), '+OK Supported mechanisms follow');
  assert.deepEqual(await c.multiline(), ['PLAIN']);
  assert.equal(await c.command('AUTH PLAIN'), '+ ');
  assert.equal(await c.command('*'), '-ERR Authentication cancelled');
  assert.match((await c.command('AUTH CRAM-MD5')) ?? '', /^-ERR Unsupported/);
  assert.equal(await c.command('AUTH PLAIN'), '+ ');
  assert.match((await c.command(creds)) ?? '', /^\+OK Logged in/);
  assert.equal(await c.command('QUIT'), '+OK Bye');
  c = await RawPop3.connect(srv.pop3);
  await c.line();
  assert.match((await c.command(`AUTH PLAIN ${creds}`)) ?? '', /^\+OK Logged in/);
  assert.equal(await c.command('QUIT'), '+OK Bye');
});

test('SECURITY-CASES: two sessions on one maildrop — the second gets -ERR [IN-USE], also across pop3 and pop3s; released on drop', async () => {
  const first = await login(srv.pop3, 'user@example.com', 'correct horse');
  const second = await RawPop3.connect(srv.pop3s, { tls: true });
  await second.line();
  await second.command('USER user@example.com');
  assert.equal(await second.command('PASS correct horse'), '-ERR [IN-USE] Maildrop already locked by another session');
  // The first session drops without QUIT: the lock must go with it.
  first.close();
  // Wait until the server has seen the close: a login succeeds.
  for (let i = 0; ; i++) {
    await second.command('USER user@example.com');
    const r = await second.command('PASS correct horse');
    if (r?.startsWith('+OK')) break;
    assert.equal(r, '-ERR [IN-USE] Maildrop already locked by another session');
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(i < 1000);
  }
  assert.equal(await second.command('QUIT'), '+OK Bye');
});

test('SECURITY-CASES: connection dropped after DELE, before QUIT — nothing deleted', async () => {
  const acc = await srv.addAccount('drop@example.com', 'pw');
  await srv.deliver(acc, message('keep-me', 'body'));
  const c = await login(srv.pop3, 'drop@example.com', 'pw');
  assert.equal(await c.command('DELE 1'), '+OK Message 1 deleted');
  c.close();
  await c.waitClosed();
  // A new login waits for the old session to release the lock, then sees the message.
  let again: RawPop3;
  for (;;) {
    again = await RawPop3.connect(srv.pop3);
    await again.line();
    await again.command('USER drop@example.com');
    const r = await again.command('PASS pw');
    if (r?.startsWith('+OK')) break;
    again.close();
  }
  assert.equal(await again.command('STAT'), `+OK 1 ${Buffer.byteLength(message('keep-me', 'body'))}`);
  assert.equal(await again.command('QUIT'), '+OK Bye');
  const box = await srv.inbox(acc);
  assert.equal((await srv.server.deps.store.listMessages(box.accountId, box.id)).length, 1);
});

test('transaction: numbers of deleted messages are refused, RSET restores them, bad arguments are -ERR', async () => {
  const acc = await srv.addAccount('tx@example.com', 'pw');
  await srv.deliver(acc, message('a', 'one'));
  await srv.deliver(acc, message('b', 'two'));
  const c = await login(srv.pop3, 'tx@example.com', 'pw');
  assert.equal(await c.command('DELE 1'), '+OK Message 1 deleted');
  assert.equal(await c.command('DELE 1'), '-ERR Message 1 is deleted');
  assert.equal(await c.command('RETR 1'), '-ERR Message 1 is deleted');
  assert.equal(await c.command('LIST 1'), '-ERR Message 1 is deleted');
  assert.equal(await c.command('UIDL 1'), '-ERR Message 1 is deleted');
  assert.equal(await c.command('TOP 1 0'), '-ERR Message 1 is deleted');
  assert.match((await c.command('STAT')) ?? '', /^\+OK 1 \d+$/);
  assert.equal(await c.command('LIST'), '+OK 1 messages');
  assert.deepEqual((await c.multiline()).map((l) => l.split(' ')[0]), ['2']);
  assert.equal(await c.command('RETR 3'), '-ERR No such message 3');
  assert.equal(await c.command('RETR 0'), '-ERR Invalid message number');
  assert.equal(await c.command('RETR x'), '-ERR Invalid message number');
  assert.equal(await c.command('TOP 2'), '-ERR Usage: TOP msg n');
  assert.equal(await c.command('RSET'), '+OK 2 messages');
  assert.match((await c.command('STAT')) ?? '', /^\+OK 2 \d+$/);
  assert.equal(await c.command('NOOP'), '+OK');
  assert.match((await c.command('USER x')) ?? '', /^-ERR USER is not allowed after login/);
  const caps = await capa(c);
  assert.ok(caps.includes('EXPIRE NEVER'), 'after login: the account value, without USER');
  assert.ok(!caps.includes('STLS'));
  assert.equal(await c.command('QUIT'), '+OK Bye');
  assert.equal((await srv.server.deps.store.listMessages(acc.id, (await srv.inbox(acc)).id)).length, 2);
});

test('QUIT deletes in one expunge: visible to another store reader at once, one bus event; RETR sets \\Seen', async () => {
  const acc = await srv.addAccount('bus@example.com', 'pw');
  await srv.deliver(acc, message('m1', 'one'));
  await srv.deliver(acc, message('m2', 'two'));
  await srv.deliver(acc, message('m3', 'three'));
  const box = await srv.inbox(acc);
  const events: ChangeEvent[] = [];
  const unsubscribe = srv.server.deps.bus.subscribe(acc.id, (e) => events.push(e));
  const c = await login(srv.pop3, 'bus@example.com', 'pw');
  assert.match((await c.command('RETR 2')) ?? '', /^\+OK/);
  await c.multiline();
  assert.equal(await c.command('DELE 1'), '+OK Message 1 deleted');
  assert.equal(await c.command('DELE 3'), '+OK Message 3 deleted');
  assert.equal((await srv.server.deps.store.listMessages(box.accountId, box.id)).length, 3, 'nothing deleted before QUIT');
  const removedBefore = events.filter((e) => e.kinds.includes('message-removed')).length;
  assert.equal(removedBefore, 0);
  assert.equal(await c.command('QUIT'), '+OK Bye, 2 messages deleted');
  const left = await srv.server.deps.store.listMessages(box.accountId, box.id);
  assert.deepEqual(left.map((m) => m.uid), [2]);
  assert.ok(left[0].flags.includes('\\Seen'), 'RETR set \\Seen');
  assert.ok(left[0].downloadedAt !== null, 'RETR recorded the retrieval time');
  const removals = events.filter((e) => e.kinds.includes('message-removed'));
  assert.equal(removals.length, 1, 'one expunge, one event');
  assert.ok(removals[0].mailboxIds.includes(box.id));
  assert.ok(events.some((e) => e.kinds.includes('message-flags')), 'the \\Seen change was published too');
  unsubscribe();
  const metrics = srv.server.deps.metrics.render();
  assert.match(metrics, /^posthorn_pop3_logins_total\{result="ok"\} \d+$/m);
  assert.match(metrics, /^posthorn_pop3_deleted_messages_total [1-9]\d*$/m);
  assert.match(metrics, /^posthorn_pop3_retrieved_bytes_total [1-9]\d*$/m);
});

test('pipelined RETRs of a whole maildrop (read-ahead) return every message intact, also around a DELE and out of order', async () => {
  const acc = await srv.addAccount('pipe@example.com', 'pw');
  const texts: string[] = [];
  for (let i = 1; i <= 30; i++) {
    // Sizes from tiny to past the single-write limit (256 KiB), some with bare LFs.
    const body = `n${i} ` + 'y'.repeat(i === 17 ? 300_000 : i * 37) + (i % 3 === 0 ? '\n.\nend' : '\r\n..x\r\nend');
    texts.push(message(`p${i}`, body));
    await srv.deliver(acc, texts[i - 1]);
  }
  const crlf = (t: string): string => t.replace(/(?<!\r)\n/g, '\r\n');
  const c = await login(srv.pop3, 'pipe@example.com', 'pw');
  assert.equal(await c.command('DELE 5'), '+OK Message 5 deleted');
  const order = [...Array.from({ length: 30 }, (_, i) => i + 1).filter((n) => n !== 5), 3, 30, 1];
  c.send(order.map((n) => `RETR ${n}\r\n`).join(''));
  for (const n of order) {
    assert.match((await c.line()) ?? '', /^\+OK/, `RETR ${n}`);
    assert.equal((await c.multiline()).join('\r\n') + '\r\n', crlf(texts[n - 1]), `message ${n}`);
  }
  assert.equal(await c.command('RETR 5'), '-ERR Message 5 is deleted');
  assert.equal(await c.command('QUIT'), '+OK Bye, 1 messages deleted');
});

test('TOP does not set \\Seen', async () => {
  const acc = await srv.addAccount('top@example.com', 'pw');
  await srv.deliver(acc, message('t', 'l1\r\nl2\r\nl3'));
  const c = await login(srv.pop3, 'top@example.com', 'pw');
  assert.equal(await c.command('TOP 1 1'), '+OK Top of message follows');
  const lines = await c.multiline();
  assert.deepEqual(lines.slice(-2), ['', 'l1']);
  assert.equal(await c.command('QUIT'), '+OK Bye');
  const [m] = await srv.server.deps.store.listMessages(acc.id, (await srv.inbox(acc)).id);
  assert.ok(!m.flags.includes('\\Seen'));
  assert.equal(m.downloadedAt, null);
});

test('a line over 255 octets gets -ERR and the stream stays in sync; ten bad commands close the connection', async () => {
  const c = await RawPop3.connect(srv.pop3);
  await c.line();
  c.send('USER ' + 'x'.repeat(300) + '\r\nCAPA\r\n');
  assert.equal(await c.line(), '-ERR Line too long');
  assert.equal(await c.line(), '+OK Capability list follows');
  await c.multiline();
  const answers: (string | null)[] = [];
  for (let i = 0; i < 9; i++) answers.push(await c.command(i % 2 ? 'XYZZY' : 'STAT'));
  assert.ok(answers.every((a) => a?.startsWith('-ERR')));
  assert.equal(await c.line(), '-ERR Too many bad commands, closing connection');
  await c.waitClosed();
});

test('an HTTP request is answered once and the connection dropped', async () => {
  const c = await RawPop3.connect(srv.pop3);
  await c.line();
  c.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.equal(await c.line(), '-ERR This is a POP3 server');
  await c.waitClosed();
  assert.equal(await c.line(), null);
});

test('rate limiter shared: after its failures for an account 127.0.0.1 is refused even the correct password; 127.0.0.2 still logs in', async () => {
  const local = await startPop3Server({ env: { POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' } });
  try {
    await local.addAccount('victim@example.com', 'right');
    const limit = DEFAULT_AUTH_LIMITS.maxFailuresPerAccountAddress;
    let failures = 0;
    while (failures < limit) {
      const c = await RawPop3.connect(local.pop3);
      await c.line();
      for (let i = 0; i < 3 && failures < limit; i++) {
        await c.command('USER victim@example.com');
        assert.equal(await c.command('PASS wrong'), '-ERR [AUTH] Authentication failed');
        failures++;
      }
      c.close();
    }
    const c = await RawPop3.connect(local.pop3);
    await c.line();
    await c.command('USER victim@example.com');
    assert.equal(await c.command('PASS right'), '-ERR [SYS/TEMP] Too many failed logins, try again later');
    await c.waitClosed();
    const other = await login(local.pop3, 'victim@example.com', 'right', { localAddress: '127.0.0.2' });
    assert.equal(await other.command('QUIT'), '+OK Bye');
  } finally {
    await local.stop();
  }
});

test('pre-login timeout closes the connection with -ERR', async () => {
  const quick = await startPop3Server({ configToml: '[limits]\npre_auth_timeout = 1\n' });
  try {
    const c = await RawPop3.connect(quick.pop3);
    await c.line();
    assert.equal(await c.line(), '-ERR Autologout: idle for too long');
    await c.waitClosed();
  } finally {
    await quick.stop();
  }
});

test('graceful shutdown: a logged-in idle session gets -ERR [SYS/TEMP] and nothing is deleted', async () => {
  const local = await startPop3Server({ env: { POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' } });
  try {
    const acc = await local.addAccount('shut@example.com', 'pw');
    await local.deliver(acc, message('s', 'body'));
    const c = await login(local.pop3, 'shut@example.com', 'pw');
    assert.equal(await c.command('DELE 1'), '+OK Message 1 deleted');
    const store = local.server.deps.store;
    const box = await local.inbox(acc);
    const before = await store.listMessages(box.accountId, box.id);
    const closing = local.server.stop();
    assert.equal(await c.line(), '-ERR [SYS/TEMP] Server shutting down, try again later');
    await c.waitClosed();
    await closing;
    assert.equal(before.length, 1);
    await local.restart();
    assert.equal((await local.server.deps.store.listMessages(box.accountId, box.id)).length, 1, 'the DELE was not applied');
  } finally {
    await local.stop();
  }
});

test('graceful shutdown during a RETR: the message is finished, then -ERR [SYS/TEMP], then close', async () => {
  const local = await startPop3Server({ env: { POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' } });
  try {
    const acc = await local.addAccount('busy@example.com', 'pw');
    const line = 'z'.repeat(98);
    const body = Array.from({ length: 200_000 }, () => line).join('\r\n'); // ~20 MB: more than socket buffers hold
    await local.deliver(acc, message('big', body));
    const c = await login(local.pop3, 'busy@example.com', 'pw');
    c.send('RETR 1\r\n');
    assert.match((await c.line()) ?? '', /^\+OK/);
    // The client has not read the message yet; the server is blocked in the middle of it.
    const closing = local.server.stop();
    const lines = await c.multiline();
    assert.equal(lines.length, 6 + 200_000, 'every line of the message arrived (6 header lines incl. the blank one)');
    assert.equal(await c.line(), '-ERR [SYS/TEMP] Server shutting down, try again later');
    await c.waitClosed();
    await closing;
  } finally {
    await local.stop();
  }
});
