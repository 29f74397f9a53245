// Store contract, part 2: mailboxes, hierarchy, rename (also of INBOX), delete, subscriptions.

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { rejectsWith, withStore, type OpenTestStore } from './helpers/store-contract-kit.ts';
import { assertCountersConsistent } from './helpers/store-fixtures.ts';

export function mailboxesContract(open: OpenTestStore): void {
  it('creates mailboxes with their missing parents, names normalised', () =>
    withStore(open, async ({ store, account }) => {
      const before = (await store.getAccount(account.id))!.modseq;
      const c = await store.createMailbox(account.id, 'Work/2026/Q1');
      assert.equal(c.name, 'Work/2026/Q1');
      assert.equal(c.uidNext, 1);
      assert.equal(c.messageCount, 0);
      assert.ok((await store.getMailbox(account.id, 'Work')) !== null);
      assert.ok((await store.getMailbox(account.id, 'Work/2026')) !== null);
      assert.ok(c.highestModseq > before);
      const inboxChild = await store.createMailbox(account.id, 'inbox/Lists');
      assert.equal(inboxChild.name, 'INBOX/Lists');
      assert.equal((await store.getMailbox(account.id, 'InBoX'))?.name, 'INBOX');
      assert.equal((await store.getMailboxById(account.id, c.id))?.name, 'Work/2026/Q1');
      assert.equal(await store.getMailboxById(account.id, 999999), null);
      await rejectsWith(store.createMailbox(account.id, 'INBOX'), 'ALREADY_EXISTS');
      await rejectsWith(store.createMailbox(account.id, 'Inbox'), 'ALREADY_EXISTS');
      await rejectsWith(store.createMailbox(account.id, 'Work'), 'ALREADY_EXISTS');
      const flagged = await store.createMailbox(account.id, 'Starred', '\\Flagged');
      assert.equal(flagged.role, '\\Flagged');
      assert.equal((await store.getMailboxByRole(account.id, '\\Flagged'))?.id, flagged.id);
      // UIDVALIDITY of a name deleted and created again differs (RFC 9051 §2.3.1.1).
      await store.deleteMailbox(account.id, 'Starred');
      const again = await store.createMailbox(account.id, 'Starred');
      assert.notEqual(again.uidValidity, flagged.uidValidity);
      assert.notEqual(again.id, flagged.id);
    }));

  it('refuses hostile and malformed names (SECURITY-CASES.md)', () =>
    withStore(open, async ({ store, account }) => {
      for (const bad of ['../x', 'a/../../b', '~root/x', '/etc', 'INBOX/..', 'a\u0000b', '', 'a//b', 'a/', '.', 'x'.repeat(256)]) {
        await rejectsWith(store.createMailbox(account.id, bad), 'INVALID', JSON.stringify(bad));
      }
      await rejectsWith(store.renameMailbox(account.id, 'Drafts', '../Drafts'), 'INVALID');
      await rejectsWith(store.setSubscribed(account.id, '/etc', true), 'INVALID');
      const names = (await store.listMailboxes(account.id)).map((m) => m.name);
      assert.equal(names.length, 6, 'nothing was created');
    }));

  it('renames a mailbox with its children, keeping ids, UIDVALIDITY and messages', () =>
    withStore(open, async (ctx) => {
      const { store, account } = ctx;
      const a = await store.createMailbox(account.id, 'a/b/c');
      const ab = await ctx.mailbox('a/b');
      const aa = await ctx.mailbox('a');
      const msg = await ctx.append(a);
      await store.setSubscribed(account.id, 'a/b', true);
      await store.createMailbox(account.id, 'ab'); // a sibling sharing the prefix is not a child
      await store.renameMailbox(account.id, 'a', 'x/y');
      assert.equal(await store.getMailbox(account.id, 'a'), null);
      assert.equal(await store.getMailbox(account.id, 'a/b/c'), null);
      assert.equal((await ctx.mailbox('x/y')).id, aa.id);
      assert.equal((await ctx.mailbox('x/y/b')).id, ab.id);
      const moved = await ctx.mailbox('x/y/b/c');
      assert.equal(moved.id, a.id);
      assert.equal(moved.uidValidity, a.uidValidity);
      assert.ok(await store.getMailbox(account.id, 'x'), 'missing parent created');
      assert.ok(await store.getMailbox(account.id, 'ab'), 'sibling untouched');
      assert.deepEqual((await store.listMessages(moved.accountId, moved.id)).map((m) => m.uid), [msg.uid]);
      const subs = await store.listSubscriptions(account.id);
      assert.ok(subs.includes('x/y/b') && !subs.includes('a/b'), 'subscription follows the rename');
      const changes = (await store.changesSince(account.id, msg.modseq)).changes;
      assert.ok(changes.some((c) => c.kind === 'mailbox-renamed' && c.mailboxId === a.id));
    }));

  it('refuses renames into the own child, onto existing names, of missing mailboxes', () =>
    withStore(open, async ({ store, account }) => {
      await store.createMailbox(account.id, 'p/q');
      await rejectsWith(store.renameMailbox(account.id, 'p', 'p/q/r'), 'CANNOT');
      await rejectsWith(store.renameMailbox(account.id, 'p', 'p'), 'CANNOT');
      await rejectsWith(store.renameMailbox(account.id, 'p', 'Sent'), 'ALREADY_EXISTS');
      await rejectsWith(store.renameMailbox(account.id, 'p', 'inbox'), 'ALREADY_EXISTS');
      await rejectsWith(store.renameMailbox(account.id, 'nope', 'x'), 'NOT_FOUND');
      assert.ok(await store.getMailbox(account.id, 'p/q'));
    }));

  it('renaming INBOX moves its messages to a new mailbox and leaves INBOX empty', () =>
    withStore(open, async (ctx) => {
      const { store, account, inbox } = ctx;
      await store.createMailbox(account.id, 'INBOX/child');
      const m1 = await ctx.append(inbox, { flags: ['\\Seen'] });
      const m2 = await ctx.append(inbox);
      await store.renameMailbox(account.id, 'INBOX', 'Old/Inbox');
      const after = await ctx.mailbox('INBOX');
      assert.equal(after.id, inbox.id);
      assert.equal(after.uidValidity, inbox.uidValidity);
      assert.equal(after.messageCount, 0);
      assert.equal(after.uidNext, 3, 'INBOX UIDs are not reused');
      assert.ok(await store.getMailbox(account.id, 'INBOX/child'), 'children of INBOX are unaffected');
      const old = await ctx.mailbox('Old/Inbox');
      const msgs = await store.listMessages(old.accountId, old.id);
      assert.deepEqual(msgs.map((m) => m.id), [m1.id, m2.id], 'message ids kept');
      assert.deepEqual(msgs.map((m) => m.uid), [1, 2]);
      assert.deepEqual(msgs[0].flags, ['\\Seen']);
      assert.equal(old.messageCount, 2);
      assert.equal(old.unseenCount, 1);
      const m3 = await ctx.append(inbox);
      assert.equal(m3.uid, 3);
      await assertCountersConsistent(store, account.id);
    }));

  it('deletes mailboxes: not INBOX, not a parent with children, messages go with it', () =>
    withStore(open, async (ctx) => {
      const { store, account } = ctx;
      await rejectsWith(store.deleteMailbox(account.id, 'inbox'), 'CANNOT');
      await store.createMailbox(account.id, 'p/q');
      await rejectsWith(store.deleteMailbox(account.id, 'p'), 'HAS_CHILDREN');
      await rejectsWith(store.deleteMailbox(account.id, 'missing'), 'NOT_FOUND');
      const q = await ctx.mailbox('p/q');
      await store.setSubscribed(account.id, 'p/q', true);
      const m = await ctx.append(q, { body: 100 });
      assert.equal((await store.quota(account.id)).usedBytes, m.size);
      await store.deleteMailbox(account.id, 'p/q');
      assert.equal(await store.getMailbox(account.id, 'p/q'), null);
      assert.equal((await store.quota(account.id)).usedBytes, 0);
      assert.equal(await store.getMessageById(account.id, m.id), null);
      const changes = (await store.changesSince(account.id, m.modseq)).changes;
      assert.deepEqual(changes.map((c) => c.kind), ['message-removed', 'mailbox-deleted']);
      assert.equal(changes[0].messageId, m.id);
      assert.ok((await store.listSubscriptions(account.id)).includes('p/q'), 'RFC 9051 §6.3.9: subscription kept');
      await store.deleteMailbox(account.id, 'p');
      await assertCountersConsistent(store, account.id);
    }));

  it('keeps subscriptions independent of existence', () =>
    withStore(open, async ({ store, account }) => {
      await store.setSubscribed(account.id, 'Not/There', true);
      await store.setSubscribed(account.id, 'Not/There', true);
      assert.ok((await store.listSubscriptions(account.id)).includes('Not/There'));
      assert.equal(await store.getMailbox(account.id, 'Not/There'), null);
      await store.setSubscribed(account.id, 'Junk', false);
      await store.setSubscribed(account.id, 'Junk', false);
      const subs = await store.listSubscriptions(account.id);
      assert.ok(!subs.includes('Junk'));
      assert.ok(await store.getMailbox(account.id, 'Junk'), 'unsubscribing does not delete');
      await store.setSubscribed(account.id, 'inbox', false);
      assert.ok(!(await store.listSubscriptions(account.id)).includes('INBOX'), 'INBOX spelling normalised');
    }));

  it('hands each \\Recent message to one claimer only, without a mod-sequence (RFC 3501 §2.3.2)', () =>
    withStore(open, async (ctx) => {
      const { store, account } = ctx;
      const box = await store.createMailbox(account.id, 'Recent');
      assert.equal(box.arrivalMark, 0);
      for (let i = 0; i < 3; i++) await ctx.append(box);
      assert.equal(await store.countUnclaimedArrivals(box.accountId, box.id), 3);
      const modseq = (await ctx.mailbox('Recent')).highestModseq;
      // Two sessions claim in the same turn: exactly one of them gets UIDs 1..3.
      const [a, b] = await Promise.all([store.claimArrivals(box.accountId, box.id, 3), store.claimArrivals(box.accountId, box.id, 3)]);
      assert.deepEqual([a, b].sort(), [0, 3]);
      assert.equal(await store.countUnclaimedArrivals(box.accountId, box.id), 0);
      assert.equal((await ctx.mailbox('Recent')).arrivalMark, 3);
      assert.equal((await ctx.mailbox('Recent')).highestModseq, modseq, 'not a change of mail data');
      // The mark never goes down; a later claim up to a new message takes only that one.
      await ctx.append(box);
      assert.equal(await store.claimArrivals(box.accountId, box.id, 2), 3);
      assert.equal(await store.countUnclaimedArrivals(box.accountId, box.id), 1);
      assert.equal(await store.claimArrivals(box.accountId, box.id, 4), 3);
      assert.equal(await store.claimArrivals(box.accountId, box.id, 4), 4);
      await rejectsWith(store.claimArrivals(box.accountId, 999999, 1), 'NOT_FOUND');
      await rejectsWith(store.claimArrivals(box.accountId, box.id, -1), 'INVALID');
    }));
}
