// The body of an Email being created (RFC 8621 §4.6, §4.1.4): either a full bodyStructure, or
// textBody / htmlBody / attachments arranged the way §4.1.4 reads them back — multipart/
// alternative for text and HTML, multipart/related for HTML with inline parts referenced by
// cid, multipart/mixed around attachments. A part's content is a bodyValues entry (partId) or
// a blob the account may read (blobId: an upload, a message, or a part of one).

import { isPlainObject } from '../args.ts';
import type { AccountId } from '../../store/types.ts';
import type { JmapDeps, MethodContext } from '../types.ts';
import { InvalidProperty, isHeaderProperty, readHeaderFields } from './email-create-headers.ts';
import type { OutField, OutPart } from './mime-build.ts';
import { blobRef, readBlobContent } from './blob-content.ts';

const PART_PROPERTIES = ['partId', 'blobId', 'size', 'name', 'type', 'charset', 'disposition', 'cid', 'language', 'location', 'subParts'];
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;
const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`{|}~-]+$/;
const CID = /^[\x21-\x7e]+$/;
/** Multipart nesting a created message may have: no client needs more, and each level costs stack here and in MimeNode. */
const MAX_DEPTH = 16;

export interface BodyRead {
  root: OutPart;
  /** Blob ids that could not be read (RFC 8621 §4.6 blobNotFound "notFound"). */
  notFound: string[];
}

type Deps = Pick<JmapDeps, 'store' | 'blobs' | 'parse'>;
type Resolve = Pick<MethodContext, 'resolveId'>;

class BodyReader {
  private readonly deps: Deps;
  private readonly accountId: AccountId;
  private readonly bodyValues: Record<string, unknown>;
  private readonly ids: Resolve;
  readonly notFound: string[] = [];

  constructor(deps: Deps, ids: Resolve, accountId: AccountId, bodyValues: Record<string, unknown>) {
    this.deps = deps;
    this.ids = ids;
    this.accountId = accountId;
    this.bodyValues = bodyValues;
  }

  async part(where: string, v: unknown, taken: Set<string>, defaultType = 'text/plain', depth = 0): Promise<OutPart> {
    if (!isPlainObject(v)) throw new InvalidProperty(where, 'must be an EmailBodyPart object');
    if (depth > MAX_DEPTH) throw new InvalidProperty(where, `multipart parts nest at most ${MAX_DEPTH} deep`);
    for (const key of Object.keys(v)) {
      if (key === 'headers') throw new InvalidProperty(where, 'give header fields as header:Name properties, not "headers"');
      if (!PART_PROPERTIES.includes(key) && !isHeaderProperty(key)) throw new InvalidProperty(where, `unknown body part property "${key}"`);
    }
    const optional = (key: string, pattern: RegExp | null): string | null => {
      const value = v[key];
      if (value === undefined || value === null) return null;
      if (typeof value !== 'string' || /[\r\n\0]/.test(value) || (pattern && !pattern.test(value))) throw new InvalidProperty(where, `"${key}" is not valid`);
      return value;
    };
    const typeGiven = optional('type', null)?.toLowerCase() ?? null;
    if (typeGiven !== null && !MEDIA_TYPE.test(typeGiven)) throw new InvalidProperty(where, '"type" must be a media type (type/subtype)');
    const fields: OutField[] = [];
    const own = new Set(taken);
    const cid = optional('cid', CID);
    if (cid !== null) fields.push({ name: 'Content-ID', value: `<${cid.replace(/^<|>$/g, '')}>` }), own.add('content-id');
    const location = optional('location', CID);
    if (location !== null) fields.push({ name: 'Content-Location', value: location }), own.add('content-location');
    if (v.language !== undefined && v.language !== null) {
      if (!Array.isArray(v.language) || v.language.some((l) => typeof l !== 'string' || !TOKEN.test(l))) throw new InvalidProperty(where, '"language" must be a list of language tags');
      fields.push({ name: 'Content-Language', value: v.language.join(', ') });
      own.add('content-language');
    }
    fields.push(...readHeaderFields(Object.fromEntries(Object.entries(v).filter(([k]) => isHeaderProperty(k))), true, own));
    const name = optional('name', null);
    const disposition = optional('disposition', TOKEN)?.toLowerCase() ?? null;
    const charset = optional('charset', TOKEN);
    const partId = optional('partId', null);
    const blobId = optional('blobId', null);
    const base = { disposition, filename: name, fields };

    if (v.subParts !== undefined && v.subParts !== null) {
      const type = typeGiven ?? 'multipart/mixed';
      if (!type.startsWith('multipart/') || !Array.isArray(v.subParts)) throw new InvalidProperty(where, 'only a multipart/* part has subParts (a list)');
      if (partId !== null || blobId !== null || charset !== null) throw new InvalidProperty(where, 'a multipart part has no partId, blobId or charset');
      const parts: OutPart[] = [];
      for (const [i, sub] of v.subParts.entries()) parts.push(await this.part(`${where}/subParts/${i}`, sub, new Set(), 'text/plain', depth + 1));
      return { type, params: {}, ...base, body: { parts } };
    }
    if (typeGiven?.startsWith('multipart/')) throw new InvalidProperty(where, 'a multipart/* part needs subParts');
    if ((partId === null) === (blobId === null)) throw new InvalidProperty(where, 'a body part has exactly one of partId and blobId');
    if (partId !== null) {
      // RFC 8621 §4.6: a part given by partId has its content in bodyValues; the server picks charset and encoding.
      if (charset !== null || v.size !== undefined) throw new InvalidProperty(where, '"charset" and "size" must be omitted with a partId');
      const type = typeGiven ?? defaultType;
      if (!type.startsWith('text/')) throw new InvalidProperty(where, 'a part given by partId must be text/*');
      return { type, params: {}, ...base, body: { text: this.value(partId) } };
    }
    const bytes = await readBlobContent(this.deps, this.accountId, blobRef(this.ids, blobId!));
    if (bytes === null) this.notFound.push(blobId!);
    const type = typeGiven ?? 'application/octet-stream';
    return { type, params: charset !== null && type.startsWith('text/') ? { charset } : {}, ...base, body: { bytes: bytes ?? Buffer.alloc(0) } };
  }

  private value(partId: string): string {
    const entry = this.bodyValues[partId];
    if (!isPlainObject(entry) || typeof entry.value !== 'string') throw new InvalidProperty('bodyValues', `no value for partId "${partId}"`);
    for (const key of Object.keys(entry)) {
      if (key !== 'value' && key !== 'isEncodingProblem' && key !== 'isTruncated') throw new InvalidProperty('bodyValues', `unknown EmailBodyValue property "${key}"`);
    }
    if (entry.isEncodingProblem === true || entry.isTruncated === true) throw new InvalidProperty('bodyValues', 'isEncodingProblem and isTruncated must be false');
    if (entry.value.includes('\0')) throw new InvalidProperty('bodyValues', 'a body value must not contain NUL');
    return entry.value;
  }

  async single(property: string, v: unknown, type: string): Promise<OutPart | null> {
    if (v === undefined || v === null) return null;
    if (!Array.isArray(v) || v.length !== 1) throw new InvalidProperty(property, 'must hold exactly one body part');
    const part = await this.part(property, v[0], new Set(), type);
    if (part.type !== type) throw new InvalidProperty(property, `its part must be ${type}`);
    return part;
  }
}

function multipart(type: string, parts: OutPart[]): OutPart {
  return { type, params: {}, disposition: null, filename: null, fields: [], body: { parts } };
}

/** Reads the body properties of an Email being created; `taken` are the Email's own header fields. */
export async function readCreateBody(deps: Deps, ids: Resolve, accountId: AccountId, email: Record<string, unknown>, taken: Set<string>): Promise<BodyRead> {
  const bodyValues = email.bodyValues ?? {};
  if (!isPlainObject(bodyValues)) throw new InvalidProperty('bodyValues', 'must be an object');
  const reader = new BodyReader(deps, ids, accountId, bodyValues);
  if (email.bodyStructure !== undefined && email.bodyStructure !== null) {
    for (const p of ['textBody', 'htmlBody', 'attachments']) {
      if (email[p] !== undefined && email[p] !== null) throw new InvalidProperty(p, 'not allowed together with bodyStructure');
    }
    return { root: await reader.part('bodyStructure', email.bodyStructure, taken), notFound: reader.notFound };
  }
  const text = await reader.single('textBody', email.textBody, 'text/plain');
  const html = await reader.single('htmlBody', email.htmlBody, 'text/html');
  const attachments: OutPart[] = [];
  if (email.attachments !== undefined && email.attachments !== null) {
    if (!Array.isArray(email.attachments)) throw new InvalidProperty('attachments', 'must be a list of body parts');
    for (const [i, a] of email.attachments.entries()) attachments.push(await reader.part(`attachments/${i}`, a, new Set(), 'application/octet-stream'));
  }
  // Inline parts an HTML body refers to by cid go with it in multipart/related (RFC 2387).
  const isInline = (p: OutPart): boolean => html !== null && p.disposition === 'inline' && p.fields.some((f) => f.name === 'Content-ID');
  const inline = attachments.filter(isInline);
  const others = attachments.filter((p) => !isInline(p));
  const htmlPart = html && inline.length ? multipart('multipart/related', [html, ...inline]) : html;
  const main = text && htmlPart ? multipart('multipart/alternative', [text, htmlPart]) : (text ?? htmlPart);
  const empty: OutPart = { type: 'text/plain', params: {}, disposition: null, filename: null, fields: [], body: { text: '' } };
  const root = others.length ? multipart('multipart/mixed', main ? [main, ...others] : others) : (main ?? empty);
  return { root, notFound: reader.notFound };
}
