// Generated messages with known structure: random trees of multiparts, message/rfc822 and text
// leaves, written with CRLF or bare LF, with and without preambles, epilogues, empty headers and
// empty bodies. The generator records what every section's header and body are; the parser's
// offsets must slice exactly those bytes, and findPart must find every section.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { parseMessage, findPart } from '../src/wire/mime/index.ts';

interface Node {
  section: string;
  header: string;
  body: string;
  type: string;
  subtype: string;
  lines: number | null;
  /** For message/rfc822: the encapsulated message's header and body. */
  inner?: { header: string; body: string };
}

function generator(seed: number) {
  let s = seed >>> 0;
  const rnd = (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s >>> 8) % n;
  };
  let boundaries = 0;
  const word = () => Array.from({ length: 1 + rnd(8) }, () => 'abcdefghij klmnop'[rnd(17)]).join('');
  return { rnd, word, nextBoundary: () => `=_${++boundaries}_${word().replace(/ /g, 'x')}` };
}

const sub = (parent: string, n: number) => (parent === '' ? String(n) : `${parent}.${n}`);
const textLines = (body: string) => (body === '' ? 0 : body.split('\n').length - (body.endsWith('\n') ? 1 : 0));

/**
 * Writes an entity and appends the nodes findPart must find to `out`. `section` is the part's
 * own section; for the root entity of a message (`root` set) it is the message's section, and
 * RFC 9051 §6.4.5 numbering applies: a multipart root's children are section.1, section.2 …,
 * a non-multipart root is itself part section.1. Returns the text and the entity's own node.
 */
function entity(g: ReturnType<typeof generator>, nl: string, section: string, depth: number, out: Node[], root: boolean): { text: string; node: Node } {
  const kind = depth >= 4 ? 0 : g.rnd(4);
  const extra = root ? `Subject: ${g.word()}${nl}` : '';
  const own = root ? sub(section, 1) : section; // section of a non-multipart entity
  if (kind === 1 || kind === 3) {
    const boundary = g.nextBoundary();
    const header = `${extra}Content-Type: multipart/mixed; boundary="${boundary}"${nl}${nl}`;
    const node: Node = { section, header, body: '', type: 'multipart', subtype: 'mixed', lines: null };
    // An encapsulated multipart root shares its section with the message/rfc822 part, which
    // findPart returns; only the top-level root is found as itself.
    if (!root || section === '') out.push(node);
    const children: string[] = [];
    const n = 1 + g.rnd(4);
    for (let k = 1; k <= n; k++) children.push(entity(g, nl, sub(section, k), depth + 1, out, false).text);
    const preamble = g.rnd(2) ? `${g.word()}${nl}` : '';
    const epilogue = g.rnd(2) ? `${nl}${g.word()}${nl}` : g.rnd(2) ? nl : '';
    node.body = preamble + children.map((c) => `--${boundary}${nl}${c}${nl}`).join('') + `--${boundary}--${epilogue}`;
    return { text: header + node.body, node };
  }
  let node: Node;
  if (kind === 2) {
    const header = `${extra}Content-Type: message/rfc822${nl}${nl}`;
    node = { section: own, header, body: '', type: 'message', subtype: 'rfc822', lines: 0 };
    out.push(node);
    const inner = entity(g, nl, own, depth + 1, out, true);
    node.inner = { header: inner.node.header, body: inner.node.body };
    node.body = inner.text;
    node.lines = textLines(inner.text);
  } else {
    const lines = Array.from({ length: g.rnd(4) }, () => g.word());
    const body = lines.join(nl) + (lines.length > 0 && g.rnd(2) ? nl : '');
    const header = g.rnd(5) === 0 && !root ? nl : `${extra}Content-Type: text/plain; charset=us-ascii${nl}${nl}`;
    node = { section: own, header, body, type: 'text', subtype: 'plain', lines: textLines(body) };
    out.push(node);
  }
  if (root && section === '') out.push({ ...node, section: '' }); // the whole message is the root too
  return { text: node.header + node.body, node };
}

test('offsets of generated messages slice exactly the generated header and body', () => {
  for (let seed = 1; seed <= 400; seed++) {
    const g = generator(seed);
    const nl = seed % 3 === 0 ? '\n' : '\r\n';
    const nodes: Node[] = [];
    const { text } = entity(g, nl, '', 0, nodes, true);
    const raw = Buffer.from(text);
    const { summary } = parseMessage(raw);
    assert.equal(summary.truncated, false);
    const root = summary.root;
    assert.ok(nodes.length > 0);
    for (const n of nodes) {
      const part = findPart(root, n.section);
      const where = `seed ${seed}, section "${n.section}"`;
      assert.ok(part, where);
      assert.equal(raw.subarray(part.headerStart, part.headerEnd).toString(), n.header, `${where} header`);
      assert.equal(raw.subarray(part.bodyStart, part.bodyEnd).toString(), n.body, `${where} body`);
      assert.deepEqual([part.type, part.subtype, part.lines], [n.type, n.subtype, n.lines], where);
      if (n.inner) {
        const inner = part.message!.root;
        assert.equal(raw.subarray(inner.headerStart, inner.headerEnd).toString(), n.inner.header, `${where} inner header`);
        assert.equal(raw.subarray(inner.bodyStart, inner.bodyEnd).toString(), n.inner.body, `${where} inner body`);
      }
    }
  }
});
