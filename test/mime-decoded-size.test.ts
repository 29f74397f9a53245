// The decoded size the parser keeps for base64 and quoted-printable leaves (MimePart.decodedSize)
// is the length transferDecode returns, so a JMAP part's size is what its download sends.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage } from '../src/wire/mime/parse.ts';
import { base64DecodedLength, decodeBase64, transferDecode } from '../src/wire/mime/decode.ts';
import { findPart } from '../src/wire/mime/section.ts';

test('base64DecodedLength counts what decodeBase64 decodes, junk, line breaks and padding included', () => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r\n \t$*-_.';
  // A fixed pseudo-random sequence: the same cases on every run.
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let t = 0; t < 5000; t++) {
    let s = '';
    const len = Math.floor(next() * 60);
    for (let i = 0; i < len; i++) s += alphabet[Math.floor(next() * (next() < 0.9 ? 64 : alphabet.length))];
    const b = Buffer.from(s, 'latin1');
    assert.equal(base64DecodedLength(b), decodeBase64(b).length, JSON.stringify(s));
  }
});

test('the parser keeps decoded sizes of base64 and quoted-printable leaves only', () => {
  const pdf = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256));
  const raw = Buffer.from([
    'Content-Type: multipart/mixed; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Gr=C3=BC=C3=9Fe, soft=',
    'break',
    '--b',
    'Content-Type: application/octet-stream',
    'Content-Transfer-Encoding: base64',
    '',
    ...(pdf.toString('base64').match(/.{1,76}/g) ?? []),
    '--b',
    'Content-Type: text/plain',
    '',
    'seven bit',
    '--b--',
    '',
  ].join('\r\n'));
  const root = parseMessage(raw).summary.root;
  assert.equal(root.decodedSize, undefined, 'a multipart has no decoded size');
  for (const section of ['1', '2']) {
    const part = findPart(root, section)!;
    assert.equal(part.decodedSize, transferDecode(raw.subarray(part.bodyStart, part.bodyEnd), part.encoding).length, section);
  }
  assert.equal(findPart(root, '2')!.decodedSize, 1000);
  assert.equal(findPart(root, '3')!.decodedSize, undefined, '7bit: the stored size is the decoded size');
});
