// The maildrop of one POP3 session (RFC 1939 §5, §6): a snapshot of the INBOX taken at login,
// numbered 1..n in UID order, with the session's deletion marks. Nothing here changes the store
// until QUIT (commit) except the bookkeeping of RETR (\Seen and the retrieval time, for IMAP
// users and for retention).
//
// Implementation notes:
// - Deletions are applied in ONE expunge at QUIT; a session that ends any other way deletes
//   nothing (RFC 1939 §6: only QUIT from TRANSACTION enters UPDATE).
// - RETR bookkeeping is batched: marks are collected for up to MARK_DELAY_MS (or MARK_BATCH
//   messages) and written in one go, so a client downloading 10,000 messages does not cost
//   10,000 commits (each an fsync on the event loop), and IMAP users still see \Seen within a
//   fraction of a second. A message retrieved before costs no second retrieval-time write.
//   Whatever is pending is written when the session ends, however it ends.
// - Retention (RFC 2449 §6.7 EXPIRE) runs at login, before the snapshot: messages POP3 retrieved
//   more than N days ago are removed, so the client never sees a number that is already gone.

import type { Account, Mailbox, MessageRecord } from '../store/types.ts';
import type { Pop3Context } from './context.ts';
import { Pop3Error, badCommand } from './errors.ts';
import { ReadAhead } from './read-ahead.ts';

/** Blob read size while streaming RETR/TOP; messages up to this size are sent in one write. */
export const STREAM_CHUNK = 256 * 1024;

const DAY_MS = 86_400_000;
const MARK_DELAY_MS = 200;
const MARK_BATCH = 500;

export interface MaildropEntry {
  /** Message number in this session (RFC 1939 §5), 1-based. */
  number: number;
  uid: number;
  messageId: number;
  blobId: string;
  storedSize: number;
  deleted: boolean;
  /** Has a first-retrieval time for retention. */
  retrievedBefore: boolean;
}

/**
 * The unique-id listing of a message (RFC 1939 §7 UIDL: stable across sessions, never reused).
 *
 * Built from the MessageId, not from the INBOX UID: a UID changes when IMAP moves a message out
 * of the INBOX and back, and `${uidValidity}.${uid}` would show the client a new id for the same
 * message (a duplicate download). The MessageId is kept across MOVE (types.ts) and is
 * AUTOINCREMENT in the store, so it is never handed out again after a message is deleted.
 * The account's creation time (base 36) in front makes ids from different databases differ: if an
 * account is rebuilt in a fresh store (ids restart at 1), a client that remembers old UIDLs must
 * not take a new message for one it already has — that would mean mail it never downloads.
 * Characters are 0-9a-z and "-", within RFC 1939's 0x21..0x7E and 70 octets.
 */
export function uidlOf(account: Pick<Account, 'createdAt'>, messageId: number): string {
  return `${account.createdAt.toString(36)}-${messageId.toString(36)}`;
}

/** Retention in days for this account: its own setting, else the server default; null = never. */
export function retentionDays(ctx: Pop3Context, account: Account): number | null {
  return account.popRetentionDays ?? ctx.deps.config.pop3.retentionDays;
}

export class Maildrop {
  readonly account: Account;
  readonly inbox: Mailbox;
  readonly entries: MaildropEntry[];
  readonly readAhead: ReadAhead;
  private readonly ctx: Pop3Context;
  private readonly pendingSeen = new Set<number>();
  private readonly pendingRetrieved = new Set<number>();
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  retrievedCount = 0;

  constructor(ctx: Pop3Context, account: Account, inbox: Mailbox, records: readonly MessageRecord[]) {
    this.ctx = ctx;
    this.account = account;
    this.inbox = inbox;
    this.readAhead = new ReadAhead(ctx.deps.blobs, STREAM_CHUNK);
    this.entries = records.map((r, i) => ({
      number: i + 1,
      uid: r.uid,
      messageId: r.id,
      blobId: r.blobId,
      storedSize: r.size,
      deleted: false,
      retrievedBefore: r.downloadedAt !== null,
    }));
  }

  /** Applies retention, then takes the snapshot. */
  static async open(ctx: Pop3Context, account: Account): Promise<{ maildrop: Maildrop; expired: number }> {
    const { store, log } = ctx.deps;
    const inbox = await store.getMailbox(account.id, 'INBOX');
    if (!inbox) throw new Pop3Error('SYS/PERM', 'No INBOX for this account');
    let records = await store.listMessages(account.id, inbox.id);
    const days = retentionDays(ctx, account);
    let expired = 0;
    if (days !== null) {
      const cutoff = ctx.now() - days * DAY_MS;
      const old = records.filter((r) => r.downloadedAt !== null && r.downloadedAt < cutoff);
      if (old.length > 0) {
        const removed = await store.expunge(account.id, inbox.id, { uids: old.map((r) => r.uid), onlyDeleted: false });
        expired = removed.length;
        const gone = new Set(removed);
        records = records.filter((r) => !gone.has(r.uid));
        log.info({ event: 'pop3-retention', protocol: 'pop3', account: account.address, days, removed: removed.length });
      }
    }
    return { maildrop: new Maildrop(ctx, account, inbox, records), expired };
  }

  uidl(entry: MaildropEntry): string {
    return uidlOf(this.account, entry.messageId);
  }

  /** The entry for a message number argument; -ERR for numbers past the end or deleted. */
  get(number: number | null): MaildropEntry {
    if (number === null) throw badCommand('Invalid message number');
    const entry = this.entries[number - 1];
    if (!entry) throw new Pop3Error(null, `No such message ${number}`);
    // RFC 1939 §5: a message marked as deleted may not be referred to.
    if (entry.deleted) throw new Pop3Error(null, `Message ${number} is deleted`);
    return entry;
  }

  live(): MaildropEntry[] {
    return this.entries.filter((e) => !e.deleted);
  }

  /** POP3 sizes (as transmitted) of the given entries. */
  sizes(entries: readonly MaildropEntry[]): Promise<number[]> {
    return this.ctx.sizes.sizesOf(this.account.id, this.inbox.id, entries);
  }

  reset(): void {
    for (const e of this.entries) e.deleted = false;
  }

  deletedUids(): number[] {
    return this.entries.filter((e) => e.deleted).map((e) => e.uid);
  }

  /** RETR completed: set \Seen and the retrieval time, batched (see the notes above). */
  retrieved(entry: MaildropEntry): void {
    this.retrievedCount++;
    // \Seen always (an IMAP user may have cleared it since the snapshot; setting it again
    // costs no modseq when it is there), the retrieval time only the first time (the store
    // keeps the first one anyway, so skipping it changes nothing but saves the write).
    this.pendingSeen.add(entry.uid);
    if (!entry.retrievedBefore) this.pendingRetrieved.add(entry.uid);
    entry.retrievedBefore = true;
    const pending = Math.max(this.pendingSeen.size, this.pendingRetrieved.size);
    if (pending === 0 || this.flushing) return;
    if (pending >= MARK_BATCH) this.startFlush();
    else this.timer ??= setTimeout(() => this.startFlush(), MARK_DELAY_MS);
  }

  /** Writes every RETR mark so far to the store and waits for it. */
  async settle(): Promise<void> {
    this.readAhead.clear();
    if (this.pendingSeen.size > 0 || this.pendingRetrieved.size > 0) this.startFlush();
    while (this.flushing) await this.flushing;
  }

  private startFlush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.flushing ??= this.flushLoop();
  }

  private async flushLoop(): Promise<void> {
    const { store, log } = this.ctx.deps;
    while (this.pendingSeen.size > 0 || this.pendingRetrieved.size > 0) {
      const seen = [...this.pendingSeen];
      const retrieved = [...this.pendingRetrieved];
      this.pendingSeen.clear();
      this.pendingRetrieved.clear();
      try {
        // Both in the same tick: the store's group commit makes them one transaction commit.
        await Promise.all([
          seen.length > 0 ? store.setFlags(this.account.id, this.inbox.id, seen, 'add', ['\\Seen']) : null,
          retrieved.length > 0 ? store.markDownloaded(this.account.id, this.inbox.id, retrieved, this.ctx.now()) : null,
        ]);
      } catch (err) {
        // The client has its messages; losing a \Seen mark is not worth failing the session.
        log.error({ event: 'pop3-mark-retrieved-failed', protocol: 'pop3', account: this.account.address, err: (err as Error).message });
      }
    }
    this.flushing = null;
  }

  /** UPDATE state (RFC 1939 §6): removes the messages marked deleted, in one store call. */
  async commit(): Promise<number> {
    await this.settle();
    const uids = this.deletedUids();
    if (uids.length === 0) return 0;
    const removed = await this.ctx.deps.store.expunge(this.account.id, this.inbox.id, { uids, onlyDeleted: false });
    return removed.length;
  }
}
