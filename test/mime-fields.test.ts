// Table tests for the building blocks: header splitting and unfolding, structured values with
// RFC 2231 parameters, RFC 2047 encoded words, transfer decoding, charsets, dates, message ids
// and section lookup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import {
  parseHeaderBlock, findHeaderEnd, parseStructured, decodeHeaderValue, decodeQuotedPrintable, decodeBase64,
  decodeCharset, parseDate, messageIds, parseMessage, findPart,
} from '../src/wire/mime/index.ts';

test('parseHeaderBlock: order, unfolding, offsets, stops at the blank line', () => {
  const raw = Buffer.from('Subject: one\r\n two\r\n\tthree\r\nX-Empty:\r\nfrom : a@b\r\nno colon here\r\nX-Last: v\r\n\r\nBody: not a header\r\n');
  const fields = parseHeaderBlock(raw);
  assert.deepEqual(fields.map((f) => [f.name, f.value]), [
    ['Subject', 'one two\tthree'], // RFC 5322 §2.2.3: unfolding removes the CRLF only
    ['X-Empty', ''],
    ['from', 'a@b'], // obsolete WSP before the colon (RFC 5322 §4.5.3)
    ['X-Last', 'v'],
  ]);
  assert.equal(raw.subarray(fields[0].start, fields[0].end).toString(), 'Subject: one\r\n two\r\n\tthree\r\n');
  assert.equal(raw.subarray(fields[3].start, fields[3].end).toString(), 'X-Last: v\r\n');
  // A range: the header of a part somewhere in the middle.
  const inner = Buffer.from('junk--\r\nContent-Type: text/plain\r\n\r\nbody');
  assert.deepEqual(parseHeaderBlock(inner, 8).map((f) => f.value), ['text/plain']);
});

test('findHeaderEnd: CRLF, LF, mixed, none', () => {
  const cases: [string, number][] = [
    ['A: 1\r\n\r\nbody', 8],
    ['A: 1\n\nbody', 6],
    ['A: 1\n\r\nbody', 7],
    ['A: 1\r\n\nbody', 7],
    ['\r\nbody', 2],
    ['\nbody', 1],
    ['A: 1\r\nB: 2', 10],
    ['A: 1\r\n', 6],
    ['no header line\r\n\r\n', 0],
    ['', 0],
  ];
  for (const [s, end] of cases) assert.equal(findHeaderEnd(Buffer.from(s), 0, s.length), end, JSON.stringify(s));
});

test('structured values and RFC 2231 parameters', () => {
  const cases: [string, string, Record<string, string>][] = [
    ['text/plain; charset="UTF-8"; format=flowed', 'text/plain', { charset: 'UTF-8', format: 'flowed' }],
    ['Text/HTML; CharSet=ISO-8859-1', 'text/html', { charset: 'ISO-8859-1' }],
    ['multipart/mixed (a comment); boundary="a\\"b"', 'multipart/mixed', { boundary: 'a"b' }],
    ["attachment; filename*=UTF-8''%E2%82%AC%20rates.pdf", 'attachment', { filename: '€ rates.pdf' }],
    // RFC 2231 §3 continuations, mixing encoded (*N*) and plain (*N) sections, out of order.
    ["attachment; filename*1=\"part two \"; filename*0*=utf-8''%C3%A9t%C3%A9%20; filename*2*=%E2%82%AC.txt", 'attachment', { filename: 'été part two €.txt' }],
    // RFC 2231 §4 example: language tag, and the RFC 2231 value wins over the plain fallback.
    ["message/external-body; access-type=URL; url*0=\"ftp://\"; url*1=\"cs.utk.edu/pub\"", 'message/external-body', { 'access-type': 'URL', url: 'ftp://cs.utk.edu/pub' }],
    ["application/x-stuff; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A", 'application/x-stuff', { title: 'This is ***fun***' }],
    ["attachment; filename=\"fallback.pdf\"; filename*=iso-8859-1''r%E9sum%E9.pdf", 'attachment', { filename: 'résumé.pdf' }],
    // RFC 2047 words in a quoted parameter: not standard, sent by common clients.
    ['application/pdf; name="=?utf-8?B?4oKsLnBkZg==?="', 'application/pdf', { name: '€.pdf' }],
    // Unknown charset in RFC 2231: best effort, no exception.
    ["attachment; filename*=x-unknown''caf%C3%A9", 'attachment', { filename: 'café' }],
    ['attachment; filename=my file.pdf', 'attachment', { filename: 'my file.pdf' }],
    ['multipart/mixed; boundary=abc; boundary=def', 'multipart/mixed', { boundary: 'abc' }],
    ['text/plain; charset', 'text/plain', {}],
    ['x/y; q="unterminated', 'x/y', { q: 'unterminated' }],
    ['x/y;;; ;a=1', 'x/y', { a: '1' }],
    ['', '', {}],
  ];
  for (const [input, value, params] of cases) {
    const r = parseStructured(input);
    assert.equal(r.value, value, input);
    assert.deepEqual({ ...r.params }, params, input);
  }
  // Parameter names are attacker-chosen: "__proto__" must be a plain own property.
  const proto = parseStructured("a/b; __proto__=x; constructor*=utf-8''y");
  assert.equal(Object.getPrototypeOf(proto.params), Object.prototype);
  assert.deepEqual(Object.entries(proto.params), [['__proto__', 'x'], ['constructor', 'y']]);
  assert.equal(({} as Record<string, unknown>).x, undefined);
  // The boundary is kept as written, RFC 2047-looking text included.
  assert.equal(parseStructured('multipart/mixed; boundary="=?utf-8?q?x?="').raw.boundary, '=?utf-8?q?x?=');
});

test('RFC 2047 encoded words', () => {
  const cases: [string, string][] = [
    ['=?utf-8?q?J=C3=B6rg?= Bauer', 'Jörg Bauer'],
    ['=?UTF-8?B?4oKs?= =?UTF-8?B?IHJhdGVz?=', '€ rates'], // whitespace between words dropped (§6.2)
    ['=?utf-8?B?4g==?=\r\n =?utf-8?B?gqw=?=', '€'], // a character split across two words
    ['=?utf-8?Q?=E2?= =?utf-8?Q?=82=AC?=', '€'],
    ['a =?iso-8859-1?q?caf=E9?= b', 'a café b'],
    ['=?iso-8859-1?q?a?= =?utf-8?q?b?=', 'ab'],
    ['=?utf-8*en?Q?hi_there?=', 'hi there'], // RFC 2231 §5 language
    ['=?ISO-2022-JP?B?GyRCJEsbKEI=?=', 'に'],
    ['=?x y?q?a?=', '=?x y?q?a?='], // malformed: left alone
    ['=?utf-8?x?abc?=', '=?utf-8?x?abc?='],
    ['=?=?=?', '=?=?=?'],
    ['plain =?foo', 'plain =?foo'],
    ['=?utf-8?q??=', ''],
    ['=?unknown-charset?q?caf=C3=A9?=', 'café'],
  ];
  for (const [input, expected] of cases) assert.equal(decodeHeaderValue(input), expected, input);
});

test('quoted-printable and base64 decoding are lenient', () => {
  const qp = (s: string) => decodeQuotedPrintable(Buffer.from(s, 'latin1')).toString('latin1');
  assert.equal(qp('a=3Db'), 'a=b');
  assert.equal(qp('soft=\r\nbreak'), 'softbreak');
  assert.equal(qp('soft= \t\nbreak'), 'softbreak');
  assert.equal(qp('lower=e9'), 'lower\xe9');
  assert.equal(qp('stray = sign=ZZ'), 'stray = sign=ZZ');
  assert.equal(qp('end='), 'end');
  assert.equal(qp('8bit \xe9'), '8bit \xe9');
  // RFC 2045 §6.7 rule 3: trailing whitespace on a line is transport padding, deleted.
  assert.equal(qp('hello  \r\nworld \t\nend  '), 'hello\r\nworld\nend');
  assert.equal(qp('keep  inner\tspace=20\r\n'), 'keep  inner\tspace \r\n');
  assert.equal(decodeBase64(Buffer.from('SGVs\r\nbG8=')).toString(), 'Hello');
  assert.equal(decodeBase64(Buffer.from('SGVsbG8gd29y')).toString(), 'Hello wor'); // truncated
  assert.equal(decodeBase64(Buffer.from('SG*V@sbG8')).toString(), 'Hello'); // junk skipped
});

test('charsets: declared, mislabelled, unknown', () => {
  assert.equal(decodeCharset(Buffer.from([0xe9, 0x80]), 'iso-8859-1'), 'é€'); // read as windows-1252
  assert.equal(decodeCharset(Buffer.from('c3a9', 'hex'), 'us-ascii'), 'é'); // 8-bit in "us-ascii"
  assert.equal(decodeCharset(Buffer.from([0xe9]), 'utf-8'), 'é'); // invalid UTF-8
  assert.equal(decodeCharset(Buffer.from([0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4]), 'koi8-r'), 'Привет');
  assert.equal(decodeCharset(Buffer.from('1b2442246f24671b2842', 'hex'), 'ISO-2022-JP'), 'わょ');
  assert.equal(decodeCharset(Buffer.from('c3a9', 'hex'), 'x-does-not-exist'), 'é');
  assert.equal(decodeCharset(Buffer.from([0xe9]), 'iso-2022-kr'), 'é'); // iconv-lite lacks it: fallback
  assert.equal(decodeCharset(Buffer.from('+AOk-', 'latin1'), 'utf-7'), 'é');
});

test('dates (RFC 5322 §3.3 and obsolete forms)', () => {
  const cases: [string, number | null][] = [
    ['Tue, 1 Jul 2003 10:52:37 +0200', Date.UTC(2003, 6, 1, 8, 52, 37)],
    ['Fri, 21 Nov 97 09:55:06 -0600', Date.UTC(1997, 10, 21, 15, 55, 6)],
    ['Thu, 13 Feb 1969 23:32:54 -0330 (Newfoundland Time)', Date.UTC(1969, 1, 14, 3, 2, 54)],
    ['1 Jan 2020 00:00 GMT', Date.UTC(2020, 0, 1)],
    ['Mon, 7 Jul 2025 14:00:00 EDT', Date.UTC(2025, 6, 7, 18)],
    ['Mon,  7 Jul 2025 14:00:00', Date.UTC(2025, 6, 7, 14)],
    ['garbage', null],
    ['', null],
  ];
  for (const [input, expected] of cases) assert.equal(parseDate(input), expected, input);
  assert.equal(parseDate(null), null);
});

test('message ids', () => {
  assert.deepEqual(messageIds('<a@b> <c@d>\r\n <e@f>'), ['a@b', 'c@d', 'e@f']);
  assert.deepEqual(messageIds('Your message of Monday <x@y> (comment)'), ['x@y']);
  assert.deepEqual(messageIds('bare@id'), ['bare@id']);
  assert.deepEqual(messageIds('two words'), []);
  assert.deepEqual(messageIds(null), []);
  const m = parseMessage(Buffer.from('Message-ID: <m@x>\r\nIn-Reply-To: <p@x>\r\nReferences: <r1@x>\r\n\t<p@x>\r\n\r\n')).summary;
  assert.deepEqual([m.messageId, m.inReplyTo, m.references], ['m@x', ['p@x'], ['r1@x', 'p@x']]);
});

test('findPart: section syntax', () => {
  const root = parseMessage(Buffer.from('Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\r\n--b--\r\n')).summary.root;
  assert.equal(findPart(root, '1'), root.parts[0]);
  for (const bad of ['0', '01', '1.', '.1', 'a', '1..1', '2', '99999999999', '-1']) assert.equal(findPart(root, bad), null, bad);
  assert.equal(findPart(root, ''), root);
});

test('hasAttachment: declared, named, non-text, forwarded; not inline related resources', () => {
  const has = (raw: string) => parseMessage(Buffer.from(raw.replace(/\n/g, '\r\n'))).summary.hasAttachment;
  assert.equal(has('Content-Type: application/pdf\n\n%PDF'), true);
  assert.equal(has('Content-Type: text/plain\n\nhi'), false);
  assert.equal(has('Content-Type: text/plain\nContent-Disposition: attachment\n\nhi'), true);
  assert.equal(has('Content-Type: multipart/mixed; boundary=b\n\n--b\n\nhi\n--b\nContent-Type: text/plain; name=a.txt\n\nfile\n--b--\n'), true);
  assert.equal(has('Content-Type: multipart/related; boundary=b\n\n--b\nContent-Type: text/html\n\n<img src=cid:x>\n--b\nContent-Type: image/png\nContent-ID: <x>\n\niVBO\n--b--\n'), false);
  assert.equal(has('Content-Type: multipart/mixed; boundary=b\n\n--b\n\nhi\n--b\nContent-Type: image/png\nContent-Disposition: inline; filename=a.png\n\niVBO\n--b--\n'), false);
});

test('parameters per header are capped', () => {
  const many = parseStructured('text/plain; ' + Array.from({ length: 5000 }, (_, i) => `p${i}=${i}`).join('; '));
  assert.equal(Object.keys(many.params).length, 64);
  assert.equal(many.params.p0, '0');
  assert.equal(many.params.p63, '63');
  assert.equal(many.params.p64, undefined);
});
