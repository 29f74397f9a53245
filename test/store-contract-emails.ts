// Store contract, part 4: the Email model (src/store/mail-types.ts) — one Email in a set of
// mailboxes, keywords shared by its messages except \Deleted, thread ids at ingest — and the
// change log read per object type with its horizon (RFC 8620 §5.2, RFC 8621 §2.2, §3.2, §4.3).

import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { AppendInput } from '../src/store/types.ts';
import type { MessageSummary } from '../src/wire/mime/types.ts';
import { rejectsWith, withStore, type Ctx, type OpenTestStore } from './helpers/store-contract-kit.ts';
import { assertCountersConsistent, summaryFor } from './helpers/store-fixtures.ts';

function threaded(subject: string, ids: { messageId?: string; inReplyTo?: string[]; references?: string[] }): MessageSummary {
  const s = summaryFor(subject);
  return { ...s, baseSubject: subject.replace(/^(re|fwd?):\s*/i, ''), messageId: ids.messageId ?? null, inReplyTo: ids.inReplyTo ?? [], references: ids.references ?? [] };
}

async function appendSummary(ctx: Ctx, mailboxId: number, summary: MessageSummary, extra: Partial<AppendInput> = {}) {
  const blob = await ctx.blobs.put(Buffer.from(`Subject: ${summary.subject}\r\nMessage-ID: <${summary.messageId ?? Math.random()}>\r\n\r\nbody\r\n`));
  return ctx.store.appendMessage(ctx.account.id, mailboxId, { blobId: blob.id, size: blob.size, summary, ...extra });
}

export function emailsContract(open: OpenTestStore): void {
  it('COPY puts the same Email in a second mailbox; MOVE keeps it; a copy into a mailbox that has it is a new Email', () =>
    withStore(open, async (ctx) => {
      const { store, account, inbox } = ctx;
      const archive = await ctx.mailbox('Archive');
      const trash = await ctx.mailbox('Trash');
      const a = await ctx.append(inbox, { flags: ['\\Seen'] });
      const copied = await store.copyMessages(account.id, inbox.id, [a.uid], archive.id);
      const [inArchive] = await store.getMessages(account.id, archive.id, [copied.mapping[0].destUid]);
      assert.equal(inArchive.emailId, a.emailId, 'the copy is the same Email');
      assert.equal(inArchive.threadId, a.threadId);
      assert.notEqual(inArchive.id, a.id, 'but a message of its own (its own UID, its own POP3 UIDL)');
      const [email] = await store.getEmails(account.id, [a.emailId]);
      assert.deepEqual(email.mailboxes.map((m) => m.mailboxId), [inbox.id, archive.id].sort((x, y) => x - y));
      assert.deepEqual(email.keywords, ['\\Seen']);
      assert.equal(email.blobId, a.blobId);

      const moved = await store.moveMessages(account.id, archive.id, [copied.mapping[0].destUid], trash.id);
      const [inTrash] = await store.getMessages(account.id, trash.id, [moved.mapping[0].destUid]);
      assert.equal(inTrash.emailId, a.emailId, 'MOVE keeps the Email');
      assert.equal(inTrash.id, inArchive.id, 'and the message');
      assert.deepEqual((await store.getEmails(account.id, [a.emailId]))[0].mailboxes.map((m) => m.mailboxId), [inbox.id, trash.id].sort((x, y) => x - y));

      // A set holds a mailbox once: COPY into INBOX again, and MOVE of Trash's message into INBOX, make new Emails.
      const again = await store.copyMessages(account.id, inbox.id, [a.uid], inbox.id);
      const [dup] = await store.getMessages(account.id, inbox.id, [again.mapping[0].destUid]);
      assert.notEqual(dup.emailId, a.emailId);
      assert.equal(dup.threadId, a.threadId, 'same conversation');
      const back = await store.moveMessages(account.id, trash.id, [moved.mapping[0].destUid], inbox.id);
      const [returned] = await store.getMessages(account.id, inbox.id, [back.mapping[0].destUid]);
      assert.notEqual(returned.emailId, a.emailId);
      assert.equal(returned.id, inTrash.id, 'the moved message keeps its id');
      for (const e of await store.getEmails(account.id, [a.emailId, dup.emailId, returned.emailId])) {
        assert.equal(e.mailboxes.length, 1, `Email ${e.id} is in one mailbox`);
      }
      await assertCountersConsistent(store, account.id);
    }));

  it('keeps one keyword set per Email: a flag change reaches its messages in other mailboxes, \\Deleted does not', () =>
    withStore(open, async (ctx) => {
      const { store, account, inbox } = ctx;
      const archive = await ctx.mailbox('Archive');
      const a = await ctx.append(inbox);
      const b = await ctx.append(inbox);
      const copied = await store.copyMessages(account.id, inbox.id, [a.uid, b.uid], archive.id);
      const [aCopy, bCopy] = copied.mapping.map((p) => p.destUid);
      const before = (await store.getMailboxById(account.id, archive.id))!;

      await store.setFlags(account.id, inbox.id, [a.uid], 'add', ['\\Seen', '$Work', '\\Deleted']);
      const [aArchived] = await store.getMessages(account.id, archive.id, [aCopy]);
      assert.deepEqual(aArchived.flags, ['\\Seen', '$Work'], 'keywords mirrored, \\Deleted stays in INBOX');
      assert.ok(aArchived.modseq > before.highestModseq, 'the mirrored message has a new modseq');
      const archiveAfter = (await store.getMailboxById(account.id, archive.id))!;
      assert.equal(archiveAfter.highestModseq, aArchived.modseq, 'HIGHESTMODSEQ of the other mailbox follows');
      assert.equal(archiveAfter.unseenCount, 1, 'its counters too');
      const log = (await store.changesSince(account.id, before.highestModseq, archive.id)).changes;
      assert.deepEqual(log.map((c) => [c.kind, c.uid]), [['message-flags', aCopy]], 'a session on Archive hears of it');

      // replace keeps the other message's own \Deleted and changes its keywords.
      await store.setFlags(account.id, archive.id, [bCopy], 'add', ['\\Deleted']);
      await store.setFlags(account.id, inbox.id, [b.uid], 'replace', ['\\Flagged']);
      const [bArchived] = await store.getMessages(account.id, archive.id, [bCopy]);
      assert.deepEqual([...bArchived.flags].sort(), ['\\Deleted', '\\Flagged']);
      // UNCHANGEDSINCE refuses the named message, so nothing is mirrored either.
      const refused = await store.setFlags(account.id, inbox.id, [b.uid], 'add', ['$Late'], 0);
      assert.deepEqual(refused.modified, [b.uid]);
      assert.deepEqual([...(await store.getMessages(account.id, archive.id, [bCopy]))[0].flags].sort(), ['\\Deleted', '\\Flagged']);

      // JMAP sees an Email through its messages without \Deleted: a is visible in Archive only,
      // b in INBOX only, and keywords never include \Deleted.
      const emails = await store.getEmails(account.id, [a.emailId, b.emailId]);
      const byId = new Map(emails.map((e) => [e.id, e]));
      assert.deepEqual(byId.get(a.emailId)!.mailboxes.map((m) => m.mailboxId), [archive.id]);
      assert.deepEqual(byId.get(a.emailId)!.keywords, ['\\Seen', '$Work']);
      assert.deepEqual(byId.get(b.emailId)!.mailboxes.map((m) => m.mailboxId), [inbox.id]);
      await store.setFlags(account.id, inbox.id, [b.uid], 'add', ['\\Deleted']);
      assert.deepEqual(await store.getEmails(account.id, [b.emailId]), [], 'deleted everywhere: not visible');

      // EXPUNGE in INBOX removes INBOX's messages only; the Email lives on in Archive until its last message goes.
      assert.deepEqual(await store.expunge(account.id, inbox.id, { onlyDeleted: true }), [a.uid, b.uid]);
      assert.equal((await store.getEmails(account.id, [a.emailId])).length, 1);
      await store.expunge(account.id, archive.id, { onlyDeleted: false });
      assert.deepEqual(await store.getEmails(account.id, [a.emailId, b.emailId]), []);
      assert.deepEqual(await store.getThreads(account.id, [a.threadId, b.threadId]), []);
      await assertCountersConsistent(store, account.id);
    }));

  it('gives every Email a thread at ingest: Message-ID, In-Reply-To and References, with the base subject as tie-breaker', () =>
    withStore(open, async (ctx) => {
      const { store, account, inbox } = ctx;
      const sent = await ctx.mailbox('Sent');
      const root = await appendSummary(ctx, inbox.id, threaded('Plans', { messageId: 'root@x' }));
      const reply = await appendSummary(ctx, sent.id, threaded('Re: Plans', { messageId: 'reply@x', inReplyTo: ['root@x'], references: ['root@x'] }));
      const deep = await appendSummary(ctx, inbox.id, threaded('Re: Plans', { messageId: 'deep@x', references: ['root@x', 'reply@x'] }));
      const renamed = await appendSummary(ctx, inbox.id, threaded('Something else', { messageId: 'other@x', inReplyTo: ['deep@x'] }));
      const unrelated = await appendSummary(ctx, inbox.id, threaded('Plans', { messageId: 'lonely@x' }));
      // A reply that arrives before the message it answers: the parent joins it when it comes.
      const early = await appendSummary(ctx, inbox.id, threaded('Re: Trip', { messageId: 'early@x', inReplyTo: ['late@x'] }));
      const late = await appendSummary(ctx, inbox.id, threaded('Trip', { messageId: 'late@x' }));

      assert.equal(reply.threadId, root.threadId, 'a reply in Sent joins the conversation');
      assert.equal(deep.threadId, root.threadId, 'by References');
      assert.notEqual(renamed.threadId, root.threadId, 'a changed subject starts a new conversation');
      assert.notEqual(unrelated.threadId, root.threadId, 'the same subject alone does not join');
      assert.equal(late.threadId, early.threadId);

      const [thread] = await store.getThreads(account.id, [root.threadId]);
      assert.deepEqual(thread.emailIds, [root.emailId, reply.emailId, deep.emailId], 'oldest first, across mailboxes');
      // Thread ids are stable: a later delivery of the same conversation keeps the id, whatever is removed.
      await store.expunge(account.id, inbox.id, { uids: [root.uid], onlyDeleted: false });
      const more = await appendSummary(ctx, inbox.id, threaded('Re: Plans', { messageId: 'more@x', references: ['root@x', 'reply@x'] }));
      assert.equal(more.threadId, root.threadId);
      assert.deepEqual((await store.getThreads(account.id, [root.threadId]))[0].emailIds, [reply.emailId, deep.emailId, more.emailId]);
      await rejectsWith(store.getThreads(account.id, [0]), 'INVALID');
    }));

  it('answers "what changed since state S" per object type: created, updated, destroyed, in pages', () =>
    withStore(open, async (ctx) => {
      const { store, account, inbox } = ctx;
      const s0 = (await store.getAccount(account.id))!.modseq;
      const a = await ctx.append(inbox);
      const b = await ctx.append(inbox);
      const s1 = (await store.getAccount(account.id))!.modseq;
      const emails1 = await store.objectChanges(account.id, 'Email', s0);
      assert.deepEqual(emails1 && { ...emails1, created: emails1.created.sort() }, {
        oldState: s0, newState: s1, hasMoreChanges: false, created: [a.emailId, b.emailId].sort(), updated: [], destroyed: [],
      });
      const boxes1 = await store.objectChanges(account.id, 'Mailbox', s0);
      assert.deepEqual(boxes1?.updated, [inbox.id], 'counts changed');
      const threads1 = await store.objectChanges(account.id, 'Thread', s0);
      assert.deepEqual(threads1?.created.sort(), [a.threadId, b.threadId].sort());

      await store.setFlags(account.id, inbox.id, [a.uid], 'add', ['\\Seen']);
      await store.expunge(account.id, inbox.id, { uids: [b.uid], onlyDeleted: false });
      const folder = await store.createMailbox(account.id, 'Projects');
      const s2 = (await store.getAccount(account.id))!.modseq;
      const emails2 = await store.objectChanges(account.id, 'Email', s1);
      assert.deepEqual(emails2, { oldState: s1, newState: s2, hasMoreChanges: false, created: [], updated: [a.emailId], destroyed: [b.emailId] });
      const boxes2 = await store.objectChanges(account.id, 'Mailbox', s1);
      assert.deepEqual({ created: boxes2?.created, updated: boxes2?.updated }, { created: [folder.id], updated: [inbox.id] });
      const threads2 = await store.objectChanges(account.id, 'Thread', s1);
      assert.deepEqual({ updated: threads2?.updated, destroyed: threads2?.destroyed }, { updated: [a.threadId], destroyed: [b.threadId] });
      await store.deleteMailbox(account.id, 'Projects');
      assert.deepEqual((await store.objectChanges(account.id, 'Mailbox', s2))?.destroyed, [folder.id]);

      // Pages end between mutations: each page's newState is a state the next call starts from.
      const c = await ctx.append(inbox);
      const d = await ctx.append(inbox);
      const e = await ctx.append(inbox);
      const s3 = (await store.getAccount(account.id))!.modseq;
      const ids: number[] = [];
      let state = s2;
      let pages = 0;
      for (;;) {
        const page = await store.objectChanges(account.id, 'Email', state, 2);
        assert.ok(page, 'a page');
        assert.ok(page.created.length + page.updated.length + page.destroyed.length <= 2, 'at most maxChanges ids');
        ids.push(...page.created);
        state = page.newState;
        pages++;
        if (!page.hasMoreChanges) break;
      }
      assert.equal(state, s3);
      assert.ok(pages >= 2, 'more than one page');
      assert.deepEqual(ids.sort(), [c.emailId, d.emailId, e.emailId].sort());
      // A state the account never had cannot be answered.
      assert.equal(await store.objectChanges(account.id, 'Email', s3 + 1), null);
      // One mutation with more objects than maxChanges has no state in between.
      await store.setFlags(account.id, inbox.id, [a.uid, c.uid, d.uid], 'add', ['$Bulk']);
      assert.equal(await store.objectChanges(account.id, 'Email', s3, 2), null);
    }));

  it('says honestly when it cannot answer: below the horizon the log is incomplete', () =>
    withStore(open, async (ctx) => {
      const { store, account, inbox } = ctx;
      const a = await ctx.append(inbox);
      const b = await ctx.append(inbox);
      const early = (await store.getAccount(account.id))!.modseq;
      await store.expunge(account.id, inbox.id, { uids: [a.uid], onlyDeleted: false });
      const cut = (await store.getAccount(account.id))!.modseq;
      await store.setFlags(account.id, inbox.id, [b.uid], 'add', ['\\Seen']);
      assert.equal(await store.changeHorizon(account.id), 0);
      assert.ok((await store.pruneChanges(account.id, cut)) > 0, 'rows went');
      assert.equal(await store.changeHorizon(account.id), cut);
      assert.equal(await store.pruneChanges(account.id, cut - 1), 0, 'the horizon never moves back');
      const below = await store.changesSince(account.id, early, inbox.id);
      assert.equal(below.complete, false, 'VANISHED for uid a is lost: the reader must compare state');
      const at = await store.changesSince(account.id, cut, inbox.id);
      assert.equal(at.complete, true);
      assert.deepEqual(at.changes.map((c) => [c.kind, c.uid, c.emailId]), [['message-flags', b.uid, b.emailId]]);
      assert.equal(await store.objectChanges(account.id, 'Email', early), null, 'cannotCalculateChanges');
      assert.deepEqual((await store.objectChanges(account.id, 'Email', cut))?.updated, [b.emailId]);
      // Mail data is untouched by pruning.
      assert.deepEqual((await store.listMessages(account.id, inbox.id)).map((m) => m.uid), [b.uid]);
      await rejectsWith(store.pruneChanges(account.id, -1), 'INVALID');
    }));

  it('finds the visible Emails of an account stored in a blob (JMAP Blob/lookup)', () =>
    withStore(open, async (ctx) => {
      const { store, account, inbox } = ctx;
      const archive = await ctx.mailbox('Archive');
      const a = await ctx.append(inbox, { subject: 'same' });
      // The same content again is the same blob: a second Email, and a copy of the first.
      const b = await ctx.append(archive, { subject: 'same' });
      assert.equal(b.blobId, a.blobId);
      await store.copyMessages(account.id, inbox.id, [a.uid], archive.id);
      assert.deepEqual(await store.emailIdsWithBlob(account.id, a.blobId), [a.emailId, b.emailId].sort((x, y) => x - y));
      // A message carrying \Deleted is not visible (RFC 8621 §4.1.1); another account sees nothing.
      await store.setFlags(account.id, archive.id, [b.uid], 'add', ['\\Deleted']);
      assert.deepEqual(await store.emailIdsWithBlob(account.id, a.blobId), [a.emailId]);
      const other = await store.createAccount({ address: 'other@example.org', passwordHash: 'h' });
      assert.deepEqual(await store.emailIdsWithBlob(other.id, a.blobId), []);
      assert.deepEqual(await store.emailIdsWithBlob(account.id, 'f'.repeat(64)), []);
    }));

  it('keeps every mailbox read inside its account', () =>
    withStore(open, async (ctx) => {
      const { store, account, inbox } = ctx;
      const other = await store.createAccount({ address: 'other@example.org', passwordHash: 'h' });
      const theirs = (await store.getMailbox(other.id, 'INBOX'))!;
      const mine = await ctx.append(inbox);
      const their = await ctx.append(theirs, { account: other });
      assert.deepEqual(await store.listMessages(account.id, theirs.id), []);
      assert.deepEqual(await store.getMessages(account.id, theirs.id, [their.uid]), []);
      assert.deepEqual(await store.getSearchTexts(account.id, theirs.id, [their.uid]), []);
      assert.deepEqual(await store.listMessagesWithKeys(account.id, theirs.id, ['sentDate']), []);
      assert.deepEqual(await store.getEmails(account.id, [their.emailId]), []);
      assert.deepEqual(await store.getThreads(account.id, [their.threadId]), []);
      assert.deepEqual(await store.getEmails(other.id, [mine.emailId]), []);
      await rejectsWith(store.claimArrivals(account.id, theirs.id, 1), 'NOT_FOUND');
      await rejectsWith(store.countUnclaimedArrivals(account.id, theirs.id), 'NOT_FOUND');
      assert.deepEqual([...(await store.blobMeasures(account.id, theirs.id, 'pop3-octets')).keys()], []);
    }));
}
