// Email/import (RFC 8621 §4.8), Email/copy (§4.7) and Blob/copy (RFC 8620 §6.3). Import runs
// over real HTTP. A user has one account, so over HTTP every /copy is refused (same account:
// invalidArguments; any other: fromAccountNotFound); the copying itself is exercised by
// calling the methods with an account access that lets one real account read another.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startJmapServer, type JmapTestServer } from './helpers/jmap.ts';
import { aliceAccount, mailboxId, upload } from './helpers/jmap-write.ts';
import { hashPassword } from '../src/auth/password.ts';
import { fromJmapId, toAccountId, toJmapId } from '../src/jmap/ids.ts';
import { jmapDepsFrom } from '../src/server/protocols.ts';
import { emailCopyMethod } from '../src/jmap/mail/email-copy.ts';
import { emailSet } from '../src/jmap/mail/email-set.ts';
import { emailImport } from '../src/jmap/mail/email-import.ts';
import { blobCopyMethod } from '../src/jmap/blob-copy.ts';
import type { Account } from '../src/store/types.ts';
import type { JmapDeps, MethodContext } from '../src/jmap/types.ts';

let jmap: JmapTestServer;
let alice: Account;
let inbox: string;

before(async () => {
  jmap = await startJmapServer();
  alice = await aliceAccount(jmap);
  inbox = await mailboxId(jmap, 'INBOX');
});
after(() => jmap.stop());

const MESSAGE = [
  'Received: from relay.example.org by mx.example.com; Tue, 14 Jan 2025 08:00:00 +0000',
  'Received: from client by relay.example.org; Tue, 14 Jan 2025 07:59:00 +0000',
  'From: import@example.org',
  'To: alice@example.com',
  'Subject: Imported',
  'Message-ID: <imported-1@example.org>',
  '',
  'Imported body.',
  '',
].join('\r\n');

async function importCall(emails: unknown, extra: Record<string, unknown> = {}): Promise<any[]> {
  return (await jmap.call([['Email/import', { accountId: jmap.accountId, emails, ...extra }, 'i']]))[0];
}

test('import an uploaded message into two mailboxes with keywords and receivedAt; the Email is the blob as uploaded', async () => {
  const up = await upload(jmap, MESSAGE, 'message/rfc822');
  const archive = await mailboxId(jmap, 'Archive');
  const [name, r] = await importCall({ a: { blobId: up.body.blobId, mailboxIds: { [inbox]: true, [archive]: true }, keywords: { $seen: true, custom: true }, receivedAt: '2025-06-15T10:30:00Z' } });
  assert.equal(name, 'Email/import', JSON.stringify(r));
  const created = r.created.a;
  assert.equal(created.blobId, up.body.blobId);
  assert.equal(created.size, Buffer.byteLength(MESSAGE));
  assert.notEqual(r.oldState, r.newState);
  const email = (await jmap.server.deps.store.getEmails(alice.id, [fromJmapId('email', created.id)!]))[0];
  assert.equal(email.mailboxes.length, 2, 'one Email in both mailboxes');
  assert.deepEqual(email.keywords.sort(), ['\\Seen', 'custom']);
  assert.equal(email.receivedAt, Date.parse('2025-06-15T10:30:00Z'));
  assert.equal(toJmapId('thread', email.threadId), created.threadId);
  // Without receivedAt: the topmost (most recent) Received field's date.
  const [, again] = await importCall({ b: { blobId: up.body.blobId, mailboxIds: { [inbox]: true } } });
  const second = (await jmap.server.deps.store.getEmails(alice.id, [fromJmapId('email', again.created.b.id)!]))[0];
  assert.equal(second.receivedAt, Date.parse('2025-01-14T08:00:00Z'));
  assert.notEqual(again.created.b.id, created.id, 'a duplicate is a new Email of its own (no alreadyExists)');
});

test('import a message attached to another one, by its part blob id', async () => {
  const outer = ['From: a@example.org', 'Subject: Fwd', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '', '--b', 'Content-Type: text/plain', '', 'see attached', '--b', 'Content-Type: message/rfc822', '', MESSAGE, '--b--', ''].join('\r\n');
  const up = await upload(jmap, outer, 'message/rfc822');
  const [, first] = await importCall({ o: { blobId: up.body.blobId, mailboxIds: { [inbox]: true } } });
  const [, r] = await importCall({ inner: { blobId: `${first.created.o.blobId}_2`, mailboxIds: { [inbox]: true } } });
  assert.ok(r.created?.inner, JSON.stringify(r.notCreated));
  const inner = (await jmap.server.deps.store.getEmails(alice.id, [fromJmapId('email', r.created.inner.id)!]))[0];
  assert.equal(inner.summary.subject, 'Imported');
});

test('import refusals: not a message, unknown blob, bad mailboxIds and keywords, unknown properties, arguments, state', async () => {
  const junk = await upload(jmap, 'this is not an email', 'application/octet-stream');
  const up = await upload(jmap, MESSAGE, 'message/rfc822');
  const [, r] = await importCall({
    junk: { blobId: junk.body.blobId, mailboxIds: { [inbox]: true } },
    missing: { blobId: 'nonexistent-blob-xyz', mailboxIds: { [inbox]: true } },
    noMailbox: { blobId: up.body.blobId, mailboxIds: {} },
    unknownMailbox: { blobId: up.body.blobId, mailboxIds: { M9zzzz: true } },
    badKeyword: { blobId: up.body.blobId, mailboxIds: { [inbox]: true }, keywords: { '(bad)': true } },
    extra: { blobId: up.body.blobId, mailboxIds: { [inbox]: true }, subject: 'no' },
    notObject: 'x',
  });
  assert.equal(r.created, null, JSON.stringify(r.created));
  assert.equal(r.notCreated.junk.type, 'invalidEmail');
  for (const k of ['missing', 'noMailbox', 'unknownMailbox', 'badKeyword', 'extra', 'notObject']) assert.equal(r.notCreated[k].type, 'invalidProperties', k);
  assert.deepEqual(r.notCreated.missing.properties, ['blobId']);
  assert.deepEqual(await importCall('x'), ['error', { type: 'invalidArguments', description: '"emails" must be an object', arguments: ['emails'] }, 'i']);
  const [errName, err] = await importCall({}, { ifInState: 'sZZZ' });
  assert.equal(errName, 'error');
  assert.equal(err.type, 'stateMismatch');
});

test('over quota: the import and the create are refused with overQuota and nothing is stored', async () => {
  const up = await upload(jmap, MESSAGE, 'message/rfc822');
  const store = jmap.server.deps.store;
  const archive = await mailboxId(jmap, 'Archive');
  const trash = await mailboxId(jmap, 'Trash');
  const [[, made]] = await jmap.call([['Email/set', { accountId: jmap.accountId, create: { e: { mailboxIds: { [inbox]: true }, subject: 'kept small', bodyStructure: { partId: '1' }, bodyValues: { '1': { value: 'x'.repeat(100) } } } } }, 's']]);
  const emailId: string = made.created.e.id;
  const used = (await store.quota(alice.id)).usedBytes;
  // Room for one copy, not two: the second copy is refused after the first was made.
  await store.setQuota(alice.id, used + made.created.e.size + 10);
  try {
    // An update that needs copies: refused whole — no copy left behind, keywords as they were.
    const [[, u]] = await jmap.call([['Email/set', { accountId: jmap.accountId, update: { [emailId]: { [`mailboxIds/${archive}`]: true, [`mailboxIds/${trash}`]: true, 'keywords/$flagged': true } } }, 'u']]);
    assert.equal(u.notUpdated[emailId].type, 'overQuota');
    const email = (await store.getEmails(alice.id, [fromJmapId('email', emailId)!]))[0];
    assert.deepEqual(email.mailboxes.map((m) => m.mailboxId), [fromJmapId('mailbox', inbox)]);
    assert.deepEqual(email.keywords, []);
    assert.equal((await store.quota(alice.id)).usedBytes, used);
    await store.setQuota(alice.id, used + 10);
    const [, r] = await importCall({ q: { blobId: up.body.blobId, mailboxIds: { [inbox]: true } } });
    assert.equal(r.notCreated.q.type, 'overQuota');
    const [[, s]] = await jmap.call([['Email/set', { accountId: jmap.accountId, create: { c: { mailboxIds: { [inbox]: true }, subject: 'too much', bodyStructure: { partId: '1' }, bodyValues: { '1': { value: 'x'.repeat(100) } } } } }, 's']]);
    assert.equal(s.notCreated.c.type, 'overQuota');
    assert.equal((await store.quota(alice.id)).usedBytes, used);
  } finally {
    await store.setQuota(alice.id, null);
  }
});

test('over HTTP, Email/copy and Blob/copy from the same account are invalidArguments, from any other fromAccountNotFound', async () => {
  const responses = await jmap.call([
    ['Email/copy', { fromAccountId: jmap.accountId, accountId: jmap.accountId, create: { x: { id: 'E1', mailboxIds: { [inbox]: true } } } }, 'a'],
    ['Email/copy', { fromAccountId: 'A9zzz', accountId: jmap.accountId, create: {} }, 'b'],
    ['Blob/copy', { fromAccountId: jmap.accountId, accountId: jmap.accountId, blobIds: ['x'] }, 'c'],
    ['Blob/copy', { fromAccountId: 'A9zzz', blobIds: ['x'] }, 'd'],
  ]);
  assert.deepEqual(responses.map((r) => [r[0], r[1].type, r[2]]), [
    ['error', 'invalidArguments', 'a'],
    ['error', 'fromAccountNotFound', 'b'],
    ['error', 'invalidArguments', 'c'],
    ['error', 'fromAccountNotFound', 'd'],
  ]);
});

/** A method context for `account`, as the dispatcher builds it, with the responses it adds collected. */
function contextFor(deps: JmapDeps, account: Account, extra: [string, Record<string, unknown>][] = [], other?: () => MethodContext): MethodContext {
  const created = new Map<string, string>();
  return {
    deps,
    account,
    accountId: account.id,
    using: new Set(['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail']),
    resolveId: (id) => created.get(id) ?? null,
    recordCreated: (cid, id) => void created.set(cid, id),
    addResponse: (name, args) => void extra.push([name, args]),
    // The implicit Email/set of onSuccessDestroyOriginal runs in the account copied from.
    call: async (name, args) => {
      assert.equal(name, 'Email/set');
      return emailSet(args, other!());
    },
  };
}

test('the copying itself, with an access that lets Bob read Alice: Email/copy with onSuccessDestroyOriginal, Blob/copy', async () => {
  const deps = jmapDepsFrom(jmap.server.deps, jmap.server.outbound);
  const store = jmap.server.deps.store;
  const bob = await store.createAccount({ address: 'bob@example.com', passwordHash: await hashPassword('bob password') });
  const bobInbox = toJmapId('mailbox', (await store.getMailbox(bob.id, 'INBOX'))!.id);
  const aliceCtx = contextFor(deps, alice);
  const src = await emailSet({ create: { s: { mailboxIds: { [inbox]: true }, keywords: { $flagged: true }, subject: 'to copy', bodyStructure: { partId: '1' }, bodyValues: { '1': { value: 'copied body' } } } } }, aliceCtx);
  const srcId = (src.created as any).s.id as string;
  const extra: [string, Record<string, unknown>][] = [];
  const bobCtx = contextFor(deps, bob, extra, () => aliceCtx);
  const copy = emailCopyMethod((_ctx, id) => (id === alice.id ? id : null));
  const r: any = await copy({ fromAccountId: toAccountId(alice.id), accountId: toAccountId(bob.id), create: { c: { id: srcId, mailboxIds: { [bobInbox]: true } }, bad: { id: 'E9zzzz', mailboxIds: { [bobInbox]: true } }, subj: { id: srcId, mailboxIds: { [bobInbox]: true }, subject: 'x' } }, onSuccessDestroyOriginal: true }, bobCtx);
  assert.equal(r.fromAccountId, toAccountId(alice.id));
  assert.equal(r.accountId, toAccountId(bob.id));
  assert.equal(r.notCreated.bad.type, 'notFound');
  assert.equal(r.notCreated.subj.type, 'invalidProperties', 'only mailboxIds, keywords and receivedAt may be set');
  const copied = (await store.getEmails(bob.id, [fromJmapId('email', r.created.c.id)!]))[0];
  assert.equal(copied.blobId, r.created.c.blobId);
  assert.deepEqual(copied.keywords, ['\\Flagged'], 'keywords kept when not given');
  assert.equal(extra.length, 1);
  assert.equal(extra[0][0], 'Email/set');
  assert.deepEqual(extra[0][1].destroyed, [srcId]);
  assert.deepEqual(await store.getEmails(alice.id, [fromJmapId('email', srcId)!]), [], 'the original is gone');

  const up = await upload(jmap, 'blob to share', 'text/plain');
  const blobCopy = blobCopyMethod((_ctx, id) => (id === alice.id ? id : null));
  const b: any = await blobCopy({ fromAccountId: toAccountId(alice.id), accountId: toAccountId(bob.id), blobIds: [up.body.blobId, 'f'.repeat(64)] }, bobCtx);
  assert.deepEqual(b.copied, { [up.body.blobId]: up.body.blobId });
  assert.equal(b.notCopied['f'.repeat(64)].type, 'blobNotFound');
  assert.equal(await store.isBlobOfAccount(bob.id, up.body.blobId), true);
  assert.equal((await store.getUpload(bob.id, up.body.blobId))?.type, 'text/plain');
});

test('tooLarge: a message over the server\'s size limit is refused per record', async () => {
  const full = jmapDepsFrom(jmap.server.deps, jmap.server.outbound);
  const deps = { ...full, outbound: { ...full.outbound, maxMessageBytes: 100 } };
  const ctx = contextFor(deps, alice);
  const up = await upload(jmap, MESSAGE, 'message/rfc822');
  const r: any = await emailImport({ emails: { big: { blobId: up.body.blobId, mailboxIds: { [inbox]: true } } } }, ctx);
  assert.equal(r.notCreated.big.type, 'tooLarge');
  const s: any = await emailSet({ create: { big: { mailboxIds: { [inbox]: true }, bodyStructure: { partId: '1' }, bodyValues: { '1': { value: 'x'.repeat(200) } } } } }, ctx);
  assert.equal(s.notCreated.big.type, 'tooLarge');
});
