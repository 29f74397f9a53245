// The store contract, written once and run against every backend (DESIGN.md §3):
// test/store-sqlite.test.ts runs it on SQLite; the PostgreSQL backend calls it unchanged.

import { uploadsContract } from './store-contract-uploads.ts';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChangeEvent } from '../src/store/types.ts';
import { collectGarbage } from '../src/store/blob-gc.ts';
import { ingestMessage } from '../src/delivery/explicit-target.ts';
import { fakeParse, rawMessage, sha256 } from './helpers/store-fixtures.ts';
import { rejectsWith, withStore, type OpenTestStore } from './helpers/store-contract-kit.ts';
import { accountsContract } from './store-contract-accounts.ts';
import { mailboxesContract } from './store-contract-mailboxes.ts';
import { mailboxAttributesContract } from './store-contract-mailbox-attributes.ts';
import { messagesContract } from './store-contract-messages.ts';
import { emailsContract } from './store-contract-emails.ts';
import { queueContract } from './store-contract-queue.ts';
import { pushSubscriptionContract } from './store-contract-push.ts';
import { sendingContract } from './store-contract-sending.ts';
import { emailQueryContract } from './store-contract-email-query.ts';

export type { OpenedTestStore, OpenTestStore } from './helpers/store-contract-kit.ts';

export function storeContract(name: string, open: OpenTestStore): void {
  describe(`store contract: ${name}`, () => {
    describe('domains, accounts, aliases', () => accountsContract(open));
    describe('mailboxes', () => mailboxesContract(open));
    describe('mailbox attributes and counts (JMAP)', () => mailboxAttributesContract(open));
    describe('messages', () => messagesContract(open));
    describe('Emails, threads and changes per object type', () => emailsContract(open));
    describe('Email queries', () => emailQueryContract(open));
    describe('change bus and change log', () => changesContract(open));
    describe('blob references', () => blobContract(open));
    describe('ingest', () => ingestContract(open));
    describe('outbound queue', () => queueContract(open));
    describe('JMAP push subscriptions', () => pushSubscriptionContract(open));
    describe('uploads', () => uploadsContract(open));
    describe('identities, submissions, vacation response', () => sendingContract(open));
  });
}

function changesContract(open: OpenTestStore): void {
  it('publishes one event per mutation, after the commit, with its modseq', () =>
    withStore(open, async (ctx) => {
      const { store, bus, account, inbox } = ctx;
      const seen: { event: ChangeEvent; visible: Promise<number[]> }[] = [];
      // The listener reads the store: the change must already be committed and visible.
      const unsubscribe = bus.subscribe(account.id, (event) => {
        seen.push({ event, visible: store.changesSince(account.id, event.modseq - 1).then((cs) => cs.changes.map((c) => c.modseq)) });
      });
      const other = await store.createAccount({ address: 'other@example.org', passwordHash: 'h' });
      bus.subscribe(other.id, () => {
        throw new Error('a broken listener of another account');
      });
      bus.subscribe(account.id, () => {
        throw new Error('a broken listener must not stop the others');
      });
      const a = await ctx.append(inbox);
      await ctx.append((await store.getMailbox(other.id, 'INBOX'))!, { account: other });
      const f = await store.setFlags(account.id, inbox.id, [a.uid], 'add', ['\\Seen']);
      await store.setFlags(account.id, inbox.id, [a.uid], 'add', ['\\Seen']); // no change: no event
      const box = await store.createMailbox(account.id, 'New');
      const mv = await store.moveMessages(account.id, inbox.id, [a.uid], box.id);
      unsubscribe();
      await store.expunge(account.id, box.id, { onlyDeleted: false });

      assert.deepEqual(seen.map((s) => s.event.modseq), [a.modseq, f.updated[0].modseq, box.highestModseq, box.highestModseq + 1]);
      assert.deepEqual(seen.map((s) => s.event.kinds.sort()), [
        ['message-added'], ['message-flags'], ['mailbox-created'], ['message-added', 'message-removed'],
      ]);
      assert.deepEqual(seen[0].event.mailboxIds, [inbox.id]);
      assert.deepEqual(seen[3].event.mailboxIds.sort(), [inbox.id, box.id].sort());
      assert.ok(seen.every((s) => s.event.accountId === account.id));
      for (const s of seen) assert.ok((await s.visible).includes(s.event.modseq), 'visible when published');
      assert.equal(mv.mapping.length, 1);
    }));

  it('changesSince lists changes after a modseq, ascending, optionally per mailbox; superseded rows are dropped', () =>
    withStore(open, async (ctx) => {
      const { store, account, inbox } = ctx;
      const start = (await store.getAccount(account.id))!.modseq;
      const archive = await ctx.mailbox('Archive');
      const a = await ctx.append(inbox);
      const b = await ctx.append(archive);
      await store.setFlags(account.id, inbox.id, [a.uid], 'add', ['\\Flagged']);
      const all = (await store.changesSince(account.id, start)).changes;
      assert.deepEqual(all.map((c) => [c.kind, c.mailboxId, c.uid]), [
        ['message-added', inbox.id, a.uid], ['message-added', archive.id, b.uid], ['message-flags', inbox.id, a.uid],
      ]);
      assert.deepEqual(all.map((c) => c.messageId), [a.id, b.id, a.id]);
      for (let i = 1; i < all.length; i++) assert.ok(all[i].modseq > all[i - 1].modseq);
      assert.deepEqual(((await store.changesSince(account.id, start, archive.id)).changes).map((c) => c.uid), [b.uid]);
      // A newer flag change replaces the older row: one row per message, whatever the number of STOREs.
      for (const f of ['\\Seen', '$a', '$b']) await store.setFlags(account.id, inbox.id, [a.uid], 'add', [f]);
      const flagRows = ((await store.changesSince(account.id, start)).changes).filter((c) => c.kind === 'message-flags');
      assert.equal(flagRows.length, 1);
      assert.equal(flagRows[0].modseq, (await store.getMessages(inbox.accountId, inbox.id, [a.uid]))[0].modseq);
      // A removal replaces the message's added/flags rows in that mailbox.
      await store.expunge(account.id, inbox.id, { onlyDeleted: false });
      const after = (await store.changesSince(account.id, start)).changes;
      assert.deepEqual(after.map((c) => [c.kind, c.mailboxId, c.uid]), [['message-added', archive.id, b.uid], ['message-removed', inbox.id, a.uid]]);
      assert.deepEqual((await store.changesSince(account.id, after[1].modseq)).changes, []);
      const fromZero = (await store.changesSince(account.id, 0)).changes;
      assert.equal(fromZero.filter((c) => c.kind === 'mailbox-created').length, 6, 'the default mailboxes are logged');
    }));
}

function blobContract(open: OpenTestStore): void {
  it('removing an account releases its blobs; GC deletes only unreferenced old blobs', () =>
    withStore(open, async (ctx) => {
      const { store, blobs, account, inbox } = ctx;
      const other = await store.createAccount({ address: 'other@example.org', passwordHash: 'h' });
      const otherInbox = (await store.getMailbox(other.id, 'INBOX'))!;
      const mine = await ctx.append(inbox, { subject: 'only mine' });
      const shared = await ctx.append(inbox, { subject: 'shared' });
      await ctx.append(otherInbox, { subject: 'shared', account: other });
      assert.equal(await store.isBlobReferenced(mine.blobId), true);
      const young = await blobs.put(Buffer.from('not yet appended'));

      await store.removeAccount(account.id);
      assert.equal(await store.getAccount(account.id), null);
      assert.equal(await store.getAccountByAddress('user@example.org'), null);
      assert.equal(await store.isBlobReferenced(mine.blobId), false);
      assert.equal(await store.isBlobReferenced(shared.blobId), true, 'still referenced by the other account');
      assert.equal((await store.listMailboxes(account.id)).length, 0);

      // A blob put just now is protected by the grace period even though nothing refers to it.
      const gc1 = await collectGarbage(store, blobs, { graceMs: 60_000 });
      assert.equal(gc1.deleted, 0);
      assert.equal(await blobs.has(young.id), true);
      const gc2 = await collectGarbage(store, blobs, { graceMs: 60_000, now: () => Date.now() + 120_000 });
      assert.equal(gc2.deleted, 2);
      assert.equal(gc2.referenced, 1);
      assert.equal(await blobs.has(mine.blobId), false);
      assert.equal(await blobs.has(young.id), false);
      assert.equal(await blobs.has(shared.blobId), true);
      await rejectsRemoved(store.quota(account.id));
    }));
}

function ingestContract(open: OpenTestStore): void {
  it('ingests: durable blob, parsed summary, append; a refused append leaves only a collectable blob', () =>
    withStore(open, async ({ store, blobs, account, inbox }) => {
      const raw = rawMessage('ingested', 300);
      const r = await ingestMessage({ store, blobs, parse: fakeParse }, account.id, inbox.id, raw, { flags: ['\\Flagged'], internalDate: 12345 });
      const m = (await store.getMessageById(account.id, r.id))!;
      assert.equal(m.blobId, sha256(raw));
      assert.equal(m.size, raw.length);
      assert.deepEqual(m.flags, ['\\Flagged']);
      assert.equal(m.internalDate, 12345);
      assert.equal(m.summary.subject, 'ingested');
      assert.deepEqual(await blobs.get(m.blobId), raw);
      assert.deepEqual(await blobs.read(m.blobId, 0, 8), raw.subarray(0, 8));

      await store.setQuota(account.id, raw.length);
      const refused = rawMessage('too much', 10);
      await rejectsWith(ingestMessage({ store, blobs, parse: fakeParse }, account.id, inbox.id, refused), 'OVER_QUOTA');
      assert.equal(await blobs.has(sha256(refused)), true);
      assert.equal(await store.isBlobReferenced(sha256(refused)), false);
      const gc = await collectGarbage(store, blobs, { graceMs: 1000, now: () => Date.now() + 5000 });
      assert.equal(gc.deleted, 1);
      assert.equal(await blobs.has(sha256(refused)), false);
      assert.equal(await blobs.has(m.blobId), true);
    }));
}

async function rejectsRemoved(p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (err: unknown) => (err as { code?: string }).code === 'NOT_FOUND');
}
