// RFC 5322 §3.4 address lists: table of header value → parsed addresses, in the IMAP ENVELOPE
// form (RFC 9051 §7.5.2) and the display form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAddressList, flattenMailboxes, toEnvelopeAddresses, MISSING_HOST } from '../src/wire/mime/index.ts';

const env = (name: string | null, mailbox: string | null, host: string | null, adl: string | null = null) => ({ name, adl, mailbox, host });

const table: { input: string; envelope: ReturnType<typeof env>[] | null; display: { name: string; address: string }[] }[] = [
  {
    input: 'alice@example.org',
    envelope: [env(null, 'alice', 'example.org')],
    display: [{ name: '', address: 'alice@example.org' }],
  },
  {
    input: '"Doe, John" <john@example.com>, "Roe, Jane" <jane@example.com>',
    envelope: [env('Doe, John', 'john', 'example.com'), env('Roe, Jane', 'jane', 'example.com')],
    display: [{ name: 'Doe, John', address: 'john@example.com' }, { name: 'Roe, Jane', address: 'jane@example.com' }],
  },
  {
    input: 'Team: a@x.org, B <b@y.org>; c@z.org',
    envelope: [env(null, 'Team', null), env(null, 'a', 'x.org'), env('B', 'b', 'y.org'), env(null, null, null), env(null, 'c', 'z.org')],
    display: [{ name: '', address: 'a@x.org' }, { name: 'B', address: 'b@y.org' }, { name: '', address: 'c@z.org' }],
  },
  {
    input: 'undisclosed-recipients:;',
    envelope: [env(null, 'undisclosed-recipients', null), env(null, null, null)],
    display: [],
  },
  {
    // A comment supplies the name when there is no phrase.
    input: 'jane@example.org (Jane Roe), (comment) bob@example.org',
    envelope: [env('Jane Roe', 'jane', 'example.org'), env('comment', 'bob', 'example.org')],
    display: [{ name: 'Jane Roe', address: 'jane@example.org' }, { name: 'comment', address: 'bob@example.org' }],
  },
  {
    input: 'Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>',
    envelope: [env('Pete', 'pete', 'silly.test')],
    display: [{ name: 'Pete', address: 'pete@silly.test' }],
  },
  {
    // Encoded words stay raw in ENVELOPE and are decoded for display.
    input: '=?UTF-8?Q?J=C3=B6rg?= <joerg@example.de>, =?ISO-8859-1?Q?Andr=E9?= Pirard <pirard@example.be>',
    envelope: [env('=?UTF-8?Q?J=C3=B6rg?=', 'joerg', 'example.de'), env('=?ISO-8859-1?Q?Andr=E9?= Pirard', 'pirard', 'example.be')],
    display: [{ name: 'Jörg', address: 'joerg@example.de' }, { name: 'André Pirard', address: 'pirard@example.be' }],
  },
  {
    input: '"=?utf-8?B?w4ltaWxl?=" <emile@example.fr>',
    envelope: [env('=?utf-8?B?w4ltaWxl?=', 'emile', 'example.fr')],
    display: [{ name: 'Émile', address: 'emile@example.fr' }],
  },
  {
    // Missing domain: ENVELOPE needs a non-NIL host, NIL would mean a group marker.
    input: 'postmaster, Root <root>',
    envelope: [env(null, 'postmaster', MISSING_HOST), env('Root', 'root', MISSING_HOST)],
    display: [{ name: '', address: 'postmaster' }, { name: 'Root', address: 'root' }],
  },
  {
    input: '<bare@example.com>',
    envelope: [env(null, 'bare', 'example.com')],
    display: [{ name: '', address: 'bare@example.com' }],
  },
  {
    input: 'John Q. Public <@relay1,@relay2:jqp@example.com>',
    envelope: [env('John Q. Public', 'jqp', 'example.com', '@relay1,@relay2')],
    display: [{ name: 'John Q. Public', address: 'jqp@example.com' }],
  },
  {
    input: '"john doe"@example.com, user@[192.0.2.1]',
    envelope: [env(null, '"john doe"', 'example.com'), env(null, 'user', '[192.0.2.1]')],
    display: [{ name: '', address: '"john doe"@example.com' }, { name: '', address: 'user@[192.0.2.1]' }],
  },
  {
    input: 'a@b.example, , ,c@d.example,',
    envelope: [env(null, 'a', 'b.example'), env(null, 'c', 'd.example')],
    display: [{ name: '', address: 'a@b.example' }, { name: '', address: 'c@d.example' }],
  },
  {
    input: 'Unclosed <open@example.com',
    envelope: [env('Unclosed', 'open', 'example.com')],
    display: [{ name: 'Unclosed', address: 'open@example.com' }],
  },
  // Garbage: nothing that is an address, so nothing.
  { input: '', envelope: null, display: [] },
  { input: 'foo bar baz', envelope: null, display: [] },
  { input: '@@@,,,<<>>;;::', envelope: null, display: [] },
  { input: '<>', envelope: null, display: [] },
  { input: '"unterminated', envelope: [env(null, 'unterminated', MISSING_HOST)], display: [{ name: '', address: 'unterminated' }] },
];

test('address list table', () => {
  for (const row of table) {
    const parsed = parseAddressList(row.input);
    assert.deepEqual(toEnvelopeAddresses(parsed), row.envelope, `envelope of ${JSON.stringify(row.input)}`);
    assert.deepEqual(flattenMailboxes(parsed), row.display, `display of ${JSON.stringify(row.input)}`);
  }
});

test('100,000 addresses parse in one linear pass', () => {
  const value = Array.from({ length: 100_000 }, (_, i) => `u${i}@example.com`).join(', ');
  const list = flattenMailboxes(parseAddressList(value));
  assert.equal(list.length, 100_000);
  assert.equal(list[99_999].address, 'u99999@example.com');
});
