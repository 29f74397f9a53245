// POP3 wire layer: the line reader, the command grammar, responses and the RETR/TOP encoder,
// as tables of raw bytes ↔ values, and the same transcripts fed in chunks of 1, 2, 3, 7, 64
// octets and all at once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineReader, type LineEvent } from '../src/wire/pop3/line-reader.ts';
import { parseCommandLine, parseMessageNumber, parseCount, isHttpRequestLine } from '../src/wire/pop3/command.ts';
import { okLine, errLine, multiline, continuationLine } from '../src/wire/pop3/response.ts';
import { MessageEncoder, measureChunks } from '../src/wire/pop3/message-encoder.ts';

const CHUNK_SIZES = [1, 2, 3, 7, 64, Infinity];

function chunksOf(data: Buffer, size: number): Buffer[] {
  if (size === Infinity) return [data];
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

type Seen = string | { tooLong: number };

/** Feeds `input` in chunks and pulls every line after each chunk. */
function readAll(input: string | Buffer, size: number, limit = 255): Seen[] {
  const reader = new LineReader(limit);
  const seen: Seen[] = [];
  const drain = (): void => {
    let ev: LineEvent | null;
    while ((ev = reader.next()) !== null) seen.push(ev.kind === 'line' ? ev.line.toString('latin1') : { tooLong: ev.length });
  };
  for (const c of chunksOf(Buffer.isBuffer(input) ? input : Buffer.from(input, 'latin1'), size)) {
    reader.push(c);
    drain();
    // Bounded memory: never more than the limit (+ CR) of an unfinished line is kept, plus
    // at most one chunk of complete lines.
    assert.ok(reader.buffered <= limit + 1 + (size === Infinity ? Buffer.byteLength(input) : size));
  }
  return seen;
}

const LINE_TABLE: { name: string; input: string | Buffer; expect: Seen[] }[] = [
  { name: 'one command', input: 'USER bob\r\n', expect: ['USER bob'] },
  { name: 'pipelined commands', input: 'STAT\r\nLIST\r\nUIDL 3\r\nQUIT\r\n', expect: ['STAT', 'LIST', 'UIDL 3', 'QUIT'] },
  { name: 'bare LF ends a line', input: 'NOOP\nSTAT\r\n', expect: ['NOOP', 'STAT'] },
  { name: 'empty line', input: '\r\nNOOP\r\n', expect: ['', 'NOOP'] },
  { name: 'incomplete last line is held back', input: 'NOOP\r\nSTA', expect: ['NOOP'] },
  { name: 'bare CR stays inside the line', input: 'NO\rOP\r\n', expect: ['NO\rOP'] },
  { name: 'exactly 255 octets is fine', input: 'X'.repeat(255) + '\r\n', expect: ['X'.repeat(255)] },
  { name: '256 octets is too long', input: 'X'.repeat(256) + '\r\nNOOP\r\n', expect: [{ tooLong: 256 }, 'NOOP'] },
  {
    name: 'a 100 kB line is dropped while it arrives and the stream stays in sync',
    input: 'NOOP\r\n' + 'A'.repeat(100_000) + '\r\nSTAT\r\n',
    expect: ['NOOP', { tooLong: 100_000 }, 'STAT'],
  },
  { name: 'too long with bare LF', input: 'B'.repeat(300) + '\nQUIT\n', expect: [{ tooLong: 300 }, 'QUIT'] },
  { name: 'binary bytes are passed through', input: Buffer.from([0x50, 0x41, 0x53, 0x53, 0x20, 0xc3, 0xa9, 0x00, 0x0d, 0x0a]), expect: ['PASS \u00c3\u00a9\u0000'] },
];

for (const row of LINE_TABLE) {
  test(`line reader: ${row.name} (chunk sizes 1,2,3,7,64,all)`, () => {
    for (const size of CHUNK_SIZES) assert.deepEqual(readAll(row.input, size), row.expect, `chunk size ${size}`);
  });
}

test('line reader: a larger limit for one line (SASL continuation), then back', () => {
  const reader = new LineReader(255);
  reader.push(Buffer.from('Z'.repeat(1000) + '\r\n' + 'Y'.repeat(300) + '\r\n'));
  const first = reader.next(4096);
  assert.equal(first?.kind, 'line');
  assert.equal(first?.kind === 'line' && first.line.length, 1000);
  assert.deepEqual(reader.next(255), { kind: 'too-long', length: 300 });
  assert.equal(reader.next(), null);
});

test('line reader: discard() drops everything pipelined (STLS)', () => {
  const reader = new LineReader(255);
  reader.push(Buffer.from('STLS\r\nCAPA\r\nUSER x'));
  const ev = reader.next();
  assert.deepEqual(ev?.kind === 'line' && ev.line.toString(), 'STLS');
  assert.equal(reader.discard(), 'CAPA\r\nUSER x'.length);
  assert.equal(reader.next(), null);
  reader.push(Buffer.from('CAPA\r\n'));
  const after = reader.next();
  assert.equal(after?.kind === 'line' && after.line.toString(), 'CAPA');
});

const COMMAND_TABLE: { line: string | Buffer; expect: ReturnType<typeof parseCommandLine> }[] = [
  { line: 'STAT', expect: { kind: 'command', keyword: 'STAT', args: [], rest: '' } },
  { line: 'list 3', expect: { kind: 'command', keyword: 'LIST', args: ['3'], rest: '3' } },
  { line: 'Top 1 10', expect: { kind: 'command', keyword: 'TOP', args: ['1', '10'], rest: '1 10' } },
  { line: 'PASS  two  spaces ', expect: { kind: 'command', keyword: 'PASS', args: ['two', 'spaces'], rest: ' two  spaces ' } },
  { line: 'USER bob@example.com', expect: { kind: 'command', keyword: 'USER', args: ['bob@example.com'], rest: 'bob@example.com' } },
  { line: 'AUTH PLAIN AGJvYgBzZWNyZXQ=', expect: { kind: 'command', keyword: 'AUTH', args: ['PLAIN', 'AGJvYgBzZWNyZXQ='], rest: 'PLAIN AGJvYgBzZWNyZXQ=' } },
  { line: Buffer.from('PASS p\u00e4ss'), expect: { kind: 'command', keyword: 'PASS', args: ['p\u00e4ss'], rest: 'p\u00e4ss' } },
  { line: '', expect: { kind: 'invalid', reason: 'empty command' } },
  { line: 'LISTING', expect: { kind: 'invalid', reason: 'invalid command keyword' } },
  { line: 'AB', expect: { kind: 'invalid', reason: 'invalid command keyword' } },
  { line: ' STAT', expect: { kind: 'invalid', reason: 'invalid command keyword' } },
  { line: 'ST4T', expect: { kind: 'invalid', reason: 'invalid command keyword' } },
  { line: 'PASS a\u0000b', expect: { kind: 'invalid', reason: 'control character in command' } },
  { line: 'USER a\tb', expect: { kind: 'invalid', reason: 'control character in command' } },
  { line: 'NOOP\r', expect: { kind: 'invalid', reason: 'control character in command' } },
];

for (const row of COMMAND_TABLE) {
  test(`command: ${JSON.stringify(row.line.toString())}`, () => {
    assert.deepEqual(parseCommandLine(Buffer.isBuffer(row.line) ? row.line : Buffer.from(row.line)), row.expect);
  });
}

test('message numbers and counts', () => {
  assert.equal(parseMessageNumber('1'), 1);
  assert.equal(parseMessageNumber('00012'), 12);
  assert.equal(parseMessageNumber('0'), null);
  assert.equal(parseMessageNumber('-1'), null);
  assert.equal(parseMessageNumber('+1'), null);
  assert.equal(parseMessageNumber('1e3'), null);
  assert.equal(parseMessageNumber('9999999999'), null);
  assert.equal(parseMessageNumber(undefined), null);
  assert.equal(parseCount('0'), 0);
  assert.equal(parseCount('10'), 10);
  assert.equal(parseCount('x'), null);
});

test('HTTP request lines are recognised, POP3 commands are not', () => {
  assert.equal(isHttpRequestLine(Buffer.from('GET / HTTP/1.1')), true);
  assert.equal(isHttpRequestLine(Buffer.from('POST /x HTTP/1.0')), true);
  assert.equal(isHttpRequestLine(Buffer.from('CONNECT example.com:443 HTTP/1.1')), true);
  assert.equal(isHttpRequestLine(Buffer.from('USER GET')), false);
  assert.equal(isHttpRequestLine(Buffer.from('STAT')), false);
});

test('responses: status lines, codes, multi-line with stuffing', () => {
  assert.equal(okLine(), '+OK\r\n');
  assert.equal(okLine('hi'), '+OK hi\r\n');
  assert.equal(errLine('IN-USE', 'locked'), '-ERR [IN-USE] locked\r\n');
  assert.equal(errLine(null, 'no\r\nsuch'), '-ERR no such\r\n');
  assert.equal(continuationLine(), '+ \r\n');
  assert.equal(multiline('list', ['1 20', '.x']), '+OK list\r\n1 20\r\n..x\r\n.\r\n');
  assert.equal(multiline('empty', []), '+OK empty\r\n.\r\n');
});

/** Encodes a whole message in chunks and returns the wire bytes and the measured size. */
function encodeAll(message: Buffer, size: number, bodyLines?: number, crlfClean = false): { wire: string; octets: number } {
  const enc = new MessageEncoder({ bodyLines, crlfClean });
  const out: Buffer[] = [];
  for (const c of chunksOf(message, size)) {
    out.push(enc.encode(c));
    if (enc.done) break;
  }
  out.push(enc.finish());
  return { wire: Buffer.concat(out).toString('latin1'), octets: enc.octets };
}

/** What a client makes of a RETR response body: unstuff, drop the terminator. */
function unstuff(wire: string): string {
  assert.ok(wire.endsWith('\r\n.\r\n') || wire === '.\r\n', 'terminated by CRLF . CRLF');
  const body = wire === '.\r\n' ? '' : wire.slice(0, -3);
  return body.split('\r\n').map((l) => (l.startsWith('.') ? l.slice(1) : l)).join('\r\n');
}

const ENCODE_TABLE: { name: string; stored: string; wire: string }[] = [
  { name: 'CRLF message passes unchanged', stored: 'Subject: a\r\n\r\nbody\r\n', wire: 'Subject: a\r\n\r\nbody\r\n.\r\n' },
  { name: 'bare LFs become CRLF', stored: 'Subject: a\n\nbody\nmore\n', wire: 'Subject: a\r\n\r\nbody\r\nmore\r\n.\r\n' },
  { name: 'mixed line ends', stored: 'A: 1\r\nB: 2\n\r\nx\ny\r\n', wire: 'A: 1\r\nB: 2\r\n\r\nx\r\ny\r\n.\r\n' },
  { name: 'dot-stuffing at every line start', stored: 'S: x\r\n\r\n.\r\n..two\n.three\r\nmid.dle\r\n', wire: 'S: x\r\n\r\n..\r\n...two\r\n..three\r\nmid.dle\r\n.\r\n' },
  { name: 'a message starting with a dot', stored: '.x\r\n', wire: '..x\r\n.\r\n' },
  { name: 'no final line end gets one', stored: 'S: x\r\n\r\nlast', wire: 'S: x\r\n\r\nlast\r\n.\r\n' },
  { name: 'final line ".": stuffed and ended', stored: 'S: x\n\n.', wire: 'S: x\r\n\r\n..\r\n.\r\n' },
  { name: 'bare CR is not a line end', stored: 'a\rb\r\n.c\r\n', wire: 'a\rb\r\n..c\r\n.\r\n' },
  { name: 'empty message', stored: '', wire: '.\r\n' },
  { name: 'CR CR LF keeps both CRs', stored: 'x\r\r\n.y\n', wire: 'x\r\r\n..y\r\n.\r\n' },
  { name: 'CRLF-clean with dots everywhere', stored: '.a\r\n\r\n.\r\n..\r\nb.\r\n.c\r\n', wire: '..a\r\n\r\n..\r\n...\r\nb.\r\n..c\r\n.\r\n' },
];

for (const row of ENCODE_TABLE) {
  test(`RETR encoding: ${row.name} (chunk sizes 1,2,3,7,64,all)`, () => {
    const stored = Buffer.from(row.stored, 'latin1');
    for (const size of CHUNK_SIZES) {
      const { wire, octets } = encodeAll(stored, size);
      assert.equal(wire, row.wire, `chunk size ${size}`);
      const client = unstuff(wire);
      // The size LIST reports is exactly what the client holds after un-stuffing.
      assert.equal(octets, Buffer.byteLength(client, 'latin1'), `octets, chunk size ${size}`);
      assert.equal(measureChunks(chunksOf(stored, size)), octets, `measured, chunk size ${size}`);
      // The fast path for messages known to be CRLF-clean (measured size = stored size) must
      // give the same bytes.
      if (octets === stored.length) assert.equal(encodeAll(stored, size, undefined, true).wire, row.wire, `crlfClean, chunk size ${size}`);
    }
  });
}

const TOP_TABLE: { name: string; stored: string; lines: number; wire: string }[] = [
  { name: 'TOP 0: header and blank line', stored: 'A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\n', lines: 0, wire: 'A: 1\r\nB: 2\r\n\r\n.\r\n' },
  { name: 'TOP 1', stored: 'A: 1\r\n\r\nl1\r\nl2\r\n', lines: 1, wire: 'A: 1\r\n\r\nl1\r\n.\r\n' },
  { name: 'TOP with LF-only message and stuffing', stored: 'A: 1\n\n.l1\nl2\n', lines: 1, wire: 'A: 1\r\n\r\n..l1\r\n.\r\n' },
  { name: 'TOP more lines than the body has', stored: 'A: 1\r\n\r\nl1', lines: 50, wire: 'A: 1\r\n\r\nl1\r\n.\r\n' },
  { name: 'TOP of a message without body', stored: 'A: 1\r\nB: 2\r\n', lines: 3, wire: 'A: 1\r\nB: 2\r\n.\r\n' },
  { name: 'TOP 0 with CRLF blank line split by LF-only header', stored: 'A: 1\nB: 2\n\nbody\n', lines: 0, wire: 'A: 1\r\nB: 2\r\n\r\n.\r\n' },
];

for (const row of TOP_TABLE) {
  test(`TOP encoding: ${row.name} (chunk sizes 1,2,3,7,64,all)`, () => {
    for (const size of CHUNK_SIZES) {
      assert.equal(encodeAll(Buffer.from(row.stored, 'latin1'), size, row.lines).wire, row.wire, `chunk size ${size}`);
    }
  });
}

test('RETR encoding of random bytes: un-stuffed result equals the CRLF-normalised original', () => {
  let seed = 7;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const alphabet = [0x0a, 0x0d, 0x2e, 0x41, 0x20];
  const bytes = Buffer.from(Array.from({ length: 5000 }, () => alphabet[rand() % alphabet.length]));
  // Expected: every LF not preceded by CR gets one; a CRLF at the end if missing.
  let normal = bytes.toString('latin1').replace(/(?<!\r)\n/g, '\r\n');
  if (normal.length > 0 && !normal.endsWith('\n')) normal += '\r\n';
  for (const size of CHUNK_SIZES) {
    const { wire, octets } = encodeAll(bytes, size);
    assert.equal(unstuff(wire), normal, `chunk size ${size}`);
    assert.equal(octets, normal.length);
    assert.ok(!/\r\n\.[^.\r]/.test('\r\n' + wire.slice(0, -3)), 'no unstuffed dot at a line start');
  }
});
