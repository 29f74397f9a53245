// IMAP end to end with Python's imaplib: STARTTLS, folders (create, rename with children,
// rename INBOX, delete, subscribe, LSUB), APPEND with flags and date, FETCH items, STORE,
// SEARCH with a UTF-8 charset literal, COPY, UID MOVE, EXPUNGE, GETQUOTAROOT, STATUS.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startImapServer, message, python, type ImapTestServer } from './helpers/imap.ts';
import type { Account } from '../src/store/types.ts';

let srv: ImapTestServer;
let user: Account;

before(async () => {
  srv = await startImapServer();
  user = await srv.addAccount('py@example.com', 'py password', 5 * 1024 * 1024);
  await srv.deliver(user, message('Grüße aus Köln', 'Schöne Grüße, Jürgen\r\n', 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n'));
  await srv.deliver(user, message('Second', 'nothing special\r\n'), { flags: ['\\Seen'] });
});

after(async () => {
  await srv.stop();
});

const SCRIPT = String.raw`
import imaplib, ssl, sys, json, time
port = int(sys.argv[1])
out = {}
M = imaplib.IMAP4('127.0.0.1', port)
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
out['caps_before'] = list(M.capabilities)
M.starttls(ssl_context=ctx)
typ, data = M.login('py@example.com', 'py password')
out['login'] = typ
out['create'] = [M.create(n)[0] for n in ('Lists', 'Lists/python', 'Lists/rust')]
out['rename'] = M.rename('Lists', 'Mailing')[0]
out['list'] = [l.decode() for l in M.list()[1]]
out['subscribe'] = M.subscribe('Mailing/python')[0]
out['lsub'] = [l.decode() for l in M.lsub('""', 'Mailing/*')[1]]
out['delete_parent'] = M.delete('Mailing')[0]
out['delete'] = [M.delete(n)[0] for n in ('Mailing/python', 'Mailing/rust', 'Mailing')]
msg = b'From: x@example.org\r\nSubject: appended\r\n\r\nappended body\r\n'
typ, data = M.append('INBOX', '(\\Flagged $Label1)', imaplib.Time2Internaldate(time.mktime((2025, 3, 4, 5, 6, 7, 0, 0, -1))), msg)
out['append'] = [typ, data[0].decode()]
typ, data = M.select('INBOX')
out['select'] = [typ, data[0].decode()]
typ, data = M.fetch('1:3', '(UID FLAGS RFC822.SIZE INTERNALDATE)')
out['fetch_meta'] = [d.decode() for d in data]
typ, data = M.fetch('3', '(BODY.PEEK[] BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[TEXT]<0.8> BODYSTRUCTURE)')
out['fetch_body'] = [[p.decode() for p in d] if isinstance(d, tuple) else d.decode() for d in data]
typ, data = M.fetch('1', '(RFC822)')
out['fetch_rfc822'] = data[0][1].decode('utf-8')
out['flags_after_rfc822'] = M.fetch('1', '(FLAGS)')[1][0].decode()
M.literal = 'Jürgen'.encode('utf-8')
typ, data = M.search('UTF-8', 'BODY')
out['search_utf8'] = data[0].decode()
out['search_keys'] = [M.search(None, k)[1][0].decode() for k in ('SEEN', 'UNSEEN', 'FLAGGED', 'KEYWORD $Label1', 'SUBJECT appended', 'SINCE 1-Jan-2026', 'BEFORE 1-Jan-2026', 'LARGER 100', 'OR SEEN FLAGGED', 'NOT SEEN', 'HEADER Message-ID example.org', 'UID 2:*', '2,3')]
out['store'] = [d.decode() for d in M.store('2', '+FLAGS', '(\\Deleted)')[1]]
out['copy'] = M.copy('3', 'Archive')[0]
typ, data = M.uid('MOVE', '1', 'Junk')
out['move'] = typ
out['expunge'] = [d.decode() for d in M.expunge()[1] if d]
out['after'] = [d.decode() for d in M.fetch('1:*', '(UID)')[1]]
out['quota'] = [[x.decode() for x in part] for part in M.getquotaroot('INBOX')[1]]
out['status'] = M.status('Junk', '(MESSAGES UIDNEXT UNSEEN)')[1][0].decode()
out['rename_inbox'] = M.rename('INBOX', '"Old Inbox"')[0]
out['status_old'] = M.status('"Old Inbox"', '(MESSAGES)')[1][0].decode()
out['status_inbox'] = M.status('INBOX', '(MESSAGES)')[1][0].decode()
M.close()
M.logout()
print(json.dumps(out))
`;

test('imaplib drives a whole session over STARTTLS', async () => {
  const out = JSON.parse(await python(SCRIPT, [String(srv.imap)]));
  assert.ok(out.caps_before.includes('STARTTLS') && out.caps_before.includes('LOGINDISABLED'));
  assert.equal(out.login, 'OK');
  assert.deepEqual(out.create, ['OK', 'OK', 'OK']);
  assert.equal(out.rename, 'OK');
  assert.ok(out.list.some((l: string) => l.endsWith('"/" Mailing/python')), out.list.join('\n'));
  assert.ok(out.list.some((l: string) => /\\HasChildren.*"\/" Mailing$/.test(l)));
  assert.ok(!out.list.some((l: string) => l.includes('Lists')));
  assert.equal(out.subscribe, 'OK');
  assert.deepEqual(out.lsub, ['() "/" Mailing/python']);
  assert.equal(out.delete_parent, 'NO', 'a mailbox with children is not deleted');
  assert.deepEqual(out.delete, ['OK', 'OK', 'OK']);
  assert.equal(out.append[0], 'OK');
  assert.match(out.append[1], /^\[APPENDUID \d+ 3\] APPEND completed$/);
  assert.equal(out.select[1], '3');
  assert.match(out.fetch_meta[0], /^1 \(UID 1 FLAGS \(\\Recent\) RFC822.SIZE \d+ INTERNALDATE "/);
  assert.match(out.fetch_meta[2], /^3 \(UID 3 FLAGS \(\\Recent \\Flagged \$Label1\) RFC822.SIZE \d+ INTERNALDATE " 4-Mar-2025 \d\d:06:07 \+0000"\)$/);
  const body = JSON.stringify(out.fetch_body);
  assert.match(body, /appended body/);
  assert.match(body, /Subject: appended\\r\\n\\r\\n/);
  assert.match(body, /BODY\[TEXT\]<0> \{8\}/);
  assert.match(body, /BODYSTRUCTURE \(\\"TEXT\\" \\"PLAIN\\"/);
  assert.match(out.fetch_rfc822, /Schöne Grüße, Jürgen/);
  assert.match(out.flags_after_rfc822, /\\Seen/, 'RFC822 sets \\Seen');
  assert.equal(out.search_utf8, '1');
  assert.deepEqual(out.search_keys, ['1 2', '3', '3', '3', '3', '1 2', '3', '1 2', '1 2 3', '3', '1 2', '2 3', '2 3']);
  assert.deepEqual(out.store, ['2 (FLAGS (\\Recent \\Deleted \\Seen))']);
  assert.equal(out.copy, 'OK');
  assert.equal(out.move, 'OK');
  // imaplib hands back every EXPUNGE since the last call: UID MOVE's (seq 1), then EXPUNGE's (old seq 2, now 1).
  assert.deepEqual(out.expunge, ['1', '1']);
  assert.deepEqual(out.after, ['1 (UID 3)']);
  assert.deepEqual(out.quota[0], ['INBOX ""']);
  assert.match(out.quota[1][0], /^"" \(STORAGE \d+ 5120\)$/);
  assert.equal(out.status, 'Junk (MESSAGES 1 UIDNEXT 2 UNSEEN 0)');
  assert.equal(out.rename_inbox, 'OK');
  assert.equal(out.status_old, '"Old Inbox" (MESSAGES 1)');
  assert.equal(out.status_inbox, 'INBOX (MESSAGES 0)');
});
