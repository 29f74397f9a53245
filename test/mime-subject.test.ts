// RFC 5256 §2.1 base subject: table of subject → base subject, worked out from the algorithm's
// steps (comments say which step does the work).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseSubject, parseMessage } from '../src/wire/mime/index.ts';

const table: [string, string][] = [
  ['Hello', 'Hello'],
  ['Re: [list] Fwd: Hello (fwd)', 'Hello'], // (2) trailer, (3) leaders with a blob between
  ['Re: Re: re: RE: hi', 'hi'], // (3) repeated, any case
  ['Fw: FWD: fwd: x', 'x'],
  ['Re[2]: answer', 'answer'], // blob inside subj-refwd
  ['Re : spaced', 'spaced'], // *WSP before ":"
  ['[PATCH] Re: [x] foo', 'foo'], // (3) then (4) removes the leading blob
  ['[only blob]', '[only blob]'], // (4) keeps a blob when nothing would remain
  ['[a] [b]', '[b]'],
  ['[fwd: Re: wrapped]', 'wrapped'], // (6) unwrap, then again from (2)
  ['[Fwd: [Fwd: twice]]', 'twice'],
  ['Subject (fwd) (FWD)', 'Subject'], // (2) repeatedly
  ['  lots   of\t\twhitespace  ', 'lots of whitespace'], // (1) collapse
  ['Re:', ''],
  ['', ''],
  ['Reply to this', 'Reply to this'], // "Re" not followed by ":" is not a leader
  ['Fwd:Fwd:  [a] [b] c', 'c'],
  ['Re: Re[3]: [list] Re: Fw: Fwd: deep (fwd)', 'deep'],
  ['Re: (fwd)', ''],
];

test('base subject table (RFC 5256 §2.1)', () => {
  for (const [input, expected] of table) assert.equal(baseSubject(input), expected, JSON.stringify(input));
});

test('base subject of an encoded subject uses the decoded text', () => {
  const msg = parseMessage(Buffer.from('Subject: =?UTF-8?Q?Re=3A_Fwd=3A_=C3=9Cbersicht?= (fwd)\r\n\r\n'));
  assert.equal(msg.summary.subject, 'Re: Fwd: Übersicht (fwd)');
  assert.equal(msg.summary.baseSubject, 'Übersicht');
});

test('a hostile subject of nested blobs finishes', () => {
  const s = '[a]'.repeat(100_000) + ' end';
  assert.equal(typeof baseSubject(s), 'string');
});
