// Store contract, part 3: append, flags, expunge, copy, move, quota, change log.

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { rejectsWith, withStore, type OpenTestStore } from './helpers/store-contract-kit.ts';
import { assertCountersConsistent, summaryFor } from './helpers/store-fixtures.ts';

export function messagesContract(open: OpenTestStore): void {
  it('keeps each message\'s search text for SEARCH BODY/TEXT, across copy', () =>
    withStore(open, async (ctx) => {
      const { store, account, inbox, blobs } = ctx;
      const blob = await blobs.put(Buffer.from('Subject: s\r\n\r\nbody\r\n'));
      const other = await blobs.put(Buffer.from('Subject: t\r\n\r\nbody\r\n'));
      const a = await store.appendMessage(account.id, inbox.id, { blobId: blob.id, size: blob.size, summary: summaryFor('a'), searchText: 'quarterly figures Grüße' });
      const b = await store.appendMessage(account.id, inbox.id, { blobId: other.id, size: other.size, summary: summaryFor('b') });
      assert.deepEqual(await store.getSearchTexts(inbox.accountId, inbox.id, [b.uid, a.uid, 999]), [
        { uid: a.uid, text: 'quarterly figures Grüße' },
        { uid: b.uid, text: '' },
      ]);
      const archive = await ctx.mailbox('Archive');
      const copy = await store.copyMessages(account.id, inbox.id, [a.uid], archive.id);
      assert.deepEqual(await store.getSearchTexts(archive.accountId, archive.id, [copy.mapping[0].destUid]), [{ uid: copy.mapping[0].destUid, text: 'quarterly figures Grüße' }]);
    }));

  it('appends with ascending UIDs and modseqs, never reusing a UID', () =>
    withStore(open, async (ctx) => {
      const { store, account, inbox } = ctx;
      // Whole seconds: a backend may keep internal dates at IMAP's resolution.
      const before = Math.floor(Date.now() / 1000) * 1000;
      const a = await ctx.append(inbox, { flags: ['\\seen', 'Work', 'work', '\\Recent'] });
      const b = await ctx.append(inbox);
      assert.equal(a.uid, 1);
      assert.equal(b.uid, 2);
      assert.equal(a.uidValidity, inbox.uidValidity);
      assert.ok(b.modseq > a.modseq);
      assert.notEqual(a.id, b.id);
      const msgs = await store.getMessages(inbox.accountId, inbox.id, [2, 1, 99]);
      assert.deepEqual(msgs.map((m) => m.uid), [1, 2]);
      assert.deepEqual(msgs[0].flags, ['\\Seen', 'Work'], 'normalised, deduped, \\Recent dropped');
      assert.equal(msgs[0].summary.subject, 'message 1');
      assert.equal(msgs[0].blobId, a.blobId);
      assert.equal(msgs[0].size, a.size);
      assert.equal(msgs[0].downloadedAt, null);
      assert.ok(msgs[0].internalDate >= before && msgs[0].internalDate <= Date.now(), 'the internal date defaults to the time of the append');
      const byId = await store.getMessageById(account.id, b.id);
      assert.equal(byId?.uid, 2);
      assert.equal(byId?.summary.subject, 'message 2');
      // Expunging the last message must not let its UID come back.
      assert.deepEqual(await store.expunge(account.id, inbox.id, { uids: [2], onlyDeleted: false }), [2]);
      const c = await ctx.append(inbox);
      assert.equal(c.uid, 3);
      const mb = await ctx.mailbox('INBOX');
      assert.equal(mb.uidNext, 4);
      assert.equal(mb.highestModseq, c.modseq);
      assert.equal((await store.getAccount(account.id))!.modseq, c.modseq);
      const when = Date.UTC(2020, 0, 2);
      const d = await store.appendMessage(account.id, inbox.id, { blobId: a.blobId, size: a.size, internalDate: when, summary: summaryFor('d') });
      assert.equal((await store.getMessages(inbox.accountId, inbox.id, [d.uid]))[0].internalDate, when);
      await rejectsWith(store.appendMessage(account.id, inbox.id, { blobId: 'nothex', size: 1, summary: summaryFor('x') }), 'INVALID');
      await rejectsWith(store.appendMessage(account.id, 999999, { blobId: a.blobId, size: 1, summary: summaryFor('x') }), 'NOT_FOUND');
      await rejectsWith(ctx.append(inbox, { flags: ['bad flag'] }), 'INVALID');
      await assertCountersConsistent(store, account.id);
    }));

  it('appends several messages all or none (MULTIAPPEND), in one modseq', () =>
    withStore(open, async (ctx) => {
      const { store, account, inbox, blobs } = ctx;
      const put = async (text: string) => blobs.put(Buffer.from(`Subject: ${text}\r\n\r\n${text}\r\n`));
      const [x, y] = [await put('x'), await put('yy')];
      const results = await store.appendMessages(account.id, inbox.id, [
        { blobId: x.id, size: x.size, summary: summaryFor('x'), flags: ['\\Seen'] },
        { blobId: y.id, size: y.size, summary: summaryFor('y') },
      ]);
      assert.deepEqual(results.map((r) => r.uid), [1, 2]);
      assert.equal(results[0].modseq, results[1].modseq, 'one mutation');
      assert.deepEqual((await store.getMessages(inbox.accountId, inbox.id, [1, 2])).map((m) => m.flags), [['\\Seen'], []]);
      // The second does not fit: neither is stored, and no UID is used up.
      await store.setQuota(account.id, x.size * 2 + y.size + 1);
      await rejectsWith(store.appendMessages(account.id, inbox.id, [
        { blobId: x.id, size: x.size, summary: summaryFor('x') },
        { blobId: y.id, size: y.size, summary: summaryFor('y') },
      ]), 'OVER_QUOTA');
      const box = await ctx.mailbox('INBOX');
      assert.equal(box.messageCount, 2);
      assert.equal(box.uidNext, 3);
      await rejectsWith(store.appendMessages(account.id, inbox.id, []), 'INVALID');
      await rejectsWith(store.appendMessages(account.id, 999999, [{ blobId: x.id, size: x.size, summary: summaryFor('x') }]), 'NOT_FOUND');
      await assertCountersConsistent(store, account.id);
    }));

  it('keeps SEARCH/SORT keys with each message, read together with its row', () =>
    withStore(open, async (ctx) => {
      const { store, account, inbox, blobs } = ctx;
      const blob = await blobs.put(Buffer.from('Subject: Re: Plans\r\n\r\nx\r\n'));
      const summary = { ...summaryFor('Re: Plans'), baseSubject: 'plans', sentDate: 1_700_000_000_000 };
      summary.envelope = { ...summary.envelope, to: [{ name: 'Ann', adl: null, mailbox: 'ann', host: 'example.org' }] };
      const a = await store.appendMessage(account.id, inbox.id, { blobId: blob.id, size: blob.size, summary });
      const b = await ctx.append(inbox);
      const rows = await store.listMessagesWithKeys(inbox.accountId, inbox.id, ['sentDate', 'sortSubject', 'sortTo', 'displayTo', 'searchTo', 'searchCc']);
      assert.deepEqual(rows.map((r) => r.record.uid), [a.uid, b.uid]);
      assert.deepEqual(rows[0].keys, [1_700_000_000_000, 'PLANS', 'ANN', 'ANN', 'ann <ann@example.org>', null]);
      assert.deepEqual(rows[0].record.flags, (await store.listMessages(inbox.accountId, inbox.id))[0].flags);
    }));

  it('remembers POP3 sizes per blob, without a mod-sequence, and lists them per mailbox', () =>
    withStore(open, async (ctx) => {
      const { store, account, inbox } = ctx;
      const a = await ctx.append(inbox);
      const b = await ctx.append(await ctx.mailbox('Archive'));
      assert.deepEqual(await store.blobMeasures(inbox.accountId, inbox.id, "pop3-octets"), new Map());
      const modseq = (await store.getAccount(account.id))!.modseq;
      await store.rememberBlobMeasures("pop3-octets", new Map([[a.blobId, 123], [b.blobId, 456]]));
      assert.deepEqual(await store.blobMeasures(inbox.accountId, inbox.id, "pop3-octets"), new Map([[a.blobId, 123]]), 'only blobs of the mailbox\'s messages');
      assert.equal((await store.getAccount(account.id))!.modseq, modseq);
      await rejectsWith(store.rememberBlobMeasures("pop3-octets", new Map([['not-a-blob', 1]])), 'INVALID');
      await rejectsWith(store.rememberBlobMeasures("pop3-octets", new Map([[a.blobId, -1]])), 'INVALID');
      // The size goes with the blob's last message; a blob no message refers to is not remembered.
      await store.expunge(account.id, inbox.id, { onlyDeleted: false });
      await store.rememberBlobMeasures("pop3-octets", new Map([[a.blobId, 123]]));
      await store.appendMessage(account.id, inbox.id, { blobId: a.blobId, size: a.size, summary: summaryFor('again') });
      assert.deepEqual(await store.blobMeasures(inbox.accountId, inbox.id, "pop3-octets"), new Map());
    }));

  it('refuses to touch another account’s mailbox', () =>
    withStore(open, async (ctx) => {
      const { store, inbox } = ctx;
      const other = await store.createAccount({ address: 'other@example.org', passwordHash: 'h' });
      await rejectsWith(ctx.append(inbox, { account: other }), 'NOT_FOUND');
      await ctx.append(inbox);
      await rejectsWith(store.setFlags(other.id, inbox.id, [1], 'add', ['\\Seen']), 'NOT_FOUND');
      await rejectsWith(store.expunge(other.id, inbox.id, { onlyDeleted: false }), 'NOT_FOUND');
      const otherInbox = (await store.getMailbox(other.id, 'INBOX'))!;
      await rejectsWith(store.copyMessages(other.id, inbox.id, [1], otherInbox.id), 'NOT_FOUND');
      await rejectsWith(store.moveMessages(ctx.account.id, inbox.id, [1], otherInbox.id), 'NOT_FOUND');
      assert.equal(await store.getMessageById(other.id, 1), null);
      assert.equal((await store.listMessages(inbox.accountId, inbox.id)).length, 1);
    }));

  it('sets flags: add, remove, replace, no new modseq without a change, UNCHANGEDSINCE', () =>
    withStore(open, async (ctx) => {
      const { store, account, inbox } = ctx;
      const m1 = await ctx.append(inbox);
      const m2 = await ctx.append(inbox, { flags: ['\\Seen'] });
      const add = await store.setFlags(account.id, inbox.id, [1, 2], 'add', ['\\seen', '$Label1']);
      assert.equal(add.updated.length, 2);
      const ms = add.updated[0].modseq;
      assert.ok(ms > m2.modseq);
      assert.deepEqual(add.updated.map((u) => [u.uid, u.modseq, u.flags]), [[1, ms, ['\\Seen', '$Label1']], [2, ms, ['\\Seen', '$Label1']]]);
      assert.deepEqual(add.modified, []);
      const noop = await store.setFlags(account.id, inbox.id, [1, 2], 'add', ['\\Seen']);
      assert.deepEqual(noop, { updated: [], modified: [] });
      assert.equal((await store.getAccount(account.id))!.modseq, ms, 'no change, no modseq');
      const rem = await store.setFlags(account.id, inbox.id, [2], 'remove', ['\\SEEN', '$LABEL1', 'absent']);
      assert.deepEqual(rem.updated.map((u) => u.flags), [[]]);
      // replace reports every match; unchanged messages keep their modseq.
      const rep = await store.setFlags(account.id, inbox.id, [1, 2], 'replace', ['\\Seen', '$label1']);
      assert.equal(rep.updated.length, 2);
      assert.equal(rep.updated[0].modseq, ms);
      assert.deepEqual(rep.updated[0].flags, ['\\Seen', '$Label1'], 'stored spelling kept when unchanged');
      assert.ok(rep.updated[1].modseq > ms);
      // RFC 7162 §3.1.3: messages changed since the given modseq are refused and left alone.
      const since = await store.setFlags(account.id, inbox.id, [1, 2], 'add', ['\\Flagged'], ms);
      assert.deepEqual(since.modified, [2]);
      assert.deepEqual(since.updated.map((u) => u.uid), [1]);
      assert.ok(!(await store.getMessages(inbox.accountId, inbox.id, [2]))[0].flags.includes('\\Flagged'));
      await rejectsWith(store.setFlags(account.id, inbox.id, [1], 'add', ['\\Bogus']), 'INVALID');
      await rejectsWith(store.setFlags(account.id, inbox.id, [0], 'add', ['\\Seen']), 'INVALID');
      assert.deepEqual((await store.setFlags(account.id, inbox.id, [1, 2], 'add', ['\\Deleted'])).updated.length, 2);
      const mb = await ctx.mailbox('INBOX');
      assert.equal(mb.deletedCount, 2);
      assert.equal(mb.unseenCount, 0);
      const changes = (await store.changesSince(account.id, m1.modseq, inbox.id)).changes;
      assert.ok(changes.every((c) => c.modseq > m1.modseq));
      assert.ok(changes.some((c) => c.kind === 'message-flags' && c.uid === 1));
      await assertCountersConsistent(store, account.id);
    }));

  it('expunges all, only \\Deleted, or a subset; ascending UIDs', () =>
    withStore(open, async (ctx) => {
      const { store, account, inbox } = ctx;
      for (let i = 0; i < 6; i++) await ctx.append(inbox, { flags: i % 2 === 0 ? ['\\Deleted'] : [] });
      assert.deepEqual(await store.expunge(account.id, inbox.id, { uids: [5, 3, 2], onlyDeleted: true }), [3, 5]);
      const before = (await store.getAccount(account.id))!.modseq;
      assert.deepEqual(await store.expunge(account.id, inbox.id, { uids: [4], onlyDeleted: true }), []);
      assert.equal((await store.getAccount(account.id))!.modseq, before, 'nothing removed, no modseq');
      assert.deepEqual(await store.expunge(account.id, inbox.id, { onlyDeleted: true }), [1]);
      const changes = (await store.changesSince(account.id, before)).changes;
      assert.deepEqual(changes.map((c) => [c.kind, c.uid]), [['message-removed', 1]]);
      assert.deepEqual(await store.expunge(account.id, inbox.id, { onlyDeleted: false }), [2, 4, 6]);
      const mb = await ctx.mailbox('INBOX');
      assert.equal(mb.messageCount, 0);
      assert.equal(mb.highestModseq, (await store.getAccount(account.id))!.modseq, 'expunge raises HIGHESTMODSEQ');
      await assertCountersConsistent(store, account.id);
    }));

  it('copies and moves with mappings in source-UID order', () =>
    withStore(open, async (ctx) => {
      const { store, account, inbox } = ctx;
      const archive = await ctx.mailbox('Archive');
      const src = [];
      for (let i = 0; i < 4; i++) src.push(await ctx.append(inbox, { flags: i === 0 ? ['\\Seen', 'kw'] : [] }));
      await ctx.append(archive);
      const copy = await store.copyMessages(account.id, inbox.id, [4, 1, 3, 77], archive.id);
      assert.equal(copy.uidValidity, archive.uidValidity);
      assert.deepEqual(copy.mapping, [{ sourceUid: 1, destUid: 2 }, { sourceUid: 3, destUid: 3 }, { sourceUid: 4, destUid: 4 }]);
      const copied = await store.getMessages(archive.accountId, archive.id, [2]);
      assert.notEqual(copied[0].id, src[0].id, 'a copy is a new message');
      assert.deepEqual(copied[0].flags, ['\\Seen', 'kw'], 'flags copied');
      assert.equal(copied[0].blobId, src[0].blobId, 'blob shared');
      assert.equal((await store.listMessages(inbox.accountId, inbox.id)).length, 4, 'copy leaves the source');

      const trash = await ctx.mailbox('Trash');
      const usedBefore = (await store.quota(account.id)).usedBytes;
      const move = await store.moveMessages(account.id, inbox.id, [2, 1], trash.id);
      assert.deepEqual(move.mapping, [{ sourceUid: 1, destUid: 1 }, { sourceUid: 2, destUid: 2 }]);
      const moved = await store.listMessages(trash.accountId, trash.id);
      assert.deepEqual(moved.map((m) => m.id), [src[0].id, src[1].id], 'MOVE keeps the MessageId');
      assert.equal((await store.quota(account.id)).usedBytes, usedBefore, 'moving does not change usage');
      assert.deepEqual((await store.listMessages(inbox.accountId, inbox.id)).map((m) => m.uid), [3, 4]);
      const changes = (await store.changesSince(account.id, src[3].modseq)).changes;
      const moveChanges = changes.filter((c) => c.modseq === moved[0].modseq);
      assert.deepEqual(moveChanges.map((c) => [c.kind, c.mailboxId, c.uid, c.messageId]), [
        ['message-removed', inbox.id, 1, src[0].id], ['message-added', trash.id, 1, src[0].id],
        ['message-removed', inbox.id, 2, src[1].id], ['message-added', trash.id, 2, src[1].id],
      ]);
      // Moving within one mailbox gives the message a new UID at the end, same id, same counters.
      const inboxBefore = await ctx.mailbox('INBOX');
      const self = await store.moveMessages(account.id, inbox.id, [3], inbox.id);
      assert.deepEqual(self.mapping, [{ sourceUid: 3, destUid: inboxBefore.uidNext }]);
      assert.deepEqual((await store.listMessages(inbox.accountId, inbox.id)).map((m) => [m.uid, m.id]), [[4, src[3].id], [inboxBefore.uidNext, src[2].id]]);
      assert.equal((await ctx.mailbox('INBOX')).messageCount, inboxBefore.messageCount);
      const none = await store.moveMessages(account.id, inbox.id, [999], trash.id);
      assert.deepEqual(none.mapping, []);
      await assertCountersConsistent(store, account.id);
    }));

  it('enforces quota on append and copy, inside the transaction', () =>
    withStore(open, async (ctx) => {
      const { store, account, inbox } = ctx;
      const m = await ctx.append(inbox, { body: 100 });
      await store.setQuota(account.id, m.size * 2 + 5);
      await ctx.append(inbox, { body: 100 });
      await rejectsWith(ctx.append(inbox, { body: 100 }), 'OVER_QUOTA');
      await rejectsWith(store.copyMessages(account.id, inbox.id, [1], inbox.id), 'OVER_QUOTA');
      assert.equal((await ctx.mailbox('INBOX')).uidNext, 3, 'a refused append takes no UID');
      // Concurrent appends that would each fit alone must not together exceed the quota.
      await store.setQuota(account.id, m.size * 4);
      const results = await Promise.allSettled([1, 2, 3, 4].map(() => ctx.append(inbox, { body: 100 })));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 2);
      const q = await store.quota(account.id);
      assert.equal(q.usedBytes, m.size * 4);
      assert.equal(q.limitBytes, m.size * 4);
      await store.moveMessages(account.id, inbox.id, [1, 2], (await ctx.mailbox('Trash')).id);
      assert.equal((await store.quota(account.id)).usedBytes, m.size * 4);
      await assertCountersConsistent(store, account.id);
    }));

  it('keeps usedBytes == sum(size) through a random sequence of operations', () =>
    withStore(open, async (ctx) => {
      const { store, account, inbox } = ctx;
      const boxes = [inbox, await ctx.mailbox('Archive'), await store.createMailbox(account.id, 'R/S')];
      let seed = 42;
      const rnd = (n: number) => {
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        return (seed >>> 0) % n;
      };
      let lastModseq = 0;
      for (let step = 0; step < 150; step++) {
        const mb = boxes[rnd(boxes.length)];
        const uids = (await store.listMessages(mb.accountId, mb.id)).map((m) => m.uid);
        const pick = uids.filter(() => rnd(2) === 0).slice(0, 4); // bounded: copies must not grow exponentially
        const op = rnd(6);
        if (op <= 1 || uids.length === 0) await ctx.append(mb, { body: rnd(500), flags: rnd(2) ? ['\\Seen'] : [] });
        else if (op === 2) await store.setFlags(account.id, mb.id, pick, (['add', 'remove', 'replace'] as const)[rnd(3)], rnd(2) ? ['\\Deleted'] : ['\\Seen', 'k']);
        else if (op === 3) await store.expunge(account.id, mb.id, { uids: rnd(2) ? pick : undefined, onlyDeleted: rnd(2) === 0 });
        else if (op === 4) await store.copyMessages(account.id, mb.id, pick, boxes[rnd(boxes.length)].id);
        else {
          const to = boxes[rnd(boxes.length)];
          if (to.id !== mb.id) await store.moveMessages(account.id, mb.id, pick, to.id);
        }
        const modseq = (await store.getAccount(account.id))!.modseq;
        assert.ok(modseq >= lastModseq, 'MODSEQ never decreases');
        lastModseq = modseq;
        if (step % 25 === 0) await assertCountersConsistent(store, account.id);
      }
      await assertCountersConsistent(store, account.id);
    }));

  it('records POP3 retrieval once', () =>
    withStore(open, async (ctx) => {
      const { store, account, inbox } = ctx;
      await ctx.append(inbox);
      await ctx.append(inbox);
      const modseq = (await store.getAccount(account.id))!.modseq;
      await store.markDownloaded(account.id, inbox.id, [1], 1000);
      await store.markDownloaded(account.id, inbox.id, [1, 2], 2000);
      assert.deepEqual((await store.listMessages(inbox.accountId, inbox.id)).map((m) => m.downloadedAt), [1000, 2000]);
      assert.equal((await store.getAccount(account.id))!.modseq, modseq, 'invisible to IMAP: no modseq');
    }));
}
