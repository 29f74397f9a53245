// Command grammar: raw wire strings → typed commands, from the RFCs' own examples, and the
// malformed variants of each (tagged BAD, never an exception).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommand, type Command, type RawCommand } from '../src/wire/imap/index.ts';
import { mbox, parse, parseBad, parseOk, seq } from './imap-wire-helpers.ts';

function table(rows: [string, Command][]): void {
  for (const [wire, expected] of rows) {
    it(JSON.stringify(wire), () => assert.deepEqual(parseOk(wire), expected));
  }
}

function badTable(rows: string[], kind: 'bad' | 'no' = 'bad'): void {
  for (const wire of rows) {
    it(`refuses ${JSON.stringify(wire)}`, () => assert.equal(parseBad(wire).kind, kind));
  }
}

describe('commands without arguments (RFC 9051 §6.1, §6.3, §6.4)', () => {
  table([
    ['abcd CAPABILITY\r\n', { name: 'CAPABILITY' }],
    ['a002 NOOP\r\n', { name: 'NOOP' }],
    ['A023 LOGOUT\r\n', { name: 'LOGOUT' }],
    ['a002 STARTTLS\r\n', { name: 'STARTTLS' }],
    ['FXXZ CHECK\r\n', { name: 'CHECK' }],
    ['A341 CLOSE\r\n', { name: 'CLOSE' }],
    ['A342 UNSELECT\r\n', { name: 'UNSELECT' }],
    ['A001 IDLE\r\n', { name: 'IDLE' }],
    ['A001 NAMESPACE\r\n', { name: 'NAMESPACE' }],
    ['A202 EXPUNGE\r\n', { name: 'EXPUNGE', uid: false, sequence: null }],
  ]);
  badTable(['a NOOP x\r\n', 'a CAPABILITY ()\r\n', 'a LOGOUT "x"\r\n', 'a FROB\r\n', 'a UID NOOP\r\n', 'a UID\r\n']);
});

describe('LOGIN, AUTHENTICATE, ENABLE, ID, COMPRESS', () => {
  table([
    ['a001 LOGIN SMITH SESAME\r\n', { name: 'LOGIN', user: 'SMITH', password: 'SESAME' }],
    ['a LOGIN "fred@example.com" "pass word\\"\\\\"\r\n', { name: 'LOGIN', user: 'fred@example.com', password: 'pass word"\\' }],
    // RFC 7888's example: both arguments as non-synchronising literals.
    ['A001 LOGIN {11+}\r\nFRED FOOBAR {7+}\r\nfat man\r\n', { name: 'LOGIN', user: 'FRED FOOBAR', password: 'fat man' }],
    ['a LOGIN {4}\r\nfred {8+}\r\np\xc3\xa4ssw\xc3\xb6\r\n', { name: 'LOGIN', user: 'fred', password: 'pässwö' }],
    ['A001 AUTHENTICATE GSSAPI\r\n', { name: 'AUTHENTICATE', mechanism: 'GSSAPI', initialResponse: null }],
    // RFC 4959 §3 example: PLAIN with an initial response; "=" is an empty one.
    ['a01 AUTHENTICATE plain dGVzdAB0ZXN0AHRlc3Q=\r\n', { name: 'AUTHENTICATE', mechanism: 'PLAIN', initialResponse: Buffer.from('test\0test\0test') }],
    ['a01 AUTHENTICATE EXTERNAL =\r\n', { name: 'AUTHENTICATE', mechanism: 'EXTERNAL', initialResponse: Buffer.alloc(0) }],
    ['t2 ENABLE CONDSTORE X-GOOD-IDEA\r\n', { name: 'ENABLE', capabilities: ['CONDSTORE', 'X-GOOD-IDEA'] }],
    ['t1 ENABLE IMAP4rev2 utf8=accept\r\n', { name: 'ENABLE', capabilities: ['IMAP4REV2', 'UTF8=ACCEPT'] }],
    // RFC 2971 §4 examples.
    ['a023 ID ("name" "sodr" "version" "19.34" "vendor" "Pink Floyd Music Limited")\r\n', {
      name: 'ID', params: [['name', 'sodr'], ['version', '19.34'], ['vendor', 'Pink Floyd Music Limited']],
    }],
    ['a023 ID NIL\r\n', { name: 'ID', params: null }],
    ['a ID ("os" NIL)\r\n', { name: 'ID', params: [['os', null]] }],
    ['a ID ()\r\n', { name: 'ID', params: [] }],
    ['t1 COMPRESS DEFLATE\r\n', { name: 'COMPRESS', mechanism: 'DEFLATE' }],
  ]);
  badTable([
    'a LOGIN\r\n', 'a LOGIN fred\r\n', 'a LOGIN ~{4}\r\nfred pw\r\n', 'a SELECT ~{1}\r\nx\r\n', 'a LOGIN fred pw extra\r\n', 'a LOGIN (fred) pw\r\n', 'a LOGIN fr*d pw\r\n',
    'a LOGIN fred NIL\r\n'.replace('NIL', '%'),
    'a AUTHENTICATE\r\n', 'a AUTHENTICATE PLAIN dGVzdA\r\n', 'a AUTHENTICATE PLAIN dGVzdA=\r\n',
    'a AUTHENTICATE PLAIN QR==\r\n', 'a AUTHENTICATE PLAIN a b\r\n', 'a AUTHENTICATE "PLAIN"\r\n',
    'a ENABLE\r\n', 'a ENABLE (X)\r\n',
    'a ID\r\n', 'a ID ("name")\r\n', 'a ID (name "x")\r\n', 'a ID "x"\r\n',
    `a ID ("${'f'.repeat(31)}" "x")\r\n`, `a ID ("f" "${'v'.repeat(1025)}")\r\n`,
    'a ID (' + Array.from({ length: 31 }, (_, i) => `"f${i}" "v"`).join(' ') + ')\r\n',
    'a COMPRESS\r\n', 'a COMPRESS DEFLATE x\r\n',
  ]);
});

describe('SELECT, EXAMINE (RFC 9051 §6.3.2, RFC 7162 §3.1.8, §3.2.5)', () => {
  table([
    ['A142 SELECT INBOX\r\n', { name: 'SELECT', mailbox: mbox('INBOX'), condstore: false, qresync: null }],
    ['A932 EXAMINE blurdybloop\r\n', { name: 'EXAMINE', mailbox: mbox('blurdybloop'), condstore: false, qresync: null }],
    ['a SELECT INBOX (CONDSTORE)\r\n', { name: 'SELECT', mailbox: mbox('INBOX'), condstore: true, qresync: null }],
    ['A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n', {
      name: 'SELECT', mailbox: mbox('INBOX'), condstore: false,
      qresync: { uidValidity: 67890007, modseq: Number.MAX_SAFE_INTEGER, knownUids: seq([41, 41], [43, 211], [214, 541]), seqMatch: null },
    }],
    ['B04 SELECT INBOX (QRESYNC (67890007 90060115194045000 41:211,214:541 (1:3,5 41,43:44,46)))\r\n', {
      name: 'SELECT', mailbox: mbox('INBOX'), condstore: false,
      qresync: {
        uidValidity: 67890007, modseq: Number.MAX_SAFE_INTEGER, knownUids: seq([41, 211], [214, 541]),
        seqMatch: { sequences: seq([1, 3], [5, 5]), uids: seq([41, 41], [43, 44], [46, 46]) },
      },
    }],
    ['a SELECT INBOX (QRESYNC (1 2 (1 3)))\r\n', {
      name: 'SELECT', mailbox: mbox('INBOX'), condstore: false,
      qresync: { uidValidity: 1, modseq: 2, knownUids: null, seqMatch: { sequences: seq([1, 1]), uids: seq([3, 3]) } },
    }],
    ['a SELECT "Entw&APw-rfe" (CONDSTORE QRESYNC (1 2))\r\n', {
      name: 'SELECT', mailbox: mbox('Entwürfe', 'Entw&APw-rfe'), condstore: true,
      qresync: { uidValidity: 1, modseq: 2, knownUids: null, seqMatch: null },
    }],
  ]);
  badTable([
    'a SELECT\r\n', 'a SELECT INBOX x\r\n', 'a SELECT INBOX (FOO)\r\n', 'a SELECT INBOX (CONDSTORE CONDSTORE)\r\n',
    'a SELECT INBOX (QRESYNC)\r\n', 'a SELECT INBOX (QRESYNC ())\r\n', 'a SELECT INBOX (QRESYNC (0 1))\r\n',
    'a SELECT INBOX (QRESYNC (1 0))\r\n', 'a SELECT INBOX (QRESYNC (1 x))\r\n', 'a SELECT INBOX (QRESYNC (1 2 $))\r\n',
    'a SELECT INBOX (QRESYNC (1 2 1:5 (1:2)))\r\n', 'a SELECT INBOX (QRESYNC (1 99999999999999999999))\r\n',
    'a SELECT INBOX (QRESYNC (1 2 3 4))\r\n',
  ]);
});

describe('CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE (RFC 9051 §6.3.4–§6.3.8, RFC 6154 §3)', () => {
  table([
    ['A003 CREATE owatagusiam/\r\n', { name: 'CREATE', mailbox: mbox('owatagusiam/'), specialUse: [] }],
    ['t1 CREATE "Important Messages" (USE (\\Important))\r\n', { name: 'CREATE', mailbox: mbox('Important Messages'), specialUse: ['\\Important'] }],
    ['a CREATE MySpecial (USE (\\Drafts \\Sent))\r\n', { name: 'CREATE', mailbox: mbox('MySpecial'), specialUse: ['\\Drafts', '\\Sent'] }],
    ['A683 DELETE blurdybloop\r\n', { name: 'DELETE', mailbox: mbox('blurdybloop') }],
    ['A684 RENAME foo zowie\r\n', { name: 'RENAME', from: mbox('foo'), to: mbox('zowie') }],
    ['A685 RENAME INBOX "old-mail"\r\n', { name: 'RENAME', from: mbox('INBOX'), to: mbox('old-mail') }],
    ['A002 SUBSCRIBE #news.comp.mail.mime\r\n', { name: 'SUBSCRIBE', mailbox: mbox('#news.comp.mail.mime') }],
    ['A002 UNSUBSCRIBE #news.comp.mail.mime\r\n', { name: 'UNSUBSCRIBE', mailbox: mbox('#news.comp.mail.mime') }],
    ['a DELETE {7}\r\nfoo bar\r\n', { name: 'DELETE', mailbox: mbox('foo bar') }],
  ]);
  badTable([
    'a CREATE\r\n', 'a CREATE x (USE)\r\n', 'a CREATE x (USE (Drafts))\r\n', 'a CREATE x (FOO (x))\r\n',
    'a DELETE\r\n', 'a DELETE a b\r\n', 'a RENAME foo\r\n', 'a RENAME a b c\r\n', 'a SUBSCRIBE (x)\r\n',
  ]);
});

describe('mailbox names in modified UTF-7 (RFC 9051 §5.1.3)', () => {
  it('decodes &-shifts and keeps the wire form', () => {
    const c = parseOk('a CREATE ~peter/mail/&U,BTFw-/&ZeVnLIqe-\r\n');
    assert.equal(c.name, 'CREATE');
    if (c.name === 'CREATE') assert.deepEqual(c.mailbox, mbox('~peter/mail/台北/日本語', '~peter/mail/&U,BTFw-/&ZeVnLIqe-'));
  });

  const invalid: [string, string][] = [
    ['&Jjo', 'unterminated "&" shift'],
    ['&AC4ALg-', 'printable US-ASCII must not be encoded'],
    ['&AC8-etc', 'printable US-ASCII must not be encoded'],
    ['a&AAA-b', 'control character'],
    ['&AA0ACg-', 'control character'],
    ['&2D3eAA', 'unterminated "&" shift'],
    ['&2D0-', 'unpaired surrogate'],
    ['&3gDYPQ-', 'unpaired surrogate'],
    ['&U,B-', 'invalid padding bits'],
    ['&U,AA-', 'invalid padding bits'],
    ['&U,A-&U,A-', 'adjacent encoded runs'],
    ['&AOk-&AOk-', 'adjacent encoded runs'],
    ['&U/BTFw-', 'invalid character in encoded run'],
  ];
  for (const [wire, reason] of invalid) {
    it(`${wire} → not ok (${reason}), not a syntax error`, () => {
      const c = parseOk(`a SELECT "${wire}"\r\n`);
      assert.equal(c.name, 'SELECT');
      if (c.name === 'SELECT') assert.deepEqual(c.mailbox, { ok: false, wire, reason });
    });
  }

  it('8-bit names are invalid unless UTF8=ACCEPT is enabled, then taken as UTF-8', () => {
    const wire = 'a SELECT "Entw\xc3\xbcrfe"\r\n';
    const c1 = parseOk(wire);
    assert.equal(c1.name === 'SELECT' && c1.mailbox.ok, false);
    const c2 = parseOk(wire, { utf8Accept: true });
    assert.deepEqual(c2.name === 'SELECT' && c2.mailbox, mbox('Entwürfe'));
    const c3 = parseOk('a SELECT "\xff\xfe"\r\n', { utf8Accept: true });
    assert.deepEqual(c3.name === 'SELECT' && c3.mailbox, { ok: false, wire: '\ufffd\ufffd', reason: 'invalid UTF-8' });
    const c4 = parseOk('a SELECT "A&B"\r\n', { utf8Accept: true });
    assert.deepEqual(c4.name === 'SELECT' && c4.mailbox, mbox('A&B'));
  });
});

describe('APPEND (RFC 9051 §6.3.12, RFC 3502 MULTIAPPEND, RFC 3516, RFC 6855)', () => {
  const msg = 'Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\nFrom: Fred Foobar <foobar@Blurdybloop.example>\r\n\r\nHello Joe\r\n';
  it('RFC 9051 example with flags and a date-time', () => {
    const c = parseOk(`A003 APPEND saved-messages (\\Seen) " 7-Feb-1994 21:52:25 -0800" {${msg.length}}\r\n${msg}\r\n`);
    assert.deepEqual(c, {
      name: 'APPEND', mailbox: mbox('saved-messages'),
      messages: [{ flags: ['\\Seen'], internalDate: { ms: Date.UTC(1994, 1, 8, 5, 52, 25), offsetMinutes: -480 }, data: Buffer.from(msg), binary: false, utf8: false }],
    });
  });

  it('bare literal, no flags, no date', () => {
    const c = parseOk('a APPEND INBOX {5+}\r\nhello\r\n');
    assert.deepEqual(c.name === 'APPEND' && c.messages, [{ flags: [], internalDate: null, data: Buffer.from('hello'), binary: false, utf8: false }]);
  });

  it('MULTIAPPEND: several messages, each with its own flags and date', () => {
    const c = parseOk('A003 APPEND saved-messages (\\Seen) {3}\r\none () "01-Jan-2020 00:00:00 +0000" {3}\r\ntwo {5}\r\nthree\r\n');
    assert.equal(c.name, 'APPEND');
    if (c.name !== 'APPEND') return;
    assert.deepEqual(c.messages.map((m) => [m.flags, m.internalDate?.ms ?? null, m.data.toString()]), [
      [['\\Seen'], null, 'one'], [[], Date.UTC(2020, 0, 1), 'two'], [[], null, 'three'],
    ]);
  });

  it('literal8 (BINARY) and UTF8 (~{N}) (UTF8=ACCEPT)', () => {
    const c = parseOk('a APPEND x (\\Draft) ~{3}\r\n\0\r\n UTF8 (~{2}\r\nhi)\r\n');
    assert.deepEqual(c.name === 'APPEND' && c.messages, [
      { flags: ['\\Draft'], internalDate: null, data: Buffer.from('\0\r\n'), binary: true, utf8: false },
      { flags: [], internalDate: null, data: Buffer.from('hi'), binary: true, utf8: true },
    ]);
  });

  badTable([
    'a APPEND\r\n', 'a APPEND x\r\n', 'a APPEND x "message as quoted"\r\n', 'a APPEND x (\\Seen)\r\n',
    'a APPEND x "7-Feb-1994 21:52:25 -0800" {1}\r\nx\r\n', 'a APPEND x "31-Feb-1994 21:52:25 -0800" {1}\r\nx\r\n',
    'a APPEND x " 7-Feb-1994 24:00:00 -0800" {1}\r\nx\r\n', 'a APPEND x " 7-Feb-94 21:52:25 -0800" {1}\r\nx\r\n',
    'a APPEND x " 7-Feb-1994 21:52:25 PST" {1}\r\nx\r\n', 'a APPEND x (\\Seen) (\\Seen) {1}\r\nx\r\n',
    'a APPEND x UTF8 ({1}\r\nx)\r\n', 'a APPEND x UTF8 (~{1}\r\nx ~{1}\r\ny)\r\n', 'a APPEND x {1}\r\nx extra\r\n',
  ]);
});

describe('LIST, LSUB, STATUS (RFC 9051 §6.3.9–§6.3.11, RFC 5258, RFC 5819, RFC 6154, RFC 8438)', () => {
  const base = { subscribed: false, remote: false, recursiveMatch: false, specialUse: false };
  const ret = { subscribed: false, children: false, specialUse: false, status: null };
  table([
    ['A101 LIST "" ""\r\n', { name: 'LIST', extended: false, selection: base, reference: mbox(''), patterns: [mbox('')], returns: ret }],
    ['A102 LIST #news.comp.mail.misc ""\r\n', { name: 'LIST', extended: false, selection: base, reference: mbox('#news.comp.mail.misc'), patterns: [mbox('')], returns: ret }],
    ['A202 LIST ~/Mail/ %\r\n', { name: 'LIST', extended: false, selection: base, reference: mbox('~/Mail/'), patterns: [mbox('%')], returns: ret }],
    // RFC 5258 §5 examples.
    ['A02 LIST (SUBSCRIBED) "" "*"\r\n', { name: 'LIST', extended: true, selection: { ...base, subscribed: true }, reference: mbox(''), patterns: [mbox('*')], returns: ret }],
    ['A03 LIST () "" "%" RETURN (CHILDREN)\r\n', { name: 'LIST', extended: true, selection: base, reference: mbox(''), patterns: [mbox('%')], returns: { ...ret, children: true } }],
    ['A04 LIST (REMOTE) "" "%" RETURN (CHILDREN)\r\n', { name: 'LIST', extended: true, selection: { ...base, remote: true }, reference: mbox(''), patterns: [mbox('%')], returns: { ...ret, children: true } }],
    ['A05 LIST (REMOTE SUBSCRIBED) "/" "*"\r\n', { name: 'LIST', extended: true, selection: { ...base, remote: true, subscribed: true }, reference: mbox('/'), patterns: [mbox('*')], returns: ret }],
    ['A06 LIST (SUBSCRIBED RECURSIVEMATCH) "" "%" RETURN (CHILDREN)\r\n', {
      name: 'LIST', extended: true, selection: { ...base, subscribed: true, recursiveMatch: true }, reference: mbox(''), patterns: [mbox('%')], returns: { ...ret, children: true },
    }],
    ['BBB LIST "" ("INBOX" "Drafts" "Sent/%")\r\n', { name: 'LIST', extended: true, selection: base, reference: mbox(''), patterns: [mbox('INBOX'), mbox('Drafts'), mbox('Sent/%')], returns: ret }],
    // RFC 5819 §5 and RFC 6154 §5.1.
    ['A01 LIST "" % RETURN (STATUS (MESSAGES UNSEEN))\r\n', { name: 'LIST', extended: true, selection: base, reference: mbox(''), patterns: [mbox('%')], returns: { ...ret, status: ['MESSAGES', 'UNSEEN'] } }],
    ['t1 LIST "" "%" RETURN (SPECIAL-USE)\r\n', { name: 'LIST', extended: true, selection: base, reference: mbox(''), patterns: [mbox('%')], returns: { ...ret, specialUse: true } }],
    ['t3 LIST (SPECIAL-USE) "" "*"\r\n', { name: 'LIST', extended: true, selection: { ...base, specialUse: true }, reference: mbox(''), patterns: [mbox('*')], returns: ret }],
    // NIL is an astring / list-mailbox here, not "nothing" (RFC 9051 §4.5; imaptest's "nil" group).
    ['a list "" NIL\r\n', { name: 'LIST', extended: false, selection: base, reference: mbox(''), patterns: [mbox('NIL')], returns: ret }],
    ['A002 LSUB "#news." "comp.mail.*"\r\n', { name: 'LSUB', reference: mbox('#news.'), pattern: mbox('comp.mail.*') }],
    ['A042 STATUS blurdybloop (UIDNEXT MESSAGES)\r\n', { name: 'STATUS', mailbox: mbox('blurdybloop'), items: ['UIDNEXT', 'MESSAGES'] }],
    ['a STATUS INBOX (messages uidnext uidvalidity unseen deleted size recent highestmodseq)\r\n', {
      name: 'STATUS', mailbox: mbox('INBOX'), items: ['MESSAGES', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'DELETED', 'SIZE', 'RECENT', 'HIGHESTMODSEQ'],
    }],
  ]);
  badTable([
    'a LIST\r\n', 'a LIST ""\r\n', 'a LIST "" % x\r\n', 'a LIST (FOO) "" %\r\n', 'a LIST (RECURSIVEMATCH) "" %\r\n',
    'a LIST "" ()\r\n', 'a LIST "" % RETURN\r\n', 'a LIST "" % RETURN (FOO)\r\n', 'a LIST "" % RETURN (STATUS ())\r\n',
    'a LIST "" % RETURN (STATUS (BOGUS))\r\n', 'a LIST "" % RETURN (STATUS (MESSAGES) STATUS (UNSEEN))\r\n',
    'a LSUB ""\r\n', 'a LSUB "" % %\r\n', 'a STATUS INBOX\r\n', 'a STATUS INBOX ()\r\n', 'a STATUS INBOX (FOO)\r\n',
    'a STATUS INBOX MESSAGES\r\n',
  ]);
});

describe('COPY, MOVE, EXPUNGE and UID variants (RFC 9051 §6.4.7–§6.4.9, RFC 6851, RFC 4315)', () => {
  table([
    ['A003 COPY 2:4 MEETING\r\n', { name: 'COPY', uid: false, sequence: seq([2, 4]), mailbox: mbox('MEETING') }],
    ['a UID COPY 4827313:4828442 "Other Folder"\r\n', { name: 'COPY', uid: true, sequence: seq([4827313, 4828442]), mailbox: mbox('Other Folder') }],
    ['a MOVE 1:3 Trash\r\n', { name: 'MOVE', uid: false, sequence: seq([1, 3]), mailbox: mbox('Trash') }],
    ['a uid move 42 foo\r\n', { name: 'MOVE', uid: true, sequence: seq([42, 42]), mailbox: mbox('foo') }],
    ['a MOVE $ Trash\r\n', { name: 'MOVE', uid: false, sequence: { kind: 'saved' }, mailbox: mbox('Trash') }],
    ['A004 UID EXPUNGE 3000:3002\r\n', { name: 'EXPUNGE', uid: true, sequence: seq([3000, 3002]) }],
  ]);
  badTable([
    'a COPY 2:4\r\n', 'a COPY x INBOX\r\n', 'a COPY 0 INBOX\r\n', 'a COPY 1:4294967296 INBOX\r\n', 'a COPY 1,,2 INBOX\r\n',
    'a MOVE 1: INBOX\r\n', 'a UID EXPUNGE\r\n', 'a EXPUNGE 1\r\n', 'a UID EXPUNGE 1 2\r\n',
  ]);
});

describe('GETQUOTA, GETQUOTAROOT, SETQUOTA (RFC 9208 §4)', () => {
  table([
    ['G0001 GETQUOTA "!partition/sda4"\r\n', { name: 'GETQUOTA', root: '!partition/sda4' }],
    ['A003 GETQUOTAROOT INBOX\r\n', { name: 'GETQUOTAROOT', mailbox: mbox('INBOX') }],
    ['S0000 SETQUOTA "User quota" (STORAGE 510)\r\n', { name: 'SETQUOTA', root: 'User quota', limits: [{ resource: 'STORAGE', limit: 510 }] }],
    ['S0001 SETQUOTA "" (storage 1 MESSAGE 2)\r\n', { name: 'SETQUOTA', root: '', limits: [{ resource: 'STORAGE', limit: 1 }, { resource: 'MESSAGE', limit: 2 }] }],
    ['S0002 SETQUOTA "" ()\r\n', { name: 'SETQUOTA', root: '', limits: [] }],
  ]);
  badTable(['a GETQUOTA\r\n', 'a GETQUOTAROOT\r\n', 'a SETQUOTA "" (STORAGE)\r\n', 'a SETQUOTA "" (STORAGE x)\r\n', 'a SETQUOTA ""\r\n']);
});

describe('parseCommand never throws on client input', () => {
  it('returns typed errors for token trees the reader can produce', () => {
    const trees: RawCommand[] = [
      { tag: 'a', name: 'FETCH', args: [{ type: 'list', items: [] }], size: 1 },
      { tag: 'a', name: 'SEARCH', args: [{ type: 'section', name: 'BODY', items: [], partial: null }], size: 1 },
      { tag: 'a', name: 'LOGIN', args: [{ type: 'section', name: 'BODY', items: [], partial: null }, { type: 'atom', value: 'x' }], size: 1 },
      { tag: 'a', name: 'UID', args: [{ type: 'list', items: [] }], size: 1 },
      { tag: 'a', name: 'STORE', args: [{ type: 'atom', value: '1' }, { type: 'atom', value: 'FLAGS' }], size: 1 },
    ];
    for (const raw of trees) {
      const res = parseCommand(raw);
      assert.equal(res.ok, false);
      assert.equal(!res.ok && res.error.kind, 'bad');
    }
  });

  it('keeps the tag with the error', () => {
    const res = parse('x17 LOGIN\r\n');
    assert.deepEqual(res, { ok: false, tag: 'x17', error: { kind: 'bad', code: null, text: 'Missing user name' } });
  });
});
