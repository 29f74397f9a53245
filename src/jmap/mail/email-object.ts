// The Email object (RFC 8621 §4.1) for Email/get and Email/parse: which properties exist, what
// the arguments that shape the body are (§4.2), how much of the blob a set of properties needs,
// and the object itself from the store's parse-once summary plus, only when needed, the blob.

import type { Buffer } from 'node:buffer';
import type { MessageSummary } from '../../wire/mime/types.ts';
import { MethodError } from '../types.ts';
import { type Args, optionalBoolean, optionalStringList, optionalUnsignedInt } from '../args.ts';
import { dateForm, headerFieldsOf, headerPropertyValue, headersList, parseHeaderProperty, type RawHeaderField } from './header-forms.ts';
import {
  BODY_PART_PROPERTIES, BodyPartWriter, DEFAULT_BODY_PROPERTIES, bodyLists, bodyPropertiesNeedBlob, bodyTree, bodyValue,
  type BodyNode, type MessageView,
} from './body-parts.ts';

const METADATA = ['id', 'blobId', 'threadId', 'mailboxIds', 'keywords', 'size', 'receivedAt'];
const CONVENIENCE_HEADERS = ['headers', 'messageId', 'inReplyTo', 'references', 'sender', 'from', 'to', 'cc', 'bcc', 'replyTo', 'subject', 'sentAt'];
const BODY = ['bodyStructure', 'bodyValues', 'textBody', 'htmlBody', 'attachments', 'hasAttachment', 'preview'];
export const EMAIL_PROPERTIES = [...METADATA, ...CONVENIENCE_HEADERS, ...BODY];

/** RFC 8621 §4.2 default properties of Email/get. */
export const DEFAULT_GET_PROPERTIES = [
  'id', 'blobId', 'threadId', 'mailboxIds', 'keywords', 'size', 'receivedAt', 'messageId', 'inReplyTo', 'references', 'sender',
  'from', 'to', 'cc', 'bcc', 'replyTo', 'subject', 'sentAt', 'hasAttachment', 'preview', 'bodyValues', 'textBody', 'htmlBody', 'attachments',
];
/** RFC 8621 §4.9 default properties of Email/parse: the same without the metadata of a stored Email. */
export const DEFAULT_PARSE_PROPERTIES = DEFAULT_GET_PROPERTIES.filter((p) => !['id', 'blobId', 'threadId', 'mailboxIds', 'keywords', 'size', 'receivedAt'].includes(p));

export const BODY_ARGUMENTS = ['bodyProperties', 'fetchTextBodyValues', 'fetchHTMLBodyValues', 'fetchAllBodyValues', 'maxBodyValueBytes'];

export interface BodyOptions {
  bodyProperties: string[];
  fetchText: boolean;
  fetchHtml: boolean;
  fetchAll: boolean;
  /** 0: no truncation. */
  maxBodyValueBytes: number;
}

/** The properties the request may name: the fixed ones and every well-formed `header:` one (§4.1.3). */
export function allowedProperties(args: Args, fixed: readonly string[]): string[] {
  const asked = optionalStringList(args, 'properties') ?? [];
  return [...fixed, ...asked.filter((p) => parseHeaderProperty(p) !== null)];
}

/** RFC 8621 §4.2 bodyProperties, fetch*BodyValues and maxBodyValueBytes. */
export function readBodyOptions(args: Args): BodyOptions {
  const asked = optionalStringList(args, 'bodyProperties');
  if (asked) {
    const unknown = asked.filter((p) => !(BODY_PART_PROPERTIES as readonly string[]).includes(p) && parseHeaderProperty(p) === null);
    if (unknown.length) throw new MethodError('invalidArguments', `unknown body properties: ${unknown.join(', ')}`, { arguments: ['bodyProperties'] });
  }
  return {
    bodyProperties: asked ? [...new Set(asked)] : DEFAULT_BODY_PROPERTIES,
    fetchText: optionalBoolean(args, 'fetchTextBodyValues', false),
    fetchHtml: optionalBoolean(args, 'fetchHTMLBodyValues', false),
    fetchAll: optionalBoolean(args, 'fetchAllBodyValues', false),
    maxBodyValueBytes: optionalUnsignedInt(args, 'maxBodyValueBytes') ?? 0,
  };
}

/** How much of the message blob the properties need: none, its header block, or all of it. */
export type BlobNeed = 'none' | 'header' | 'whole';

export function blobNeed(properties: readonly string[], body: BodyOptions, summary: MessageSummary): BlobNeed {
  const parts = ['bodyStructure', 'textBody', 'htmlBody', 'attachments'].some((p) => properties.includes(p));
  if (parts && bodyPropertiesNeedBlob(body.bodyProperties, summary.root)) return 'whole';
  if (properties.includes('bodyValues') && (body.fetchText || body.fetchHtml || body.fetchAll)) return 'whole';
  // Rows stored before the summary carried a preview compute it from the body.
  if (properties.includes('preview') && typeof summary.preview !== 'string') return 'whole';
  if (properties.some((p) => p === 'headers' || p.startsWith('header:'))) return 'header';
  // Summaries stored before they kept Sender, Reply-To and Bcc read them from the header block.
  if (properties.some((p) => (p === 'sender' || p === 'replyTo' || p === 'bcc') && !Array.isArray(summary[p]))) return 'header';
  return 'none';
}

/** RFC 8620 §1.4 UTCDate: "2014-10-30T06:12:00Z", fractions only when not zero. */
export function utcDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}

function addressList(list: readonly { name: string; address: string }[] | undefined): { name: string | null; email: string }[] | null {
  if (!list || list.length === 0) return null;
  return list.map((a) => {
    const name = a.name.trim().normalize('NFC');
    return { name: name === '' ? null : name, email: a.address };
  });
}

export interface EmailSource {
  view: MessageView;
  summary: MessageSummary;
  /** Metadata of a stored Email (Email/get), or the blob's own facts (Email/parse). */
  metadata: Record<string, unknown>;
  /** Computes the preview from the body, for rows stored without one. */
  previewFromBody?: (buf: Buffer) => string;
}

/** The Email object with exactly the asked properties (RFC 8621 §4.1). */
export function emailObject(src: EmailSource, properties: readonly string[], body: BodyOptions): Record<string, unknown> {
  const { view, summary } = src;
  const out: Record<string, unknown> = {};
  let fields: RawHeaderField[] | null = null;
  const headerFields = (): RawHeaderField[] => (fields ??= view.buf === null ? [] : headerFieldsOf(view.buf, view.root.headerStart, view.root.headerEnd));
  const fieldValue = (name: string, form: 'Addresses'): unknown => headerPropertyValue(headerFields(), { name, form, all: false });
  let tree: BodyNode | null = null;
  let lists: ReturnType<typeof bodyLists> | null = null;
  const getTree = () => (tree ??= bodyTree(view.root));
  const getLists = () => (lists ??= bodyLists(getTree()));
  let writer: BodyPartWriter | null = null;
  const write = (n: BodyNode) => (writer ??= new BodyPartWriter(view, body.bodyProperties)).write(n);
  const envelope = summary.envelope;
  for (const p of properties) {
    if (p in src.metadata) {
      out[p] = src.metadata[p];
      continue;
    }
    switch (p) {
      case 'headers': out.headers = headersList(headerFields()); break;
      case 'messageId': out.messageId = summary.messageId ? [summary.messageId] : null; break;
      case 'inReplyTo': out.inReplyTo = summary.inReplyTo?.length ? summary.inReplyTo : null; break;
      case 'references': out.references = summary.references?.length ? summary.references : null; break;
      case 'from': out.from = addressList(summary.from); break;
      case 'to': out.to = addressList(summary.to); break;
      case 'cc': out.cc = addressList(summary.cc); break;
      case 'sender': out.sender = summary.sender ? addressList(summary.sender) : fieldValue('sender', 'Addresses'); break;
      case 'replyTo': out.replyTo = summary.replyTo ? addressList(summary.replyTo) : fieldValue('reply-to', 'Addresses'); break;
      case 'bcc': out.bcc = summary.bcc ? addressList(summary.bcc) : fieldValue('bcc', 'Addresses'); break;
      case 'subject': out.subject = envelope.subject === null ? null : summary.subject.replace(/\0/g, '').normalize('NFC'); break;
      case 'sentAt': out.sentAt = envelope.date === null ? null : dateForm(envelope.date); break;
      case 'hasAttachment': out.hasAttachment = summary.hasAttachment; break;
      case 'preview':
        out.preview = typeof summary.preview === 'string' ? summary.preview : view.buf && src.previewFromBody ? src.previewFromBody(view.buf) : '';
        break;
      case 'bodyStructure': out.bodyStructure = write(getTree()); break;
      case 'textBody': out.textBody = getLists().textBody.map(write); break;
      case 'htmlBody': out.htmlBody = getLists().htmlBody.map(write); break;
      case 'attachments': out.attachments = getLists().attachments.map(write); break;
      case 'bodyValues': out.bodyValues = bodyValues(view, getTree, getLists, body); break;
      default: {
        const h = parseHeaderProperty(p);
        if (h) out[p] = headerPropertyValue(headerFields(), h);
      }
    }
  }
  return out;
}

/** RFC 8621 §4.2: the text/* parts of the lists the fetch* arguments name, by part id. */
function bodyValues(view: MessageView, getTree: () => BodyNode, getLists: () => ReturnType<typeof bodyLists>, body: BodyOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (view.buf === null) return out;
  const chosen: BodyNode[] = [];
  if (body.fetchText) chosen.push(...getLists().textBody);
  if (body.fetchHtml) chosen.push(...getLists().htmlBody);
  if (body.fetchAll) {
    const stack = [getTree()];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (n.subParts) stack.push(...[...n.subParts].reverse());
      else chosen.push(n);
    }
  }
  for (const n of chosen) {
    if (n.partId === null || n.part.type !== 'text' || n.partId in out) continue;
    out[n.partId] = bodyValue(view.buf, n.part, body.maxBodyValueBytes);
  }
  return out;
}
