// Hostile and broken input: the parser never throws, hits its limits, marks `truncated` and
// keeps every offset exact (SECURITY-CASES.md, IMAP: 10,000 nested multiparts, 100,000
// sibling parts). No timing assertions: bench/mime-parse.ts measures speed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import { parseMessage, findPart, DEFAULT_MIME_LIMITS, type MimePart } from '../src/wire/mime/index.ts';

const crlf = (s: string): string => s.replace(/\n/g, '\r\n');

/** Structural invariants every parse result must keep, checked without recursion. */
function checkInvariants(raw: Buffer, root: MimePart): number {
  let count = 0;
  const stack: [MimePart, number, number][] = [[root, 0, raw.length]];
  while (stack.length > 0) {
    const [p, lo, hi] = stack.pop()!;
    count++;
    assert.ok(lo <= p.headerStart && p.headerStart <= p.headerEnd && p.headerEnd === p.bodyStart && p.bodyStart <= p.bodyEnd && p.bodyEnd <= hi, `offsets of "${p.section}"`);
    assert.equal(p.size, p.bodyEnd - p.bodyStart);
    assert.equal(p.type === 'multipart', p.parts.length > 0, `multipart ⇔ children for "${p.section}"`);
    assert.equal(p.type === 'message' && (p.subtype === 'rfc822' || p.subtype === 'global'), p.message !== null, `message ⇔ encapsulated for "${p.section}"`);
    if (p.type === 'text') assert.equal(typeof p.params.charset, 'string');
    let prev = p.bodyStart;
    p.parts.forEach((c, k) => {
      assert.equal(c.section, p.section === '' ? String(k + 1) : `${p.section}.${k + 1}`);
      assert.ok(c.headerStart >= prev, 'children in order, not overlapping');
      prev = c.bodyEnd;
      assert.equal(findPart(root, c.section), c);
      stack.push([c, p.bodyStart, p.bodyEnd]);
    });
    if (p.message !== null) {
      assert.equal(p.message.root.section, p.section);
      assert.equal(p.message.root.headerStart, p.bodyStart);
      assert.equal(p.message.root.bodyEnd, p.bodyEnd);
      stack.push([p.message.root, p.bodyStart, p.bodyEnd]);
    }
  }
  return count;
}

test('10,000 nested multiparts: split down to maxDepth, then one text/plain leaf', () => {
  let head = 'Subject: nested\r\n';
  let tail = '';
  for (let i = 0; i < 10_000; i++) {
    head += `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n`;
    tail = `\r\n--b${i}--\r\n` + tail;
  }
  const raw = Buffer.from(head + 'Content-Type: text/plain\r\n\r\nleaf' + tail);
  const { summary, searchText } = parseMessage(raw);
  assert.equal(summary.truncated, true);
  assert.equal(checkInvariants(raw, summary.root), DEFAULT_MIME_LIMITS.maxDepth + 1);
  let p = summary.root;
  for (let d = 0; d < DEFAULT_MIME_LIMITS.maxDepth; d++) {
    assert.equal(p.type, 'multipart');
    assert.equal(p.params.boundary, `b${d}`);
    assert.equal(p.parts.length, 1);
    p = p.parts[0];
  }
  assert.equal(p.section, Array(50).fill('1').join('.'));
  assert.deepEqual([p.type, p.subtype, p.params], ['text', 'plain', { boundary: 'b50', charset: 'us-ascii' }]);
  assert.equal(raw.subarray(p.headerStart, p.headerEnd).toString(), 'Content-Type: multipart/mixed; boundary="b50"\r\n\r\n');
  assert.ok(raw.subarray(p.bodyStart, p.bodyEnd).toString().startsWith('--b50\r\nContent-Type: multipart/mixed; boundary="b51"'));
  assert.ok(searchText.length <= DEFAULT_MIME_LIMITS.maxSearchTextBytes);
  // A lower limit cuts higher up.
  const shallow = parseMessage(raw, { maxDepth: 3 });
  assert.equal(findPart(shallow.summary.root, '1.1.1')!.type, 'text');
  assert.equal(findPart(shallow.summary.root, '1.1.1.1'), null);
});

test('100,000 sibling parts: the first maxParts - 1 are kept', () => {
  let s = 'Content-Type: multipart/mixed; boundary=x\r\n\r\n';
  for (let i = 0; i < 100_000; i++) s += `--x\r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`;
  const raw = Buffer.from(s + '--x--\r\n');
  const { summary } = parseMessage(raw);
  assert.equal(summary.truncated, true);
  assert.equal(summary.root.parts.length, DEFAULT_MIME_LIMITS.maxParts - 1);
  const last = summary.root.parts[998];
  assert.equal(last.section, '999');
  assert.equal(raw.subarray(last.bodyStart, last.bodyEnd).toString(), 'part 998');
  assert.equal(checkInvariants(raw, summary.root), DEFAULT_MIME_LIMITS.maxParts);
  assert.equal(parseMessage(raw, { maxParts: 10 }).summary.root.parts.length, 9);
});

test('a 1 MB header line: value cut at maxHeaderBytes, offsets exact', () => {
  const raw = Buffer.from(`Subject: ${'a'.repeat(1 << 20)}\r\nFrom: late@example.com\r\n\r\nbody\r\n`);
  const { summary } = parseMessage(raw);
  assert.equal(summary.truncated, true);
  assert.equal(summary.subject, 'a'.repeat(DEFAULT_MIME_LIMITS.maxHeaderBytes - 'Subject: '.length));
  assert.equal(summary.envelope.from, null); // beyond the limit
  assert.equal(summary.root.headerEnd, raw.indexOf('\r\n\r\n') + 4);
  assert.equal(raw.subarray(summary.root.bodyStart, summary.root.bodyEnd).toString(), 'body\r\n');
  assert.equal(summary.root.lines, 1);
});

test('100,000 header lines: fields read up to the limit, body found', () => {
  const lines = ['Subject: many headers'];
  for (let i = 0; i < 100_000; i++) lines.push(`X-Filler-${i}: value ${i}`);
  lines.push('Content-Type: text/html');
  const raw = Buffer.from(lines.join('\r\n') + '\r\n\r\n<p>body</p>');
  const { summary } = parseMessage(raw);
  assert.equal(summary.truncated, true);
  assert.equal(summary.subject, 'many headers');
  // Content-Type came after the limit: the default applies.
  assert.deepEqual([summary.root.type, summary.root.subtype], ['text', 'plain']);
  assert.equal(raw.subarray(summary.root.bodyStart).toString(), '<p>body</p>');
});

test('100,000 addresses in To: a prefix of complete addresses', () => {
  const list = Array.from({ length: 100_000 }, (_, i) => `"User ${i}" <u${i}@example.com>`);
  const raw = Buffer.from(`From: a@example.com\r\nTo: ${list.join(',\r\n ')}\r\nSubject: all\r\n\r\nhi\r\n`);
  const { summary } = parseMessage(raw);
  assert.equal(summary.truncated, true);
  const to = summary.to;
  assert.ok(to.length > 1000 && to.length < 100_000, `${to.length} addresses`);
  to.forEach((a, i) => assert.deepEqual(a, { name: `User ${i}`, address: `u${i}@example.com` }));
  assert.equal(summary.envelope.to!.length, to.length);
  assert.deepEqual(summary.from, [{ name: '', address: 'a@example.com' }]);
  // Below the limit every address is there.
  const small = parseMessage(raw, { maxHeaderBytes: 8 << 20 });
  assert.equal(small.summary.truncated, false);
  assert.equal(small.summary.to.length, 100_000);
});

test('multipart without boundary, or with no delimiter line, is text/plain (RFC 2045 §5.2)', () => {
  for (const ct of ['multipart/mixed', 'multipart/mixed; boundary=nothere', 'multipart/mixed; boundary=""']) {
    const raw = Buffer.from(`Content-Type: ${ct}\r\n\r\n--other\r\nhello\r\n`);
    const { summary } = parseMessage(raw);
    assert.deepEqual([summary.root.type, summary.root.subtype, summary.root.parts.length], ['text', 'plain', 0], ct);
    assert.equal(summary.root.params.charset, 'us-ascii');
    assert.equal(summary.root.lines, 2);
    assert.equal(summary.truncated, false);
  }
});

test('delimiter lines: transport padding accepted, longer boundaries are not delimiters', () => {
  const raw = Buffer.from(crlf('Content-Type: multipart/mixed; boundary=b\n\n--b \t\nContent-Type: text/plain\n\none\n--bx\nstill one\n--b--  \nepilogue\n'));
  const { summary } = parseMessage(raw);
  assert.equal(summary.root.parts.length, 1);
  const p = summary.root.parts[0];
  assert.equal(raw.subarray(p.bodyStart, p.bodyEnd).toString(), crlf('one\n--bx\nstill one'));
});

test('a part whose first line is not a header field has an empty header', () => {
  const raw = Buffer.from(crlf('Content-Type: multipart/mixed; boundary=b\n\n--b\nno header here\n--b\n\nempty header\n--b--\n'));
  const [a, b] = parseMessage(raw).summary.root.parts;
  assert.equal(a.headerStart, a.headerEnd);
  assert.equal(raw.subarray(a.bodyStart, a.bodyEnd).toString(), 'no header here');
  assert.equal(raw.subarray(b.headerStart, b.headerEnd).toString(), '\r\n');
  assert.equal(raw.subarray(b.bodyStart, b.bodyEnd).toString(), 'empty header');
  const bare = Buffer.from('Hello, no headers at all\r\n\r\nsecond paragraph');
  const root = parseMessage(bare).summary.root;
  assert.deepEqual([root.headerStart, root.headerEnd, root.bodyEnd], [0, 0, bare.length]);
});

test('multipart/digest parts default to message/rfc822 (RFC 2046 §5.1.5)', () => {
  const raw = Buffer.from(crlf('Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nfirst\n--d\nContent-Type: text/plain\n\nplain\n--d--\n'));
  const root = parseMessage(raw).summary.root;
  assert.deepEqual([root.parts[0].type, root.parts[0].subtype], ['message', 'rfc822']);
  assert.equal(root.parts[0].message!.envelope.subject, 'one');
  assert.equal(findPart(root, '1.1'), root.parts[0].message!.root);
  assert.deepEqual([root.parts[1].type, root.parts[1].subtype], ['text', 'plain']);
});

test('message/rfc822 with a base64 transfer encoding is an opaque leaf', () => {
  const raw = Buffer.from(crlf('Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogaGkNCg0KYm9keQ==\n--b--\n'));
  const p = parseMessage(raw).summary.root.parts[0];
  assert.deepEqual([p.type, p.subtype, p.encoding, p.message, p.lines], ['application', 'octet-stream', 'BASE64', null, null]);
});

test('invalid Content-Type values fall back to text/plain', () => {
  for (const ct of ['text', '/plain', 'text/', 'te xt/plain', '"text/html"', '']) {
    const root = parseMessage(Buffer.from(`Content-Type: ${ct}\r\n\r\nx`)).summary.root;
    assert.deepEqual([root.type, root.subtype], ['text', ct === '"text/html"' ? 'html' : 'plain'], ct);
  }
  const upper = parseMessage(Buffer.from('Content-Type: TEXT/HTML; CHARSET=UTF-8\r\nContent-Transfer-Encoding: Quoted-Printable (comment)\r\n\r\nx')).summary.root;
  assert.deepEqual([upper.type, upper.subtype, upper.params, upper.encoding], ['text', 'html', { charset: 'UTF-8' }, 'QUOTED-PRINTABLE']);
});

test('bare CR, NUL-only, empty and truncated-base64 messages', () => {
  const cr = Buffer.from('Subject: x\rFrom: y\r\rbody\r');
  const a = parseMessage(cr).summary;
  assert.equal(a.root.headerEnd, cr.length); // bare CR is not a line break: all header
  assert.equal(a.subject, 'x\rFrom: y\r\rbody');
  const empty = parseMessage(new Uint8Array(0)).summary;
  assert.deepEqual([empty.root.headerEnd, empty.root.bodyEnd, empty.subject, empty.envelope.from], [0, 0, '', null]);
  const nul = Buffer.alloc(1000);
  checkInvariants(nul, parseMessage(nul).summary.root);
  const b64 = parseMessage(Buffer.from('Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nSGVsbG8gd29y')).summary;
  assert.equal(b64.preview, 'Hello wor');
});

test('search text is bounded and attachments are not decoded for it', () => {
  const big = 'word '.repeat(200_000);
  const att = Buffer.from('SECRET-PAYLOAD '.repeat(1000)).toString('base64');
  const raw = Buffer.from(crlf(`Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n${big}\n--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n${att}\n--b--\n`));
  const { searchText, summary } = parseMessage(raw, { maxSearchTextBytes: 10_000 });
  assert.ok(searchText.length <= 10_000);
  assert.doesNotMatch(searchText, /SECRET/);
  assert.equal(summary.preview.length, 256);
  assert.equal(summary.truncated, false); // the search text bound is not a structural cut
});

// Deterministic fuzzing: mutate the fixtures (byte flips, cuts, inserted line breaks, NULs and
// boundary lines) and check that nothing throws and every invariant holds.
test('fuzzed fixtures never throw and keep the invariants', () => {
  const dir = new URL('./fixtures/mime/', import.meta.url);
  const corpus = readdirSync(dir).filter((f) => f.endsWith('.eml')).map((f) => readFileSync(new URL(f, dir)));
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const inserts = ['\r\n', '\n', '\r', '\0', '--frontier\r\n', '--outer--\r\n', '=?utf-8?B?', ':', '"', '(', '<', '\r\n\r\n', '\xff\xfe'];
  for (let round = 0; round < 3000; round++) {
    let buf = Buffer.from(corpus[rnd(corpus.length)]);
    const edits = 1 + rnd(8);
    for (let e = 0; e < edits; e++) {
      const at = rnd(buf.length + 1);
      switch (rnd(4)) {
        case 0: if (buf.length > 0) buf[Math.min(at, buf.length - 1)] = rnd(256); break;
        case 1: buf = buf.subarray(0, at); break;
        case 2: buf = Buffer.concat([buf.subarray(0, at), Buffer.from(inserts[rnd(inserts.length)], 'latin1'), buf.subarray(at)]); break;
        default: buf = Buffer.concat([buf.subarray(0, at), buf.subarray(Math.min(buf.length, at + rnd(40)))]);
      }
    }
    const msg = parseMessage(buf, { maxParts: 1 + rnd(20), maxDepth: rnd(6) });
    checkInvariants(buf, msg.summary.root);
    assert.equal(typeof msg.searchText, 'string');
  }
});
