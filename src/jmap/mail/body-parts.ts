// An Email's body as JMAP shows it (RFC 8621 §4.1.4): EmailBodyPart objects made from the
// parse-once MIME tree, the textBody/htmlBody/attachments lists by the RFC's own algorithm, and
// bodyValues (decoded text, truncated on request). Part ids are the IMAP section numbers
// (RFC 9051 §6.4.5), so a part's blob id names the same bytes IMAP's BODY[n] does.

import { Buffer, isUtf8 } from 'node:buffer';
import type { MimePart } from '../../wire/mime/types.ts';
import { transferDecode } from '../../wire/mime/decode.ts';
import { decodeCharset, isKnownCharset, isUtf8Charset } from '../../wire/mime/charset.ts';
import { headerFieldsOf, headerPropertyValue, headersList, parseHeaderProperty, type RawHeaderField } from './header-forms.ts';

/** A message's tree with the bytes its offsets point into. */
export interface MessageView {
  /** Null when the blob was not read (nothing asked needs it). */
  buf: Buffer | null;
  root: MimePart;
  /** The JMAP blob id of the leaf with this IMAP section. */
  blobIdOf(section: string): string;
}

/** One node of the JMAP body tree, before its properties are chosen. */
export interface BodyNode {
  part: MimePart;
  /** IMAP section of a leaf; null for multipart/* (RFC 8621 §4.1.4 "partId"). */
  partId: string | null;
  /** "type/subtype", lower-case. */
  type: string;
  name: string | null;
  disposition: string | null;
  subParts: BodyNode[] | null;
}

export const BODY_PART_PROPERTIES = ['partId', 'blobId', 'size', 'headers', 'name', 'type', 'charset', 'disposition', 'cid', 'language', 'location', 'subParts'] as const;
/** RFC 8621 §4.2 default "bodyProperties". */
export const DEFAULT_BODY_PROPERTIES = ['partId', 'blobId', 'size', 'name', 'type', 'charset', 'disposition', 'cid', 'language', 'location'];

const IDENTITY_ENCODINGS = new Set(['7BIT', '8BIT', 'BINARY']);
const KNOWN_ENCODINGS = new Set(['7BIT', '8BIT', 'BINARY', 'BASE64', 'QUOTED-PRINTABLE']);

/** The JMAP body tree of a message. The encapsulated messages of message/rfc822 parts are leaves. */
export function bodyTree(root: MimePart): BodyNode {
  const node = (part: MimePart): BodyNode => {
    const multipart = part.type === 'multipart';
    return {
      part,
      // A non-multipart message's only part is its root entity, IMAP section "1".
      partId: multipart ? null : part === root ? '1' : part.section,
      type: `${part.type}/${part.subtype}`,
      name: part.disposition?.params.filename ?? part.params.name ?? null,
      disposition: part.disposition?.type ?? null,
      subParts: multipart ? part.parts.map(node) : null,
    };
  };
  // The tree is at most the parser's maxDepth (50) levels deep, so recursion is bounded.
  return node(root);
}

function isInlineMediaType(type: string): boolean {
  return type.startsWith('image/') || type.startsWith('audio/') || type.startsWith('video/');
}

/**
 * RFC 8621 §4.1.4 parseStructure, as the RFC writes it: which leaves are the text body, the
 * HTML body, and the attachments. Called with [bodyStructure], 'mixed', false.
 */
function parseStructure(parts: BodyNode[], multipartType: string, inAlternative: boolean, htmlBody: BodyNode[] | null, textBody: BodyNode[] | null, attachments: BodyNode[]): void {
  // For multipartType == alternative
  const textLength = textBody ? textBody.length : -1;
  const htmlLength = htmlBody ? htmlBody.length : -1;
  for (let i = 0; i < parts.length; i += 1) {
    const part = parts[i];
    const isMultipart = part.type.startsWith('multipart/');
    // Is this a body part rather than an attachment
    const isInline =
      part.disposition !== 'attachment' &&
      // Must be one of the allowed body types
      (part.type === 'text/plain' || part.type === 'text/html' || isInlineMediaType(part.type)) &&
      // If multipart/related, only the first part can be inline. If a text part with a
      // filename, and not the first item in the multipart, assume it is an attachment.
      (i === 0 || (multipartType !== 'related' && (isInlineMediaType(part.type) || !part.name)));
    if (isMultipart) {
      const subMultiType = part.type.split('/')[1];
      parseStructure(part.subParts ?? [], subMultiType, inAlternative || subMultiType === 'alternative', htmlBody, textBody, attachments);
    } else if (isInline) {
      if (multipartType === 'alternative') {
        switch (part.type) {
          case 'text/plain':
            textBody?.push(part);
            break;
          case 'text/html':
            htmlBody?.push(part);
            break;
          default:
            attachments.push(part);
            break;
        }
        continue;
      } else if (inAlternative) {
        if (part.type === 'text/plain') htmlBody = null;
        if (part.type === 'text/html') textBody = null;
      }
      if (textBody) textBody.push(part);
      if (htmlBody) htmlBody.push(part);
      if ((!textBody || !htmlBody) && isInlineMediaType(part.type)) attachments.push(part);
    } else {
      attachments.push(part);
    }
  }
  if (multipartType === 'alternative' && textBody && htmlBody) {
    // Found HTML part only
    if (textLength === textBody.length && htmlLength !== htmlBody.length) {
      for (let i = htmlLength; i < htmlBody.length; i += 1) textBody.push(htmlBody[i]);
    }
    // Found plaintext part only
    if (htmlLength === htmlBody.length && textLength !== textBody.length) {
      for (let i = textLength; i < textBody.length; i += 1) htmlBody.push(textBody[i]);
    }
  }
}

export interface BodyLists {
  textBody: BodyNode[];
  htmlBody: BodyNode[];
  attachments: BodyNode[];
}

export function bodyLists(tree: BodyNode): BodyLists {
  const lists: BodyLists = { textBody: [], htmlBody: [], attachments: [] };
  parseStructure([tree], 'mixed', false, lists.htmlBody, lists.textBody, lists.attachments);
  return lists;
}

/** Whether serialising parts with these properties reads the blob (for this tree). */
export function bodyPropertiesNeedBlob(properties: readonly string[], root: MimePart): boolean {
  if (properties.some((p) => p === 'headers' || p.startsWith('header:'))) return true;
  if (!properties.includes('size')) return false;
  // Summaries stored before they kept decoded sizes: base64 and quoted-printable parts are decoded.
  const stack = [root];
  while (stack.length > 0) {
    const p = stack.pop()!;
    if (p.parts.length > 0) stack.push(...p.parts);
    else if (!IDENTITY_ENCODINGS.has(p.encoding) && p.decodedSize === undefined) return true;
  }
  return false;
}

/** RFC 8621 §4.1.4 "size": octets after transfer decoding, the size of what the blob id downloads. */
function decodedSize(view: MessageView, part: MimePart): number {
  if (part.type === 'multipart' || IDENTITY_ENCODINGS.has(part.encoding)) return part.size;
  if (part.decodedSize !== undefined) return part.decodedSize;
  if (view.buf === null) return part.size;
  return transferDecode(view.buf.subarray(part.bodyStart, part.bodyEnd), part.encoding).length;
}

function cidOf(id: string | null): string | null {
  if (id === null) return null;
  const v = id.replace(/\([^()]*\)/g, '').trim().replace(/^<\s*/, '').replace(/\s*>$/, '');
  return v.length > 0 ? v : null;
}

/** Serialises EmailBodyPart objects with the chosen properties (RFC 8621 §4.1.4). */
export class BodyPartWriter {
  private readonly view: MessageView;
  private readonly properties: readonly string[];
  private readonly fields = new Map<MimePart, RawHeaderField[]>();
  constructor(view: MessageView, properties: readonly string[]) {
    this.view = view;
    this.properties = properties;
  }

  private fieldsOf(part: MimePart): RawHeaderField[] {
    let f = this.fields.get(part);
    if (f === undefined) {
      f = this.view.buf === null ? [] : headerFieldsOf(this.view.buf, part.headerStart, part.headerEnd);
      this.fields.set(part, f);
    }
    return f;
  }

  write(node: BodyNode): Record<string, unknown> {
    const part = node.part;
    const out: Record<string, unknown> = {};
    for (const p of this.properties) {
      switch (p) {
        case 'partId': out.partId = node.partId; break;
        case 'blobId': out.blobId = node.partId === null ? null : this.view.blobIdOf(node.partId); break;
        case 'size': out.size = decodedSize(this.view, part); break;
        case 'headers': out.headers = headersList(this.fieldsOf(part)); break;
        case 'name': out.name = node.name; break;
        case 'type': out.type = node.type; break;
        case 'charset': out.charset = part.params.charset ?? null; break;
        case 'disposition': out.disposition = node.disposition; break;
        case 'cid': out.cid = cidOf(part.id); break;
        case 'language': out.language = part.language; break;
        case 'location': out.location = part.location; break;
        case 'subParts': out.subParts = node.subParts === null ? null : node.subParts.map((n) => this.write(n)); break;
        default: {
          const h = parseHeaderProperty(p);
          if (h) out[p] = headerPropertyValue(this.fieldsOf(part), h);
        }
      }
    }
    return out;
  }
}

export interface EmailBodyValue {
  value: string;
  isEncodingProblem: boolean;
  isTruncated: boolean;
}

/** The first `maxBytes` octets of `text` as UTF-8, never mid-character (RFC 8621 §4.2 maxBodyValueBytes). */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.toString('utf8', 0, end);
}

/**
 * RFC 8621 §4.1.4 EmailBodyValue of a text/* leaf: transfer and charset decoded, CRLF made LF,
 * cut to maxBytes octets (0: no limit) and, for HTML, not inside a tag. A problem decoding (an
 * unknown transfer encoding or charset, bytes invalid in theirs) is reported, never thrown.
 */
export function bodyValue(buf: Buffer, part: MimePart, maxBytes: number): EmailBodyValue {
  const body = buf.subarray(part.bodyStart, part.bodyEnd);
  let problem = !KNOWN_ENCODINGS.has(part.encoding);
  const decoded = Buffer.from(transferDecode(body, part.encoding));
  const charset = part.params.charset ?? 'us-ascii';
  if (!isKnownCharset(charset)) problem = true;
  let value = decodeCharset(decoded, charset);
  if (isUtf8Charset(charset)) {
    if (!isUtf8(decoded)) problem = true;
  } else if (value.includes('\ufffd') && !decoded.includes(Buffer.from('\ufffd', 'utf8'))) problem = true;
  value = value.replace(/\r\n/g, '\n').replace(/\0/g, '');
  let isTruncated = false;
  if (maxBytes > 0 && Buffer.byteLength(value, 'utf8') > maxBytes) {
    isTruncated = true;
    value = truncateUtf8(value, maxBytes);
    if (part.subtype === 'html') {
      // RFC 8621 §4.2: "SHOULD NOT truncate inside an HTML tag".
      const lt = value.lastIndexOf('<');
      if (lt > value.lastIndexOf('>')) value = value.slice(0, lt);
    }
  }
  return { value, isEncodingProblem: problem, isTruncated };
}
