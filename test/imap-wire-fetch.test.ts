// FETCH and STORE arguments (RFC 9051 §6.4.5–§6.4.6, RFC 3516, RFC 7162) and sequence sets.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compressSequence, fetchItemLabel, fetchSetsSeen, formatSequenceSet, intervalsContain, parseSequenceSet,
  resolveSequenceSet, type Command, type FetchItem,
} from '../src/wire/imap/index.ts';
import { parseBad, parseOk, seq } from './imap-wire-helpers.ts';

function fetch(wire: string): Extract<Command, { name: 'FETCH' }> {
  const c = parseOk(wire);
  assert.equal(c.name, 'FETCH');
  return c as Extract<Command, { name: 'FETCH' }>;
}

const body = (part: number[], text: string | null, fields: string[] = [], peek = false, partial: { offset: number; length: number } | null = null): FetchItem =>
  ({ type: 'BODY[]', peek, section: { part, text, fields }, partial }) as FetchItem;

describe('FETCH attributes', () => {
  const rows: [string, FetchItem[]][] = [
    ['A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\r\n', [{ type: 'FLAGS' }, body([], 'HEADER.FIELDS', ['DATE', 'FROM'])]],
    ['a003 fetch 12 full\r\n', ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'].map((type) => ({ type }) as FetchItem)],
    ['a fetch 12 all\r\n', ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'].map((type) => ({ type }) as FetchItem)],
    ['a FETCH 12 FAST\r\n', ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'].map((type) => ({ type }) as FetchItem)],
    ['a004 fetch 12 body[header]\r\n', [body([], 'HEADER')]],
    ['a FETCH 1 BODY[]\r\n', [body([], null)]],
    ['a FETCH 1 (BODY.PEEK[TEXT]<0.2048>)\r\n', [body([], 'TEXT', [], true, { offset: 0, length: 2048 })]],
    ['a FETCH 1 (BODY[1.2.MIME] BODY[4.2.2.1.TEXT] BODY[3])\r\n', [body([1, 2], 'MIME'), body([4, 2, 2, 1], 'TEXT'), body([3], null)]],
    ['a FETCH 1 BODY.PEEK[2.HEADER.FIELDS.NOT (Received "X-Spam")]\r\n', [body([2], 'HEADER.FIELDS.NOT', ['Received', 'X-Spam'], true)]],
    ['a FETCH 1 (ENVELOPE INTERNALDATE RFC822 RFC822.HEADER RFC822.TEXT RFC822.SIZE UID BODYSTRUCTURE BODY MODSEQ)\r\n',
      ['ENVELOPE', 'INTERNALDATE', 'RFC822', 'RFC822.HEADER', 'RFC822.TEXT', 'RFC822.SIZE', 'UID', 'BODYSTRUCTURE', 'BODY', 'MODSEQ'].map((type) => ({ type }) as FetchItem)],
    // RFC 3516 §4.2.
    ['a FETCH 1 (BINARY.PEEK[1]<0.1024> BINARY[] BINARY.SIZE[2.1])\r\n', [
      { type: 'BINARY[]', peek: true, part: [1], partial: { offset: 0, length: 1024 } },
      { type: 'BINARY[]', peek: false, part: [], partial: null },
      { type: 'BINARY.SIZE', part: [2, 1] },
    ]],
  ];
  for (const [wire, items] of rows) {
    it(JSON.stringify(wire), () => assert.deepEqual(fetch(wire).items, items));
  }

  it('sequence sets, including "*:4" and "$"', () => {
    assert.deepEqual(fetch('a FETCH *:4 FLAGS\r\n').sequence, seq(['*', 4]));
    assert.deepEqual(fetch('a FETCH 1:3,5,7:* FLAGS\r\n').sequence, seq([1, 3], [5, 5], [7, '*']));
    assert.deepEqual(fetch('a FETCH $ FLAGS\r\n').sequence, { kind: 'saved' });
  });

  it('CHANGEDSINCE and VANISHED modifiers (RFC 7162 §3.1.4.1, §3.2.6)', () => {
    const c1 = parseOk('s100 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)\r\n');
    assert.deepEqual(c1, { name: 'FETCH', uid: true, sequence: seq([1, '*']), items: [{ type: 'FLAGS' }], changedSince: 12345, vanished: false });
    const c2 = parseOk('s100 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n');
    assert.deepEqual(c2, { name: 'FETCH', uid: true, sequence: seq([300, 500]), items: [{ type: 'FLAGS' }], changedSince: 12345, vanished: true });
    assert.equal(fetch('a FETCH 1 FLAGS (CHANGEDSINCE 0)\r\n').changedSince, 0);
  });

  const bad = [
    'a FETCH\r\n', 'a FETCH 1\r\n', 'a FETCH 1 ()\r\n', 'a FETCH 1 (ALL)\r\n', 'a FETCH 1 (FLAGS FAST)\r\n', 'a FETCH 1 FOO\r\n',
    'a FETCH 1 FLAGS extra\r\n', 'a FETCH 1 "FLAGS"\r\n', 'a FETCH 0 FLAGS\r\n', 'a FETCH 1:0 FLAGS\r\n', 'a FETCH -1 FLAGS\r\n',
    'a FETCH 1 BODY[HEADER.FIELDS]\r\n', 'a FETCH 1 BODY[HEADER.FIELDS ()]\r\n', 'a FETCH 1 BODY[HEADER.FIELDS (a:b)]\r\n',
    'a FETCH 1 BODY[0]\r\n', 'a FETCH 1 BODY[01]\r\n', 'a FETCH 1 BODY[MIME]\r\n', 'a FETCH 1 BODY[1.FOO]\r\n',
    'a FETCH 1 BODY[TEXT TEXT]\r\n', 'a FETCH 1 BODY[HEADER (x)]\r\n', 'a FETCH 1 BODY[]<0>\r\n', 'a FETCH 1 BODY[]<0.0>\r\n',
    'a FETCH 1 BINARY[HEADER]\r\n', 'a FETCH 1 BINARY[1.MIME]\r\n', 'a FETCH 1 BINARY.SIZE[1]<0.1>\r\n', 'a FETCH 1 BINARY[1 2]\r\n',
    'a FETCH 1 (FLAGS) (VANISHED)\r\n', 'a FETCH 1 (FLAGS) (CHANGEDSINCE 1 VANISHED)\r\n', 'a UID FETCH 1 (FLAGS) (VANISHED)\r\n',
    'a FETCH 1 (FLAGS) (CHANGEDSINCE x)\r\n', 'a FETCH 1 (FLAGS) ()\r\n', 'a FETCH 1 (FLAGS) (FOO 1)\r\n',
    'a FETCH 1 (FLAGS) (CHANGEDSINCE 1 CHANGEDSINCE 2)\r\n', 'a FETCH 1 (FLAGS) (CHANGEDSINCE 99999999999999999999)\r\n',
    `a FETCH 1 BODY[${Array(101).fill('1').join('.')}]\r\n`,
  ];
  for (const wire of bad) it(`refuses ${JSON.stringify(wire.slice(0, 60))}`, () => assert.equal(parseBad(wire).kind, 'bad'));
});

describe('FETCH helpers', () => {
  it('fetchSetsSeen: BODY[], BINARY[], RFC822 and RFC822.TEXT set \\Seen; PEEK and the rest do not', () => {
    assert.equal(fetchSetsSeen(fetch('a FETCH 1 (FLAGS BODY.PEEK[] BINARY.PEEK[1] RFC822.HEADER RFC822.SIZE)\r\n').items), false);
    for (const att of ['BODY[]', 'BODY[1.TEXT]', 'BINARY[1]', 'RFC822', 'RFC822.TEXT']) {
      assert.equal(fetchSetsSeen(fetch(`a FETCH 1 (FLAGS ${att})\r\n`).items), true, att);
    }
  });

  it('fetchItemLabel: BODY.PEEK answers as BODY, partials with their origin only', () => {
    const items = fetch('a FETCH 1 (BODY.PEEK[HEADER.FIELDS (From To)]<10.20> BODY[1.2] BINARY.PEEK[1]<0.5> BINARY.SIZE[] UID)\r\n').items;
    assert.deepEqual(items.map(fetchItemLabel), ['BODY[HEADER.FIELDS (From To)]<10>', 'BODY[1.2]', 'BINARY[1]<0>', 'BINARY.SIZE[]', 'UID']);
    const odd = fetch('a FETCH 1 BODY[HEADER.FIELDS ("X(1)" "A\\\\B" X-Ok)]\r\n').items;
    assert.deepEqual(odd.map(fetchItemLabel), ['BODY[HEADER.FIELDS ("X(1)" "A\\\\B" X-Ok)]']);
  });
});

describe('STORE (RFC 9051 §6.4.6, RFC 7162 §3.1.3)', () => {
  const rows: [string, Command][] = [
    ['A003 STORE 2:4 +FLAGS (\\Deleted)\r\n', { name: 'STORE', uid: false, sequence: seq([2, 4]), operation: 'add', silent: false, flags: ['\\Deleted'], unchangedSince: null }],
    ['a STORE 1 FLAGS.SILENT (\\Seen $Label1)\r\n', { name: 'STORE', uid: false, sequence: seq([1, 1]), operation: 'replace', silent: true, flags: ['\\Seen', '$Label1'], unchangedSince: null }],
    ['a STORE 1 -flags \\Seen \\Flagged\r\n', { name: 'STORE', uid: false, sequence: seq([1, 1]), operation: 'remove', silent: false, flags: ['\\Seen', '\\Flagged'], unchangedSince: null }],
    ['a STORE 1 FLAGS ()\r\n', { name: 'STORE', uid: false, sequence: seq([1, 1]), operation: 'replace', silent: false, flags: [], unchangedSince: null }],
    ['d105 STORE 7,5,9 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\\Deleted)\r\n', {
      name: 'STORE', uid: false, sequence: seq([7, 7], [5, 5], [9, 9]), operation: 'add', silent: true, flags: ['\\Deleted'], unchangedSince: 320162338,
    }],
    ['a UID STORE 1:* (UNCHANGEDSINCE 0) -FLAGS.SILENT ($Junk)\r\n', {
      name: 'STORE', uid: true, sequence: seq([1, '*']), operation: 'remove', silent: true, flags: ['$Junk'], unchangedSince: 0,
    }],
  ];
  for (const [wire, expected] of rows) it(JSON.stringify(wire), () => assert.deepEqual(parseOk(wire), expected));

  const bad = [
    'a STORE 1 +FLAGS\r\n', 'a STORE 1 FLAGZ (\\Seen)\r\n', 'a STORE 1 *FLAGS (\\Seen)\r\n', 'a STORE 1 +FLAGS.LOUD (\\Seen)\r\n',
    'a STORE 1 (UNCHANGEDSINCE) FLAGS ()\r\n', 'a STORE 1 (UNCHANGEDSINCE 1 2) FLAGS ()\r\n', 'a STORE 1 (FOO 1) FLAGS ()\r\n',
    'a STORE 1 FLAGS (\\Seen) x y\r\n'.replace('x y', '(x)'), 'a STORE 1 FLAGS (\\Se]en)\r\n', 'a STORE 1 FLAGS (\\)\r\n',
    'a STORE 1 FLAGS ("\\\\Seen")\r\n', 'a STORE 1 FLAGS (%)\r\n', 'a STORE FLAGS (\\Seen)\r\n',
  ];
  for (const wire of bad) it(`refuses ${JSON.stringify(wire)}`, () => assert.equal(parseBad(wire).kind, 'bad'));
});

describe('sequence sets (RFC 9051 §9, RFC 5182)', () => {
  it('parses and formats', () => {
    for (const text of ['1', '1:3,5,7:*', '*', '*:4', '4294967295', '2,1']) {
      const set = parseSequenceSet(text);
      assert.ok(set, text);
      assert.equal(formatSequenceSet(set), text);
    }
    assert.deepEqual(parseSequenceSet('$'), { kind: 'saved' });
    assert.equal(parseSequenceSet('$', false), null);
    for (const bad of ['', '0', '1:0', '01', '4294967296', '1,', ',1', '1::2', '1:2:3', 'a', '1-2', '$,1', '**', ' 1']) {
      assert.equal(parseSequenceSet(bad), null, bad);
    }
  });

  it('resolves "*", swaps reversed ends and merges overlaps', () => {
    const set = parseSequenceSet('*:4,2,3,10:12,11') as { kind: 'set'; ranges: [] };
    assert.deepEqual(resolveSequenceSet(set, 8), [[2, 8], [10, 12]]);
    assert.deepEqual(resolveSequenceSet(parseSequenceSet('1:*') as { kind: 'set'; ranges: [] }, 0), [[1, 1]]);
    assert.deepEqual(resolveSequenceSet(parseSequenceSet('*') as { kind: 'set'; ranges: [] }, 0), []);
    const big = resolveSequenceSet(parseSequenceSet('1:4294967295') as { kind: 'set'; ranges: [] }, 5);
    assert.deepEqual(big, [[1, 4294967295]], 'a huge range stays one interval');
    assert.equal(intervalsContain(big, 4000000000), true);
    assert.equal(intervalsContain([[2, 8], [10, 12]], 9), false);
    assert.equal(intervalsContain([[2, 8], [10, 12]], 12), true);
  });

  it('compresses numbers in the given order (COPYUID pairs) ', () => {
    assert.equal(compressSequence([1, 2, 3, 5, 7, 8, 9]), '1:3,5,7:9');
    assert.equal(compressSequence([304, 319, 320]), '304,319:320');
    assert.equal(compressSequence([5, 4, 3]), '5,4,3');
    assert.equal(compressSequence([]), '');
    assert.equal(compressSequence([42]), '42');
  });
});
