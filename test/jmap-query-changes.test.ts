// Email/changes (RFC 8621 §4.3, RFC 8620 §5.2) and Email/queryChanges (RFC 8621 §4.5, RFC 8620
// §5.6) over real HTTP, with changes made through the store, over IMAP and by expunges.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startJmapServer, type JmapTestServer } from './helpers/jmap.ts';
import { mailFixture, type MailFixture } from './helpers/jmap-mail.ts';
import { RawImap } from './helpers/imap.ts';

const T0 = Date.UTC(2024, 5, 1);

describe('Email/changes and Email/queryChanges', () => {
  let jmap: JmapTestServer;
  let mail: MailFixture;
  let n = 0;

  before(async () => {
    jmap = await startJmapServer({ enable: ['imap'], env: { POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' } });
    mail = await mailFixture(jmap);
  });
  after(() => jmap.stop());

  const call = async (name: string, args: Record<string, unknown>) => {
    const [[respName, result]] = await jmap.call([[name, { accountId: jmap.accountId, ...args }, 'c']]);
    return respName === 'error' ? { error: result.type as string } : result;
  };
  const add = (box: string, extra: Parameters<MailFixture['add']>[1] = {}, flags: string[] = []) =>
    mail.add(box, { subject: `note ${++n}`, from: 'a@example.org', ...extra }, { flags, receivedAt: T0 + n * 1000 });
  const state = async () => (await call('Email/query', { limit: 0 })).queryState as string;

  it('reports created, updated and destroyed, and leaves out what came and went (RFC 8620 §5.2)', async () => {
    const a = await add('INBOX');
    const b = await add('INBOX');
    const s0 = await state();
    const c = await add('INBOX');
    const brief = await add('INBOX');
    const store = jmap.server.deps.store;
    await store.setFlags(mail.account.id, a.mailboxId, [a.uid], 'add', ['\\Flagged']);
    await store.expunge(mail.account.id, b.mailboxId, { uids: [b.uid, brief.uid], onlyDeleted: false });
    const r = await call('Email/changes', { sinceState: s0 });
    assert.deepEqual({ created: r.created, updated: r.updated, destroyed: r.destroyed, more: r.hasMoreChanges }, {
      created: [c.id], updated: [a.id], destroyed: [b.id], more: false,
    });
    assert.equal(r.oldState, s0);
    assert.equal(r.newState, await state());
    const none = await call('Email/changes', { sinceState: r.newState });
    assert.deepEqual([none.created, none.updated, none.destroyed], [[], [], []]);
  });

  it('pages with maxChanges and hasMoreChanges, each page a state to go on from', async () => {
    const s0 = await state();
    const made = [await add('INBOX'), await add('INBOX'), await add('INBOX')].map((m) => m.id);
    const seen: string[] = [];
    let since = s0;
    let pages = 0;
    for (;;) {
      const r = await call('Email/changes', { sinceState: since, maxChanges: 2 });
      assert.ok(r.created.length + r.updated.length + r.destroyed.length <= 2);
      seen.push(...r.created);
      since = r.newState;
      pages++;
      if (!r.hasMoreChanges) break;
    }
    assert.ok(pages >= 2);
    assert.deepEqual(seen.sort(), made.sort());
    assert.equal(since, await state());
    assert.deepEqual(await call('Email/changes', { sinceState: 'bogus' }), { error: 'cannotCalculateChanges' });
    assert.deepEqual(await call('Email/changes', { sinceState: 's' + '9'.repeat(10) }), { error: 'cannotCalculateChanges' });
    assert.deepEqual(await call('Email/changes', { sinceState: s0, maxChanges: 0 }), { error: 'invalidArguments' });
    assert.deepEqual(await call('Email/changes', {}), { error: 'invalidArguments' });
  });

  it('sees IMAP STORE flag changes as updated Emails', async () => {
    const m = await add('INBOX');
    const s0 = await state();
    const imap = await RawImap.login(jmap.server.ports.imap, jmap.address, jmap.password);
    try {
      await imap.command('S', 'SELECT INBOX');
      const r = await imap.command('F', `UID STORE ${m.uid} +FLAGS (\\Seen $Todo)`);
      assert.match(r.at(-1)!, /^F OK/);
    } finally {
      await imap.command('Z', 'LOGOUT');
    }
    const changes = await call('Email/changes', { sinceState: s0 });
    assert.deepEqual({ created: changes.created, updated: changes.updated, destroyed: changes.destroyed }, { created: [], updated: [m.id], destroyed: [] });
    const q = await call('Email/query', { filter: { hasKeyword: '$todo' } });
    assert.deepEqual(q.ids, [m.id]);
  });

  it('queryChanges: nothing changed, then removed and added with their index (RFC 8620 §5.6)', async () => {
    const box = 'Projects';
    const p = [await add(box), await add(box), await add(box)];
    const filter = { inMailbox: await mail.mailboxJmapId(box) };
    const sort = [{ property: 'receivedAt', isAscending: false }];
    const q0 = await call('Email/query', { filter, sort });
    assert.deepEqual(q0.ids, [p[2].id, p[1].id, p[0].id]);
    const quiet = await call('Email/queryChanges', { filter, sort, sinceQueryState: q0.queryState, calculateTotal: true });
    assert.deepEqual({ removed: quiet.removed, added: quiet.added, total: quiet.total, old: quiet.oldQueryState, now: quiet.newQueryState }, {
      removed: [], added: [], total: 3, old: q0.queryState, now: q0.queryState,
    });
    const store = jmap.server.deps.store;
    const newer = await add(box);
    await store.expunge(mail.account.id, p[1].mailboxId, { uids: [p[1].uid], onlyDeleted: false });
    await add('INBOX'); // elsewhere: not in these results
    const r = await call('Email/queryChanges', { filter, sort, sinceQueryState: q0.queryState });
    assert.deepEqual(r.removed, [p[1].id], 'the expunged Email; the new ones were never in the old results');
    assert.deepEqual(r.added, [{ id: newer.id, index: 0 }]);
    // Replaying the changes on the old list gives the new one.
    const replay = q0.ids.filter((id: string) => !r.removed.includes(id));
    for (const { id, index } of r.added) replay.splice(index, 0, id);
    assert.deepEqual(replay, (await call('Email/query', { filter, sort })).ids);
    assert.deepEqual(await call('Email/queryChanges', { filter, sort, sinceQueryState: q0.queryState, maxChanges: 1 }), { error: 'tooManyChanges' });
    assert.deepEqual(await call('Email/queryChanges', { filter, sort, sinceQueryState: 'nope' }), { error: 'cannotCalculateChanges' });
    assert.deepEqual(await call('Email/queryChanges', { filter, sort }), { error: 'invalidArguments' });
    assert.deepEqual(await call('Email/queryChanges', { filter: { nope: 1 }, sinceQueryState: q0.queryState }), { error: 'unsupportedFilter' });
  });

  it('queryChanges with collapseThreads and a keyword filter: a thread whose other Email changed is re-placed', async () => {
    const box = 'Lists';
    const root = await add(box, { messageId: 'root@x', subject: 'topic' });
    const reply = await add('Sent', { inReplyTo: 'root@x', subject: 'Re: topic' });
    const other = await add(box, { subject: 'unrelated' });
    assert.equal(root.threadId, reply.threadId);
    const args = { filter: { inMailbox: await mail.mailboxJmapId(box), noneInThreadHaveKeyword: '$flagged' }, sort: [{ property: 'receivedAt', isAscending: false }], collapseThreads: true };
    const q0 = await call('Email/query', args);
    assert.deepEqual(q0.ids, [other.id, root.id]);
    // Flagging the reply in Sent takes the root (in Lists) out of the results: the log names only the reply.
    await jmap.server.deps.store.setFlags(mail.account.id, reply.mailboxId, [reply.uid], 'add', ['\\Flagged']);
    const r = await call('Email/queryChanges', { ...args, sinceQueryState: q0.queryState });
    assert.ok(r.removed.includes(root.id), 'the root is reported removed though only its thread changed');
    assert.deepEqual(r.added, []);
    const replay = q0.ids.filter((id: string) => !r.removed.includes(id));
    assert.deepEqual(replay, (await call('Email/query', args)).ids);
  });

  it('queryChanges honours upToId for immutable sorts and filters', async () => {
    const filter = { text: 'uptoid' };
    const sort = [{ property: 'receivedAt', isAscending: true }];
    const first = await add('INBOX', { body: 'uptoid' });
    const second = await add('INBOX', { body: 'uptoid' });
    const q0 = await call('Email/query', { filter, sort });
    assert.deepEqual(q0.ids, [first.id, second.id]);
    const third = await add('INBOX', { body: 'uptoid' });
    const all = await call('Email/queryChanges', { filter, sort, sinceQueryState: q0.queryState });
    assert.deepEqual(all.added, [{ id: third.id, index: 2 }]);
    const upTo = await call('Email/queryChanges', { filter, sort, sinceQueryState: q0.queryState, upToId: second.id });
    assert.deepEqual(upTo.added, [], 'past upToId: left out');
  });
});
