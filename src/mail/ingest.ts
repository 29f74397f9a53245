// Storing one incoming message (SMTP delivery, IMAP APPEND, JMAP import): the blob is made
// durable first, then parsed once, then the row is committed (DESIGN.md §3). When the append
// fails (quota, mailbox gone), the blob stays unreferenced and blob GC removes it later.

import type { AccountId, AppendInput, AppendResult, BlobStore, MailboxId, MailStore } from '../store/types.ts';
import type { ParsedMessage } from '../wire/mime/types.ts';

export interface IngestDeps {
  store: MailStore;
  blobs: BlobStore;
  parse: (raw: Uint8Array) => ParsedMessage;
}

/**
 * Several messages into one mailbox, all or none (IMAP MULTIAPPEND): every blob durable and
 * parsed first, then one store mutation.
 */
export async function ingestMessages(
  deps: IngestDeps,
  accountId: AccountId,
  mailboxId: MailboxId,
  messages: { raw: Uint8Array; flags?: string[]; internalDate?: number }[],
): Promise<AppendResult[]> {
  const inputs: AppendInput[] = [];
  for (const m of messages) {
    const blob = await deps.blobs.put(m.raw);
    const parsed = deps.parse(m.raw);
    inputs.push({ blobId: blob.id, size: blob.size, flags: m.flags, internalDate: m.internalDate, summary: parsed.summary, searchText: parsed.searchText });
  }
  return deps.store.appendMessages(accountId, mailboxId, inputs);
}

export async function ingestMessage(
  deps: IngestDeps,
  accountId: AccountId,
  mailboxId: MailboxId,
  raw: Uint8Array,
  opts: { flags?: string[]; internalDate?: number } = {},
): Promise<AppendResult> {
  const blob = await deps.blobs.put(raw);
  const parsed = deps.parse(raw);
  return deps.store.appendMessage(accountId, mailboxId, {
    blobId: blob.id,
    size: blob.size,
    flags: opts.flags,
    internalDate: opts.internalDate,
    summary: parsed.summary,
    searchText: parsed.searchText,
  });
}
