// The header forms and property names of RFC 8621 §4.1.2–§4.1.3, and body value truncation
// (§4.2), as tables of inputs and the values JMAP shows for them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dateForm, messageIdsForm, parseHeaderProperty, textForm, urlsForm } from '../src/jmap/mail/header-forms.ts';
import { truncateUtf8 } from '../src/jmap/mail/body-parts.ts';

test('header property names: forms, :all, case, and forms a defined field may not take', () => {
  const table: [string, ReturnType<typeof parseHeaderProperty>][] = [
    ['header:Subject', { name: 'subject', form: 'Raw', all: false }],
    ['header:SUBJECT:asText', { name: 'subject', form: 'Text', all: false }],
    ['header:Subject:asRaw:all', { name: 'subject', form: 'Raw', all: true }],
    ['header:X-Anything:asDate:all', { name: 'x-anything', form: 'Date', all: true }],
    ['header:List-Id:asText', { name: 'list-id', form: 'Text', all: false }],
    ['header:Resent-Reply-To:asGroupedAddresses', { name: 'resent-reply-to', form: 'GroupedAddresses', all: false }],
    ['header:List-Archive:asURLs', { name: 'list-archive', form: 'URLs', all: false }],
    ['header:Subject:all:asText', null],
    ['header:Subject:astext', null],
    ['header:From:asText', null],
    ['header:Received:asDate', null],
    ['header:Resent-Reply-To:asText', null],
    ['header:List-Post:asAddresses', null],
    ['header:Message-ID:asURLs', null],
    ['header:', null],
    ['header:a b', null],
    ['header:caf\u00e9', null],
    ['Header:Subject', null],
  ];
  for (const [property, expected] of table) assert.deepEqual(parseHeaderProperty(property), expected, property);
});

test('Date form: the written zone kept (RFC 8620 §1.4 Date), obsolete zones, nonsense is null', () => {
  const table: [string, string | null][] = [
    ['Thu, 13 Feb 1969 23:32:54 -0330', '1969-02-13T23:32:54-03:30'],
    ['Wed, 25 Nov 2026 12:00:00 +0000', '2026-11-25T12:00:00Z'],
    ['25 Nov 2026 12:00 -0000', '2026-11-25T12:00:00Z'],
    ['Fri, 21 Nov 97 09:55:06 GMT', '1997-11-21T09:55:06Z'],
    ['Mon, 18 Jun 2018 16:51:28 EDT', '2018-06-18T16:51:28-04:00'],
    ['Mon, 18 Jun 2018 16:51:28 +0200 (CEST)', '2018-06-18T16:51:28+02:00'],
    ['not a date', null],
    ['', null],
  ];
  for (const [value, expected] of table) assert.equal(dateForm(value), expected, value);
});

test('Text, MessageIds and URLs forms', () => {
  assert.equal(textForm(' =?UTF-8?Q?caf=C3=A9?= ok'), 'café ok');
  assert.equal(textForm(' a\r\n b'), 'a b', 'unfolded');
  assert.equal(textForm(' e\u0301'), '\u00e9', 'NFC');
  assert.equal(textForm(' =?UTF-8?Q?bell=07?='), 'bell', 'an encoded control character is dropped');
  assert.deepEqual(messageIdsForm(' <a@b> (comment) <c@d>'), ['a@b', 'c@d']);
  assert.equal(messageIdsForm(' '), null);
  assert.deepEqual(urlsForm(' <mailto:list@example.com?subject=help> (List Instructions),\r\n <https://example.com/help>'), ['mailto:list@example.com?subject=help', 'https://example.com/help']);
  assert.equal(urlsForm(' no urls here'), null);
});

test('truncation at maxBodyValueBytes never splits a character', () => {
  assert.equal(truncateUtf8('abc', 10), 'abc');
  assert.equal(truncateUtf8('aé', 2), 'a');
  assert.equal(truncateUtf8('aé', 3), 'aé');
  assert.equal(truncateUtf8('😀x', 3), '');
  assert.equal(truncateUtf8('😀x', 4), '😀');
  assert.equal(truncateUtf8('€€', 5), '€');
});
