// Storing new messages in a mailbox the caller chose (IMAP APPEND, later JMAP Email/import and
// the importer): the delivery pipeline's ingest and mailbox stages without its rules, since the
// client already decided where the message goes. Mail addressed to accounts goes through
// LocalDelivery (src/delivery/local-delivery.ts) instead.

import type { AccountId, AppendResult, MailboxId } from '../store/types.ts';
import { appendAll, appendOne, type AppendStore } from './append.ts';
import { ingest, type IngestDeps as IngestStageDeps } from './ingest.ts';

export interface IngestDeps extends IngestStageDeps {
  store: AppendStore;
}

export interface MessageToStore {
  raw: Uint8Array;
  flags?: string[];
  internalDate?: number;
}

/**
 * Several messages into one mailbox, all or none (IMAP MULTIAPPEND, RFC 3502): every blob
 * durable and parsed first, then one store mutation.
 */
export async function ingestMessages(deps: IngestDeps, accountId: AccountId, mailboxId: MailboxId, messages: readonly MessageToStore[]): Promise<AppendResult[]> {
  const entries = [];
  for (const m of messages) entries.push({ message: await ingest(deps, m.raw), flags: m.flags, internalDate: m.internalDate });
  return appendAll(deps.store, accountId, mailboxId, entries);
}

export async function ingestMessage(
  deps: IngestDeps,
  accountId: AccountId,
  mailboxId: MailboxId,
  raw: Uint8Array,
  opts: { flags?: string[]; internalDate?: number } = {},
): Promise<AppendResult> {
  return appendOne(deps.store, accountId, mailboxId, { message: await ingest(deps, raw), flags: opts.flags, internalDate: opts.internalDate });
}
