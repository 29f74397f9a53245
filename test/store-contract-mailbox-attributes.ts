// Store contract, part 6: what JMAP reads and sets of mailboxes beyond IMAP (RFC 8621 §2) —
// sort order and role as attributes, the Email and thread counts, record changes versus
// message changes (§2.2 updatedProperties), and deleting only an empty mailbox.

import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { MessageSummary } from '../src/wire/mime/types.ts';
import { rejectsWith, withStore, type Ctx, type OpenTestStore } from './helpers/store-contract-kit.ts';
import { summaryFor } from './helpers/store-fixtures.ts';

function threaded(subject: string, messageId: string, inReplyTo: string[] = []): MessageSummary {
  return { ...summaryFor(subject), baseSubject: subject.replace(/^re:\s*/i, ''), messageId, inReplyTo, references: inReplyTo };
}

async function appendThreaded(ctx: Ctx, mailboxId: number, summary: MessageSummary, flags: string[] = []) {
  const blob = await ctx.blobs.put(Buffer.from(`Subject: ${summary.subject}\r\nMessage-ID: <${summary.messageId}>\r\n\r\nbody\r\n`));
  return ctx.store.appendMessage(ctx.account.id, mailboxId, { blobId: blob.id, size: blob.size, summary, flags });
}

export function mailboxAttributesContract(open: OpenTestStore): void {
  it('creates with a sort order and a subscription in one mutation; sets sort order and role', () =>
    withStore(open, async ({ store, account }) => {
      const before = (await store.getAccount(account.id))!.modseq;
      const m = await store.createMailbox(account.id, 'Projects', null, { sortOrder: 7, subscribed: true });
      assert.equal(m.sortOrder, 7);
      assert.equal((await store.getAccount(account.id))!.modseq, before + 1, 'one mutation');
      assert.ok((await store.listSubscriptions(account.id)).includes('Projects'));
      assert.equal((await store.getMailbox(account.id, 'INBOX'))!.sortOrder, 0, 'default 0');

      await store.setMailboxAttributes(account.id, m.id, { sortOrder: 3, role: '\\Archive' });
      const after = (await store.getMailboxById(account.id, m.id))!;
      assert.equal(after.sortOrder, 3);
      assert.equal(after.role, '\\Archive');
      assert.ok(after.highestModseq > m.highestModseq);
      const modseq = (await store.getAccount(account.id))!.modseq;
      await store.setMailboxAttributes(account.id, m.id, { sortOrder: 3 });
      assert.equal((await store.getAccount(account.id))!.modseq, modseq, 'no change, no new modseq');
      await store.setMailboxAttributes(account.id, m.id, { role: null });
      assert.equal((await store.getMailboxById(account.id, m.id))!.role, null);

      for (const bad of [-1, 2 ** 31, 1.5]) await rejectsWith(store.setMailboxAttributes(account.id, m.id, { sortOrder: bad }), 'INVALID', String(bad));
      await rejectsWith(store.createMailbox(account.id, 'X', null, { sortOrder: -3 }), 'INVALID');
      await rejectsWith(store.setMailboxAttributes(account.id, m.id, { role: '\\Bogus' as never }), 'INVALID');
      await rejectsWith(store.setMailboxAttributes(account.id, 999999, { sortOrder: 1 }), 'NOT_FOUND');
    }));

  it('counts Emails and threads without \\Deleted; unread is neither \\Seen nor \\Draft (RFC 8621 §2)', () =>
    withStore(open, async (ctx) => {
      const { store, account, inbox } = ctx;
      const archive = await ctx.mailbox('Archive');
      const counts = async () => new Map((await store.mailboxCounts(account.id)).map((c) => [c.mailboxId, c]));
      assert.deepEqual((await counts()).get(inbox.id), { mailboxId: inbox.id, emails: 0, unreadEmails: 0, threads: 0, unreadThreads: 0 });

      const root = await appendThreaded(ctx, inbox.id, threaded('Plans', 'root@x'), ['\\Seen']);
      await appendThreaded(ctx, inbox.id, threaded('Re: Plans', 'reply@x', ['root@x']));
      await appendThreaded(ctx, inbox.id, threaded('Other', 'other@x'));
      await appendThreaded(ctx, inbox.id, threaded('Draft', 'draft@x'), ['\\Draft']);
      const gone = await appendThreaded(ctx, inbox.id, threaded('Gone', 'gone@x'));
      await store.setFlags(account.id, inbox.id, [gone.uid], 'add', ['\\Deleted']);
      await store.copyMessages(account.id, inbox.id, [root.uid], archive.id);

      const c = await counts();
      // Plans (2 Emails, one unread), Other (unread), Draft (not unread); Gone is \Deleted.
      assert.deepEqual(c.get(inbox.id), { mailboxId: inbox.id, emails: 4, unreadEmails: 2, threads: 3, unreadThreads: 2 });
      assert.deepEqual(c.get(archive.id), { mailboxId: archive.id, emails: 1, unreadEmails: 0, threads: 1, unreadThreads: 0 });
      assert.equal(c.size, (await store.listMailboxes(account.id)).length, 'every mailbox');

      // Keywords are the Email's: unseeing it in INBOX makes the Archive copy unread too.
      await store.setFlags(account.id, inbox.id, [root.uid], 'remove', ['\\Seen']);
      assert.equal((await counts()).get(archive.id)!.unreadEmails, 1);
      assert.equal((await counts()).get(inbox.id)!.unreadThreads, 3 - 1, 'Plans and Other');

      // \Draft set and cleared by STORE (a flag without a column of its own) moves the counts too;
      // a keyword does not.
      const other = (await store.listMessages(account.id, inbox.id)).find((m) => !m.flags.length && m.uid !== root.uid && m.uid !== gone.uid)!;
      const before = (await counts()).get(inbox.id)!;
      await store.setFlags(account.id, inbox.id, [other.uid], 'add', ['\\Draft']);
      assert.equal((await counts()).get(inbox.id)!.unreadEmails, before.unreadEmails - 1);
      await store.setFlags(account.id, inbox.id, [other.uid], 'add', ['$label1']);
      assert.equal((await counts()).get(inbox.id)!.unreadEmails, before.unreadEmails - 1);
      await store.setFlags(account.id, inbox.id, [other.uid], 'replace', ['$label1']);
      assert.deepEqual((await counts()).get(inbox.id), before);
    }));

  it('tells record changes from message changes (RFC 8621 §2.2 updatedProperties)', () =>
    withStore(open, async (ctx) => {
      const { store, account, inbox } = ctx;
      const start = (await store.getAccount(account.id))!.modseq;
      await ctx.append(inbox);
      const afterMail = (await store.getAccount(account.id))!.modseq;
      assert.deepEqual(await store.mailboxRecordChanges(account.id, start, afterMail), [], 'a delivery changes counts only');
      const drafts = await ctx.mailbox('Drafts');
      await store.setMailboxAttributes(account.id, drafts.id, { sortOrder: 5 });
      await store.renameMailbox(account.id, 'Archive', 'Old');
      const archive = await ctx.mailbox('Old');
      const now = (await store.getAccount(account.id))!.modseq;
      assert.deepEqual(await store.mailboxRecordChanges(account.id, start, now), [drafts.id, archive.id].sort((a, b) => a - b));
      assert.deepEqual(await store.mailboxRecordChanges(account.id, now - 1, now), [archive.id], 'bounded by the range');
    }));

  it('deletes a mailbox only if empty when asked; \\Deleted messages do not count', () =>
    withStore(open, async (ctx) => {
      const { store, account } = ctx;
      const box = await store.createMailbox(account.id, 'Box');
      const msg = await ctx.append(box);
      await rejectsWith(store.deleteMailbox(account.id, 'Box', { onlyIfEmpty: true }), 'CANNOT');
      assert.ok(await store.getMailbox(account.id, 'Box'));
      await store.setFlags(account.id, box.id, [msg.uid], 'add', ['\\Deleted']);
      await store.deleteMailbox(account.id, 'Box', { onlyIfEmpty: true });
      assert.equal(await store.getMailbox(account.id, 'Box'), null);
      assert.equal((await store.getAccount(account.id))!.messageCount, 0);
    }));
}
