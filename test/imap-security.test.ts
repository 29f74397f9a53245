// IMAP over raw sockets, for what real clients refuse to send: every IMAP line of
// SECURITY-CASES.md (hostile literals before and after login, NUL in a quoted string, 100,000
// "(", traversal and modified UTF-7 tricks in mailbox names, STARTTLS injection, another
// session expunging during FETCH/STORE/SEARCH), LOGINDISABLED, uniform login failures, limits.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startImapServer, RawImap, message, type ImapTestServer } from './helpers/imap.ts';
import type { Account } from '../src/store/types.ts';

let strict: ImapTestServer; // plaintext only after TLS
let loose: ImapTestServer; // plaintext allowed on loopback; small message limit
let user: Account;
let tiny: Account;

before(async () => {
  strict = await startImapServer();
  loose = await startImapServer({ POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' }, { maxMessageBytes: 100_000 });
  await strict.addAccount('user@example.com', 'secret one');
  user = await loose.addAccount('user@example.com', 'secret one');
  tiny = await loose.addAccount('tiny@example.com', 'secret two', 1500);
});

after(async () => {
  await strict.stop();
  await loose.stop();
});

async function connect(port: number, opts: { tls?: boolean } = {}): Promise<RawImap> {
  const c = await RawImap.connect(port, opts);
  assert.match((await c.line()) ?? '', /^\* OK \[CAPABILITY IMAP4rev1 /);
  return c;
}

async function login(srv: ImapTestServer = loose, address = 'user@example.com', password = 'secret one'): Promise<RawImap> {
  const c = await connect(srv.imap);
  const r = await c.command('L', `LOGIN ${address} "${password}"`);
  assert.match(r[r.length - 1], /^L OK \[CAPABILITY /);
  return c;
}

async function alive(srv: ImapTestServer): Promise<void> {
  const c = await connect(srv.imap);
  assert.match((await c.command('z', 'NOOP')).at(-1)!, /^z OK/);
  c.close();
}

test('before TLS: LOGINDISABLED and STARTTLS advertised; LOGIN and AUTHENTICATE refused with PRIVACYREQUIRED', async () => {
  const c = await connect(strict.imap);
  const caps = await c.command('a', 'CAPABILITY');
  assert.match(caps[0], /LOGINDISABLED/);
  assert.match(caps[0], /STARTTLS/);
  assert.doesNotMatch(caps[0], /AUTH=PLAIN/);
  assert.match((await c.command('b', 'LOGIN user@example.com "secret one"')).at(-1)!, /^b NO \[PRIVACYREQUIRED\]/);
  assert.match((await c.command('c', 'AUTHENTICATE PLAIN AHVzZXJAZXhhbXBsZS5jb20Ac2VjcmV0IG9uZQ==')).at(-1)!, /^c NO \[PRIVACYREQUIRED\]/);
  assert.match((await c.command('d', 'SELECT INBOX')).at(-1)!, /^d BAD/);
  c.close();
});

test('SECURITY-CASES: "a STARTTLS\\r\\nb CAPABILITY\\r\\n" in one packet — b is discarded', async () => {
  const c = await connect(strict.imap);
  c.send('a STARTTLS\r\nb CAPABILITY\r\n');
  assert.equal(await c.line(), 'a OK Begin TLS negotiation now');
  assert.equal(c.pending, '', 'nothing else in plaintext');
  await c.upgrade();
  const r = await c.command('c', 'CAPABILITY');
  assert.equal(r.length, 2, `only c is answered: ${r.join(' | ')}`);
  assert.match(r[0], /^\* CAPABILITY .*AUTH=PLAIN/);
  assert.doesNotMatch(r[0], /STARTTLS|LOGINDISABLED/);
  assert.match((await c.command('d', 'STARTTLS')).at(-1)!, /^d BAD/);
  const l = await c.command('e', 'LOGIN user@example.com "secret one"');
  assert.match(l.at(-1)!, /^e OK \[CAPABILITY .*IDLE/);
  c.close();
});

test('implicit TLS allows LOGIN; wrong password and unknown user get the same answer', async () => {
  const c = await connect(strict.imaps, { tls: true });
  const wrong = (await c.command('a', 'LOGIN user@example.com wrong')).at(-1)!;
  const unknown = (await c.command('b', 'LOGIN nobody@example.com wrong')).at(-1)!;
  assert.equal(wrong.slice(2), 'NO [AUTHENTICATIONFAILED] Authentication failed');
  assert.equal(unknown.slice(2), wrong.slice(2));
  assert.match((await c.command('c', 'LOGIN user@example.com "secret one"')).at(-1)!, /^c OK/);
  c.close();
});

test('AUTHENTICATE PLAIN with SASL-IR and with a continuation; "*" cancels', async () => {
  const creds = Buffer.from('\0user@example.com\0secret one').toString('base64');
  const a = await connect(loose.imap);
  assert.match((await a.command('a', `AUTHENTICATE PLAIN ${creds}`)).at(-1)!, /^a OK \[CAPABILITY/);
  a.close();
  const b = await connect(loose.imap);
  b.send('b AUTHENTICATE PLAIN\r\n');
  assert.equal(await b.line(), '+ ');
  b.send('*\r\n');
  assert.match((await b.line())!, /^b BAD/);
  b.send('c AUTHENTICATE PLAIN\r\n');
  assert.equal(await b.line(), '+ ');
  b.send(creds + '\r\n');
  assert.match((await b.line())!, /^c OK \[CAPABILITY/);
  b.close();
});

test('SECURITY-CASES: hostile literal sizes before login', async () => {
  const c = await connect(loose.imap);
  for (const [tag, lit] of [['a', '{4294967295}'], ['b', '{99999999999999999999}'], ['c', '{9000}']] as const) {
    const r = await c.command(tag, `LOGIN user@example.com ${lit}`);
    assert.match(r.at(-1)!, new RegExp(`^${tag} BAD`), r.join(' | '));
  }
  for (const [tag, lit] of [['d', '{-1}'], ['e', '{}']] as const) {
    const r = await c.command(tag, `LOGIN user@example.com ${lit}`);
    assert.match(r.at(-1)!, new RegExp(`^${tag} (BAD|NO)`), r.join(' | '));
  }
  // Literals for anything but LOGIN/AUTHENTICATE are refused before login, before any "+".
  assert.match((await c.command('f', 'SELECT {5}')).at(-1)!, /^f BAD Log in first/);
  // An oversized non-synchronising literal cannot be skipped safely: BAD, BYE, closed.
  c.send('g LOGIN user@example.com {100000+}\r\n');
  assert.match((await c.line())!, /^g BAD \[TOOBIG\]/);
  assert.match((await c.line())!, /^\* BYE/);
  await c.waitClosed();
  await alive(loose);
});

test('SECURITY-CASES: hostile literals after login; APPEND over the size limit and over quota', async () => {
  const c = await login();
  assert.match((await c.command('a', 'APPEND INBOX {99999999999999999999}')).at(-1)!, /^a BAD/);
  // Over maxMessageBytes: refused before the client sends a byte (no "+").
  assert.match((await c.command('b', 'APPEND INBOX {200000}')).at(-1)!, /^b NO \[TOOBIG\]/);
  // LITERAL+ within limits works, pipelined with the next command.
  const msg = message('Literal plus');
  c.send(`c APPEND INBOX (\\Seen) {${Buffer.byteLength(msg)}+}\r\n${msg}\r\nd NOOP\r\n`);
  const r = await c.until('d');
  assert.ok(r.some((l) => /^c OK \[APPENDUID \d+ \d+\]/.test(l)), r.join(' | '));
  // A missing mailbox is known before the literal: NO [TRYCREATE] instead of "+".
  assert.match((await c.command('m', 'APPEND "No such box" {10}')).at(-1)!, /^m NO \[TRYCREATE\]/);
  // A non-synchronising literal the session refuses (here: 100 KB in a SEARCH) is skipped as
  // it arrives, not buffered; the command after it runs normally.
  c.send(`s SEARCH TEXT {100000+}\r\n${'y'.repeat(100000)}\r\nn NOOP\r\n`);
  const skipped = await c.until('n');
  assert.match(skipped[0], /^s BAD \[TOOBIG\]/);
  assert.equal(skipped.at(-1), 'n OK NOOP completed');
  c.close();
  const t = await login(loose, 'tiny@example.com', 'secret two');
  const big = message('Too big for quota', 'x'.repeat(2000) + '\r\n');
  // Over quota is known before the literal too: no "+", nothing transferred.
  assert.match((await t.command('e', `APPEND INBOX {${Buffer.byteLength(big)}}`)).at(-1)!, /^e NO \[OVERQUOTA\]/);
  // The same as {N+}: the client sends it anyway; it is skipped and the next command is read.
  t.send(`f APPEND INBOX {${Buffer.byteLength(big)}+}\r\n${big}\r\ng NOOP\r\n`);
  const r2 = await t.until('g');
  assert.match(r2[0], /^f NO \[OVERQUOTA\]/);
  assert.equal(r2.at(-1), 'g OK NOOP completed');
  assert.equal((await loose.mailbox(tiny, 'INBOX')).messageCount, 0);
  // It fits when announced, but a delivery fills the quota before the payload arrives: the
  // commit-time check refuses it.
  const half = message('Fits alone', 'z'.repeat(700) + '\r\n');
  t.send(`h APPEND INBOX {${Buffer.byteLength(half)}}\r\n`);
  assert.match((await t.line())!, /^\+ /);
  await loose.deliver(tiny, half);
  t.send(half + '\r\n');
  assert.match((await t.until('h')).at(-1)!, /^h NO \[OVERQUOTA\]/);
  assert.equal((await loose.mailbox(tiny, 'INBOX')).messageCount, 1);
  t.close();
});

test('SECURITY-CASES: NUL in a quoted string is BAD', async () => {
  const c = await connect(loose.imap);
  assert.match((await c.command('a', 'LOGIN "user@example.com\0" "secret one"')).at(-1)!, /^a BAD/);
  const l = await login();
  assert.match((await l.command('b', 'SELECT "IN\0BOX"')).at(-1)!, /^b BAD/);
  l.close();
  c.close();
});

test('SECURITY-CASES: SEARCH followed by 100,000 "(" — BAD, bounded, server stays up', async () => {
  const c = await login();
  await c.command('s', 'SELECT INBOX');
  c.send('a SEARCH ' + '('.repeat(100_000) + '\r\n');
  const r = (await c.line())!;
  assert.match(r, /^(a|\*) BAD/);
  await alive(loose);
  // A nesting within the line limit is refused by the depth bound, and the session goes on.
  const d = await c.command('b', 'SEARCH ' + '('.repeat(1000) + 'ALL' + ')'.repeat(1000)).catch(() => ['closed']);
  assert.match(d.at(-1)!, /BAD|closed/);
  c.close();
});

test('SECURITY-CASES: traversal and modified UTF-7 tricks in mailbox names are NO [CANNOT]', async () => {
  const c = await login();
  const before = (await loose.server.deps.store.listMailboxes(user.id)).map((m) => m.name).sort();
  const names = ['../x', 'a/../../b', '~root/x', '/etc', 'INBOX/..', '"&AC4ALg-"', '"a/&AC4ALg-/b"', '"&AC8-"', '"x&AAA-y"', '"&AGEAYgBj-"', '"&Jjo"', '"&Jjo-/&-/.."', '"a//b"'];
  let i = 0;
  for (const name of names) {
    const tag = `c${i++}`;
    const r = await c.command(tag, `CREATE ${name}`);
    assert.match(r.at(-1)!, new RegExp(`^${tag} NO \\[CANNOT\\]`), `CREATE ${name}: ${r.join(' | ')}`);
    const s = await c.command(`s${i}`, `SELECT ${name}`);
    assert.match(s.at(-1)!, /^s\d+ NO/, `SELECT ${name}`);
    const rn = await c.command(`r${i}`, `RENAME INBOX ${name}`);
    assert.match(rn.at(-1)!, /^r\d+ NO \[CANNOT\]/, `RENAME INBOX ${name}`);
  }
  const after = (await loose.server.deps.store.listMailboxes(user.id)).map((m) => m.name).sort();
  assert.deepEqual(after, before);
  c.close();
});

test('SECURITY-CASES: session A sees no EXPUNGE during FETCH, STORE or SEARCH while B expunges', async () => {
  const acc = await loose.addAccount('race@example.com', 'race pw');
  for (let i = 1; i <= 5; i++) await loose.deliver(acc, message(`Race ${i}`));
  const a = await login(loose, 'race@example.com', 'race pw');
  const b = await login(loose, 'race@example.com', 'race pw');
  assert.ok((await a.command('a1', 'SELECT INBOX')).includes('* 5 EXISTS'));
  await b.command('b1', 'SELECT INBOX');
  await b.command('b2', 'STORE 2,4 +FLAGS.SILENT (\\Deleted)');
  const bx = await b.command('b3', 'EXPUNGE');
  assert.deepEqual(bx.filter((l) => l.includes('EXPUNGE') && l.startsWith('*')), ['* 2 EXPUNGE', '* 3 EXPUNGE']);
  const fetch = await a.command('a2', 'FETCH 1:5 (UID FLAGS)');
  assert.ok(!fetch.some((l) => /EXPUNGE/.test(l)), fetch.join(' | '));
  // Sequence numbers are still the old ones: 1, 3 and 5 carry UIDs 1, 3 and 5.
  assert.deepEqual(fetch.filter((l) => l.startsWith('* ')).map((l) => /^\* (\d+) FETCH \(UID (\d+)/.exec(l)!.slice(1).join('=')), ['1=1', '3=3', '5=5']);
  assert.match(fetch.at(-1)!, /^a2 OK/);
  const store = await a.command('a3', 'STORE 5 +FLAGS (\\Flagged)');
  assert.ok(!store.some((l) => /EXPUNGE/.test(l)), store.join(' | '));
  // A selected first, so the five messages are \Recent in A (RFC 3501 §2.3.2).
  assert.ok(store.includes('* 5 FETCH (FLAGS (\\Recent \\Flagged))'), store.join(' | '));
  const search = await a.command('a4', 'SEARCH ALL');
  assert.ok(!search.some((l) => /EXPUNGE/.test(l)), search.join(' | '));
  assert.ok(search.includes('* SEARCH 1 3 5'), search.join(' | '));
  const noop = await a.command('a5', 'NOOP');
  assert.deepEqual(noop.filter((l) => /EXPUNGE/.test(l)), ['* 2 EXPUNGE', '* 3 EXPUNGE']);
  const after = await a.command('a6', 'FETCH 1:* (UID)');
  assert.deepEqual(after.filter((l) => l.startsWith('* ')), ['* 1 FETCH (UID 1)', '* 2 FETCH (UID 3)', '* 3 FETCH (UID 5)']);
  a.close();
  b.close();
});

test('IDLE over a raw socket: "+ idling", EXISTS pushed on delivery, DONE ends it; anything else is BAD', async () => {
  const acc = await loose.addAccount('idle@example.com', 'idle pw');
  const c = await login(loose, 'idle@example.com', 'idle pw');
  await c.command('a', 'SELECT INBOX');
  c.send('b IDLE\r\n');
  assert.equal(await c.line(), '+ idling');
  await loose.deliver(acc, message('Pushed'));
  assert.equal(await c.line(), '* 1 EXISTS');
  // The idling session is the first to learn of it: recent there (RFC 3501 §7.3.2).
  assert.equal(await c.line(), '* 1 RECENT');
  c.send('DONE\r\n');
  assert.equal(await c.line(), 'b OK IDLE terminated');
  c.send('c IDLE\r\n');
  assert.equal(await c.line(), '+ idling');
  c.send('NOT DONE\r\n');
  assert.match((await c.line())!, /^c BAD/);
  c.close();
});

test('graceful shutdown: an idle session gets "* BYE Server shutting down"', async () => {
  const srv = await startImapServer({ POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' });
  await srv.addAccount('bye@example.com', 'bye pw');
  const c = await login(srv, 'bye@example.com', 'bye pw');
  await c.command('a', 'SELECT INBOX');
  c.send('b IDLE\r\n');
  assert.equal(await c.line(), '+ idling');
  const stopping = srv.stop();
  assert.equal(await c.line(), '* BYE Server shutting down');
  await c.waitClosed();
  await stopping;
});

test('pre-login timeout closes a silent connection with BYE', async () => {
  const srv = await startImapServer({}, { preAuthTimeoutSeconds: 1 });
  const c = await connect(srv.imap);
  assert.match((await c.line(5000))!, /^\* BYE Autologout/);
  await c.waitClosed();
  await srv.stop();
});

test('brute force: after the limiter\'s failures the answer is NO [UNAVAILABLE]; too many connections from one IP get BYE', async () => {
  const srv = await startImapServer({ POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' }, { maxConnectionsPerIp: 3 });
  await srv.addAccount('victim@example.com', 'right password');
  const c = await connect(srv.imap);
  const answers: string[] = [];
  for (let i = 0; i < 12; i++) answers.push((await c.command(`a${i}`, 'LOGIN victim@example.com wrong')).at(-1)!.replace(/^a\d+ /, ''));
  assert.equal(answers[0], 'NO [AUTHENTICATIONFAILED] Authentication failed');
  assert.equal(answers.at(-1), 'NO [UNAVAILABLE] Too many failed attempts, try again later');
  // Limited even with the right password now (the limiter refuses before checking).
  assert.match((await c.command('b', 'LOGIN victim@example.com "right password"')).at(-1)!, /^b NO \[UNAVAILABLE\]/);
  const more = [await connect(srv.imap), await connect(srv.imap)];
  const refused = await RawImap.connect(srv.imap);
  assert.match((await refused.line())!, /^\* BYE Too many connections/);
  await refused.waitClosed();
  for (const m of [c, ...more]) m.close();
  await srv.stop();
});

test('per-account limit: past limits.max_connections_per_account a login gets NO [LIMIT]; a logout frees a place', async () => {
  const srv = await startImapServer({ POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' }, { maxConnectionsPerAccount: 2 });
  await srv.addAccount('busy@example.com', 'busy password');
  await srv.addAccount('other@example.com', 'other password');
  const login = (c: RawImap, tag: string, user = 'busy@example.com', pw = 'busy password') => c.command(tag, `LOGIN ${user} "${pw}"`);
  const [a, b, c, d] = [await connect(srv.imap), await connect(srv.imap), await connect(srv.imap), await connect(srv.imap)];
  assert.match((await login(a, 'a')).at(-1)!, /^a OK/);
  assert.match((await login(b, 'b')).at(-1)!, /^b OK/);
  assert.equal((await login(c, 'c')).at(-1), 'c NO [LIMIT] Too many connections for this account, close another client first');
  // Other accounts are not affected.
  assert.match((await login(d, 'd', 'other@example.com', 'other password')).at(-1)!, /^d OK/);
  await a.command('z', 'LOGOUT');
  await a.waitClosed();
  assert.match((await login(c, 'c2')).at(-1)!, /^c2 OK/);
  for (const x of [b, c, d]) x.close();
  await srv.stop();
});

test('SECURITY-CASES: 10,000 nested multiparts and 100,000 sibling parts — FETCH BODYSTRUCTURE answers, server stays up', async () => {
  const acc = await loose.addAccount('bomb@example.com', 'bomb pw');
  let nested = 'From: a@example.org\r\nSubject: nested bomb\r\nMIME-Version: 1.0\r\n';
  let tail = '';
  for (let i = 0; i < 10_000; i++) {
    nested += `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`;
    tail = `\r\n--b${i}--\r\n` + tail;
  }
  nested += 'Content-Type: text/plain\r\n\r\ndeep\r\n' + tail;
  let siblings = 'From: a@example.org\r\nSubject: wide bomb\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=w\r\n\r\n';
  siblings += '--w\r\n\r\nx\r\n'.repeat(100_000) + '--w--\r\n';
  await loose.deliver(acc, nested);
  await loose.deliver(acc, siblings);
  const c = await login(loose, 'bomb@example.com', 'bomb pw');
  await c.command('s', 'SELECT INBOX');
  const r = await c.command('f', 'FETCH 1:2 (BODYSTRUCTURE BODY.PEEK[1.1.1.1] BINARY.SIZE[1])');
  assert.match(r.at(-1)!, /^f OK/);
  const structures = r.filter((l) => /^\* \d FETCH \(BODYSTRUCTURE \(/.test(l));
  assert.equal(structures.length, 2);
  // The parser cut both trees at its limits (depth, part count): each structure stays small.
  for (const line of structures) assert.ok(line.length < 150_000, `BODYSTRUCTURE line of ${line.length} bytes`);
  assert.match((await c.command('t', 'SEARCH TEXT deep')).at(-1)!, /^t OK/);
  await alive(loose);
  c.close();
});
