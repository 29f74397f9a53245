// The upload endpoint (RFC 8620 §6.1): POST /jmap/upload/{accountId}/ stores the body as a blob
// of the account. The blob is durable (BlobStore.put fsyncs) before the upload is recorded, and
// the record is what lets the account — and only it — use the blob (src/store/upload-types.ts).
//
// Limits (RFC 8620 §2): a declared Content-Length over maxSizeUpload is refused before a byte is
// read; a body without one (chunked) is cut off at the limit and never buffered past it. Both are
// answered 413 (RFC 9110 §15.5.14) with the JMAP "limit" problem type naming maxSizeUpload, so a
// client sees which limit it hit. Uploads running at once per account are bounded by
// maxConcurrentUpload, answered 400 with the same problem type, as RFC 8620 §3.6.1 does for
// maxConcurrentRequests on the API endpoint.

import type { Route } from '../web/types.ts';
import { discardBody, readBody } from '../web/request-body.ts';
import type { AccountId } from '../store/types.ts';
import type { JmapDeps } from './types.ts';
import { requireAccount, sendJson, sendProblem } from './http-api.ts';
import { fromAccountId, toAccountId } from './ids.ts';
import { JMAP_PATHS } from './session.ts';

/**
 * How long an upload stays usable. RFC 8620 §6 asks for at least an hour; a day lets a client
 * attach a file to a draft, come back to it later the same day and still send it.
 */
export const UPLOAD_LIFETIME_MS = 24 * 60 * 60 * 1000;

const LIMIT_PROBLEM = 'urn:ietf:params:jmap:error:limit';
/** RFC 6838 §4.2 type/subtype, with parameters; anything else is stored as application/octet-stream. */
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(\s*;[\x20-\x7e]*)?$/;

/** The media type recorded for an upload: the declared one when it is well-formed (never sniffed). */
export function uploadType(contentType: string | undefined): string {
  const type = (contentType ?? '').trim();
  return type.length <= 255 && MEDIA_TYPE.test(type) ? type : 'application/octet-stream';
}

/** Records a blob that is already durable as the account's upload, with the standard lifetime. */
export function recordAccountUpload(deps: Pick<JmapDeps, 'store'>, accountId: AccountId, blobId: string, type: string, size: number) {
  return deps.store.recordUpload(accountId, { blobId, type, size, expiresAt: Date.now() + UPLOAD_LIFETIME_MS });
}

export class UploadEndpoint {
  private readonly deps: JmapDeps;
  /** Uploads running per account (RFC 8620 §2 maxConcurrentUpload). */
  private readonly running = new Map<AccountId, number>();

  constructor(deps: JmapDeps) {
    this.deps = deps;
  }

  readonly route: Route = async (req, res, url, ctx) => {
    if (!url.pathname.startsWith(JMAP_PATHS.upload)) return false;
    if (req.method !== 'POST') {
      sendProblem(res, 405, 'about:blank', 'Use POST.', {}, { Allow: 'POST' });
      return true;
    }
    const account = await requireAccount(req, res, ctx);
    if (!account) return true;
    const named = /^([^/]+)\/?$/.exec(url.pathname.slice(JMAP_PATHS.upload.length))?.[1];
    // Another account's id reads as no account at all: nothing tells it exists (RFC 8620 §6.1:
    // unreferenced blobs are the uploader's alone).
    if (named === undefined || fromAccountId(named) !== account.id) {
      discardBody(req);
      sendProblem(res, 404, 'about:blank', 'No such account.', {}, { Connection: 'close' });
      return true;
    }
    const limits = this.deps.limits;
    const tooLarge = (): void =>
      sendProblem(res, 413, LIMIT_PROBLEM, `At most ${limits.maxSizeUpload} octets per upload.`, { limit: 'maxSizeUpload' }, { Connection: 'close' });
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limits.maxSizeUpload) {
      discardBody(req); // refused before a byte is read; the rest lingers away (src/web/request-body.ts)
      tooLarge();
      return true;
    }
    const inFlight = this.running.get(account.id) ?? 0;
    if (inFlight >= limits.maxConcurrentUpload) {
      discardBody(req);
      sendProblem(res, 400, LIMIT_PROBLEM, `At most ${limits.maxConcurrentUpload} uploads at once.`, { limit: 'maxConcurrentUpload' }, { Connection: 'close' });
      return true;
    }
    this.running.set(account.id, inFlight + 1);
    try {
      const body = await readBody(req, limits.maxSizeUpload);
      if (!body.ok) {
        if (body.status === 413) tooLarge();
        else sendProblem(res, 400, 'about:blank', 'The upload could not be read.', {}, { Connection: 'close' });
        return true;
      }
      const type = uploadType(req.headers['content-type']);
      const blob = await this.deps.blobs.put(body.body);
      await recordAccountUpload(this.deps, account.id, blob.id, type, blob.size);
      this.deps.log.info({ event: 'jmap-upload', protocol: 'jmap', account: account.address, size: blob.size });
      sendJson(res, 201, { accountId: toAccountId(account.id), blobId: blob.id, type, size: blob.size });
    } finally {
      const left = (this.running.get(account.id) ?? 1) - 1;
      if (left > 0) this.running.set(account.id, left);
      else this.running.delete(account.id);
    }
    return true;
  };
}
