// normaliseMailboxName: the one gate every mailbox name passes (SECURITY-CASES.md, IMAP names).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isMailboxDescendant, mailboxAncestors, normaliseMailboxName } from '../src/mail/mailbox-name.ts';
import { StoreError } from '../src/store/types.ts';

const valid: [string, string][] = [
  ['INBOX', 'INBOX'],
  ['inbox', 'INBOX'],
  ['InBoX', 'INBOX'],
  ['inbox/x', 'INBOX/x'],
  ['Inbox/Inbox', 'INBOX/Inbox'],
  ['INBOXES', 'INBOXES'],
  ['Sent', 'Sent'],
  ['a/b/c', 'a/b/c'],
  ['Entwürfe', 'Entwürfe'],
  ['Entwu\u0308rfe', 'Entwürfe'], // NFD → NFC
  ['日本語/メール', '日本語/メール'],
  ['a~b', 'a~b'],
  ['...', '...'],
  ['a.b/.hidden', 'a.b/.hidden'],
  ['x'.repeat(255), 'x'.repeat(255)],
  [Array.from({ length: 32 }, () => 'd').join('/'), Array.from({ length: 32 }, () => 'd').join('/')],
];

const invalid: [string, string][] = [
  ['../x', 'parent escape'],
  ['a/../../b', 'parent escape inside'],
  ['~root/x', 'home directory'],
  ['/etc', 'absolute'],
  ['INBOX/..', 'dot-dot after INBOX'],
  ['a/./b', 'dot component'],
  ['.', 'dot'],
  ['..', 'dot-dot'],
  ['a\u0000b', 'NUL'],
  ['\u0000', 'only NUL'],
  ['a\r\nb', 'CRLF'],
  ['a\tb', 'tab'],
  ['a\u007fb', 'DEL'],
  ['a\u0085b', 'C1 control'],
  ['', 'empty'],
  ['a//b', 'empty component'],
  ['a/', 'trailing separator'],
  ['/', 'only separator'],
  ['a*', 'wildcard *'],
  ['a%', 'wildcard %'],
  ['\ud800x', 'lone surrogate (invalid UTF-8)'],
  ['x'.repeat(256), 'over 255 bytes'],
  ['é'.repeat(128), '256 UTF-8 bytes'],
  [Array.from({ length: 33 }, () => 'd').join('/'), 'depth 33'],
];

describe('normaliseMailboxName', () => {
  for (const [input, expected] of valid) {
    it(`accepts ${JSON.stringify(input.length > 40 ? input.slice(0, 40) + '…' : input)}`, () => {
      assert.equal(normaliseMailboxName(input), expected);
    });
  }
  for (const [input, why] of invalid) {
    it(`rejects ${why}`, () => {
      assert.throws(() => normaliseMailboxName(input), (err: unknown) => err instanceof StoreError && err.code === 'INVALID');
    });
  }
  it('is idempotent', () => {
    for (const [input] of valid) {
      const once = normaliseMailboxName(input);
      assert.equal(normaliseMailboxName(once), once);
    }
  });
});

describe('mailbox hierarchy helpers', () => {
  it('lists ancestors outermost first', () => {
    assert.deepEqual(mailboxAncestors('a/b/c'), ['a', 'a/b']);
    assert.deepEqual(mailboxAncestors('a'), []);
  });
  it('recognises descendants by whole components', () => {
    assert.equal(isMailboxDescendant('a/b', 'a'), true);
    assert.equal(isMailboxDescendant('a/b/c', 'a'), true);
    assert.equal(isMailboxDescendant('ab', 'a'), false);
    assert.equal(isMailboxDescendant('a', 'a'), false);
  });
});
