// Store contract: Email queries (queryEmails, getEmailSearchTexts) and what JMAP /changes needs
// of objectChanges when objects come and go inside the window (RFC 8620 §5.2).

import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { EmailQuery, EmailCondition } from '../src/store/types.ts';
import { rawMessage, summaryFor } from './helpers/store-fixtures.ts';
import { withStore, type Ctx, type OpenTestStore } from './helpers/store-contract-kit.ts';

const QUERY: EmailQuery = { filter: null, sort: [], collapseThreads: false, position: 0, anchor: null, anchorOffset: 0, limit: null, calculateTotal: false };

async function put(ctx: Ctx, mailboxId: number, o: { subject: string; from?: string; text?: string; flags?: string[]; at: number; messageId?: string; inReplyTo?: string }) {
  const raw = rawMessage(`${o.subject} ${o.at}`);
  const blob = await ctx.blobs.put(raw);
  const summary = summaryFor(o.subject, raw.length);
  if (o.from) summary.envelope.from = [{ name: o.from, adl: null, mailbox: o.from.toLowerCase(), host: 'example.org' }] as never;
  summary.baseSubject = o.subject.replace(/^re:\s*/i, '');
  summary.messageId = o.messageId ?? null;
  summary.inReplyTo = o.inReplyTo ? [o.inReplyTo] : [];
  return ctx.store.appendMessage(ctx.account.id, mailboxId, { blobId: blob.id, size: blob.size, flags: o.flags, internalDate: o.at, summary, searchText: o.text ?? o.subject });
}

export function emailQueryContract(open: OpenTestStore): void {
  it('objectChanges leaves out what was created and destroyed after the state, and says created for created-then-changed', () =>
    withStore(open, async (ctx) => {
      const { store, account, inbox } = ctx;
      const kept = await ctx.append(inbox);
      const s0 = (await store.getAccount(account.id))!.modseq;
      const brief = await ctx.append(inbox);
      const changedNew = await ctx.append(inbox);
      await store.setFlags(account.id, inbox.id, [changedNew.uid], 'add', ['\\Seen']);
      await store.expunge(account.id, inbox.id, { uids: [brief.uid], onlyDeleted: false });
      const box = await store.createMailbox(account.id, 'Brief');
      const moved = await ctx.append(box);
      await store.deleteMailbox(account.id, 'Brief');
      await store.setFlags(account.id, inbox.id, [kept.uid], 'add', ['$x']);
      const emails = await store.objectChanges(account.id, 'Email', s0);
      assert.deepEqual(emails && { created: emails.created, updated: emails.updated, destroyed: emails.destroyed }, {
        created: [changedNew.emailId], updated: [kept.emailId], destroyed: [],
      }, `${brief.emailId} and ${moved.emailId} came and went`);
      const threads = await store.objectChanges(account.id, 'Thread', s0);
      assert.deepEqual(threads?.destroyed, []);
      assert.deepEqual(threads?.created, [changedNew.threadId]);
      const boxes = await store.objectChanges(account.id, 'Mailbox', s0);
      assert.deepEqual({ created: boxes?.created, destroyed: boxes?.destroyed }, { created: [], destroyed: [] });
      // From a state in between, the same Email was there before: now it is destroyed.
      const s1 = (await store.getAccount(account.id))!.modseq;
      await store.expunge(account.id, inbox.id, { uids: [changedNew.uid], onlyDeleted: false });
      assert.deepEqual((await store.objectChanges(account.id, 'Email', s1))?.destroyed, [changedNew.emailId]);
      assert.deepEqual((await store.objectChanges(account.id, 'Thread', s1))?.destroyed, [changedNew.threadId]);
    }));

  it('queryEmails: a mailbox newest first, \\Deleted messages left out, windows, totals and anchors', () =>
    withStore(open, async (ctx) => {
      const { store, account, inbox } = ctx;
      const m = [];
      for (let i = 0; i < 6; i++) m.push(await put(ctx, inbox.id, { subject: `s${i}`, at: 1000 + i, flags: i === 5 ? ['\\Deleted'] : [] }));
      const q = (over: Partial<EmailQuery>) => store.queryEmails(account.id, { ...QUERY, filter: { kind: 'inMailbox', mailboxId: inbox.id }, sort: [{ key: 'receivedAt', ascending: false }], ...over });
      const all = await q({ calculateTotal: true });
      assert.deepEqual(all.emailIds, [m[4], m[3], m[2], m[1], m[0]].map((r) => r.emailId));
      assert.deepEqual(all.threadIds, [m[4], m[3], m[2], m[1], m[0]].map((r) => r.threadId));
      assert.equal(all.total, 5);
      assert.deepEqual((await q({ position: 1, limit: 2 })).emailIds, [m[3].emailId, m[2].emailId]);
      const end = await q({ position: -2, calculateTotal: false });
      assert.deepEqual({ ids: end.emailIds, position: end.position }, { ids: [m[1].emailId, m[0].emailId], position: 3 });
      const anchored = await q({ anchor: m[2].emailId, anchorOffset: -1, limit: 2 });
      assert.deepEqual({ ids: anchored.emailIds, position: anchored.position, found: anchored.anchorFound }, { ids: [m[3].emailId, m[2].emailId], position: 1, found: true });
      assert.equal((await q({ anchor: m[5].emailId })).anchorFound, false, 'a \\Deleted message is no anchor');
      // Another account sees nothing of this mailbox.
      const other = await store.createAccount({ address: 'other@example.org', passwordHash: 'h' });
      assert.deepEqual((await store.queryEmails(other.id, { ...QUERY, filter: { kind: 'inMailbox', mailboxId: inbox.id }, calculateTotal: true })), {
        emailIds: [], threadIds: [], position: 0, total: 0, anchorFound: false,
      });
      assert.deepEqual((await store.queryEmails(other.id, QUERY)).emailIds, []);
    }));

  it('queryEmails: flags without case, thread conditions, text in the search text and fields, operators, collapsed threads', () =>
    withStore(open, async (ctx) => {
      const { store, account, inbox } = ctx;
      const sent = await store.createMailbox(account.id, 'Outbox');
      const a = await put(ctx, inbox.id, { subject: 'Plans', from: 'Zed', at: 1, messageId: 'a@x', flags: ['$Work'], text: 'Plans for Zürich' });
      const b = await put(ctx, sent.id, { subject: 'Re: Plans', from: 'amy', at: 2, inReplyTo: 'a@x', flags: ['\\Seen'], text: 'Re: Plans sounds good_100%' });
      const c = await put(ctx, inbox.id, { subject: 'Other', from: 'Bob', at: 3, flags: ['\\Seen', '$work'], text: 'Other things' });
      assert.equal(a.threadId, b.threadId);
      const ids = async (filter: EmailCondition | null, extra: Partial<EmailQuery> = {}) =>
        (await store.queryEmails(account.id, { ...QUERY, filter, sort: [{ key: 'receivedAt', ascending: true }], ...extra })).emailIds;
      assert.deepEqual(await ids({ kind: 'hasFlag', flag: '$WORK' }), [a.emailId, c.emailId]);
      assert.deepEqual(await ids({ kind: 'hasFlag', flag: '\\Seen' }), [b.emailId, c.emailId]);
      assert.deepEqual(await ids({ kind: 'threadFlag', flag: '\\Seen', quantifier: 'some' }), [a.emailId, b.emailId, c.emailId]);
      assert.deepEqual(await ids({ kind: 'threadFlag', flag: '\\Seen', quantifier: 'all' }), [c.emailId]);
      assert.deepEqual(await ids({ kind: 'threadFlag', flag: '$work', quantifier: 'none' }), []);
      assert.deepEqual(await ids({ kind: 'textContains', terms: ['zürich'] }), [a.emailId], 'non-ASCII terms fold case too');
      assert.deepEqual(await ids({ kind: 'textContains', terms: ['plans', 'good'] }), [b.emailId]);
      assert.deepEqual(await ids({ kind: 'textContains', terms: ['_100%'] }), [b.emailId], 'LIKE wildcards are literal');
      assert.deepEqual(await ids({ kind: 'textContains', terms: ['goo_'] }), [], '_ is no wildcard');
      assert.deepEqual(await ids({ kind: 'fieldContains', field: 'subject', terms: ['plans'] }), [a.emailId, b.emailId]);
      assert.deepEqual(await ids({ kind: 'not', conditions: [{ kind: 'fieldContains', field: 'cc', terms: ['x'] }] }), [a.emailId, b.emailId, c.emailId], 'no Cc: field: not matched, so NOT holds');
      assert.deepEqual(await ids({ kind: 'or', conditions: [{ kind: 'inMailbox', mailboxId: sent.id }, { kind: 'emailIds', ids: [c.emailId] }] }), [b.emailId, c.emailId]);
      assert.deepEqual(await ids({ kind: 'inMailboxOtherThan', mailboxIds: [inbox.id] }), [b.emailId]);
      assert.deepEqual(await ids({ kind: 'and', conditions: [{ kind: 'receivedAfter', at: 2 }, { kind: 'receivedBefore', at: 3 }] }), [b.emailId]);
      assert.deepEqual(await ids(null, { collapseThreads: true }), [a.emailId, c.emailId]);
      assert.deepEqual(await ids(null, { collapseThreads: true, sort: [{ key: 'receivedAt', ascending: false }] }), [c.emailId, b.emailId]);
      const from = async (collation: 'i;ascii-casemap' | 'i;octet') => (await store.queryEmails(account.id, { ...QUERY, sort: [{ key: 'from', ascending: true, collation }] })).emailIds;
      assert.deepEqual(await from('i;ascii-casemap'), [b.emailId, c.emailId, a.emailId]);
      assert.deepEqual(await from('i;octet'), [c.emailId, a.emailId, b.emailId], 'upper case before lower case');
      const texts = await store.getEmailSearchTexts(account.id, [a.emailId, 999_999]);
      assert.deepEqual(texts.map((t) => [t.id, t.text, t.summary.subject]), [[a.emailId, 'Plans for Zürich', 'Plans']]);
    }));
}
