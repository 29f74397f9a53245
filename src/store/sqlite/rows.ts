// Row shapes of the SQLite schema and their mapping to the store's records.

import type { MessageKeyName, MessageKeys } from '../../mail/message-keys.ts';
import type { Account, Alias, Domain, Mailbox, MessageRecord, MessageWithSummary, SpecialUse } from '../types.ts';

export interface DomainRow {
  id: number;
  name: string;
  created_at: number;
  dkim_selector: string | null;
  dkim_private_key_pem: string | null;
}

export interface AccountRow {
  id: number;
  address: string;
  domain_id: number;
  password_hash: string;
  quota_bytes: number | null;
  used_bytes: number;
  message_count: number;
  modseq: number;
  next_uid_validity: number;
  pop_retention_days: number | null;
  created_at: number;
  disabled: number;
}

export interface AliasRow {
  id: number;
  source: string;
  target: string;
}

export interface MailboxRow {
  id: number;
  account_id: number;
  name: string;
  role: string | null;
  uid_validity: number;
  uid_next: number;
  highest_modseq: number;
  message_count: number;
  unseen_count: number;
  size_bytes: number;
  deleted_count: number;
  arrival_mark: number;
  sort_order: number;
  created_at: number;
}

export interface MessageRow {
  id: number;
  account_id: number;
  mailbox_id: number;
  uid: number;
  modseq: number;
  flags: string;
  internal_date: number;
  size: number;
  blob_id: string;
  downloaded_at: number | null;
  email_id: number;
  thread_id: number;
}

export interface MessageRowWithSummary extends MessageRow {
  summary: string;
}

/** Column list for MessageRecord reads (leaves out the large summary and search text); toMessageFromArray relies on its order. */
export const MESSAGE_COLUMNS = 'id, account_id, mailbox_id, uid, modseq, flags, internal_date, size, blob_id, downloaded_at, email_id, thread_id';

/** The same columns qualified for `message m JOIN message_content c USING (blob_id)`. */
export const MESSAGE_COLUMNS_JOINED = MESSAGE_COLUMNS.split(', ').map((c) => (c === 'blob_id' ? c : `m.${c}`)).join(', ');

export function toDomain(r: DomainRow): Domain {
  return { id: r.id, name: r.name, createdAt: r.created_at, dkimSelector: r.dkim_selector, dkimPrivateKeyPem: r.dkim_private_key_pem };
}

export function toAccount(r: AccountRow): Account {
  return {
    id: r.id,
    address: r.address,
    domainId: r.domain_id,
    passwordHash: r.password_hash,
    quotaBytes: r.quota_bytes,
    usedBytes: r.used_bytes,
    messageCount: r.message_count,
    modseq: r.modseq,
    popRetentionDays: r.pop_retention_days,
    createdAt: r.created_at,
    disabled: r.disabled !== 0,
  };
}

export function toAlias(r: AliasRow): Alias {
  return { id: r.id, source: r.source, target: r.target };
}

export function toMailbox(r: MailboxRow): Mailbox {
  return {
    id: r.id,
    accountId: r.account_id,
    name: r.name,
    role: r.role as SpecialUse | null,
    uidValidity: r.uid_validity,
    uidNext: r.uid_next,
    highestModseq: r.highest_modseq,
    messageCount: r.message_count,
    unseenCount: r.unseen_count,
    sizeBytes: r.size_bytes,
    deletedCount: r.deleted_count,
    arrivalMark: r.arrival_mark,
    sortOrder: r.sort_order,
    createdAt: r.created_at,
  };
}

/**
 * Flag lists repeat (a mailbox has a handful of distinct ones), and parsing each row's JSON was
 * a third of listing a 100,000-message mailbox: equal JSON texts share one parsed list. The lists
 * are frozen, since records share them; a mutation throws instead of changing other records.
 */
export class FlagLists {
  private readonly lists = new Map<string, readonly string[]>();
  private readonly max: number;

  constructor(max = 4096) {
    this.max = max;
  }

  parse(json: string): string[] {
    let list = this.lists.get(json);
    if (!list) {
      list = Object.freeze(JSON.parse(json) as string[]);
      if (this.lists.size >= this.max) this.lists.clear();
      this.lists.set(json, list);
    }
    return list as string[];
  }
}

export function toMessage(r: MessageRow, flagLists: FlagLists): MessageRecord {
  return {
    id: r.id,
    emailId: r.email_id,
    threadId: r.thread_id,
    mailboxId: r.mailbox_id,
    uid: r.uid,
    modseq: r.modseq,
    flags: flagLists.parse(r.flags),
    internalDate: r.internal_date,
    size: r.size,
    blobId: r.blob_id,
    downloadedAt: r.downloaded_at,
  };
}

/** toMessage for a row read as an array of MESSAGE_COLUMNS (Db.rows). */
export function toMessageFromArray(r: unknown[], flagLists: FlagLists): MessageRecord {
  return {
    id: r[0] as number,
    emailId: r[10] as number,
    threadId: r[11] as number,
    mailboxId: r[2] as number,
    uid: r[3] as number,
    modseq: r[4] as number,
    flags: flagLists.parse(r[5] as string),
    internalDate: r[6] as number,
    size: r[7] as number,
    blobId: r[8] as string,
    downloadedAt: r[9] as number | null,
  };
}

export function toMessageWithSummary(r: MessageRowWithSummary, flagLists: FlagLists): MessageWithSummary {
  return { ...toMessage(r, flagLists), summary: JSON.parse(r.summary) };
}

/** message_content columns of MessageKeys (migration 4), in the order messageKeyValues gives them. */
export const MESSAGE_KEY_COLUMN: Readonly<Record<MessageKeyName, string>> = {
  sentDate: 'sent_date',
  sortSubject: 'sort_subject',
  sortFrom: 'sort_from',
  sortTo: 'sort_to',
  sortCc: 'sort_cc',
  displayFrom: 'display_from',
  displayTo: 'display_to',
  searchSubject: 'search_subject',
  searchFrom: 'search_from',
  searchTo: 'search_to',
  searchCc: 'search_cc',
  searchBcc: 'search_bcc',
};
const MESSAGE_KEY_NAMES = Object.keys(MESSAGE_KEY_COLUMN) as MessageKeyName[];
export const MESSAGE_KEY_COLUMNS: readonly string[] = MESSAGE_KEY_NAMES.map((k) => MESSAGE_KEY_COLUMN[k]);

export function messageKeyValues(keys: MessageKeys): (string | number | null)[] {
  return MESSAGE_KEY_NAMES.map((k) => keys[k]);
}
