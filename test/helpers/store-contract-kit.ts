// Plumbing for the backend-independent store contract (test/store-contract.ts).

import assert from 'node:assert/strict';
import { StoreError } from '../../src/store/types.ts';
import type { Account, AppendResult, BlobStore, ChangeBus, Mailbox, MailStore, StoreErrorCode } from '../../src/store/types.ts';
import { rawMessage, summaryFor } from './store-fixtures.ts';

export interface OpenedTestStore {
  store: MailStore;
  blobs: BlobStore;
  bus: ChangeBus;
  cleanup: () => Promise<void>;
}

export type OpenTestStore = () => Promise<OpenedTestStore>;

export interface Ctx extends OpenedTestStore {
  account: Account;
  inbox: Mailbox;
  /** Puts a blob and appends it; returns the append result and the message size. */
  append: (mailbox: Mailbox | number, opts?: { subject?: string; body?: number; flags?: string[]; account?: Account }) => Promise<AppendResult & { size: number; blobId: string }>;
  mailbox: (name: string) => Promise<Mailbox>;
}

/** Opens a fresh store with domain example.org and account user@example.org, runs fn, cleans up. */
export async function withStore(open: OpenTestStore, fn: (ctx: Ctx) => Promise<void>): Promise<void> {
  const opened = await open();
  try {
    const { store, blobs } = opened;
    await store.addDomain('example.org');
    const account = await store.createAccount({ address: 'user@example.org', passwordHash: 'hash' });
    const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
    let counter = 0;
    const ctx: Ctx = {
      ...opened,
      account,
      inbox,
      append: async (mailbox, opts = {}) => {
        const subject = opts.subject ?? `message ${++counter}`;
        const raw = rawMessage(subject, opts.body ?? 10);
        const blob = await blobs.put(raw);
        const acc = opts.account ?? account;
        const mailboxId = typeof mailbox === 'number' ? mailbox : mailbox.id;
        const r = await store.appendMessage(acc.id, mailboxId, {
          blobId: blob.id, size: blob.size, flags: opts.flags, summary: summaryFor(subject, raw.length),
        });
        return { ...r, size: blob.size, blobId: blob.id };
      },
      mailbox: async (name) => {
        const mb = await store.getMailbox(account.id, name);
        assert.ok(mb, `mailbox ${name} exists`);
        return mb;
      },
    };
    await fn(ctx);
  } finally {
    await opened.store.close().catch(() => {});
    await opened.cleanup();
  }
}

export async function rejectsWith(p: Promise<unknown>, code: StoreErrorCode, what?: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof StoreError, `expected StoreError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, what ?? err.message);
    return true;
  });
}
