// Message content for FETCH (RFC 9051 §6.4.5; RFC 3516 BINARY): byte slices of the stored blob
// located by the MIME offsets the parser recorded at ingest (DESIGN.md §3 "parse once"). Nothing
// here parses a message again; HEADER.FIELDS only splits one header block into its fields.

import { findPart, transferDecode } from '../wire/mime/index.ts';
import type { MimePart } from '../wire/mime/types.ts';
import type { BlobStore, MessageWithSummary } from '../store/types.ts';
import type { BodySection, Partial } from '../wire/imap/index.ts';
import { ImapNo } from './errors.ts';

/** Reads ranges of one message's blob; the whole blob is read once when a FETCH wants most of it. */
export class MessageBytes {
  private readonly blobs: BlobStore;
  private readonly msg: MessageWithSummary;
  private whole: Buffer | null = null;

  constructor(blobs: BlobStore, msg: MessageWithSummary) {
    this.blobs = blobs;
    this.msg = msg;
  }

  async range(start: number, end: number): Promise<Buffer> {
    const s = Math.max(0, Math.min(start, this.msg.size));
    const e = Math.max(s, Math.min(end, this.msg.size));
    if (this.whole) return this.whole.subarray(s, e);
    if (s === 0 && e === this.msg.size) {
      this.whole = await this.blobs.get(this.msg.blobId);
      return this.whole.subarray(s, e);
    }
    if (e === s) return Buffer.alloc(0);
    return this.blobs.read(this.msg.blobId, s, e);
  }

  all(): Promise<Buffer> {
    return this.range(0, this.msg.size);
  }
}

/** Splits a header block into raw fields (name + the field's lines, folded lines included). */
function headerFields(block: Buffer): { name: string; raw: Buffer }[] {
  const out: { name: string; raw: Buffer }[] = [];
  let start = 0;
  let pos = 0;
  const flush = (end: number): void => {
    if (end <= start) return;
    const raw = block.subarray(start, end);
    const colon = raw.indexOf(0x3a);
    if (colon > 0) out.push({ name: raw.toString('latin1', 0, colon).trim().toLowerCase(), raw });
  };
  while (pos < block.length) {
    const lf = block.indexOf(0x0a, pos);
    const next = lf === -1 ? block.length : lf + 1;
    const lineEmpty = next - pos <= 2 && (block[pos] === 0x0d || block[pos] === 0x0a);
    if (lineEmpty) break;
    // A line starting with SP or TAB continues the previous field (RFC 5322 §2.2.3).
    if (pos > start && block[pos] !== 0x20 && block[pos] !== 0x09) {
      flush(pos);
      start = pos;
    }
    pos = next;
  }
  flush(pos);
  return out;
}

/** RFC 9051 §6.4.5 HEADER.FIELDS / HEADER.FIELDS.NOT: the chosen fields and the blank line. */
export function filterHeader(block: Buffer, names: readonly string[], not: boolean): Buffer {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const parts: Buffer[] = [];
  for (const f of headerFields(block)) {
    if (wanted.has(f.name) !== not) {
      parts.push(f.raw);
      // A last field without its line end still needs one before the blank line.
      if (f.raw[f.raw.length - 1] !== 0x0a) parts.push(Buffer.from('\r\n'));
    }
  }
  parts.push(Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

/** The content of BODY[section] before any partial; null for a part that does not exist (NIL). */
export async function bodySection(bytes: MessageBytes, root: MimePart, size: number, section: BodySection): Promise<Buffer | null> {
  let entity: MimePart = root;
  if (section.part.length > 0) {
    const part = findPart(root, section.part.join('.'));
    if (!part) return null;
    if (section.text === null) return bytes.range(part.bodyStart, part.bodyEnd);
    if (section.text === 'MIME') return bytes.range(part.headerStart, part.headerEnd);
    // n.HEADER, n.TEXT and n.HEADER.FIELDS address the message inside a message/rfc822 part.
    if (!part.message) return Buffer.alloc(0);
    entity = part.message.root;
  } else if (section.text === null) {
    return bytes.range(0, size);
  }
  switch (section.text) {
    case 'HEADER':
      return bytes.range(entity.headerStart, entity.headerEnd);
    case 'TEXT':
      return bytes.range(entity.bodyStart, entity === root ? size : entity.bodyEnd);
    case 'HEADER.FIELDS':
    case 'HEADER.FIELDS.NOT':
      return filterHeader(await bytes.range(entity.headerStart, entity.headerEnd), section.fields, section.text === 'HEADER.FIELDS.NOT');
    default:
      return Buffer.alloc(0);
  }
}

const IDENTITY_ENCODINGS = new Set(['7BIT', '8BIT', 'BINARY']);

/**
 * BINARY[part] (RFC 3516 §4.2): the part's body with its transfer encoding removed. An encoding
 * we cannot undo is NO [UNKNOWN-CTE] (§4.3). [] is the whole message as stored.
 */
export async function binarySection(bytes: MessageBytes, root: MimePart, size: number, part: number[]): Promise<Buffer | null> {
  if (part.length === 0) return bytes.range(0, size);
  const p = findPart(root, part.join('.'));
  if (!p) return null;
  const body = await bytes.range(p.bodyStart, p.bodyEnd);
  if (p.type === 'multipart' || p.message) return body;
  if (IDENTITY_ENCODINGS.has(p.encoding)) return body;
  if (p.encoding === 'BASE64' || p.encoding === 'QUOTED-PRINTABLE') return Buffer.from(transferDecode(body, p.encoding));
  throw new ImapNo('UNKNOWN-CTE', `Cannot decode ${p.encoding.slice(0, 40)}`);
}

/** <offset.length> (RFC 9051 §6.4.5): past the end is empty, not an error. */
export function applyPartial(data: Buffer | null, partial: Partial | null): Buffer | null {
  if (!data || !partial) return data;
  if (partial.offset >= data.length) return Buffer.alloc(0);
  return data.subarray(partial.offset, Math.min(data.length, partial.offset + partial.length));
}
