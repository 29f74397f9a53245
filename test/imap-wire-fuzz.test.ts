// Randomised input (deterministic seed): the reader and the grammar never throw, and the
// events do not depend on how the input was cut into chunks.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommandReader, parseCommand, type ReaderEvent } from '../src/wire/imap/index.ts';
import { feed } from './imap-wire-helpers.ts';

function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

const FRAGMENTS = [
  'a1 ', 'b2 ', '* ', '+ ', 'FETCH ', 'UID ', 'SEARCH ', 'STORE ', 'APPEND ', 'LOGIN ', 'SELECT ', 'LIST ', 'AUTHENTICATE ',
  '1:*', '*:4', '$', '1,3:5', '0', 'NIL', 'INBOX', '&Jjo-', '&Jjo', '"q\\"x"', '"', '\\', '\\Seen', '(', ')', '((', '))',
  'BODY[', 'BODY.PEEK[HEADER.FIELDS (From)]', ']', '<0.10>', '<', 'BINARY[1]', '{3}\r\nabc', '{3+}\r\nabc', '~{2}\r\n\0\0',
  '{0}\r\n', '{4294967295}', '{99999999999999999999+}', '{-1}', '{}', '{5+}\r\n', '\r\n', '\n', '\r', '\0', ' ', '  ',
  'OR ', 'NOT ', 'SINCE 1-Feb-1994 ', 'CHARSET UTF-8 ', 'RETURN (MIN) ', '(CHANGEDSINCE 1 VANISHED)', 'FLAGS ', '+FLAGS.SILENT ',
  '(QRESYNC (1 2 1:5 (1 2)))', 'RETURN (STATUS (MESSAGES))', '\xff', '\x7f', 'caf\xc3\xa9',
];

function randomInput(rand: () => number): Buffer {
  // Most inputs start like a command, so the grammar sees many token trees, not just BADs.
  const names = ['FETCH 1 ', 'UID FETCH 1:* ', 'SEARCH ', 'STORE 1 ', 'APPEND x ', 'LOGIN ', 'SELECT ', 'LIST ', 'STATUS x ', 'ID '];
  const parts: string[] = rand() < 0.8 ? ['t ' + names[Math.floor(rand() * names.length)]] : [];
  const n = Math.floor(rand() * 8);
  for (let i = 0; i < n; i++) {
    if (rand() < 0.1) parts.push(String.fromCharCode(Math.floor(rand() * 256)));
    else parts.push(FRAGMENTS[Math.floor(rand() * FRAGMENTS.length)]);
  }
  parts.push('\r\n');
  return Buffer.from(parts.join(''), 'latin1');
}

function normalise(events: ReaderEvent[]): unknown[] {
  return events.map((e) => (e.kind === 'command' ? { ...e, parsed: parseCommand(e.command) } : e));
}

describe('fuzz', () => {
  it('3,000 random inputs: no exception, same events for every chunk size, every command parses to a result', () => {
    const rand = prng(20260705);
    let commands = 0;
    for (let i = 0; i < 3000; i++) {
      const input = randomInput(rand);
      const limits = { maxLineBytes: 256, maxLiteralBytes: 64, maxNonSyncLiteralBytes: 32, maxCommandBytes: 512, maxDepth: 4 };
      const whole = normalise(feed(input, Infinity, limits));
      const size = 1 + Math.floor(rand() * 9);
      assert.deepEqual(normalise(feed(input, size, limits)), whole, `input ${JSON.stringify(input.toString('latin1'))} chunk ${size}`);
      commands += whole.filter((e) => (e as ReaderEvent).kind === 'command').length;
    }
    assert.ok(commands > 800, `only ${commands} commands were complete`);
  });

  it('random bytes after a fatal error are ignored; the reader stays dead', () => {
    const r = new CommandReader({ maxLineBytes: 8 });
    r.push(Buffer.from('a NOOP 123456789'));
    assert.equal(r.next()?.kind, 'error');
    const rand = prng(7);
    for (let i = 0; i < 100; i++) {
      r.push(Buffer.from([Math.floor(rand() * 256), 0x0a]));
      assert.equal(r.next(), null);
    }
  });
});
