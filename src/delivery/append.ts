// Stage 3 of storing new mail: rows into one mailbox. The only place new messages are appended:
// the store commits (and fsyncs) the rows, then publishes on the ChangeBus, which wakes IDLE and
// JMAP sessions. Quota is checked by the store inside the same transaction (OVER_QUOTA).

import type { AccountId, AppendInput, AppendResult, MailboxId, MailStore } from '../store/types.ts';
import type { IngestedMessage } from './ingest.ts';

export type AppendStore = Pick<MailStore, 'appendMessage' | 'appendMessages'>;

export interface MailboxEntry {
  message: IngestedMessage;
  flags?: readonly string[];
  /** Milliseconds since the epoch; the store's clock when absent. */
  internalDate?: number;
}

function appendInput(entry: MailboxEntry): AppendInput {
  const { message } = entry;
  return {
    blobId: message.blobId,
    size: message.size,
    flags: entry.flags ? [...entry.flags] : undefined,
    internalDate: entry.internalDate,
    summary: message.parsed.summary,
    searchText: message.parsed.searchText,
  };
}

/** One message into one mailbox. */
export function appendOne(store: AppendStore, accountId: AccountId, mailboxId: MailboxId, entry: MailboxEntry): Promise<AppendResult> {
  return store.appendMessage(accountId, mailboxId, appendInput(entry));
}

/** Several messages into one mailbox in one store mutation: all of them or none (RFC 3502 §6.3.11). */
export function appendAll(store: AppendStore, accountId: AccountId, mailboxId: MailboxId, entries: readonly MailboxEntry[]): Promise<AppendResult[]> {
  return store.appendMessages(accountId, mailboxId, entries.map(appendInput));
}
