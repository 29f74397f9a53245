// Every IMAP line of SECURITY-CASES.md that the wire layer can answer on its own.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normaliseMailboxName } from '../src/mail/mailbox-name.ts';
import type { MimePart } from '../src/wire/mime/types.ts';
import { CommandReader, parseCommand, ResponseBuilder, writeBodyStructure, type ReaderEvent } from '../src/wire/imap/index.ts';
import { feed, parseOk, sweep } from './imap-wire-helpers.ts';

const PRE_LOGIN = { maxLiteralBytes: 8 * 1024, maxNonSyncLiteralBytes: 4 * 1024, maxCommandBytes: 16 * 1024 };
const POST_LOGIN = {};

describe('hostile literal sizes, before and after login', () => {
  for (const [phase, limits] of [['before login', PRE_LOGIN], ['after login', POST_LOGIN]] as const) {
    const sync: [string, ReaderEvent][] = [
      ['a LOGIN {4294967295}\r\n', { kind: 'error', tag: 'a', code: 'TOOBIG', text: 'Literal too large', fatal: false }],
      ['a LOGIN {4294967296}\r\n', { kind: 'error', tag: 'a', code: 'TOOBIG', text: 'Literal size too large', fatal: false }],
      ['a LOGIN {99999999999999999999}\r\n', { kind: 'error', tag: 'a', code: 'TOOBIG', text: 'Literal size too large', fatal: false }],
      ['a LOGIN {-1}\r\n', { kind: 'error', tag: 'a', code: null, text: 'Invalid literal size', fatal: false }],
      ['a LOGIN {}\r\n', { kind: 'error', tag: 'a', code: null, text: 'Invalid literal size', fatal: false }],
      ['a LOGIN {1e9}\r\n', { kind: 'error', tag: 'a', code: null, text: 'Invalid literal', fatal: false }],
    ];
    for (const [wire, expected] of sync) {
      it(`${phase}: ${JSON.stringify(wire)} → BAD, no continuation, next command read`, () => {
        const events = sweep(wire + 'b NOOP\r\n', limits);
        assert.deepEqual(events[0], expected);
        assert.equal(events.length, 2);
        assert.equal(events[1].kind, 'command');
      });
    }

    const nonSync = ['a LOGIN {4294967295+}\r\n', 'a LOGIN {99999999999999999999+}\r\n', 'a APPEND x ~{4294967295+}\r\n'];
    for (const wire of nonSync) {
      it(`${phase}: ${JSON.stringify(wire)} → fatal: the client is already sending the data`, () => {
        const events = sweep(wire + 'b NOOP\r\n', limits);
        assert.equal(events.length, 1);
        assert.equal(events[0].kind === 'error' && events[0].fatal, true);
        assert.equal(events[0].kind === 'error' && events[0].code, 'TOOBIG');
      });
    }
  }

  it('oversized {N+} under LITERAL- (4096) is fatal; {4096+} is fine', () => {
    const limits = { maxNonSyncLiteralBytes: 4096 };
    const ok = sweep(`a APPEND x {4096+}\r\n${'x'.repeat(4096)}\r\n`, limits);
    assert.deepEqual(ok.map((e) => e.kind), ['literal', 'command']);
    const tooBig = feed(`a APPEND x {4097+}\r\n${'x'.repeat(4097)}\r\n`, Infinity, limits);
    assert.deepEqual(tooBig, [{ kind: 'error', tag: 'a', code: 'TOOBIG', text: 'Non-synchronizing literal too large', fatal: true }]);
  });

  it('a pre-login literal limit does not let a 9 KB literal through; after setLimits it does', () => {
    const r = new CommandReader(PRE_LOGIN);
    r.push(Buffer.from('a LOGIN {9000}\r\n'));
    assert.equal(r.next()?.kind, 'error');
    r.setLimits({ maxLiteralBytes: 64 * 1024 * 1024, maxCommandBytes: 65 * 1024 * 1024 });
    r.push(Buffer.from('b APPEND x {9000}\r\n'));
    assert.equal(r.next()?.kind, 'continue');
  });

  it('a refused {N+} is skipped as it arrives, with the rest of its command; nothing is buffered', () => {
    const r = new CommandReader();
    r.push(Buffer.from('a SEARCH TEXT {1000000+}\r\n'));
    const ev = r.next();
    assert.deepEqual(ev, { kind: 'literal', tag: 'a', name: 'SEARCH', size: 1000000, args: [{ type: 'atom', value: 'TEXT' }] });
    r.refuseLiteral();
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    for (let sent = 0; sent < 1000000; sent += chunk.length) {
      r.push(chunk.subarray(0, Math.min(chunk.length, 1000000 - sent)));
      assert.equal(r.next(), null);
      assert.equal(r.bufferedBytes, 0, 'skipped bytes are not kept');
    }
    // The command goes on after the literal ({2+} more, then the line end): skipped too.
    r.push(Buffer.from(' OR {2+}\r\nxy\r\nb NOOP\r\n'));
    const next = r.next();
    assert.equal(next?.kind === 'command' && next.command.tag, 'b');
  });

  it('a literal trickled one byte at a time: nothing happens until the last byte, then one command', () => {
    const r = new CommandReader();
    r.push(Buffer.from('a APPEND x {1000}\r\n'));
    assert.equal(r.next()?.kind, 'continue');
    for (let i = 0; i < 999; i++) {
      r.push(Buffer.from('z'));
      assert.equal(r.next(), null);
    }
    assert.equal(r.bufferedBytes, 0, 'literal bytes are taken as they arrive');
    r.push(Buffer.from('z\r\n'));
    const ev = r.next();
    assert.equal(ev?.kind === 'command' && ev.command.args[1].type === 'string' && ev.command.args[1].value.length, 1000);
  });
});

describe('NUL in a quoted string (CVE-2019-11500)', () => {
  for (const [wire, text] of [
    ['a LOGIN "us\x00er" pw\r\n', 'NUL in quoted string'],
    ['a SELECT "IN\x00BOX"\r\n', 'NUL in quoted string'],
    ['a SEARCH SUBJECT "\x00"\r\n', 'NUL in quoted string'],
    ['a LOGIN "\\\x00" pw\r\n', 'Invalid escape in quoted string'],
  ]) {
    it(JSON.stringify(wire), () => {
      const events = sweep(wire + 'b NOOP\r\n');
      assert.equal(events[0].kind === 'error' && events[0].text, text);
      assert.equal(events[0].kind === 'error' && events[0].fatal, false);
      assert.equal(events[1].kind, 'command');
    });
  }
  it('NUL inside a literal is data, but mailbox names with NUL do not decode', () => {
    const c = parseOk('a LOGIN {3}\r\nu\x00r pw\r\n');
    assert.equal(c.name === 'LOGIN' && c.user, 'u\x00r');
    const s = parseOk('a SELECT {3}\r\na\x00b\r\n');
    assert.deepEqual(s.name === 'SELECT' && s.mailbox, { ok: false, wire: 'a\x00b', reason: 'character outside printable US-ASCII' });
    const u = parseOk('a SELECT {3}\r\na\x00b\r\n', { utf8Accept: true });
    assert.deepEqual(u.name === 'SELECT' && u.mailbox, { ok: false, wire: 'a\x00b', reason: 'control character' });
  });
});

describe('"a SEARCH " followed by 100,000 "("', () => {
  const bomb = 'a SEARCH ' + '('.repeat(100_000) + '\r\nb NOOP\r\n';

  it('with the default line limit: the line is too long, fatal, nothing built', () => {
    const events = feed(bomb);
    assert.deepEqual(events, [{ kind: 'error', tag: null, code: 'TOOBIG', text: 'Line too long', fatal: true }]);
  });

  it('with a 1 MB line limit: BAD at the nesting limit, then the next command; memory stays bounded', () => {
    const before = process.memoryUsage().heapUsed;
    for (const size of [1, 7, 4096, Infinity]) {
      const events = feed(bomb, size, { maxLineBytes: 1024 * 1024 });
      assert.deepEqual(events[0], { kind: 'error', tag: 'a', code: null, text: 'Too many nested lists', fatal: false });
      assert.equal(events[1].kind === 'command' && events[1].command.tag, 'b');
    }
    assert.ok(process.memoryUsage().heapUsed - before < 64 * 1024 * 1024);
  });

  it('closing parentheses, NOT and OR chains are bounded as well, without recursion trouble', () => {
    const wide = { maxLineBytes: 1024 * 1024 };
    assert.equal(feed('a SEARCH ' + ')'.repeat(100_000) + '\r\n', Infinity, wide)[0].kind, 'error');
    for (const keys of ['NOT '.repeat(100_000) + 'ALL', 'OR ALL '.repeat(50_000) + 'ALL']) {
      const events = feed(`a SEARCH ${keys}\r\n`, Infinity, wide);
      assert.equal(events[0].kind, 'command');
      if (events[0].kind !== 'command') return;
      const res = parseCommand(events[0].command);
      assert.deepEqual(res, { ok: false, tag: 'a', error: { kind: 'bad', code: null, text: 'Search criteria nested too deeply' } });
    }
  });
});

describe('mailbox names that try to escape', () => {
  // The wire layer decodes; src/mail/mailbox-name.ts refuses. Both steps together, as the session runs them.
  const decodeThenNormalise = (wire: string): string => {
    const c = parseOk(`a SELECT "${wire}"\r\n`);
    if (c.name !== 'SELECT') throw new Error('unreachable');
    if (!c.mailbox.ok) throw new Error(`NO [CANNOT] ${c.mailbox.reason}`);
    return normaliseMailboxName(c.mailbox.name);
  };

  for (const wire of ['../x', 'a/../../b', '~root/x', '/etc', 'INBOX/..', 'a//b', 'x/']) {
    it(`${wire}: decodes as written, refused by the mailbox rules`, () => {
      const c = parseOk(`a SELECT "${wire}"\r\n`);
      assert.deepEqual(c.name === 'SELECT' && c.mailbox, { ok: true, wire, name: wire });
      assert.throws(() => decodeThenNormalise(wire));
    });
  }

  for (const [wire, reason] of [
    ['&AC4ALg-', 'printable US-ASCII must not be encoded'],
    ['a&AC8-b', 'printable US-ASCII must not be encoded'],
    ['INBOX&AC8ALgAu-', 'printable US-ASCII must not be encoded'],
    ['x&AAA-', 'control character'],
    ['&Jjo', 'unterminated "&" shift'],
    ['&Jjp-', 'invalid padding bits'],
    ['&Jjo-&Jjo-', 'adjacent encoded runs'],
  ]) {
    it(`${wire}: UTF-7 trick refused before it becomes a name (${reason})`, () => {
      const c = parseOk(`a SELECT "${wire}"\r\n`);
      assert.deepEqual(c.name === 'SELECT' && c.mailbox, { ok: false, wire, reason });
      assert.throws(() => decodeThenNormalise(wire), /NO \[CANNOT\]/);
    });
  }
});

describe('STARTTLS injection: "a STARTTLS\\r\\nb CAPABILITY\\r\\n" in one packet', () => {
  it('the session can drop everything after STARTTLS before the handshake', () => {
    const r = new CommandReader();
    r.push(Buffer.from('a STARTTLS\r\nb CAPABILITY\r\n'));
    const ev = r.next();
    assert.equal(ev?.kind === 'command' && ev.command.name, 'STARTTLS');
    const dropped = r.takeBuffered();
    assert.equal(dropped.toString(), 'b CAPABILITY\r\n');
    assert.equal(r.next(), null, 'b is never read');
  });
});

describe('MIME bombs in BODYSTRUCTURE', () => {
  const leaf = (i: number): MimePart => ({
    section: String(i), headerStart: 0, headerEnd: 0, bodyStart: 0, bodyEnd: 0, type: 'text', subtype: 'plain', params: {},
    id: null, description: null, encoding: '7BIT', size: 1, lines: 1, md5: null, disposition: null, language: null, location: null,
    parts: [], message: null,
  });
  it('100,000 sibling parts encode completely', () => {
    const root = { ...leaf(0), type: 'multipart', subtype: 'mixed', parts: Array.from({ length: 100_000 }, (_, i) => leaf(i + 1)) };
    const b = new ResponseBuilder();
    writeBodyStructure(b, root, true);
    const out = b.toBuffer().toString();
    assert.equal(out.split('"PLAIN"').length - 1, 100_000);
    assert.ok(out.endsWith(' "MIXED" NIL NIL NIL NIL)'));
  });
});
