// IMAP extensions over raw sockets, as transcripts: BINARY and body sections of a nested
// message, CONDSTORE (UNCHANGEDSINCE/MODIFIED, CHANGEDSINCE, SEARCH MODSEQ), QRESYNC (VANISHED,
// SELECT with QRESYNC), ESEARCH and SEARCHRES, LIST-EXTENDED / SPECIAL-USE / CREATE USE,
// ENABLE UTF8=ACCEPT and IMAP4rev2, UNSELECT and CLOSE, EXAMINE read-only.

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

const NESTED = [
  'From: a@example.org', 'Subject: nested', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary=X', '',
  '--X', 'Content-Type: text/plain', 'Content-Transfer-Encoding: base64', '', 'aGVsbG8gd29ybGQ=',
  '--X', 'Content-Type: message/rfc822', '', 'From: inner@example.net', 'Subject: inner', '', 'inner body',
  '--X--', '',
].join('\r\n');

/** A fresh account with `n` messages (the first one NESTED), logged in on a raw session. */
async function session(n: number): Promise<{ c: RawImap; account: Account }> {
  const address = `ext${++counter}@example.com`;
  const account = await srv.addAccount(address, 'pw');
  for (let i = 0; i < n; i++) await srv.deliver(account, i === 0 ? NESTED : message(`m${i}`));
  const c = await RawImap.login(srv.imap, address, 'pw');
  return { c, account };
}

test('BINARY, BINARY.SIZE, part MIME headers, a nested message\'s HEADER and TEXT, HEADER.FIELDS.NOT, partial, BODY', async () => {
  const { c } = await session(1);
  await c.command('s', 'EXAMINE INBOX');
  const r = await c.command('f', 'FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[1] BODY.PEEK[1.MIME] BODY.PEEK[2.HEADER] BODY.PEEK[2.TEXT] BODY.PEEK[HEADER.FIELDS.NOT (From Content-Type MIME-Version)] BODY.PEEK[]<0.10> BODY.PEEK[3])');
  const text = r.join('\n');
  assert.match(text, /BINARY\[1\] \{11\}\nhello world BINARY\.SIZE\[1\] 11 /);
  assert.match(text, /BODY\[1\.MIME\] \{63\}\nContent-Type: text\/plain\nContent-Transfer-Encoding: base64\n\n BODY\[2\.HEADER\]/);
  assert.match(text, /BODY\[2\.HEADER\] \{43\}\nFrom: inner@example\.net\nSubject: inner\n\n BODY\[2\.TEXT\] \{10\}\ninner body /);
  assert.match(text, /BODY\[HEADER\.FIELDS\.NOT \(From Content-Type MIME-Version\)\] \{19\}\nSubject: nested\n\n /);
  assert.match(text, /BODY\[\]<0> \{10\}\nFrom: a@ex BODY\[3\] NIL\)/);
  assert.match(r.at(-1)!, /^f OK/);
  const structure = await c.command('g', 'FETCH 1 (BODYSTRUCTURE)');
  assert.match(structure[0], /^\* 1 FETCH \(BODYSTRUCTURE \(\("TEXT" "PLAIN" \("CHARSET" "us-ascii"\) NIL NIL "BASE64" 16 1 NIL NIL NIL NIL\)\("MESSAGE" "RFC822" NIL NIL NIL "7BIT" \d+ \(NIL "inner" /);
  // EXAMINE is read-only: no \Seen from a non-PEEK fetch, STORE refused.
  const body = await c.command('h', 'FETCH 1 (BODY[TEXT])');
  assert.ok(!body.some((l) => l.includes('\\Seen')));
  assert.match((await c.command('i', 'STORE 1 +FLAGS (\\Seen)')).at(-1)!, /^i NO \[READ-ONLY\]/);
  c.close();
});

test('MOVE into the selected mailbox itself: COPYUID with a new UID, EXPUNGE of the old number, EXISTS (RFC 6851)', async () => {
  const { c } = await session(2);
  const sel = await c.command('s', 'SELECT INBOX');
  const uidNext = Number(/UIDNEXT (\d+)/.exec(sel.join('\n'))![1]);
  const r = await c.command('m', 'UID MOVE 1 INBOX');
  assert.match(r.join('\n'), new RegExp(`\\[COPYUID \\d+ 1 ${uidNext}\\]`));
  assert.ok(r.includes('* 1 EXPUNGE'), r.join('\n'));
  assert.ok(r.includes('* 2 EXISTS'), r.join('\n'));
  assert.match(r.at(-1)!, /^m OK/);
  const uids = await c.command('f', 'UID FETCH 1:* (UID)');
  assert.deepEqual(uids.filter((l) => l.startsWith('*')).map((l) => /UID (\d+)/.exec(l)![1]), ['2', String(uidNext)]);
  c.close();
});

test('a non-PEEK body fetch sets \\Seen and reports FLAGS; CLOSE expunges silently, UNSELECT does not', async () => {
  const { c, account } = await session(3);
  await c.command('s', 'SELECT INBOX');
  const r = await c.command('f', 'FETCH 2 (BODY[HEADER])');
  // The first SELECT after delivery took the messages as \Recent (RFC 3501 §2.3.2).
  assert.match(r.join('\n'), /FLAGS \(\\Recent \\Seen\)\)/);
  await c.command('d', 'STORE 1:2 +FLAGS.SILENT (\\Deleted)');
  const un = await c.command('u', 'UNSELECT');
  assert.deepEqual(un, ['u OK UNSELECT completed']);
  assert.equal((await srv.mailbox(account, 'INBOX')).messageCount, 3);
  await c.command('s2', 'SELECT INBOX');
  const close = await c.command('c', 'CLOSE');
  assert.deepEqual(close, ['c OK CLOSE completed'], 'no EXPUNGE responses from CLOSE');
  assert.equal((await srv.mailbox(account, 'INBOX')).messageCount, 1);
  assert.match((await c.command('x', 'FETCH 1 (UID)')).at(-1)!, /^x BAD No mailbox selected/);
  c.close();
});

test('CONDSTORE: UNCHANGEDSINCE → MODIFIED, FETCH CHANGEDSINCE, SEARCH MODSEQ, STATUS HIGHESTMODSEQ', async () => {
  const { c } = await session(3);
  const sel = await c.command('s', 'SELECT INBOX (CONDSTORE)');
  const highest = Number(/HIGHESTMODSEQ (\d+)/.exec(sel.join('\n'))![1]);
  const ok = await c.command('a', `STORE 1 (UNCHANGEDSINCE ${highest}) +FLAGS (\\Flagged)`);
  const m = /^\* 1 FETCH \(FLAGS \(\\Recent \\Flagged\) MODSEQ \((\d+)\)\)$/.exec(ok[0]);
  assert.ok(m, ok.join(' | '));
  const after = Number(m[1]);
  assert.ok(after > highest);
  const refused = await c.command('b', `STORE 1,2 (UNCHANGEDSINCE ${highest}) +FLAGS (\\Seen)`);
  assert.equal(refused.at(-1), 'b OK [MODIFIED 1] Conditional STORE failed for some messages');
  assert.ok(refused.some((l) => /^\* 2 FETCH \(FLAGS \(\\Recent \\Seen\) MODSEQ/.test(l)));
  const changed = await c.command('c', `FETCH 1:* (UID) (CHANGEDSINCE ${highest})`);
  assert.deepEqual(changed.filter((l) => l.startsWith('*')).map((l) => /^\* (\d+)/.exec(l)![1]), ['1', '2']);
  const search = await c.command('d', `SEARCH MODSEQ ${after}`);
  assert.match(search[0], /^\* SEARCH 1 2 \(MODSEQ \d+\)$/);
  const st = await c.command('e', 'STATUS INBOX (HIGHESTMODSEQ)');
  assert.match(st[0], /^\* STATUS INBOX \(HIGHESTMODSEQ \d+\)$/);
  c.close();
});

test('CONDSTORE enabled by a FETCH MODSEQ while selected: one untagged OK [HIGHESTMODSEQ]; ESEARCH MIN/MAX MODSEQ is of the returned messages', async () => {
  const { c } = await session(3);
  await c.command('s', 'SELECT INBOX');
  const status = await c.command('t', 'STATUS INBOX (HIGHESTMODSEQ)');
  const highest = Number(/HIGHESTMODSEQ (\d+)/.exec(status[0])![1]);
  const first = await c.command('a', 'FETCH 1 (MODSEQ)');
  assert.equal(first[0], `* OK [HIGHESTMODSEQ ${highest}] Highest`);
  assert.match(first[1], /^\* 1 FETCH \(MODSEQ \(\d+\)\)$/);
  const again = await c.command('b', 'FETCH 1 (MODSEQ)');
  assert.ok(!again.join('\n').includes('HIGHESTMODSEQ'), 'only once');
  // Message 3 gets the highest modseq; MIN returns message 1, so its MODSEQ is message 1's.
  await c.command('c', 'STORE 3 +FLAGS (\\Flagged)');
  const modseqs = (await c.command('d', 'FETCH 1:3 (MODSEQ)')).filter((l) => l.startsWith('* ')).map((l) => Number(/MODSEQ \((\d+)\)/.exec(l)![1]));
  const min = await c.command('e', 'SEARCH RETURN (MIN) MODSEQ 1');
  assert.equal(min[0], `* ESEARCH (TAG "e") MIN 1 MODSEQ ${modseqs[0]}`);
  const max = await c.command('f', 'SEARCH RETURN (MAX) MODSEQ 1');
  assert.equal(max[0], `* ESEARCH (TAG "f") MAX 3 MODSEQ ${modseqs[2]}`);
  assert.ok(modseqs[2] > modseqs[0]);
  c.close();
});

test('QRESYNC: expunges become VANISHED; SELECT (QRESYNC …) reports VANISHED (EARLIER) and changed flags', async () => {
  const { c } = await session(5);
  await c.command('e', 'ENABLE QRESYNC');
  const sel = await c.command('s', 'SELECT INBOX');
  const validity = /UIDVALIDITY (\d+)/.exec(sel.join('\n'))![1];
  const modseq = Number(/HIGHESTMODSEQ (\d+)/.exec(sel.join('\n'))![1]);
  await c.command('a', 'STORE 2,4 +FLAGS.SILENT (\\Deleted)');
  const ex = await c.command('b', 'EXPUNGE');
  assert.deepEqual(ex, ['* VANISHED 2,4', 'b OK EXPUNGE completed']);
  await c.command('f', 'UID STORE 5 +FLAGS.SILENT (\\Answered)');
  const vf = await c.command('g', `UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${modseq} VANISHED)`);
  assert.equal(vf[0], '* VANISHED (EARLIER) 2,4');
  assert.match(vf[1], /^\* 3 FETCH \(UID 5 FLAGS \(\\Recent \\Answered\) MODSEQ \(\d+\)\)$/);
  await c.command('u', 'UNSELECT');
  const re = await c.command('r', `SELECT INBOX (QRESYNC (${validity} ${modseq} 1:5))`);
  assert.ok(re.includes('* VANISHED (EARLIER) 2,4'), re.join(' | '));
  assert.ok(re.some((l) => /^\* 3 FETCH \(UID 5 FLAGS \(\\Answered\) MODSEQ/.test(l)), re.join(' | '));
  // Selecting another mailbox closes this one with [CLOSED] (RFC 7162 §3.2.11).
  const other = await c.command('o', 'SELECT Archive');
  assert.equal(other[0], '* OK [CLOSED] Previous mailbox closed');
  c.close();
});

test('ESEARCH and SEARCHRES: RETURN (MIN MAX COUNT ALL), SAVE and "$"', async () => {
  const { c } = await session(6);
  await c.command('s', 'SELECT INBOX');
  await c.command('a', 'STORE 2,3,5 +FLAGS (\\Flagged)');
  assert.equal((await c.command('b', 'SEARCH RETURN (MIN MAX COUNT ALL) FLAGGED'))[0], '* ESEARCH (TAG "b") MIN 2 MAX 5 COUNT 3 ALL 2:3,5');
  assert.equal((await c.command('c', 'UID SEARCH RETURN (COUNT) UNFLAGGED'))[0], '* ESEARCH (TAG "c") UID COUNT 3');
  assert.equal((await c.command('d', 'SEARCH RETURN () SUBJECT nothing-matches'))[0], '* ESEARCH (TAG "d")');
  assert.deepEqual(await c.command('e', 'SEARCH RETURN (SAVE) FLAGGED'), ['e OK SEARCH completed']);
  const fetched = await c.command('f', 'FETCH $ (UID)');
  assert.deepEqual(fetched.filter((l) => l.startsWith('*')), ['* 2 FETCH (UID 2)', '* 3 FETCH (UID 3)', '* 5 FETCH (UID 5)']);
  assert.equal((await c.command('g', 'SEARCH $ NOT UID 3'))[0], '* SEARCH 2 5');
  c.close();
});

test('LIST-EXTENDED, SPECIAL-USE, CREATE USE, LIST-STATUS, CHILDINFO, empty pattern, LSUB', async () => {
  const { c } = await session(2);
  assert.match((await c.command('a', 'CREATE Important (USE (\\Flagged))')).at(-1)!, /^a OK/);
  assert.match((await c.command('b', 'CREATE Bad (USE (\\Inbox))')).at(-1)!, /^b NO \[USEATTR\]/);
  const special = await c.command('c', 'LIST (SPECIAL-USE) "" "*"');
  assert.deepEqual(special.filter((l) => l.startsWith('*')).map((l) => l.replace(/^\* LIST /, '')), [
    '(\\HasNoChildren \\Archive) "/" Archive', '(\\HasNoChildren \\Drafts) "/" Drafts', '(\\HasNoChildren \\Flagged) "/" Important',
    '(\\HasNoChildren \\Junk) "/" Junk', '(\\HasNoChildren \\Sent) "/" Sent', '(\\HasNoChildren \\Trash) "/" Trash',
  ]);
  assert.deepEqual(await c.command('d', 'LIST "" ""'), ['* LIST (\\Noselect) "/" ""', 'd OK LIST completed']);
  await c.command('e', 'CREATE Lists/rust');
  await c.command('f', 'SUBSCRIBE Lists/rust');
  const rec = await c.command('g', 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "%" RETURN (STATUS (MESSAGES UNSEEN))');
  assert.ok(rec.includes('* LIST (\\HasChildren) "/" Lists ("CHILDINFO" ("SUBSCRIBED"))'), rec.join(' | '));
  assert.ok(rec.includes('* LIST (\\HasNoChildren \\Subscribed) "/" INBOX'), rec.join(' | '));
  assert.ok(rec.includes('* STATUS INBOX (MESSAGES 2 UNSEEN 2)'), rec.join(' | '));
  // RFC 5258 §3.5: when the subscribed child matches the pattern itself, it is listed and its
  // parent is not (the parent is only there to point at children the pattern missed).
  const both = await c.command('g2', 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "Lists*"');
  assert.deepEqual(both.filter((l) => l.startsWith('*')), ['* LIST (\\HasNoChildren \\Subscribed) "/" Lists/rust']);
  const pct = await c.command('h', 'LIST "" "Lists/%"');
  assert.deepEqual(pct.filter((l) => l.startsWith('*')), ['* LIST (\\HasNoChildren) "/" Lists/rust']);
  const lsub = await c.command('i', 'LSUB "" "Lists/*"');
  assert.deepEqual(lsub.filter((l) => l.startsWith('*')), ['* LSUB () "/" Lists/rust']);
  // Subscriptions are independent of existence (RFC 9051 §6.3.9).
  await c.command('j', 'SUBSCRIBE Ghost');
  const ghost = await c.command('k', 'LIST (SUBSCRIBED) "" "Ghost"');
  assert.deepEqual(ghost.filter((l) => l.startsWith('*')), ['* LIST (\\NonExistent \\HasNoChildren \\Subscribed) "/" Ghost']);
  c.close();
});

test('mailbox names: modified UTF-7 by default, UTF-8 after ENABLE UTF8=ACCEPT', async () => {
  const { c, account } = await session(0);
  assert.match((await c.command('a', 'CREATE "Entw&APw-rfe/&ZeVnLIqe-"')).at(-1)!, /^a OK/);
  const names = (await srv.server.deps.store.listMailboxes(account.id)).map((m) => m.name);
  assert.ok(names.includes('Entwürfe/日本語'), names.join(','));
  const l = await c.command('b', 'LIST "" "Entw*"');
  assert.ok(l.includes('* LIST (\\HasNoChildren) "/" Entw&APw-rfe/&ZeVnLIqe-'), l.join(' | '));
  assert.deepEqual(await c.command('c', 'ENABLE UTF8=ACCEPT'), ['* ENABLED UTF8=ACCEPT', 'c OK ENABLE completed']);
  const u = await c.command('d', 'LIST "" "Entw*"');
  assert.ok(u.includes('* LIST (\\HasNoChildren) "/" "Entwürfe/日本語"'), u.join(' | '));
  assert.match((await c.command('e', 'SELECT "Entwürfe/日本語"')).at(-1)!, /^e OK/);
  c.close();
});

test('IMAP4rev2 after ENABLE: SEARCH answers with ESEARCH, no RECENT in SELECT', async () => {
  const { c } = await session(2);
  assert.deepEqual(await c.command('a', 'ENABLE IMAP4rev2'), ['* ENABLED IMAP4rev2', 'a OK ENABLE completed']);
  const sel = await c.command('s', 'SELECT INBOX');
  assert.ok(!sel.some((l) => /RECENT/.test(l)));
  assert.equal((await c.command('b', 'SEARCH ALL'))[0], '* ESEARCH (TAG "b") ALL 1:2');
  c.close();
});

test('APPEND with flags and date, COPYUID/APPENDUID, MOVE into a missing mailbox is TRYCREATE', async () => {
  const { c, account } = await session(1);
  const msg = message('dated');
  c.send(`a APPEND Drafts (\\Draft \\Seen) "14-Feb-2024 08:00:00 +0100" {${Buffer.byteLength(msg)}}\r\n`);
  assert.match((await c.line())!, /^\+ /);
  c.send(msg + '\r\n');
  const appended = (await c.until('a')).at(-1)!;
  const drafts = await srv.mailbox(account, 'Drafts');
  assert.equal(appended, `a OK [APPENDUID ${drafts.uidValidity} 1] APPEND completed`);
  const [row] = await srv.server.deps.store.listMessages(drafts.accountId, drafts.id);
  assert.deepEqual(row.flags, ['\\Seen', '\\Draft']);
  assert.equal(new Date(row.internalDate).toISOString(), '2024-02-14T07:00:00.000Z');
  await c.command('s', 'SELECT INBOX');
  assert.match((await c.command('b', 'MOVE 1 Nowhere')).at(-1)!, /^b NO \[TRYCREATE\]/);
  assert.match((await c.command('c', 'APPEND Nowhere {1+}\r\nx')).at(-1)!, /^c NO \[TRYCREATE\]/);
  c.close();
});

test('MULTIAPPEND: several messages in one APPEND, one APPENDUID range; all or none (RFC 3502)', async () => {
  const { c, account } = await session(0);
  const [m1, m2] = [message('first of two'), message('second of two')];
  c.send(`a APPEND Archive (\\Seen) {${Buffer.byteLength(m1)}+}\r\n${m1} (\\Flagged) "01-Jan-2026 10:00:00 +0000" {${Buffer.byteLength(m2)}+}\r\n${m2}\r\n`);
  const archive = await srv.mailbox(account, 'Archive');
  assert.equal((await c.until('a')).at(-1), `a OK [APPENDUID ${archive.uidValidity} 1:2] APPEND completed`);
  const rows = await srv.server.deps.store.listMessages(archive.accountId, archive.id);
  assert.deepEqual(rows.map((r) => r.flags), [['\\Seen'], ['\\Flagged']]);
  assert.equal(new Date(rows[1].internalDate).toISOString(), '2026-01-01T10:00:00.000Z');
  // The second message is empty (BAD): the first one is not stored either.
  c.send(`b APPEND Archive {${Buffer.byteLength(m1)}+}\r\n${m1} {0+}\r\n\r\n`);
  assert.match((await c.until('b')).at(-1)!, /^b BAD/);
  assert.equal((await srv.mailbox(account, 'Archive')).messageCount, 2);
  c.close();
});

test('SORT (with REVERSE, DISPLAYFROM, SIZE) and THREAD=ORDEREDSUBJECT', async () => {
  const address = `sort${++counter}@example.com`;
  const account = await srv.addAccount(address, 'pw');
  const mk = (from: string, subject: string, date: string, body = 'x\r\n'): string =>
    `From: ${from}\r\nTo: someone@example.com\r\nSubject: ${subject}\r\nDate: ${date}\r\n\r\n${body}`;
  await srv.deliver(account, mk('"Zed" <a@example.org>', 'Re: Plans', 'Mon, 02 Mar 2026 10:00:00 +0000'));
  await srv.deliver(account, mk('"Amy" <z@example.org>', 'Budget', 'Sun, 01 Mar 2026 10:00:00 +0000', 'much longer body here\r\n'));
  await srv.deliver(account, mk('m@example.org', 'plans', 'Sat, 28 Feb 2026 10:00:00 +0000'));
  await srv.deliver(account, mk('"Bob" <b@example.org>', 'Fwd: budget', 'Tue, 03 Mar 2026 10:00:00 +0000'));
  const c = await RawImap.login(srv.imap, address, 'pw');
  await c.command('s', 'SELECT INBOX');
  assert.equal((await c.command('a', 'SORT (DATE) UTF-8 ALL'))[0], '* SORT 3 2 1 4');
  assert.equal((await c.command('b', 'SORT (REVERSE ARRIVAL) UTF-8 ALL'))[0], '* SORT 4 3 2 1');
  assert.equal((await c.command('c', 'SORT (SUBJECT DATE) UTF-8 ALL'))[0], '* SORT 2 4 3 1');
  assert.equal((await c.command('d', 'SORT (FROM) UTF-8 ALL'))[0], '* SORT 1 4 3 2');
  assert.equal((await c.command('e', 'SORT (DISPLAYFROM) UTF-8 ALL'))[0], '* SORT 2 4 3 1');
  assert.equal((await c.command('f', 'UID SORT (REVERSE SIZE) UTF-8 NOT FROM bob'))[0], '* SORT 2 1 3');
  assert.equal((await c.command('g', 'THREAD ORDEREDSUBJECT UTF-8 ALL'))[0], '* THREAD (3 1)(2 4)');
  c.close();
});

test('THREAD=REFERENCES: reference chains, a missing parent, merging by subject', async () => {
  const address = `thread${++counter}@example.com`;
  const account = await srv.addAccount(address, 'pw');
  const mk = (n: number, id: string, subject: string, refs = ''): string =>
    `From: a@example.org\r\nSubject: ${subject}\r\nMessage-ID: <${id}@x>\r\n${refs ? `References: ${refs}\r\n` : ''}Date: Sun, ${String(n).padStart(2, '0')} Mar 2026 10:00:00 +0000\r\n\r\nbody\r\n`;
  await srv.deliver(account, mk(1, 'a', 'Plan'));
  await srv.deliver(account, mk(2, 'b', 'Re: Plan', '<a@x>'));
  await srv.deliver(account, mk(3, 'c', 'Re: Plan', '<a@x> <b@x>'));
  await srv.deliver(account, mk(4, 'd', 'Other'));
  await srv.deliver(account, mk(5, 'e', 'Re: Lost', '<missing@x>'));
  await srv.deliver(account, mk(6, 'f', 'Re: Lost', '<missing@x>'));
  await srv.deliver(account, mk(7, 'g', 'Re: Other'));
  const c = await RawImap.login(srv.imap, address, 'pw');
  await c.command('s', 'SELECT INBOX');
  assert.equal((await c.command('a', 'THREAD REFERENCES UTF-8 ALL'))[0], '* THREAD (1 2 3)(4 7)((5)(6))');
  assert.equal((await c.command('b', 'UID THREAD REFERENCES UTF-8 NOT SUBJECT other'))[0], '* THREAD (1 2 3)((5)(6))');
  c.close();
});

test('COMPRESS=DEFLATE: both directions compressed; a second COMPRESS is NO [COMPRESSIONACTIVE]', async () => {
  const { c } = await session(1);
  const zlib = await import('node:zlib');
  const net = await import('node:net');
  // Talk through our own socket: the RawImap line reader cannot read deflated bytes.
  const socket = (c as unknown as { socket: InstanceType<typeof net.Socket> }).socket;
  socket.removeAllListeners('data');
  const ok = await new Promise<string>((resolve) => {
    socket.once('data', (d: Buffer) => resolve(d.toString()));
    socket.write('z COMPRESS DEFLATE\r\n');
  });
  assert.equal(ok, 'z OK DEFLATE active\r\n');
  const deflate = zlib.createDeflateRaw();
  const inflate = zlib.createInflateRaw();
  deflate.on('data', (d: Buffer) => socket.write(d));
  socket.on('data', (d: Buffer) => inflate.write(d));
  let text = '';
  const until = (tag: string): Promise<string> =>
    new Promise((resolve) => {
      const check = (): void => {
        const i = text.indexOf(`\r\n${tag} `);
        if (i !== -1 && text.indexOf('\r\n', i + 2) !== -1) {
          inflate.off('data', onData);
          resolve(text);
        }
      };
      const onData = (d: Buffer): void => {
        text += d.toString();
        check();
      };
      inflate.on('data', onData);
      check();
    });
  const send = (line: string): void => {
    deflate.write(line);
    deflate.flush(zlib.constants.Z_SYNC_FLUSH);
  };
  text = '\r\n';
  send('a SELECT INBOX\r\nb FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\n');
  const out = await until('b');
  assert.match(out, /\* 1 EXISTS/);
  assert.match(out, /Subject: nested/);
  send('c COMPRESS DEFLATE\r\n');
  assert.match(await until('c'), /c NO \[COMPRESSIONACTIVE\]/);
  socket.destroy();
});

test('THREAD=REFERENCES over a reply chain 2,000 deep: no recursion, one thread', async () => {
  const address = `chain${++counter}@example.com`;
  const account = await srv.addAccount(address, 'pw');
  const store = srv.server.deps.store;
  const inbox = await srv.mailbox(account, 'INBOX');
  const deps = srv.server.deps;
  for (let i = 1; i <= 2000; i++) {
    const raw = Buffer.from(`From: a@example.org\r\nSubject: Re: chain\r\nMessage-ID: <m${i}@x>\r\n${i > 1 ? `In-Reply-To: <m${i - 1}@x>\r\n` : ''}Date: Sun, 01 Mar 2026 10:00:00 +0000\r\n\r\nx\r\n`);
    // Through the store directly (ingestMessage's steps without its per-message logging).
    const blob = await deps.blobs.put(raw);
    await store.appendMessage(account.id, inbox.id, { blobId: blob.id, size: blob.size, summary: deps.parse(raw).summary });
  }
  const c = await RawImap.login(srv.imap, address, 'pw');
  await c.command('s', 'SELECT INBOX');
  const r = await c.command('a', 'THREAD REFERENCES UTF-8 ALL');
  assert.equal(r[0], '* THREAD (' + Array.from({ length: 2000 }, (_, i) => i + 1).join(' ') + ')');
  c.close();
});
