// JMAP EmailSubmission (RFC 8621 §7) over real HTTP, end to end: a draft sent through
// EmailSubmission/set reaches a hosted recipient's INBOX (read back over IMAP with imapflow) and
// remote recipients through the outbound queue (a real SMTP peer on loopback), with Bcc removed,
// Date/Message-ID kept, DKIM-signed for a signed domain; the delivery status follows the queue;
// the implicit Email/set of onSuccessUpdateEmail follows the response; get/changes/query/
// queryChanges; the sender rules SMTP submission uses, as JMAP SetErrors.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import { startJmapServer, type JmapTestServer } from './helpers/jmap.ts';
import { startPeer, type Peer } from './smtp-harness.ts';
import { staticResolver } from '../src/net/dns.ts';
import { hashPassword } from '../src/auth/password.ts';
import { ingestMessage } from '../src/delivery/explicit-target.ts';
import type { Account } from '../src/store/types.ts';

/** The mail capability (which Email/set needs) once the server offers it. */
let USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:submission'];
let jmap: JmapTestServer;
let peer: Peer;
let alice: Account;
const BOB_PASSWORD = 'bob password for imap';

before(async () => {
  peer = await startPeer();
  const resolver = staticResolver({ 'remote.test': { MX: [{ exchange: 'mx.remote.test', priority: 10 }] }, 'mx.remote.test': { A: ['127.0.0.1'] } });
  jmap = await startJmapServer({
    enable: ['imap'],
    outbound: { resolver, mxPort: peer.port, schedule: { retryDelaysMs: [20], maxAgeMs: 3600_000, delayNoticeAfterMs: 3600_000 }, connectTimeoutMs: 5000 },
  });
  const session = (await (await fetch(`${jmap.base}/.well-known/jmap`, { headers: { authorization: jmap.authorization } })).json()) as { capabilities: Record<string, unknown> };
  if ('urn:ietf:params:jmap:mail' in session.capabilities) USING = [...USING, 'urn:ietf:params:jmap:mail'];
  const { store } = jmap.server.deps;
  alice = (await store.getAccountByAddress(jmap.address))!;
  await store.createAccount({ address: 'bob@example.com', passwordHash: await hashPassword(BOB_PASSWORD) });
  await store.addAlias('sales@example.com', 'alice@example.com');
  const key = generateKeyPairSync('rsa', { modulusLength: 1024 });
  await store.addDomain('signed.test', { selector: 'k1', privateKeyPem: key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string });
  await store.addAlias('alice@signed.test', 'alice@example.com');
});
after(async () => {
  await jmap.stop();
  await peer.close();
});

let drafts = 0;
/** A draft Email in alice's Drafts (as a client's Email/set would leave it); returns its JMAP id. */
async function draft(headers: Record<string, string>, body = 'Hello from the draft.'): Promise<string> {
  const { store, blobs, parse } = jmap.server.deps;
  const box = (await store.getMailboxByRole(alice.id, '\\Drafts'))!;
  const fields = { From: 'Alice <alice@example.com>', Subject: `draft ${++drafts}`, 'Message-ID': `<draft${drafts}.${Date.now()}@example.com>`, Date: 'Wed, 02 Dec 2026 01:00:00 +0000', ...headers };
  const raw = Object.entries(fields).filter(([, v]) => v !== '').map(([k, v]) => `${k}: ${v}`).join('\r\n') + `\r\n\r\n${body}\r\n`;
  const r = await ingestMessage({ store, blobs, parse }, alice.id, box.id, Buffer.from(raw), { flags: ['\\Draft'] });
  return 'E' + r.emailId.toString(36);
}

async function defaultIdentity(): Promise<string> {
  const [[, body]] = await jmap.call([['Identity/get', { accountId: jmap.accountId }, 'i']], USING);
  return body.list.find((i: any) => i.email === 'alice@example.com').id;
}

async function submit(create: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<any[]> {
  return jmap.call([['EmailSubmission/set', { accountId: jmap.accountId, create, ...extra }, 's']], USING);
}

/** One more queue pass, waited for: whatever was due has been attempted and recorded. */
async function settled(): Promise<void> {
  const runner = jmap.server.outbound.runner;
  const done = runner.passCompleted();
  runner.kick();
  await done;
}

async function imapSource(subject: string): Promise<string> {
  const client = new ImapFlow({ host: '127.0.0.1', port: jmap.server.ports.imap, secure: false, auth: { user: 'bob@example.com', pass: BOB_PASSWORD }, tls: { rejectUnauthorized: false }, logger: false });
  await client.connect();
  try {
    await client.mailboxOpen('INBOX');
    const uids = (await client.search({ subject }, { uid: true })) || [];
    assert.equal(uids.length, 1, `one message "${subject}" in bob's INBOX`);
    const msg = await client.fetchOne(String(uids[0]), { source: true }, { uid: true });
    return (msg as { source: Buffer }).source.toString('utf8');
  } finally {
    await client.logout();
  }
}

test('a draft is sent: the hosted recipient has it in INBOX (IMAP), the remote ones get it from the queue; Bcc is not sent; Email/set follows', async () => {
  const identityId = await defaultIdentity();
  const emailId = await draft({ To: 'Bob <bob@example.com>', Cc: 'carol@remote.test', Bcc: 'dave@remote.test', Subject: 'Quarterly figures' });
  const { store } = jmap.server.deps;
  const draftsBox = (await store.getMailboxByRole(alice.id, '\\Drafts'))!;
  const sentBox = (await store.getMailboxByRole(alice.id, '\\Sent'))!;
  // Remote recipients wait in the queue until the response is read (then the runner goes on).
  const runner = jmap.server.outbound.runner;
  await runner.stop();
  const responses = await submit(
    { s1: { identityId, emailId } },
    { onSuccessUpdateEmail: { '#s1': { [`mailboxIds/M${draftsBox.id.toString(36)}`]: null, [`mailboxIds/M${sentBox.id.toString(36)}`]: true, 'keywords/$draft': null } } },
  );
  runner.start();
  const [name, set, callId] = responses[0];
  assert.equal(name, 'EmailSubmission/set', JSON.stringify(set));
  assert.equal(callId, 's');
  const created = set.created.s1;
  assert.match(created.id, /^S/);
  assert.equal(created.undoStatus, 'final');
  assert.match(created.sendAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.match(created.threadId, /^T/);
  assert.deepEqual([created.dsnBlobIds, created.mdnBlobIds], [[], []]);
  assert.equal(created.deliveryStatus['bob@example.com'].delivered, 'yes', 'the hosted recipient has it before the response');
  assert.equal(created.deliveryStatus['carol@remote.test'].delivered, 'queued');
  assert.equal('identityId' in created, false, 'what the client gave is not repeated');
  assert.deepEqual(created.envelope, {
    mailFrom: { email: 'alice@example.com', parameters: null },
    rcptTo: ['bob@example.com', 'carol@remote.test', 'dave@remote.test'].map((email) => ({ email, parameters: null })),
  }, 'the envelope made from the identity and To, Cc and Bcc (RFC 8621 §7)');

  // RFC 8621 §7.5: the implicit Email/set's response follows, under the same call id. Until
  // Email/set is registered it is answered as an unknown method; either way the call is made.
  assert.equal(responses.length, 2, JSON.stringify(responses));
  const [implicitName, implicit, implicitCallId] = responses[1];
  assert.equal(implicitCallId, 's');
  if (implicitName === 'Email/set') {
    assert.deepEqual(Object.keys(implicit.updated ?? {}), [emailId], JSON.stringify(implicit));
    const [email] = await store.getEmails(alice.id, [parseInt(emailId.slice(1), 36)]);
    assert.deepEqual(email.mailboxes.map((m) => m.mailboxId), [sentBox.id], 'moved from Drafts to Sent');
    assert.ok(!email.keywords.includes('\\Draft'), '$draft removed');
  } else {
    assert.deepEqual([implicitName, implicit.type], ['error', 'unknownMethod']);
  }

  const local = await imapSource('Quarterly figures');
  assert.match(local, /^To: Bob <bob@example\.com>$/m);
  assert.match(local, /^Message-ID: <draft\d+\.\d+@example\.com>$/m, 'the draft\'s Message-ID is kept');
  assert.match(local, /^Received: by mail\.test\.example \(Posthorn JMAP\)/m);
  assert.doesNotMatch(local, /^Bcc:/im, 'Bcc is not sent (RFC 5322 §3.6.3)');
  assert.doesNotMatch(local, /dave@remote\.test/);

  const [remote] = await peer.received(1);
  assert.equal(remote.from, 'alice@example.com');
  assert.deepEqual(remote.to.sort(), ['carol@remote.test', 'dave@remote.test']);
  assert.match(remote.raw, /^Subject: Quarterly figures$/m);
  assert.doesNotMatch(remote.raw, /^Bcc:/im);

  await settled();
  const [[, got]] = await jmap.call([['EmailSubmission/get', { accountId: jmap.accountId, ids: [created.id] }, 'g']], USING);
  const sub = got.list[0];
  assert.deepEqual({ ...sub, sendAt: undefined, deliveryStatus: undefined }, {
    id: created.id, identityId, emailId, threadId: sub.threadId, envelope: created.envelope, sendAt: undefined,
    undoStatus: 'final', deliveryStatus: undefined, dsnBlobIds: [], mdnBlobIds: [],
  });
  assert.match(sub.threadId, /^T/);
  assert.deepEqual(Object.fromEntries(Object.entries(sub.deliveryStatus).map(([k, v]: [string, any]) => [k, [v.delivered, v.displayed]])), {
    'bob@example.com': ['yes', 'unknown'],
    'carol@remote.test': ['yes', 'unknown'],
    'dave@remote.test': ['yes', 'unknown'],
  }, 'the remote recipients\' status follows the queue');
  assert.match(sub.deliveryStatus['carol@remote.test'].smtpReply, /^250 /);
  assert.deepEqual(await jmap.server.outbound.store.list(), []);
});

test('the delivery status changes the submission state: /changes reports it updated', async () => {
  const identityId = await defaultIdentity();
  const emailId = await draft({ To: 'erin@remote.test', Subject: 'state follows the queue' });
  const before = peer.messages.length;
  // The queue attempts nothing until the submission exists, so the attempt can only be an update.
  const runner = jmap.server.outbound.runner;
  await runner.stop();
  const [[, set]] = await submit({ k: { identityId, emailId } });
  const id = set.created.k.id;
  assert.equal(set.created.k.deliveryStatus['erin@remote.test'].delivered, 'queued');
  runner.start();
  await peer.received(before + 1);
  await settled();
  const [[, changes]] = await jmap.call([['EmailSubmission/changes', { accountId: jmap.accountId, sinceState: set.newState }, 'c']], USING);
  assert.deepEqual(changes.updated, [id]);
  assert.deepEqual(changes.created, []);
  const [[, fromOld]] = await jmap.call([['EmailSubmission/changes', { accountId: jmap.accountId, sinceState: set.oldState }, 'c']], USING);
  assert.deepEqual(fromOld.created, [id]);
  assert.deepEqual(fromOld.updated, [], 'created since: not also updated');
});

test('From: a signed domain\'s alias of the account is DKIM-signed with that domain\'s key', async () => {
  const [[, ids]] = await jmap.call([['Identity/set', { accountId: jmap.accountId, create: { s: { email: 'alice@signed.test', name: 'Alice' } } }, 'i']], USING);
  const identityId = ids.created.s.id;
  const emailId = await draft({ From: 'Alice <alice@signed.test>', To: 'frank@remote.test', Subject: 'signed' });
  const before = peer.messages.length;
  const [[, set]] = await submit({ k: { identityId, emailId } });
  assert.ok(set.created.k, JSON.stringify(set));
  const got = (await peer.received(before + 1))[before];
  assert.equal(got.from, 'alice@signed.test', 'the envelope sender is the identity\'s address');
  assert.match(got.raw, /^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed\/relaxed; d=signed\.test;/);
});

test('the sender rules of SMTP submission, as SetErrors; bad recipients; a draft without From', async () => {
  const identityId = await defaultIdentity();
  const notMine = await draft({ From: 'bob@example.com', To: 'carol@remote.test' });
  const ok = await draft({ To: 'carol@remote.test' });
  const alias = await draft({ From: 'sales@example.com', To: 'bob@example.com', Subject: 'from the alias' });
  const noTo = await draft({ To: '' });
  const noFrom = await draft({ From: '', To: 'bob@example.com' });
  const unknownLocal = await draft({ To: 'nobody@example.com, bob@example.com' });
  const [[, set]] = await submit({
    notMine: { identityId, emailId: notMine },
    mailFrom: { identityId, emailId: ok, envelope: { mailFrom: { email: 'bob@example.com' }, rcptTo: [{ email: 'carol@remote.test' }] } },
    alias: { identityId, emailId: alias },
    noTo: { identityId, emailId: noTo },
    emptyRcpt: { identityId, emailId: ok, envelope: { mailFrom: { email: 'alice@example.com', parameters: null }, rcptTo: [] } },
    noFrom: { identityId, emailId: noFrom },
    unknownLocal: { identityId, emailId: unknownLocal },
    malformed: { identityId, emailId: ok, envelope: { mailFrom: { email: 'alice@example.com' }, rcptTo: [{ email: 'not an address' }] } },
    params: { identityId, emailId: ok, envelope: { mailFrom: { email: 'alice@example.com', parameters: { RET: 'HDRS' } }, rcptTo: [{ email: 'carol@remote.test' }] } },
    noIdentity: { identityId: 'Izz', emailId: ok },
    noEmail: { identityId, emailId: 'Ezz' },
    serverSet: { identityId, emailId: ok, undoStatus: 'pending' },
  });
  assert.equal(set.notCreated.notMine.type, 'forbiddenFrom');
  assert.equal(set.notCreated.mailFrom.type, 'forbiddenMailFrom');
  assert.ok(set.created.alias, 'an alias pointing at the account may be the author: ' + JSON.stringify(set.notCreated.alias));
  assert.equal(set.notCreated.noTo.type, 'noRecipients');
  assert.equal(set.notCreated.emptyRcpt.type, 'noRecipients');
  assert.deepEqual([set.notCreated.noFrom.type, set.notCreated.noFrom.properties], ['invalidEmail', ['from']]);
  assert.deepEqual([set.notCreated.unknownLocal.type, set.notCreated.unknownLocal.invalidRecipients], ['invalidRecipients', ['nobody@example.com']]);
  assert.deepEqual(set.notCreated.malformed.invalidRecipients, ['not an address']);
  assert.deepEqual([set.notCreated.params.type, set.notCreated.params.properties], ['invalidProperties', ['envelope']]);
  assert.deepEqual(set.notCreated.noIdentity.properties, ['identityId']);
  assert.deepEqual(set.notCreated.noEmail.properties, ['emailId']);
  assert.deepEqual(set.notCreated.serverSet.properties, ['undoStatus']);
  assert.equal(Object.keys(set.created).length, 1, 'nothing else was sent');
  await imapSource('from the alias');
});

test('update can only try to cancel (cannotUnsend); destroy forgets the record, not the mail; onSuccessDestroyEmail is an implicit Email/set', async () => {
  const identityId = await defaultIdentity();
  const emailId = await draft({ To: 'bob@example.com', Subject: 'to forget' });
  const [[, set]] = await submit({ k: { identityId, emailId } });
  const id = set.created.k.id;
  const [[, upd]] = await jmap.call([['EmailSubmission/set', { accountId: jmap.accountId, update: { [id]: { undoStatus: 'canceled' }, Szz: { undoStatus: 'canceled' } } }, 'u']], USING);
  assert.equal(upd.notUpdated[id].type, 'cannotUnsend');
  assert.equal(upd.notUpdated.Szz.type, 'notFound');
  const [[, bad]] = await jmap.call([['EmailSubmission/set', { accountId: jmap.accountId, update: { [id]: { emailId: 'E1' } } }, 'u']], USING);
  assert.deepEqual(bad.notUpdated[id].properties, ['emailId']);
  const responses = await jmap.call([['EmailSubmission/set', { accountId: jmap.accountId, destroy: [id, 'Szz'], onSuccessDestroyEmail: [id] }, 'd']], USING);
  assert.deepEqual(responses[0][1].destroyed, [id]);
  assert.equal(responses[0][1].notDestroyed.Szz.type, 'notFound');
  assert.equal(responses.length, 2, 'the implicit Email/set follows');
  assert.ok(responses[1][0] === 'Email/set' ? responses[1][1].destroyed?.includes(emailId) : responses[1][1].type === 'unknownMethod', JSON.stringify(responses[1]));
  const [[, got]] = await jmap.call([['EmailSubmission/get', { accountId: jmap.accountId, ids: [id] }, 'g']], USING);
  assert.deepEqual(got.notFound, [id]);
  await imapSource('to forget');
});

test('EmailSubmission/query and /queryChanges: filters, sort, paging, total, changes since a query state', async () => {
  const identityId = await defaultIdentity();
  const a = await draft({ To: 'bob@example.com', Subject: 'query a' });
  const [[, first]] = await submit({ a: { identityId, emailId: a } });
  const q = async (args: Record<string, unknown>) => (await jmap.call([['EmailSubmission/query', { accountId: jmap.accountId, ...args }, 'q']], USING))[0][1];
  const byEmail = await q({ filter: { emailIds: [a] }, calculateTotal: true });
  assert.deepEqual(byEmail.ids, [first.created.a.id]);
  assert.equal(byEmail.total, 1);
  assert.equal(byEmail.canCalculateChanges, true);
  const all = await q({ sort: [{ property: 'sentAt', isAscending: false }], calculateTotal: true });
  assert.ok(all.total >= 2);
  assert.equal(all.ids[0], first.created.a.id, 'newest first');
  const page = await q({ position: 1, limit: 1 });
  assert.equal(page.ids.length, 1);
  assert.equal(page.position, 1);
  const none = await q({ filter: { operator: 'AND', conditions: [{ emailIds: [a] }, { before: '2000-01-01T00:00:00Z' }] } });
  assert.deepEqual(none.ids, []);
  const not = await q({ filter: { operator: 'NOT', conditions: [{ emailIds: [a] }] }, calculateTotal: true });
  assert.equal(not.total, all.total - 1);
  assert.ok(!not.ids.includes(first.created.a.id));
  const mine = await q({ filter: { operator: 'OR', conditions: [{ identityIds: [identityId] }, { threadIds: ['Tzz'] }] }, calculateTotal: true });
  assert.ok(mine.ids.includes(first.created.a.id));
  assert.ok(mine.total < all.total, 'the submission from the signed identity is not among them');
  const [[bad, badArgs]] = await jmap.call([['EmailSubmission/query', { accountId: jmap.accountId, sort: [{ property: 'subject' }] }, 'q']], USING);
  assert.deepEqual([bad, badArgs.type], ['error', 'unsupportedSort']);
  const [[bad2, badArgs2]] = await jmap.call([['EmailSubmission/query', { accountId: jmap.accountId, filter: { subject: 'x' } }, 'q']], USING);
  assert.deepEqual([bad2, badArgs2.type], ['error', 'unsupportedFilter']);

  const since = (await q({ filter: { emailIds: [a] } })).queryState;
  const b = await draft({ To: 'bob@example.com', Subject: 'query b' });
  const [[, second]] = await submit({ b: { identityId, emailId: b } });
  const [[, destroyed]] = await jmap.call([['EmailSubmission/set', { accountId: jmap.accountId, destroy: [first.created.a.id] }, 'd']], USING);
  assert.deepEqual(destroyed.destroyed, [first.created.a.id]);
  const [[, qc]] = await jmap.call([['EmailSubmission/queryChanges', { accountId: jmap.accountId, sinceQueryState: since, filter: { emailIds: [a, b] }, calculateTotal: true }, 'qc']], USING);
  assert.equal(qc.oldQueryState, since);
  assert.deepEqual(qc.removed, [first.created.a.id]);
  assert.deepEqual(qc.added, [{ id: second.created.b.id, index: 0 }]);
  assert.equal(qc.total, 1);
  const [[tooMany, tooManyArgs]] = await jmap.call([['EmailSubmission/queryChanges', { accountId: jmap.accountId, sinceQueryState: since, maxChanges: 1 }, 'qc']], USING);
  assert.deepEqual([tooMany, tooManyArgs.type], ['error', 'tooManyChanges']);
  const [[cannot, cannotArgs]] = await jmap.call([['EmailSubmission/queryChanges', { accountId: jmap.accountId, sinceQueryState: 'junk' }, 'qc']], USING);
  assert.deepEqual([cannot, cannotArgs.type], ['error', 'cannotCalculateChanges']);
});

test('a submission may name an Identity and an Email created earlier in the same request', async () => {
  const emailId = await draft({ From: 'sales@example.com', To: 'bob@example.com', Subject: 'by reference' });
  const responses = await jmap.call([
    ['Identity/set', { accountId: jmap.accountId, create: { id1: { email: 'sales@example.com' } } }, 'i'],
    ['EmailSubmission/set', { accountId: jmap.accountId, create: { s: { identityId: '#id1', emailId } } }, 's'],
    ['EmailSubmission/get', { accountId: jmap.accountId, ids: ['#s'], properties: ['identityId'] }, 'g'],
  ], USING);
  assert.ok(responses[1][1].created.s, JSON.stringify(responses[1][1]));
  assert.deepEqual(responses[2][1].list, [{ id: responses[1][1].created.s.id, identityId: responses[0][1].created.id1.id }]);
});
