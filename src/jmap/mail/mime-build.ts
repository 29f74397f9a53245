// Writing an RFC 5322 / MIME message from a tree the JMAP Email/set create reader made
// (email-create-body.ts). The encoding work is nodemailer's MimeNode, the builder nodemailer has
// sent mail with for a decade: it chooses quoted-printable or base64 per part by its content
// (RFC 2045 §6.7, §6.8: lines of at most 76 characters), writes non-ASCII parameters such as
// file names in RFC 2231 form, makes multipart boundaries (RFC 2046 §5.1.1) and folds header
// lines. Everything a client controls reaches it already checked — no CR or LF anywhere in a
// header value — and header values come in encoded by email-create-headers.ts, so MimeNode only
// folds them. File and URL content sources are switched off: content is only ever bytes here.

import MimeNode from 'nodemailer/lib/mime-node';
import { buildHeaderValue, foldLines } from 'nodemailer/lib/mime-funcs';

/** One header field, its value already encoded (RFC 2047 words, quoting) and unfolded. */
export interface OutField {
  name: string;
  value: string;
  /** A Raw-form value the client gave (RFC 8621 §4.1.2.1): written as given, never refolded. */
  raw?: boolean;
}

export type OutBody = { text: string } | { bytes: Buffer } | { parts: OutPart[] };

export interface OutPart {
  /** Lower-case type/subtype. */
  type: string;
  /** Content-Type parameters besides those derived here (charset of a text part given as text). */
  params: Record<string, string>;
  disposition: string | null;
  /** Decoded file name; written as Content-Disposition filename (RFC 2231) and Content-Type name. */
  filename: string | null;
  /** The part's other header fields (Content-ID, Content-Language, client fields …). */
  fields: OutField[];
  body: OutBody;
}

/** RFC 5322 §2.1.1: a line is at most 998 octets, CRLF excluded. */
const MAX_LINE = 998;

export class MimeBuildError extends Error {}

/** Text with every line break as CRLF (RFC 5322 §2.3: CR and LF only together). */
export function crlf(text: string): string {
  return text.replace(/\r\n|\r|\n/g, '\r\n');
}

/**
 * A part's own fields through MimeNode. It writes prepared values as given, except for the
 * fields it formats itself (From, To … Date, References), which it is handed as text to parse.
 */
function addFields(node: MimeNode, fields: readonly OutField[]): void {
  for (const f of fields) {
    if (FORMATTED.has(f.name.toLowerCase())) node.addHeader(f.name, f.value);
    else node.addHeader(f.name, { prepared: true, foldLines: !f.raw, value: f.value });
  }
}

const FORMATTED = new Set(['from', 'sender', 'to', 'cc', 'bcc', 'reply-to', 'date', 'references']);

function fill(node: MimeNode, part: OutPart): void {
  const params: Record<string, string> = { ...part.params };
  if ('text' in part.body && part.type.startsWith('text/')) params.charset = 'utf-8';
  node.setHeader('Content-Type', buildHeaderValue({ value: part.type, params }));
  if (part.disposition) node.setHeader('Content-Disposition', part.disposition);
  addFields(node, part.fields);
  const body = part.body;
  if ('parts' in body) {
    for (const child of body.parts) fill(node.createChild(false, childOptions(child)), child);
  } else if ('text' in body) {
    node.setContent(crlf(body.text));
  } else {
    // RFC 2046 §5.2.1: an encapsulated message is never base64 or quoted-printable; it is
    // declared 8bit when it has 8-bit octets (and is 7bit, the default, otherwise).
    if ((part.type === 'message/rfc822' || part.type === 'message/global') && body.bytes.some((b) => b >= 0x80)) {
      node.setHeader('Content-Transfer-Encoding', '8bit');
    }
    node.setContent(body.bytes);
  }
}

function childOptions(part: OutPart): { filename?: string; disableFileAccess: true; disableUrlAccess: true } {
  return { ...(part.filename !== null ? { filename: part.filename } : {}), disableFileAccess: true, disableUrlAccess: true };
}

/**
 * The message: `fields` are the top-level header fields (Date and Message-ID among them, the
 * caller makes sure), `root` the body. MIME-Version is added (RFC 2045 §4).
 */
export async function buildMessage(fields: readonly OutField[], root: OutPart): Promise<Buffer> {
  // The body is built as the child of a holder node, so that MimeNode adds no Date or
  // Message-ID of its own: the top-level fields are written here, with the names as given.
  const holder = new MimeNode(false, { disableFileAccess: true, disableUrlAccess: true, keepBcc: true });
  const node = holder.createChild(false, childOptions(root));
  fill(node, root);
  const entity = await node.build();
  const head = fields.map((f) => (f.raw ? `${f.name}: ${f.value}` : foldLines(`${f.name}: ${f.value}`, 76))).join('\r\n');
  const version = fields.some((f) => f.name.toLowerCase() === 'mime-version') ? '' : 'MIME-Version: 1.0\r\n';
  const raw = Buffer.concat([Buffer.from(`${head}${head ? '\r\n' : ''}${version}`, 'utf8'), entity]);
  checkLineLengths(raw);
  return raw;
}

/** Refuses a message with a line over 998 octets (a raw header or a huge unbreakable token). */
function checkLineLengths(raw: Buffer): void {
  let start = 0;
  for (;;) {
    const lf = raw.indexOf(0x0a, start);
    const end = lf === -1 ? raw.length : lf;
    if (end - start - (raw[end - 1] === 0x0d ? 1 : 0) > MAX_LINE) throw new MimeBuildError('a line of the message would be longer than 998 octets');
    if (lf === -1) return;
    start = lf + 1;
  }
}
