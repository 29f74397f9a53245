// Blob/copy (RFC 8620 §6.3): blobs of one account made usable in another. The blob store is
// shared and content-addressed, so a whole blob keeps its id and the target account gets an
// upload record for it (src/store/upload-types.ts); a part of a message is decoded and stored
// as a blob of its own. Which accounts may be named is copy-accounts.ts's concern.

import { onlyKnown, optionalStringList } from './args.ts';
import { MethodError, type MethodContext, type Method, type SetError } from './types.ts';
import { toAccountId } from './ids.ts';
import { parseBlobId } from './blob-ids.ts';
import { readFromAccount, type AccountAccess } from './copy-accounts.ts';
import { readBlobContent } from './mail/blob-content.ts';
import { recordAccountUpload } from './upload.ts';

export function blobCopyMethod(access: AccountAccess): Method {
  return async (args: Record<string, unknown>, ctx: MethodContext) => {
    onlyKnown(args, ['fromAccountId', 'accountId', 'blobIds']);
    const from = readFromAccount(args, ctx, access);
    const blobIds = optionalStringList(args, 'blobIds');
    if (blobIds === null) throw new MethodError('invalidArguments', '"blobIds" must be a list of ids', { arguments: ['blobIds'] });
    const copied: Record<string, string> = {};
    const notCopied: Record<string, SetError> = {};
    for (const id of blobIds) {
      const content = await readBlobContent(ctx.deps, from, id);
      if (content === null) {
        notCopied[id] = { type: 'blobNotFound' };
        continue;
      }
      const parsed = parseBlobId(id)!;
      const blob = parsed.partId === null ? { id: parsed.blobId, size: content.length } : await ctx.deps.blobs.put(content);
      const type = (parsed.partId === null ? (await ctx.deps.store.getUpload(from, parsed.blobId))?.type : null) ?? 'application/octet-stream';
      await recordAccountUpload(ctx.deps, ctx.accountId, blob.id, type, blob.size);
      copied[id] = blob.id;
    }
    return {
      fromAccountId: toAccountId(from),
      accountId: toAccountId(ctx.accountId),
      copied: Object.keys(copied).length ? copied : null,
      notCopied: Object.keys(notCopied).length ? notCopied : null,
    };
  };
}
