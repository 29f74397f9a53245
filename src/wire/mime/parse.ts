// The parse-once MIME parser (DESIGN.md §3): raw message bytes → MIME tree with exact byte
// offsets, ENVELOPE, BODYSTRUCTURE material, preview and search text.
//
// Implementation notes — rules every change must keep:
// - Never throw, whatever the input; a limit hit cuts the tree and sets `truncated`.
// - No recursion: the tree is built with an explicit stack, so nesting cannot blow the stack.
// - Each container splits its own body range by its own boundary (top-down). An inner
//   multipart that never closes therefore ends where the outer delimiter is, and an outer
//   delimiter inside an inner part ends the inner one (RFC 2046 §5.1.2 robustness).
// - Work is bounded: every byte is scanned at most once per container level (≤ maxDepth),
//   header parsing reads at most maxHeaderBytes per entity, and text is decoded only for
//   text/* parts and only as much as preview and search text can still use. A leaf's decoded
//   size costs one more pass over it: counted for base64, decoded for quoted-printable.
// - Offsets are byte offsets into the raw message; header text is handled as one char per byte.
import { Buffer } from 'node:buffer';
import type { MessageSummary, MimeLimits, MimePart, ParsedMessage } from './types.ts';
import { asBuffer, findHeaderEnd, readFields, trimWsp, type RawField } from './headers.ts';
import { parseStructured } from './params.ts';
import { binaryToText } from './charset.ts';
import { decodeHeaderValue } from './encoded-words.ts';
import { buildEnvelope, messageFields, messageIds, parseAddressFields, parseDate } from './envelope.ts';
import { flattenMailboxes } from './address.ts';
import { baseSubject } from './subject.ts';
import { collectText } from './collect.ts';
import { base64DecodedLength, decodeQuotedPrintable } from './decode.ts';

export const DEFAULT_MIME_LIMITS: Readonly<MimeLimits> = Object.freeze({
  maxDepth: 50,
  maxParts: 1000,
  maxHeaderBytes: 256 * 1024,
  maxSearchTextBytes: 256 * 1024,
});

const LF = 0x0a;
const CR = 0x0d;
// RFC 2045 §5.1 token characters (lower-cased input).
const TOKEN = /^[a-z0-9!#$%&'*+\-.^_`|~]+$/;

function newPart(section: string): MimePart {
  return {
    section, headerStart: 0, headerEnd: 0, bodyStart: 0, bodyEnd: 0,
    type: 'text', subtype: 'plain', params: {}, id: null, description: null,
    encoding: '7BIT', size: 0, lines: null, md5: null, disposition: null,
    language: null, location: null, parts: [], message: null,
  };
}

/** RFC 9051 §7.5.2 body-fld-lines: LF count, plus one for a last line without a line break. */
function countLines(buf: Buffer, start: number, end: number): number {
  if (end <= start) return 0;
  const view = buf.subarray(start, end);
  let n = 0;
  for (let p = view.indexOf(LF); p >= 0; p = view.indexOf(LF, p + 1)) n++;
  if (view[view.length - 1] !== LF) n++;
  return n;
}

/**
 * Splits a multipart body [start, end) at its delimiter lines (RFC 2046 §5.1.1): "--boundary"
 * at the start of a line, then optional whitespace and a line break, or "--" for the close
 * delimiter. The line break before a delimiter belongs to it, not to the part before. Parts
 * are returned up to `max`; `more` says there were further parts. An unclosed multipart's last
 * part runs to `end`.
 */
function splitMultipart(buf: Buffer, start: number, end: number, boundary: Buffer, max: number): { ranges: number[]; more: boolean } {
  const view = buf.subarray(start, end);
  const len = view.length;
  const needle = Buffer.concat([Buffer.from('--'), boundary]);
  const ranges: number[] = [];
  let childStart = -1;
  let pos = 0;
  for (;;) {
    const idx = view.indexOf(needle, pos);
    if (idx < 0) break;
    pos = idx + 1;
    if (idx > 0 && view[idx - 1] !== LF) continue;
    const k = idx + needle.length;
    const close = k + 1 < len && view[k] === 0x2d && view[k + 1] === 0x2d;
    if (!close) {
      let m = k;
      while (m < len && (view[m] === 0x20 || view[m] === 0x09)) m++;
      if (m < len && view[m] !== LF && view[m] !== CR) continue; // "--boundaryX": another boundary
    }
    if (childStart >= 0) {
      let e = idx;
      if (e > childStart && view[e - 1] === LF) {
        e--;
        if (e > childStart && view[e - 1] === CR) e--;
      }
      ranges.push(start + childStart, start + e);
    }
    if (close) return { ranges, more: false };
    if (ranges.length / 2 >= max) return { ranges, more: true };
    const lf = view.indexOf(LF, k);
    childStart = lf < 0 ? len : lf + 1;
    pos = childStart;
  }
  if (childStart >= 0) ranges.push(start + childStart, end);
  return { ranges, more: false };
}

interface Job {
  part: MimePart;
  start: number;
  end: number;
  depth: number;
  /** Content-Type assumed when the part has none: message/rfc822 inside multipart/digest (RFC 2046 §5.1.5). */
  digest: boolean;
  /** The message/rfc822 part this entity is the encapsulated message of, if any. */
  owner: MimePart | null;
}

interface State {
  buf: Buffer;
  limits: MimeLimits;
  partsLeft: number;
  truncated: boolean;
  rootFields: RawField[];
}

/** RFC 2045 §5.2: an invalid or unusable Content-Type means text/plain; charset=us-ascii. */
function makeTextPlain(part: MimePart): void {
  part.type = 'text';
  part.subtype = 'plain';
  if (part.params.charset === undefined) part.params = { ...part.params, charset: 'us-ascii' };
}

/** Header → MimePart fields (RFC 2045 §5–§8, RFC 2183, RFC 3282, RFC 2557, RFC 1864). */
function describe(part: MimePart, fields: RawField[], digest: boolean): { boundary: Buffer | null } {
  let contentType: string | null = null;
  let boundary: Buffer | null = null;
  let sawEncoding = false;
  for (const f of fields) {
    switch (f.lname) {
      case 'content-type':
        if (contentType === null) contentType = f.value;
        break;
      case 'content-transfer-encoding':
        // The first field wins, like every other field here; "7bit (comment)" is 7BIT.
        if (!sawEncoding) {
          sawEncoding = true;
          const v = trimWsp(f.value).split(/[\s(;]/, 1)[0].toUpperCase();
          if (v.length > 0) part.encoding = binaryToText(v);
        }
        break;
      case 'content-id':
        part.id ??= binaryToText(f.value);
        break;
      case 'content-description':
        part.description ??= binaryToText(f.value);
        break;
      case 'content-md5':
        part.md5 ??= binaryToText(f.value);
        break;
      case 'content-disposition':
        if (part.disposition === null) {
          const d = parseStructured(f.value);
          if (d.value.length > 0) part.disposition = { type: binaryToText(d.value), params: d.params };
        }
        break;
      case 'content-language':
        if (part.language === null) {
          const langs = f.value.split(/[\s,]+/).filter((x) => x.length > 0);
          if (langs.length > 0) part.language = langs.map(binaryToText);
        }
        break;
      case 'content-location':
        // RFC 2557 §4.1: folding whitespace inside the URI is not part of it.
        part.location ??= binaryToText(f.value.replace(/[\s]+/g, ''));
        break;
    }
  }
  if (contentType === null) {
    if (digest) {
      part.type = 'message';
      part.subtype = 'rfc822';
    } else part.params = { charset: 'us-ascii' };
    return { boundary };
  }
  const ct = parseStructured(contentType);
  const slash = ct.value.indexOf('/');
  part.params = ct.params;
  const type = slash < 0 ? '' : ct.value.slice(0, slash);
  const subtype = slash < 0 ? '' : ct.value.slice(slash + 1);
  if (!TOKEN.test(type) || !TOKEN.test(subtype)) {
    makeTextPlain(part);
    return { boundary };
  }
  part.type = type;
  part.subtype = subtype;
  // RFC 2046 §4.1.2: text without a charset parameter is US-ASCII; say so, as IMAP servers do.
  if (type === 'text' && part.params.charset === undefined) part.params = { ...part.params, charset: 'us-ascii' };
  const b = ct.raw.boundary;
  if (type === 'multipart' && b !== undefined && b.length > 0) boundary = Buffer.from(b, 'latin1');
  return { boundary };
}

function childSection(parent: string, n: number): string {
  return parent === '' ? String(n) : `${parent}.${n}`;
}

function processJob(job: Job, st: State, stack: Job[]): void {
  const { buf, limits } = st;
  const part = job.part;
  const headerEnd = findHeaderEnd(buf, job.start, job.end);
  part.headerStart = job.start;
  part.headerEnd = headerEnd;
  part.bodyStart = headerEnd;
  part.bodyEnd = job.end;
  part.size = job.end - headerEnd;
  const { fields, truncated } = readFields(buf, job.start, headerEnd, limits.maxHeaderBytes);
  if (truncated) st.truncated = true;
  const { boundary } = describe(part, fields, job.digest);
  if (job.owner !== null) job.owner.message = { envelope: envelopeOf(fields), root: part };
  else if (job.depth === 0) st.rootFields = fields;

  if (part.type === 'multipart') {
    if (boundary === null) {
      // RFC 2046 §5.1.1 requires the boundary parameter; without it there is no structure.
      makeTextPlain(part);
    } else if (job.depth >= limits.maxDepth || st.partsLeft <= 0) {
      st.truncated = true;
      makeTextPlain(part);
    } else {
      const { ranges, more } = splitMultipart(buf, part.bodyStart, part.bodyEnd, boundary, st.partsLeft);
      if (more) st.truncated = true;
      if (ranges.length === 0) makeTextPlain(part); // no delimiter line at all: the body is all preamble
      else {
        const digest = part.subtype === 'digest';
        const n = ranges.length / 2;
        st.partsLeft -= n;
        for (let k = 0; k < n; k++) part.parts.push(newPart(childSection(part.section, k + 1)));
        for (let k = n - 1; k >= 0; k--) {
          stack.push({ part: part.parts[k], start: ranges[2 * k], end: ranges[2 * k + 1], depth: job.depth + 1, digest, owner: null });
        }
      }
    }
  } else if (part.type === 'message' && (part.subtype === 'rfc822' || part.subtype === 'global')) {
    // RFC 2046 §5.2.1: message/rfc822 may only be 7bit, 8bit or binary. An encoded one cannot be
    // sliced as a message, so it is shown as an opaque leaf to be downloaded and decoded.
    const identity = part.encoding === '7BIT' || part.encoding === '8BIT' || part.encoding === 'BINARY';
    if (!identity) {
      part.type = 'application';
      part.subtype = 'octet-stream';
    } else if (job.depth >= limits.maxDepth || st.partsLeft <= 0) {
      st.truncated = true;
      makeTextPlain(part);
    } else {
      st.partsLeft -= 1;
      // The encapsulated message carries its owner's section: its body parts are "n.1", "n.2" ….
      stack.push({ part: newPart(part.section), start: part.bodyStart, end: part.bodyEnd, depth: job.depth + 1, digest: false, owner: part });
    }
  }
  // The size a leaf downloads as once decoded (RFC 2045 §6.7, §6.8), kept so that JMAP can
  // answer it without reading the blob. Base64 is counted, not decoded.
  if (part.parts.length === 0 && part.message === null) {
    const body = buf.subarray(part.bodyStart, part.bodyEnd);
    if (part.encoding === 'BASE64') part.decodedSize = base64DecodedLength(body);
    else if (part.encoding === 'QUOTED-PRINTABLE') part.decodedSize = decodeQuotedPrintable(body).length;
  }
  // RFC 9051 §7.5.2: body-fld-lines for text/* and message/rfc822 (and message/global, RFC 6532 §3.7).
  if (part.type === 'text' || (part.type === 'message' && (part.subtype === 'rfc822' || part.subtype === 'global'))) {
    part.lines = countLines(buf, part.bodyStart, part.bodyEnd);
  }
}

function envelopeOf(fields: RawField[]) {
  const m = messageFields(fields);
  return buildEnvelope(m, parseAddressFields(m));
}

function emptyEnvelope() {
  return { date: null, subject: null, from: null, sender: null, replyTo: null, to: null, cc: null, bcc: null, inReplyTo: null, messageId: null };
}

function summarize(buf: Buffer, root: MimePart, st: State): ParsedMessage {
  const m = messageFields(st.rootFields);
  const addrs = parseAddressFields(m);
  const subject = m.subject === null ? '' : decodeHeaderValue(m.subject);
  const text = collectText(buf, root, st.rootFields, st.limits.maxSearchTextBytes);
  const summary: MessageSummary = {
    envelope: buildEnvelope(m, addrs),
    root,
    subject,
    baseSubject: baseSubject(subject),
    from: flattenMailboxes(addrs.from),
    to: flattenMailboxes(addrs.to),
    cc: flattenMailboxes(addrs.cc),
    sender: flattenMailboxes(addrs.sender),
    replyTo: flattenMailboxes(addrs.replyTo),
    bcc: flattenMailboxes(addrs.bcc),
    sentDate: parseDate(m.date),
    messageId: messageIds(m.messageId, 1)[0] ?? null,
    inReplyTo: messageIds(m.inReplyTo),
    references: messageIds(m.references),
    preview: text.preview,
    hasAttachment: text.hasAttachment,
    truncated: st.truncated,
  };
  return { summary, searchText: text.searchText };
}

/** Parses a message. Never throws; see the implementation notes above for the bounds. */
export function parseMessage(raw: Uint8Array, limits?: Partial<MimeLimits>): ParsedMessage {
  const lim: MimeLimits = { ...DEFAULT_MIME_LIMITS, ...limits };
  const buf = asBuffer(raw);
  const st: State = { buf, limits: lim, partsLeft: Math.max(0, lim.maxParts - 1), truncated: false, rootFields: [] };
  const root = newPart('');
  root.bodyEnd = buf.length;
  const stack: Job[] = [{ part: root, start: 0, end: buf.length, depth: 0, digest: false, owner: null }];
  try {
    while (stack.length > 0) processJob(stack.pop()!, st, stack);
    return summarize(buf, root, st);
  } catch {
    // Unreachable by design (the fuzz test holds us to it). Should a bug throw anyway, the
    // message is still stored and served: the whole message as one text/plain entity.
    const flat = newPart('');
    flat.headerEnd = flat.bodyStart = 0;
    flat.bodyEnd = flat.size = buf.length;
    flat.params = { charset: 'us-ascii' };
    const summary: MessageSummary = {
      envelope: emptyEnvelope(), root: flat, subject: '', baseSubject: '', from: [], to: [], cc: [],
      sentDate: null, messageId: null, inReplyTo: [], references: [], preview: '', hasAttachment: false, truncated: true,
    };
    return { summary, searchText: '' };
  }
}
