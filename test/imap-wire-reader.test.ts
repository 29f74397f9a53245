// CommandReader and tokenizer: token trees, literals, limits, resynchronisation, raw-line mode,
// and the chunk-size sweep (DESIGN.md §4).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommandReader, isIdleDone, type ReaderEvent, type Token } from '../src/wire/imap/index.ts';
import { CHUNK_SIZES, feed, sweep } from './imap-wire-helpers.ts';

const atom = (value: string): Token => ({ type: 'atom', value });
const q = (value: string): Token => ({ type: 'string', value: Buffer.from(value, 'latin1'), form: 'quoted' });
const lit = (value: string, form: 'literal' | 'literal8' = 'literal'): Token => ({ type: 'string', value: Buffer.from(value, 'latin1'), form });
const list = (...items: Token[]): Token => ({ type: 'list', items });

function only(events: ReaderEvent[]) {
  const cmds = events.filter((e) => e.kind === 'command');
  assert.equal(cmds.length, 1, JSON.stringify(events));
  const ev = cmds[0];
  if (ev.kind !== 'command') throw new Error('unreachable');
  return ev.command;
}

function errors(events: ReaderEvent[]) {
  return events.filter((e) => e.kind === 'error');
}

describe('tokenizer: token trees', () => {
  const table: [string, string, string, Token[]][] = [
    ['a NOOP\r\n', 'a', 'NOOP', []],
    ['A001 noop\r\n', 'A001', 'NOOP', []],
    ['a LOGIN smith sesame\r\n', 'a', 'LOGIN', [atom('smith'), atom('sesame')]],
    ['a LOGIN "fred foobar" "a\\"b\\\\c"\r\n', 'a', 'LOGIN', [q('fred foobar'), q('a"b\\c')]],
    ['a LOGIN "" ""\r\n', 'a', 'LOGIN', [q(''), q('')]],
    ['a SELECT [Gmail]/Sent\r\n', 'a', 'SELECT', [atom('[Gmail]/Sent')]],
    ['a SELECT NIL\r\n', 'a', 'SELECT', [atom('NIL')]],
    ['a STORE 2:4 +FLAGS (\\Deleted $Junk)\r\n', 'a', 'STORE', [atom('2:4'), atom('+FLAGS'), list(atom('\\Deleted'), atom('$Junk'))]],
    ['a LIST "" %/*\r\n', 'a', 'LIST', [q(''), atom('%/*')]],
    ['a X (() (a (b)))\r\n', 'a', 'X', [list(list(), list(atom('a'), list(atom('b'))))]],
    ['a LOGIN {5}\r\nsmith {6}\r\nsesame\r\n', 'a', 'LOGIN', [lit('smith'), lit('sesame')]],
    ['a LOGIN {5+}\r\nsmith {0+}\r\n\r\n', 'a', 'LOGIN', [lit('smith'), lit('')]],
    ['a APPEND x ~{4}\r\n\x00\r\n\x01\r\n', 'a', 'APPEND', [atom('x'), lit('\x00\r\n\x01', 'literal8')]],
    ['a X ({3}\r\n)\r\n)\r\n', 'a', 'X', [list(lit(')\r\n'))]],
    ['a LOGIN "caf\xc3\xa9" x\r\n', 'a', 'LOGIN', [q('caf\xc3\xa9'), atom('x')]],
    ['a NOOP\n', 'a', 'NOOP', []],
    ['a LOGIN x y \r\n', 'a', 'LOGIN', [atom('x'), atom('y')]],
  ];
  for (const [wire, tag, name, args] of table) {
    it(JSON.stringify(wire), () => {
      const cmd = only(sweep(wire));
      assert.equal(cmd.tag, tag);
      assert.equal(cmd.name, name);
      assert.deepEqual(cmd.args, args);
    });
  }

  it('sections with part paths, header lists and partials', () => {
    const cmd = only(sweep('a FETCH 1 (BODY.PEEK[1.2.HEADER.FIELDS (From "To")]<5.10> body[] BINARY.SIZE[3] BINARY[1]<0.1>)\r\n'));
    const [, l] = cmd.args;
    assert.deepEqual(l, list(
      { type: 'section', name: 'BODY.PEEK', items: [atom('1.2.HEADER.FIELDS'), list(atom('From'), q('To'))], partial: { offset: 5, length: 10 } },
      { type: 'section', name: 'BODY', items: [], partial: null },
      { type: 'section', name: 'BINARY.SIZE', items: [atom('3')], partial: null },
      { type: 'section', name: 'BINARY', items: [atom('1')], partial: { offset: 0, length: 1 } },
    ));
  });

  it('reports the wire size of a command, literals included', () => {
    const cmd = only(feed('a LOGIN {5}\r\nsmith x\r\n'));
    assert.equal(cmd.size, 'a LOGIN {5}\r\n'.length + 5 + ' x\r\n'.length);
  });
});

describe('reader: synchronising literals', () => {
  it('asks for a continuation before each synchronising literal, never for {N+}', () => {
    const events = sweep('a LOGIN {5}\r\nsmith {6+}\r\nsesame\r\n');
    assert.deepEqual(events.map((e) => e.kind), ['continue', 'literal', 'command']);
    assert.deepEqual(events[0], { kind: 'continue', tag: 'a', name: 'LOGIN', size: 5, args: [] });
    // {N+} is announced too (the session may refuse it), with the arguments before it.
    assert.deepEqual(events[1], { kind: 'literal', tag: 'a', name: 'LOGIN', size: 6, args: [{ type: 'string', form: 'literal', value: Buffer.from('smith') }] });
  });

  it('refuseLiteral() abandons the command; the next line is a new command', () => {
    const r = new CommandReader();
    r.push(Buffer.from('a APPEND x {10}\r\n'));
    assert.deepEqual(r.next(), { kind: 'continue', tag: 'a', name: 'APPEND', size: 10, args: [{ type: 'atom', value: 'x' }] });
    r.refuseLiteral();
    r.push(Buffer.from('b NOOP\r\n'));
    const ev = r.next();
    assert.equal(ev?.kind, 'command');
    assert.equal(ev?.kind === 'command' && ev.command.tag, 'b');
  });

  it('collects a literal as it arrives instead of allocating the announced size', () => {
    const r = new CommandReader();
    const before = process.memoryUsage().arrayBuffers;
    r.push(Buffer.from('a APPEND x {60000000}\r\n'));
    assert.equal(r.next()?.kind, 'continue');
    r.push(Buffer.from('abc'));
    assert.equal(r.next(), null);
    assert.equal(r.inCommand, true);
    assert.ok(process.memoryUsage().arrayBuffers - before < 16 * 1024 * 1024, 'no 60 MB buffer was allocated');
  });
});

describe('reader: bad input', () => {
  const resync: [string, string][] = [
    ['a LOGIN "x\x00y" z\r\n', 'NUL in quoted string'],
    ['a LOGIN "x\ry" z\r\n', 'CR or LF in quoted string'],
    ['a LOGIN "x\\ny" z\r\n', 'Invalid escape in quoted string'],
    ['a LOGIN "xy z\r\n', 'Unterminated quoted string'],
    ['a X (a b\r\n', 'Unterminated list "("'],
    ['a X a)\r\n', 'Unexpected ")"'],
    ['a X  a\r\n', 'Unexpected space'],
    ['a X (a)(b)\r\n', 'Missing space between arguments'],
    ['a X {3}x\r\n', 'Literal must end the line'],
    ['a X {}\r\n', 'Invalid literal size'],
    ['a X {-1}\r\n', 'Invalid literal size'],
    ['a X {abc}\r\n', 'Invalid literal size'],
    ['a X {5\r\n', 'Invalid literal'],
    ['a X a\x01b\r\n', 'Control character in command'],
    ['a X a\x00b\r\n', 'NUL in command'],
    ['a X caf\xe9\r\n', '8-bit character outside a string'],
    ['a X BODY[TEXT\r\n', 'Unterminated section "["'],
    ['a X BODY[]<1.x>\r\n', 'Invalid partial range'],
    ['a X BODY[]<99999999999>\r\n', 'Partial range too large'],
  ];
  for (const [wire, text] of resync) {
    it(`${JSON.stringify(wire)} → tagged BAD, then the next command is read`, () => {
      const events = sweep(wire + 'b NOOP\r\n');
      assert.deepEqual(events[0], { kind: 'error', tag: 'a', code: null, text, fatal: false });
      assert.equal(events.length, 2);
      assert.equal(events[1].kind === 'command' && events[1].command.tag, 'b');
    });
  }

  const untagged: [string, string][] = [
    ['\r\n', 'Empty command line'],
    ['* NOOP\r\n', 'Invalid tag'],
    ['a+b NOOP\r\n', 'Invalid tag'],
    ['"a" NOOP\r\n', 'Invalid tag'],
  ];
  for (const [wire, text] of untagged) {
    it(`${JSON.stringify(wire)} → untagged BAD`, () => {
      const events = sweep(wire + 'b NOOP\r\n');
      assert.deepEqual(events[0], { kind: 'error', tag: null, code: null, text, fatal: false });
      assert.equal(events[1].kind, 'command');
    });
  }

  it('a tag without a command, and a command name that is not a word', () => {
    assert.deepEqual(errors(feed('a\r\n')), [{ kind: 'error', tag: 'a', code: null, text: 'Missing command', fatal: false }]);
    assert.deepEqual(errors(feed('a 123\r\n')), [{ kind: 'error', tag: 'a', code: null, text: 'Invalid command name', fatal: false }]);
  });

  it('a failed line that announces {N+} skips the literal and the rest of the command', () => {
    const events = sweep('a LOGIN "\x00" {9+}\r\nb DELETE x more\r\nc NOOP\r\n');
    assert.equal(events.length, 2);
    assert.equal(events[0].kind === 'error' && events[0].fatal, false);
    assert.equal(events[1].kind === 'command' && events[1].command.tag, 'c');
  });

  it('skipping the rest of a failed command is bounded by maxCommandBytes too', () => {
    const chain = 'a X "\x00" {50+}\r\n' + ('y'.repeat(50) + ' {50+}\r\n').repeat(5);
    const events = feed(chain, Infinity, { maxCommandBytes: 200 });
    assert.deepEqual(events.map((e) => e.kind === 'error' && e.fatal), [false, true]);
  });

  it('a failed line that announces {N+} beyond the limit gives up the stream', () => {
    const events = sweep('a LOGIN "\x00" {9999999+}\r\nxxxx\r\n', { maxNonSyncLiteralBytes: 4096 });
    assert.deepEqual(events, [{ kind: 'error', tag: 'a', code: null, text: 'NUL in quoted string', fatal: true }]);
  });

  it('stops reading after a fatal error', () => {
    const r = new CommandReader({ maxLineBytes: 10 });
    r.push(Buffer.from('a NOOP but far too long'));
    assert.equal(r.next()?.kind, 'error');
    r.push(Buffer.from('\r\nb NOOP\r\n'));
    assert.equal(r.next(), null);
  });

  it('a line longer than maxLineBytes is fatal as soon as it is too long, CRLF or not', () => {
    for (const input of ['a X ' + 'y'.repeat(100), 'a X ' + 'y'.repeat(100) + '\r\n']) {
      const events = sweep(input, { maxLineBytes: 64 });
      assert.deepEqual(events, [{ kind: 'error', tag: null, code: 'TOOBIG', text: 'Line too long', fatal: true }]);
    }
  });

  it('a line of exactly maxLineBytes is accepted', () => {
    const line = 'a X ' + 'y'.repeat(60);
    assert.equal(line.length, 64);
    assert.equal(only(sweep(line + '\r\n', { maxLineBytes: 64 })).args.length, 1);
  });

  it('the total command size is bounded across lines and literals', () => {
    const events = feed('a X {40}\r\n' + 'z'.repeat(40) + ' {40}\r\n', Infinity, { maxCommandBytes: 90 });
    assert.deepEqual(events.map((e) => e.kind), ['continue', 'error']);
    assert.deepEqual(events[1], { kind: 'error', tag: 'a', code: 'TOOBIG', text: 'Literal too large', fatal: false });
  });
});

describe('reader: raw lines and mode switches', () => {
  function session(input: string, size: number): unknown[] {
    const r = new CommandReader();
    const out: unknown[] = [];
    const bytes = Buffer.from(input, 'latin1');
    for (let i = 0; i < bytes.length; i += size) {
      r.push(bytes.subarray(i, i + size));
      for (let ev = r.next(); ev; ev = r.next()) {
        if (ev.kind === 'command') {
          out.push(['command', ev.command.tag, ev.command.name, ev.command.args.length]);
          if (ev.command.name === 'IDLE' || ev.command.name === 'AUTHENTICATE') r.expectLine();
        } else if (ev.kind === 'line') {
          out.push(['line', ev.line.toString('latin1')]);
          if (ev.line.toString() === 'bWFyaw==') r.expectLine();
        } else {
          out.push([ev.kind]);
        }
      }
    }
    return out;
  }

  it('IDLE then DONE, AUTHENTICATE with two responses, identical for every chunk size', () => {
    const input = 'a IDLE\r\nDONE\r\nb AUTHENTICATE PLAIN\r\nbWFyaw==\r\n*\r\nc NOOP\r\n';
    const expected = [
      ['command', 'a', 'IDLE', 0], ['line', 'DONE'], ['command', 'b', 'AUTHENTICATE', 1],
      ['line', 'bWFyaw=='], ['line', '*'], ['command', 'c', 'NOOP', 0],
    ];
    for (const size of [1, 2, 3, 7, 64, 1000]) assert.deepEqual(session(input, size), expected, `chunk ${size}`);
  });

  it('isIdleDone: DONE in any case, nothing else', () => {
    for (const ok of ['DONE', 'done', 'Done']) assert.equal(isIdleDone(Buffer.from(ok)), true, ok);
    for (const no of ['DONE ', ' DONE', 'DON', 'DONEE', 'a DONE', '']) assert.equal(isIdleDone(Buffer.from(no)), false, no);
  });

  it('a raw line is bounded by maxLineBytes too', () => {
    const r = new CommandReader({ maxLineBytes: 16 });
    r.expectLine();
    r.push(Buffer.from('x'.repeat(40)));
    assert.deepEqual(r.next(), { kind: 'error', tag: null, code: 'TOOBIG', text: 'Line too long', fatal: true });
  });

  it('takeBuffered() hands over what follows STARTTLS, so it can be discarded', () => {
    const r = new CommandReader();
    r.push(Buffer.from('a STARTTLS\r\nb CAPABILITY\r\n'));
    const ev = r.next();
    assert.equal(ev?.kind === 'command' && ev.command.name, 'STARTTLS');
    assert.equal(r.bufferedBytes, 'b CAPABILITY\r\n'.length);
    assert.equal(r.takeBuffered().toString(), 'b CAPABILITY\r\n');
    assert.equal(r.next(), null);
    r.push(Buffer.from('c NOOP\r\n'));
    const after = r.next();
    assert.equal(after?.kind === 'command' && after.command.tag, 'c');
  });

  it('expectLine() in the middle of a command is a programming error', () => {
    const r = new CommandReader();
    r.push(Buffer.from('a LOGIN {3}\r\n'));
    assert.equal(r.next()?.kind, 'continue');
    assert.throws(() => r.expectLine());
  });

  it('setLimits() applies to the next literal (small before login, larger after)', () => {
    const r = new CommandReader({ maxLiteralBytes: 10 });
    r.push(Buffer.from('a APPEND x {20}\r\n'));
    assert.deepEqual(r.next(), { kind: 'error', tag: 'a', code: 'TOOBIG', text: 'Literal too large', fatal: false });
    r.setLimits({ maxLiteralBytes: 100 });
    assert.equal(r.currentLimits.maxLiteralBytes, 100);
    r.push(Buffer.from('b APPEND x {20}\r\n'));
    assert.equal(r.next()?.kind, 'continue');
  });
});

describe('reader: chunk-size sweep of a mixed transcript', () => {
  // RFC 9051 §8 sample session, plus literals of every kind and errors in between.
  const transcript = [
    'a001 login mrc secret\r\n',
    'a002 select inbox\r\n',
    'a003 fetch 12 full\r\n',
    'a004 fetch 12 body[header]\r\n',
    'a005 store 12 +flags \\deleted\r\n',
    'a006 noop\r\n',
    'a007 APPEND saved-messages (\\Seen) {18}\r\nFrom: x\r\n\r\nhello\r\n\r\n',
    'a008 APPEND x {3+}\r\nabc ~{3}\r\n\x00\x01\x02\r\n',
    'a009 LOGIN "bad\x00" x\r\n',
    'a010 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n',
    'a011 SEARCH CHARSET UTF-8 SUBJECT {4}\r\ncaf\xc3\xa9\r\n'.replace('{4}', '{5}'),
    'a012 logout\r\n',
  ].join('');

  it('gives identical events for chunk sizes ' + CHUNK_SIZES.join(', '), () => {
    const events = sweep(transcript);
    assert.deepEqual(
      events.map((e) => (e.kind === 'command' ? e.command.tag : e.kind)),
      ['a001', 'a002', 'a003', 'a004', 'a005', 'a006', 'continue', 'a007', 'literal', 'continue', 'a008', 'error', 'a010', 'continue', 'a011', 'a012'],
    );
  });
});
