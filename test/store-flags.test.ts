// Flag normalisation and STORE semantics (RFC 9051 §2.3.2, §6.4.6).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyFlagChange, canonicalFlag, normaliseFlags, sameFlags } from '../src/mail/flags.ts';
import { StoreError } from '../src/store/types.ts';

const isInvalid = (err: unknown) => err instanceof StoreError && err.code === 'INVALID';

describe('normaliseFlags', () => {
  it('spells system flags canonically and orders them first', () => {
    assert.deepEqual(normaliseFlags(['zeta', '\\DRAFT', '\\seen', '\\answered', '\\Flagged', '\\deleted']), [
      '\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft', 'zeta',
    ]);
  });
  it('dedupes keywords case-insensitively, keeping the first spelling', () => {
    assert.deepEqual(normaliseFlags(['$Label1', 'Work', '$label1', 'WORK', 'work']), ['$Label1', 'Work']);
  });
  it('sorts keywords case-insensitively', () => {
    assert.deepEqual(normaliseFlags(['b', 'A', 'c', '$x']), ['$x', 'A', 'b', 'c']);
  });
  it('never stores \\Recent', () => {
    assert.deepEqual(normaliseFlags(['\\Recent', '\\RECENT', '\\Seen']), ['\\Seen']);
    assert.equal(canonicalFlag('\\recent'), null);
  });
  it('accepts RFC 9051 keyword atoms', () => {
    for (const k of ['$MDNSent', '$Forwarded', '$Junk', 'NonJunk', 'a.b-c_d:e', "it's", 'x[1']) assert.deepEqual(normaliseFlags([k]), [k]);
  });
  it('rejects invalid atoms and unknown system flags', () => {
    for (const bad of ['', 'two words', 'a(b', 'a)b', 'a{b', 'a%b', 'a*b', 'a"b', 'a]b', 'a\\b', 'ä', 'a\u0000', 'a\r\n', '\\Bogus', '\\', 'x'.repeat(201)]) {
      assert.throws(() => normaliseFlags([bad]), isInvalid, JSON.stringify(bad));
    }
  });
});

describe('applyFlagChange', () => {
  const current = ['\\Seen', '$Label1'];
  it('adds, keeping the stored spelling of a present keyword', () => {
    assert.deepEqual(applyFlagChange(current, 'add', ['$LABEL1', '\\flagged']), ['\\Flagged', '\\Seen', '$Label1']);
  });
  it('removes case-insensitively', () => {
    assert.deepEqual(applyFlagChange(current, 'remove', ['\\SEEN', '$label1', 'absent']), []);
  });
  it('replaces', () => {
    assert.deepEqual(applyFlagChange(current, 'replace', ['\\Draft']), ['\\Draft']);
    assert.deepEqual(applyFlagChange(current, 'replace', []), []);
  });
  it('compares flag sets case-insensitively', () => {
    assert.equal(sameFlags(['\\Seen', '$Label1'], ['\\Seen', '$label1']), true);
    assert.equal(sameFlags(['\\Seen'], ['\\Seen', 'x']), false);
  });
});
