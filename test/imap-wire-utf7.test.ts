// Modified UTF-7 (RFC 3501 §5.1.3, RFC 9051 §5.1.3): round trips and strict rejections.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeMailboxUtf7, encodeMailboxUtf7 } from '../src/wire/imap/index.ts';

describe('modified UTF-7 encoding', () => {
  const pairs: [string, string][] = [
    ['INBOX', 'INBOX'],
    ['', ''],
    ['&', '&-'],
    ['A&B', 'A&-B'],
    ['&&', '&-&-'],
    ['~peter/mail/台北/日本語', '~peter/mail/&U,BTFw-/&ZeVnLIqe-'],
    ['Entwürfe', 'Entw&APw-rfe'],
    ['Gelöschte Elemente', 'Gel&APY-schte Elemente'],
    ['☺', '&Jjo-'],
    ['😀', '&2D3eAA-'],
    ['é&é', '&AOk-&-&AOk-'],
    ['ü ü', '&APw- &APw-'],
    ['Отправленные', '&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-'],
    ['a~b|c{d}', 'a~b|c{d}'],
  ];
  for (const [name, wire] of pairs) {
    it(`${JSON.stringify(name)} ↔ ${wire}`, () => {
      assert.equal(encodeMailboxUtf7(name), wire);
      assert.deepEqual(decodeMailboxUtf7(wire), { ok: true, value: name });
    });
  }

  it('round-trips every BMP character class and astral planes', () => {
    const samples = ['\u00a0', '\u0100\u07ff', '\u0800\uffff'.replace('\uffff', '\ufffd'), '\u{10000}\u{10ffff}', 'x\u{1f600}y\u00e9z'];
    for (const s of samples) assert.deepEqual(decodeMailboxUtf7(encodeMailboxUtf7(s)), { ok: true, value: s }, JSON.stringify(s));
  });
});

describe('modified UTF-7 rejections', () => {
  const rejects: [string, string][] = [
    // SECURITY-CASES.md: decodes to "..", "/", NUL; unterminated "&Jjo"; non-canonical forms.
    ['&AC4ALg-', 'printable US-ASCII must not be encoded'],
    ['&AC8-', 'printable US-ASCII must not be encoded'],
    ['INBOX&AC8ALgAu-', 'printable US-ASCII must not be encoded'],
    ['&AAA-', 'control character'],
    ['&AA0-', 'control character'],
    ['&AAo-', 'control character'],
    ['&AH8-', 'control character'],
    ['&Jjo', 'unterminated "&" shift'],
    ['abc&', 'unterminated "&" shift'],
    ['&Jj-', 'invalid padding bits'],
    ['&Jjp-', 'invalid padding bits'],
    ['&JjoA-', 'invalid padding bits'],
    ['&Jjo-&Jjo-', 'adjacent encoded runs'],
    ['&Jj/-', 'invalid character in encoded run'],
    ['&Jj=-', 'invalid character in encoded run'],
    ['&2D0-', 'unpaired surrogate'],
    ['&3gA-', 'unpaired surrogate'],
    ['&3gDYPQ-', 'unpaired surrogate'],
    ['caf\u00e9', 'character outside printable US-ASCII'],
    ['a\tb', 'character outside printable US-ASCII'],
    ['a\u0000b', 'character outside printable US-ASCII'],
  ];
  for (const [wire, reason] of rejects) {
    it(`${JSON.stringify(wire)}: ${reason}`, () => assert.deepEqual(decodeMailboxUtf7(wire), { ok: false, reason }));
  }

  it('every decodable string re-encodes to itself (canonical form only)', () => {
    const alphabet = ['&', '-', 'A', 'J', 'j', 'o', ',', '+', 'a', '0'];
    let checked = 0;
    // All strings up to length 5 over a small alphabet that exercises shifts.
    const walk = (prefix: string): void => {
      if (prefix.length > 0) {
        const r = decodeMailboxUtf7(prefix);
        if (r.ok) {
          assert.equal(encodeMailboxUtf7(r.value), prefix);
          checked++;
        }
      }
      if (prefix.length < 5) for (const c of alphabet) walk(prefix + c);
    };
    walk('');
    assert.ok(checked > 1000);
  });
});
