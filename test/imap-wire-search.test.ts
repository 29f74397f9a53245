// SEARCH (RFC 9051 §6.4.4, RFC 4731, RFC 5182, RFC 7162 §3.1.5), SORT and THREAD (RFC 5256).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { usesSavedResult, type Command, type SearchKey } from '../src/wire/imap/index.ts';
import { parseBad, parseOk, seq } from './imap-wire-helpers.ts';

type Search = Extract<Command, { name: 'SEARCH' }>;

function search(wire: string): Search {
  const c = parseOk(wire);
  assert.equal(c.name, 'SEARCH');
  return c as Search;
}

const flag = (f: string, set = true): SearchKey => ({ type: 'flag', flag: f, set });
const date = (year: number, month: number, day: number) => ({ year, month, day });

describe('SEARCH keys, one by one (RFC 9051 §6.4.4)', () => {
  const rows: [string, SearchKey][] = [
    ['ALL', { type: 'all' }],
    ['ANSWERED', flag('\\Answered')],
    ['BCC "x@y"', { type: 'header', field: 'bcc', value: 'x@y' }],
    ['BEFORE 1-Feb-1994', { type: 'internaldate', op: 'before', date: date(1994, 2, 1) }],
    ['BODY hello', { type: 'body', value: 'hello' }],
    ['CC {3}\r\nabc', { type: 'header', field: 'cc', value: 'abc' }],
    ['DELETED', flag('\\Deleted')],
    ['DRAFT', flag('\\Draft')],
    ['FLAGGED', flag('\\Flagged')],
    ['FROM Smith', { type: 'header', field: 'from', value: 'Smith' }],
    ['HEADER Message-ID "<x@y>"', { type: 'header', field: 'message-id', value: '<x@y>' }],
    ['HEADER X-Spam ""', { type: 'header', field: 'x-spam', value: '' }],
    ['KEYWORD $Forwarded', flag('$Forwarded')],
    ['LARGER 50000', { type: 'size', op: 'larger', size: 50000 }],
    ['NOT SEEN', { type: 'not', key: flag('\\Seen') }],
    ['ON "28-Feb-2000"', { type: 'internaldate', op: 'on', date: date(2000, 2, 28) }],
    ['OR SEEN FLAGGED', { type: 'or', left: flag('\\Seen'), right: flag('\\Flagged') }],
    ['SEEN', flag('\\Seen')],
    ['SENTBEFORE 29-Feb-2000', { type: 'sentdate', op: 'before', date: date(2000, 2, 29) }],
    ['SENTON 1-jan-2001', { type: 'sentdate', op: 'on', date: date(2001, 1, 1) }],
    ['SENTSINCE 31-Dec-1999', { type: 'sentdate', op: 'since', date: date(1999, 12, 31) }],
    ['SINCE 01-Feb-1994', { type: 'internaldate', op: 'since', date: date(1994, 2, 1) }],
    ['SMALLER 0', { type: 'size', op: 'smaller', size: 0 }],
    ['SUBJECT "hello world"', { type: 'header', field: 'subject', value: 'hello world' }],
    ['TEXT "string not in mailbox"', { type: 'text', value: 'string not in mailbox' }],
    ['TO bob', { type: 'header', field: 'to', value: 'bob' }],
    ['subject NIL', { type: 'header', field: 'subject', value: 'NIL' }],
    ['UID 1:*', { type: 'uid', set: seq([1, '*']) }],
    ['UID $', { type: 'uid', set: { kind: 'saved' } }],
    ['UNANSWERED', flag('\\Answered', false)],
    ['UNDELETED', flag('\\Deleted', false)],
    ['UNDRAFT', flag('\\Draft', false)],
    ['UNFLAGGED', flag('\\Flagged', false)],
    ['UNKEYWORD $Junk', flag('$Junk', false)],
    ['UNSEEN', flag('\\Seen', false)],
    ['2:4,7', { type: 'sequence', set: seq([2, 4], [7, 7]) }],
    ['$', { type: 'sequence', set: { kind: 'saved' } }],
    ['*', { type: 'sequence', set: seq(['*', '*']) }],
    // RFC 3501 keys.
    ['RECENT', flag('\\Recent')],
    ['OLD', flag('\\Recent', false)],
    ['NEW', { type: 'and', keys: [flag('\\Recent'), flag('\\Seen', false)] }],
    // RFC 7162 §3.1.5.
    ['MODSEQ 720162338', { type: 'modseq', modseq: 720162338, entry: null }],
    ['MODSEQ "/flags/\\\\draft" all 620162338', { type: 'modseq', modseq: 620162338, entry: { name: '/flags/\\draft', kind: 'all' } }],
    ['(SEEN FLAGGED)', { type: 'and', keys: [flag('\\Seen'), flag('\\Flagged')] }],
    ['(SEEN)', flag('\\Seen')],
    ['OR (SEEN DRAFT) NOT (FLAGGED)', { type: 'or', left: { type: 'and', keys: [flag('\\Seen'), flag('\\Draft')] }, right: { type: 'not', key: flag('\\Flagged') } }],
  ];
  for (const [keys, expected] of rows) {
    it(keys, () => assert.deepEqual(search(`a SEARCH ${keys}\r\n`).criteria, expected));
  }
});

describe('SEARCH commands from the RFCs', () => {
  it('RFC 9051 §6.4.4: RETURN (MIN COUNT), several keys AND together', () => {
    assert.deepEqual(search('A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"\r\n'), {
      name: 'SEARCH', uid: false, charset: null,
      returns: { min: true, max: false, all: false, count: true, save: false },
      criteria: { type: 'and', keys: [flag('\\Flagged'), { type: 'internaldate', op: 'since', date: date(1994, 2, 1) }, { type: 'not', key: { type: 'header', field: 'from', value: 'Smith' } }] },
    });
  });

  it('RETURN () means ALL (RFC 4731 §3); no RETURN means a plain SEARCH response', () => {
    assert.deepEqual(search('A283 SEARCH RETURN () FLAGGED\r\n').returns, { min: false, max: false, all: true, count: false, save: false });
    assert.equal(search('A283 SEARCH FLAGGED\r\n').returns, null);
    assert.deepEqual(search('a UID SEARCH RETURN (MIN MAX) 1:5000\r\n').returns, { min: true, max: true, all: false, count: false, save: false });
  });

  it('RFC 5182: RETURN (SAVE) and "$" afterwards', () => {
    const c = search('A301 UID SEARCH RETURN (SAVE) SINCE 19-Mar-2007 NOT SEEN\r\n');
    assert.equal(c.uid, true);
    assert.deepEqual(c.returns, { min: false, max: false, all: false, count: false, save: true });
    assert.equal(usesSavedResult(c.criteria), false);
    assert.equal(usesSavedResult(search('a SEARCH OR SEEN NOT UID $\r\n').criteria), true);
  });

  it('CHARSET UTF-8 with a literal (RFC 9051 §6.4.4 example)', () => {
    const c = search('A285 SEARCH CHARSET UTF-8 TEXT {12}\r\n\xd0\xa4\xd0\xab\xd0\x92\xd0\xa4\xd0\xab\xd0\x92\r\n');
    assert.equal(c.charset, 'UTF-8');
    assert.deepEqual(c.criteria, { type: 'text', value: 'ФЫВФЫВ' });
  });

  it('CHARSET ISO-8859-1 decodes the bytes with that charset', () => {
    assert.deepEqual(search('a SEARCH CHARSET ISO-8859-1 SUBJECT "caf\xe9"\r\n').criteria, { type: 'header', field: 'subject', value: 'café' });
  });

  it('an unknown charset is NO [BADCHARSET], not BAD', () => {
    assert.deepEqual(parseBad('a SEARCH CHARSET X-MARTIAN SUBJECT x\r\n'), {
      kind: 'no', code: 'BADCHARSET (UTF-8 US-ASCII)', text: 'Unsupported charset X-MARTIAN',
    });
  });

  const bad = [
    'a SEARCH\r\n', 'a SEARCH RETURN (MIN)\r\n', 'a SEARCH RETURN (FOO) ALL\r\n', 'a SEARCH CHARSET\r\n', 'a SEARCH FOO\r\n',
    'a SEARCH FROM\r\n', 'a SEARCH NOT\r\n', 'a SEARCH OR SEEN\r\n', 'a SEARCH ()\r\n', 'a SEARCH BEFORE 30-Feb-2000\r\n',
    'a SEARCH BEFORE 1-Foo-2000\r\n', 'a SEARCH BEFORE 1-Feb-94\r\n', 'a SEARCH BEFORE 001-Feb-1994\r\n', 'a SEARCH ON 0-Jan-2000\r\n',
    'a SEARCH LARGER x\r\n', 'a SEARCH LARGER -1\r\n', 'a SEARCH LARGER 4294967296\r\n', 'a SEARCH UID x\r\n',
    'a SEARCH KEYWORD \\Seen\r\n', 'a SEARCH HEADER "a:b" x\r\n', 'a SEARCH HEADER "" x\r\n', 'a SEARCH 0\r\n', 'a SEARCH 1:2:3\r\n',
    'a SEARCH MODSEQ\r\n', 'a SEARCH MODSEQ x\r\n', 'a SEARCH MODSEQ "/flags/\\\\Seen" 5\r\n', 'a SEARCH MODSEQ "/x" all 5\r\n',
    'a SEARCH MODSEQ "/flags/\\\\Seen" mine 5\r\n', 'a SEARCH BODY (x)\r\n', 'a SEARCH $,1\r\n',
    'a SEARCH ' + 'NOT '.repeat(200) + 'ALL\r\n', 'a SEARCH ' + 'OR ALL '.repeat(150) + 'ALL\r\n',
  ];
  for (const wire of bad) it(`refuses ${JSON.stringify(wire.slice(0, 60))}`, () => assert.equal(parseBad(wire).kind, 'bad'));

  it('deep but legal nesting is accepted', () => {
    const c = search('a SEARCH ' + 'NOT '.repeat(50) + 'ALL\r\n');
    let k: SearchKey = c.criteria;
    let depth = 0;
    while (k.type === 'not') {
      k = k.key;
      depth++;
    }
    assert.equal(depth, 50);
  });
});

describe('SORT and THREAD (RFC 5256)', () => {
  it('RFC 5256 §3 examples', () => {
    assert.deepEqual(parseOk('A282 SORT (SUBJECT) UTF-8 SINCE 1-Feb-1994\r\n'), {
      name: 'SORT', uid: false, criteria: [{ key: 'SUBJECT', reverse: false }], charset: 'UTF-8',
      search: { type: 'internaldate', op: 'since', date: date(1994, 2, 1) },
    });
    assert.deepEqual(parseOk('A283 SORT (SUBJECT REVERSE DATE) UTF-8 ALL\r\n'), {
      name: 'SORT', uid: false, criteria: [{ key: 'SUBJECT', reverse: false }, { key: 'DATE', reverse: true }], charset: 'UTF-8', search: { type: 'all' },
    });
    assert.deepEqual(parseOk('A284 UID SORT (reverse arrival size cc from to displayfrom displayto) US-ASCII TEXT "not in mailbox"\r\n'), {
      name: 'SORT', uid: true, charset: 'US-ASCII', search: { type: 'text', value: 'not in mailbox' },
      criteria: [
        { key: 'ARRIVAL', reverse: true }, { key: 'SIZE', reverse: false }, { key: 'CC', reverse: false }, { key: 'FROM', reverse: false },
        { key: 'TO', reverse: false }, { key: 'DISPLAYFROM', reverse: false }, { key: 'DISPLAYTO', reverse: false },
      ],
    });
    assert.deepEqual(parseOk('A283 THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000\r\n'), {
      name: 'THREAD', uid: false, algorithm: 'ORDEREDSUBJECT', charset: 'UTF-8', search: { type: 'internaldate', op: 'since', date: date(2000, 3, 5) },
    });
    assert.deepEqual(parseOk('A284 UID THREAD references US-ASCII TEXT "gewp"\r\n'), {
      name: 'THREAD', uid: true, algorithm: 'REFERENCES', charset: 'US-ASCII', search: { type: 'text', value: 'gewp' },
    });
  });

  const bad = [
    'a SORT () UTF-8 ALL\r\n', 'a SORT (REVERSE) UTF-8 ALL\r\n', 'a SORT (FOO) UTF-8 ALL\r\n', 'a SORT (DATE) ALL\r\n',
    'a SORT DATE UTF-8 ALL\r\n', 'a SORT (DATE) UTF-8\r\n', 'a THREAD FOO UTF-8 ALL\r\n', 'a THREAD REFERENCES UTF-8\r\n', 'a THREAD\r\n',
  ];
  for (const wire of bad) it(`refuses ${JSON.stringify(wire)}`, () => assert.equal(parseBad(wire).kind, 'bad'));
  it('unknown charset → NO [BADCHARSET]', () => {
    assert.equal(parseBad('a SORT (DATE) KOI9-X ALL\r\n').kind, 'no');
    assert.equal(parseBad('a THREAD REFS KOI9-X ALL\r\n').code, 'BADCHARSET (UTF-8 US-ASCII)');
  });
});
