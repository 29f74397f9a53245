// The Blob management extension (RFC 9404), urn:ietf:params:jmap:blob: Blob/upload makes a blob
// from data in the request (text, base64, or ranges of blobs the account may read) — stored and
// recorded exactly like an upload through the endpoint (upload.ts); Blob/get returns a blob's
// data, size and digests, whole or a range; Blob/lookup finds the Emails, Threads and Mailboxes
// that refer to a blob. Blobs the account may not read are "not found", like missing ones.

import { createHash } from 'node:crypto';
import { onlyKnown, optionalObject, optionalStringList, optionalUnsignedInt, isPlainObject } from './args.ts';
import { MethodError, type Method, type MethodContext, type MethodSet, type SetError } from './types.ts';
import { readGet } from './standard.ts';
import { toAccountId, toJmapId } from './ids.ts';
import { parseBlobId } from './blob-ids.ts';
import { blobRef, readBlobContent } from './mail/blob-content.ts';
import { recordAccountUpload, uploadType } from './upload.ts';
import { DEFAULT_JMAP_LIMITS } from './limits.ts';
import { MAIL_CAPABILITY } from './mail/capability.ts';

export const BLOB_CAPABILITY = 'urn:ietf:params:jmap:blob';
/** RFC 9404 §4.1 maxDataSources: sources one Blob/upload creation may concatenate. */
const MAX_DATA_SOURCES = 64;
/** RFC 9404 §4.2 digest:<algorithm>, named as in the HTTP Digest Algorithm Values registry. */
const DIGESTS: Record<string, string> = { 'digest:sha': 'sha1', 'digest:sha-256': 'sha256' };
const LOOKUP_TYPES = ['Mailbox', 'Thread', 'Email'];

class BadSource extends Error {
  readonly error: SetError;
  constructor(error: SetError) {
    super(error.type);
    this.error = error;
  }
}

async function sourceBytes(ctx: MethodContext, source: unknown): Promise<Buffer> {
  const invalid = (description: string) => new BadSource({ type: 'invalidProperties', properties: ['data'], description });
  if (!isPlainObject(source)) throw invalid('a data source is an object');
  const keys = Object.keys(source);
  if (keys.length === 1 && typeof source['data:asText'] === 'string') return Buffer.from(source['data:asText'], 'utf8');
  if (keys.length === 1 && typeof source['data:asBase64'] === 'string') {
    const b64 = source['data:asBase64'];
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) throw invalid('data:asBase64 is not base64');
    return Buffer.from(b64, 'base64');
  }
  if (typeof source.blobId === 'string' && keys.every((k) => k === 'blobId' || k === 'offset' || k === 'length')) {
    const offset = optionalUnsignedInt(source, 'offset') ?? 0;
    const length = optionalUnsignedInt(source, 'length');
    const content = await readBlobContent(ctx.deps, ctx.accountId, blobRef(ctx, source.blobId));
    if (content === null) throw new BadSource({ type: 'blobNotFound', notFound: [source.blobId] });
    // RFC 9404 §4.1: a range the blob cannot satisfy makes the creation fail.
    if (offset + (length ?? 0) > content.length) throw invalid('the range is past the end of the blob');
    return content.subarray(offset, length === null ? undefined : offset + length);
  }
  throw invalid('a data source has exactly one of data:asText, data:asBase64 or blobId (with offset and length)');
}

const blobUpload: Method = async (args, ctx) => {
  onlyKnown(args, ['accountId', 'create']);
  const create = optionalObject(args, 'create') ?? {};
  if (Object.keys(create).length > ctx.deps.limits.maxObjectsInSet) throw new MethodError('requestTooLarge', `at most ${ctx.deps.limits.maxObjectsInSet} blobs per call`);
  const created: Record<string, unknown> = {};
  const notCreated: Record<string, SetError> = {};
  for (const [cid, spec] of Object.entries(create)) {
    try {
      if (!isPlainObject(spec) || !Array.isArray(spec.data) || Object.keys(spec).some((k) => k !== 'data' && k !== 'type')) {
        throw new BadSource({ type: 'invalidProperties', description: 'an UploadObject is {data: [DataSourceObject], type}' });
      }
      if (spec.type !== undefined && spec.type !== null && typeof spec.type !== 'string') throw new BadSource({ type: 'invalidProperties', properties: ['type'] });
      if (spec.data.length > MAX_DATA_SOURCES) throw new BadSource({ type: 'invalidProperties', properties: ['data'], description: `at most ${MAX_DATA_SOURCES} data sources` });
      const parts: Buffer[] = [];
      let size = 0;
      for (const source of spec.data) {
        const bytes = await sourceBytes(ctx, source);
        size += bytes.length;
        if (size > ctx.deps.limits.maxSizeUpload) throw new BadSource({ type: 'tooLarge', description: `at most ${ctx.deps.limits.maxSizeUpload} octets` });
        parts.push(bytes);
      }
      const type = typeof spec.type === 'string' ? uploadType(spec.type) : 'application/octet-stream';
      const blob = await ctx.deps.blobs.put(Buffer.concat(parts));
      await recordAccountUpload(ctx.deps, ctx.accountId, blob.id, type, blob.size);
      created[cid] = { id: blob.id, type, size: blob.size };
      ctx.recordCreated(cid, blob.id);
    } catch (err) {
      if (!(err instanceof BadSource)) throw err;
      notCreated[cid] = err.error;
    }
  }
  return {
    accountId: toAccountId(ctx.accountId),
    created: Object.keys(created).length ? created : null,
    notCreated: Object.keys(notCreated).length ? notCreated : null,
  };
};

const GET_PROPERTIES = ['id', 'data', 'data:asText', 'data:asBase64', 'size', ...Object.keys(DIGESTS)];
const utf8 = new TextDecoder('utf-8', { fatal: true });

const blobGet: Method = async (args, ctx) => {
  const req = readGet(args, ctx, GET_PROPERTIES, ['offset', 'length']);
  if (req.ids === null) throw new MethodError('invalidArguments', '"ids" must list the blobs to get', { arguments: ['ids'] });
  const offset = optionalUnsignedInt(args, 'offset') ?? 0;
  const length = optionalUnsignedInt(args, 'length');
  const properties = req.properties ?? ['id', 'data', 'size'];
  const list: Record<string, unknown>[] = [];
  const notFound: string[] = [];
  for (const id of req.ids) {
    const content = await readBlobContent(ctx.deps, ctx.accountId, blobRef(ctx, id));
    if (content === null) {
      notFound.push(id);
      continue;
    }
    const end = length === null ? content.length : offset + length;
    const range = content.subarray(Math.min(offset, content.length), Math.min(end, content.length));
    const out: Record<string, unknown> = { id };
    let text: string | null = null;
    try {
      text = utf8.decode(range);
    } catch {
      text = null;
    }
    // "data" is the text when the range is UTF-8, else base64; asking for text that is not UTF-8 is an encoding problem.
    const data = properties.includes('data');
    if (properties.includes('data:asText') || (data && text !== null)) out['data:asText'] = text;
    if (properties.includes('data:asBase64') || (data && text === null)) out['data:asBase64'] = range.toString('base64');
    if ((properties.includes('data:asText') || data) && text === null) out.isEncodingProblem = true;
    // RFC 9404 §4.2: a range reaching past the end gives what there is, flagged.
    if (end > content.length) out.isTruncated = true;
    if (properties.includes('size')) out.size = content.length;
    for (const [property, algorithm] of Object.entries(DIGESTS)) {
      if (properties.includes(property)) out[property] = createHash(algorithm).update(range).digest('base64');
    }
    list.push(out);
  }
  return { accountId: toAccountId(ctx.accountId), list, notFound };
};

const blobLookup: Method = async (args, ctx) => {
  onlyKnown(args, ['accountId', 'typeNames', 'ids']);
  const typeNames = optionalStringList(args, 'typeNames');
  const ids = optionalStringList(args, 'ids');
  if (typeNames === null || ids === null) throw new MethodError('invalidArguments', '"typeNames" and "ids" must be lists', { arguments: typeNames === null ? ['typeNames'] : ['ids'] });
  // RFC 9404 §4.3: a type the server cannot look in, or whose capability the request did not use.
  const unknown = typeNames.filter((t) => !LOOKUP_TYPES.includes(t) || !ctx.using.has(MAIL_CAPABILITY));
  if (unknown.length) throw new MethodError('unknownDataType', `cannot look up ${unknown.join(', ')}`);
  if (ids.length > ctx.deps.limits.maxObjectsInGet) throw new MethodError('requestTooLarge', `at most ${ctx.deps.limits.maxObjectsInGet} ids`);
  const { store } = ctx.deps;
  const list: Record<string, unknown>[] = [];
  const notFound: string[] = [];
  for (const id of ids.map((i) => blobRef(ctx, i))) {
    const parsed = parseBlobId(id);
    if (!parsed || !(await store.isBlobOfAccount(ctx.accountId, parsed.blobId))) {
      notFound.push(id);
      continue;
    }
    // A part of a message is found in that message's Email (RFC 9404 §4.3: "you could discover this blobId by looking inside").
    const emails = await store.getEmails(ctx.accountId, await store.emailIdsWithBlob(ctx.accountId, parsed.blobId));
    const found: Record<string, string[]> = {
      Email: emails.map((e) => toJmapId('email', e.id)),
      Thread: [...new Set(emails.map((e) => e.threadId))].map((t) => toJmapId('thread', t)),
      Mailbox: [...new Set(emails.flatMap((e) => e.mailboxes.map((m) => m.mailboxId)))].sort((a, b) => a - b).map((m) => toJmapId('mailbox', m)),
    };
    list.push({ id, matchedIds: Object.fromEntries(typeNames.map((t) => [t, found[t]])) });
  }
  return { accountId: toAccountId(ctx.accountId), list, notFound };
};

export const blobMethods: MethodSet = {
  capability: BLOB_CAPABILITY,
  methods: { 'Blob/upload': blobUpload, 'Blob/get': blobGet, 'Blob/lookup': blobLookup },
  accountCapability: () => ({
    // The limit Blob/upload enforces (ctx.deps.limits), as configured by default.
    maxSizeBlobSet: DEFAULT_JMAP_LIMITS.maxSizeUpload,
    maxDataSources: MAX_DATA_SOURCES,
    supportedTypeNames: LOOKUP_TYPES,
    supportedDigestAlgorithms: ['sha', 'sha-256'],
  }),
};
