// The download endpoint (RFC 8620 §6.2): GET /jmap/download/{accountId}/{blobId}/{name}?accept={type}.
// The bytes are a blob the account may read (src/jmap/blob-access.ts): a whole message, an
// upload, or one decoded part of a message. Blobs are immutable, so responses may be cached
// privately forever; they are always attachments, never rendered on our origin.

import type { ServerResponse } from 'node:http';
import type { Route } from '../web/types.ts';
import type { JmapDeps } from './types.ts';
import { requireAccount, sendProblem } from './http-api.ts';
import { readAccountPart } from './blob-access.ts';
import { toAccountId } from './ids.ts';
import { JMAP_PATHS } from './session.ts';

// RFC 6838 §4.2 type and subtype names; parameters as RFC 9110 §8.3.1 writes them (token or
// quoted-string values). Nothing else may reach the header: no line breaks, no other fields.
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
const PARAMETER = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}=(?:[A-Za-z0-9!#$%&'*+.^_`|~-]{1,200}|"[\x20\x21\x23-\x5b\x5d-\x7e]{0,200}")$/;

/** The `accept` type if it is a well-formed media type, else application/octet-stream. */
export function downloadContentType(accept: string | null): string {
  if (accept === null || accept.length > 1000) return 'application/octet-stream';
  const [type, ...params] = accept.split(';').map((p) => p.trim());
  if (!MEDIA_TYPE.test(type) || params.length > 8 || !params.every((p) => PARAMETER.test(p))) return 'application/octet-stream';
  return [type, ...params].join('; ');
}

/**
 * Content-Disposition for a download (RFC 6266 §4.1, §4.3): a quoted ASCII filename, and the
 * exact name as filename* in UTF-8 (RFC 8187 ext-value) when it is not plain ASCII.
 */
export function contentDisposition(name: string): string {
  const clean = name.replace(/[\x00-\x1f\x7f]/g, '').slice(0, 255);
  const ascii = clean.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  if (ascii === clean) return `attachment; filename="${ascii}"`;
  const ext = encodeURIComponent(clean).replace(/['()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  return `attachment; filename="${ascii}"; filename*=UTF-8''${ext}`;
}

/** One "bytes=a-b" range (RFC 9110 §14.2); null when absent or not one we serve (the whole body then). */
function byteRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  if (header === undefined) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return null;
  }
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

function notFound(res: ServerResponse): void {
  sendProblem(res, 404, 'about:blank', 'No such blob in this account.');
}

export function downloadRoute(deps: JmapDeps): Route {
  return async (req, res, url, ctx) => {
    if (!url.pathname.startsWith(JMAP_PATHS.download)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendProblem(res, 405, 'about:blank', 'Use GET.', {}, { Allow: 'GET, HEAD' });
      return true;
    }
    const account = await requireAccount(req, res, ctx);
    if (!account) return true;
    const segments = url.pathname.slice(JMAP_PATHS.download.length).split('/');
    let accountId: string, blobId: string, name: string;
    try {
      if (segments.length !== 3) throw new Error('shape');
      [accountId, blobId, name] = segments.map((s) => decodeURIComponent(s));
    } catch {
      notFound(res);
      return true;
    }
    // RFC 8620 §6.2: only the user's own account; any other reads as not found.
    if (accountId !== toAccountId(account.id)) {
      notFound(res);
      return true;
    }
    const blob = await readAccountPart(deps, account.id, blobId);
    if (!blob) {
      notFound(res);
      return true;
    }
    const etag = `"${blobId}"`;
    const headers: Record<string, string> = {
      'Content-Type': downloadContentType(url.searchParams.get('accept')),
      'Content-Disposition': contentDisposition(name),
      // A blob id always names the same bytes (RFC 8620 §6).
      'Cache-Control': 'private, immutable, max-age=31536000',
      ETag: etag,
      'Accept-Ranges': 'bytes',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; sandbox",
    };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    const size = blob.bytes.length;
    const range = byteRange(req.headers.range, size);
    if (range === 'unsatisfiable') {
      res.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}` });
      res.end();
      return true;
    }
    const body = range ? blob.bytes.subarray(range.start, range.end + 1) : blob.bytes;
    if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
    res.writeHead(range ? 206 : 200, { ...headers, 'Content-Length': String(body.length) });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}
