// JMAP VacationResponse (RFC 8621 §8) over real HTTP, and the reply itself (RFC 3834) for mail
// arriving over real SMTP: one reply per sender per period, from <> with Auto-Submitted,
// In-Reply-To and References, out through the queue to a remote peer or into a hosted sender's
// INBOX; none to a mailing list, an auto-submitted message, Precedence bulk, a mail system
// address, a message the account is not in To/Cc of, or outside the dates.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startJmapServer, type JmapTestServer } from './helpers/jmap.ts';
import { RawSmtp, sendRaw, startPeer, type Peer } from './smtp-harness.ts';
import { staticResolver } from '../src/net/dns.ts';
import { VacationResponder } from '../src/delivery/vacation.ts';
import { LocalDelivery } from '../src/delivery/local-delivery.ts';
import { inboxRules } from '../src/delivery/rules.ts';

const USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:vacationresponse'];
let jmap: JmapTestServer;
let peer: Peer;

before(async () => {
  peer = await startPeer();
  const resolver = staticResolver({ 'remote.test': { MX: [{ exchange: 'mx.remote.test', priority: 10 }] }, 'mx.remote.test': { A: ['127.0.0.1'] } });
  jmap = await startJmapServer({ enable: ['smtp'], outbound: { resolver, mxPort: peer.port, connectTimeoutMs: 5000 } });
  const { store } = jmap.server.deps;
  await store.addAlias('holidays@example.com', 'alice@example.com');
  await store.createAccount({ address: 'bob@example.com', passwordHash: 'x' });
});
after(async () => {
  await jmap.stop();
  await peer.close();
});

async function vacation(name: string, args: Record<string, unknown>): Promise<any> {
  const [[got, body]] = await jmap.call([[name, { accountId: jmap.accountId, ...args }, 'v']], USING);
  assert.equal(got, name, JSON.stringify(body));
  return body;
}

let sent = 0;
/** One message over SMTP (the MX listener) to alice; resolves after the 250 to DATA. */
async function deliver(from: string, headers: Record<string, string> = {}, to = 'alice@example.com'): Promise<string> {
  const messageId = `m${++sent}.${Date.now()}@remote.test`;
  const fields = { From: from || 'someone@remote.test', To: 'Alice <alice@example.com>', Subject: `Hello ${sent}`, 'Message-ID': `<${messageId}>`, References: '<earlier@remote.test>', Date: 'Wed, 02 Dec 2026 01:00:00 +0000', ...headers };
  const raw = Object.entries(fields).map(([k, v]) => `${k}: ${v}`).join('\r\n') + '\r\n\r\nAre you there?\r\n';
  const c = await RawSmtp.connect(jmap.server.ports.smtp);
  await c.reply();
  await c.cmd('EHLO client.remote.test');
  const r = await sendRaw(c, from, [to], raw);
  c.end();
  assert.match(r.data, /^250 /, r.data);
  return messageId;
}

/** The queue has attempted everything due: a reply queued before a 250 has reached the peer. */
async function settled(): Promise<void> {
  const runner = jmap.server.outbound.runner;
  const done = runner.passCompleted();
  runner.kick();
  await done;
}

test('VacationResponse/get and /set: the singleton, off by default; set, read back; create and destroy refused', async () => {
  const first = await vacation('VacationResponse/get', { ids: null });
  assert.deepEqual(first.list, [{ id: 'singleton', isEnabled: false, fromDate: null, toDate: null, subject: null, textBody: null, htmlBody: null }]);
  assert.deepEqual(first.notFound, []);
  const other = await vacation('VacationResponse/get', { ids: ['singleton', 'other'], properties: ['isEnabled'] });
  assert.deepEqual(other.list, [{ id: 'singleton', isEnabled: false }]);
  assert.deepEqual(other.notFound, ['other']);
  const set = await vacation('VacationResponse/set', {
    ifInState: first.state,
    update: { singleton: { isEnabled: true, fromDate: '2020-01-01T00:00:00Z', toDate: null, subject: null, textBody: 'I am on holiday.', htmlBody: '<p>I am on holiday.</p>' } },
    create: { x: { isEnabled: true } },
    destroy: ['singleton'],
  });
  assert.deepEqual(set.updated, { singleton: null });
  assert.equal(set.notCreated.x.type, 'singleton');
  assert.equal(set.notDestroyed.singleton.type, 'singleton');
  assert.equal(set.oldState, first.state);
  assert.notEqual(set.newState, first.state);
  const now = await vacation('VacationResponse/get', {});
  assert.deepEqual(now.list[0], { id: 'singleton', isEnabled: true, fromDate: '2020-01-01T00:00:00Z', toDate: null, subject: null, textBody: 'I am on holiday.', htmlBody: '<p>I am on holiday.</p>' });
  assert.equal(now.state, set.newState);
  const bad = await vacation('VacationResponse/set', { update: { singleton: { isEnabled: 'yes', fromDate: 'tomorrow', colour: 'blue' }, other: { isEnabled: false } } });
  assert.deepEqual(bad.notUpdated.singleton.properties, ['isEnabled', 'fromDate', 'colour']);
  assert.equal(bad.notUpdated.other.type, 'notFound');
  const [[err, body]] = await jmap.call([['VacationResponse/set', { accountId: jmap.accountId, ifInState: first.state, update: { singleton: { isEnabled: false } } }, 'v']], USING);
  assert.deepEqual([err, body.type], ['error', 'stateMismatch']);
});

test('the reply: once per sender, from <>, Auto-Submitted, threaded, the HTML and text bodies; a second message gets none', async () => {
  await vacation('VacationResponse/set', { update: { singleton: { isEnabled: true, fromDate: null, toDate: null, subject: null, textBody: 'I am on holiday.', htmlBody: null } } });
  const before = peer.messages.length;
  const messageId = await deliver('friend@remote.test');
  const [reply] = (await peer.received(before + 1)).slice(before);
  assert.equal(reply.from, '', 'envelope sender <> (RFC 3834 §3.3)');
  assert.deepEqual(reply.to, ['friend@remote.test']);
  assert.match(reply.raw, /^Auto-Submitted: auto-replied$/m);
  assert.match(reply.raw, new RegExp(`^In-Reply-To: <${messageId.replace(/\./g, '\\.')}>$`, 'm'));
  assert.match(reply.raw, new RegExp(`^References: <earlier@remote\\.test> <${messageId.replace(/\./g, '\\.')}>$`, 'm'));
  assert.match(reply.raw, /^Subject: Re: Hello \d+$/m);
  assert.match(reply.raw, /^From: alice@example\.com$/m);
  assert.match(reply.raw, /I am on holiday\./);

  await deliver('friend@remote.test');
  await deliver('Friend@Remote.test');
  await settled();
  assert.equal(peer.messages.length, before + 1, 'one reply per sender per period (RFC 3834 §2)');
  assert.deepEqual(await jmap.server.outbound.store.list(), []);
});

test('no reply to a list, an auto-submitted message, bulk mail, a mail system, a Bcc copy; one to an alias in Cc with the configured subject', async () => {
  await vacation('VacationResponse/set', { update: { singleton: { isEnabled: true, subject: 'Away until Monday', textBody: null, htmlBody: '<p>Back <b>Monday</b>.</p>' } } });
  const before = peer.messages.length;
  await deliver('list@remote.test', { 'List-Id': '<team.remote.test>' });
  await deliver('news@remote.test', { 'List-Unsubscribe': '<mailto:leave@remote.test>' });
  await deliver('robot@remote.test', { 'Auto-Submitted': 'auto-generated' });
  await deliver('bulk@remote.test', { Precedence: 'bulk' });
  await deliver('MAILER-DAEMON@remote.test');
  await deliver('owner-team@remote.test');
  await deliver('team-request@remote.test');
  await deliver('blind@remote.test', { To: 'someone-else@remote.test' });
  await deliver('human@remote.test', { 'Auto-Submitted': 'no', To: 'someone-else@remote.test', Cc: 'Holidays <holidays@example.com>' }, 'holidays@example.com');
  await settled();
  const replies = peer.messages.slice(before);
  assert.deepEqual(replies.map((m) => m.to[0]), ['human@remote.test'], 'only the person who wrote to the alias');
  assert.match(replies[0].raw, /^Subject: Away until Monday$/m);
  assert.match(replies[0].raw, /^From: holidays@example\.com$/m, 'from the address the sender wrote to');
  assert.match(replies[0].raw, /Content-Type: multipart\/alternative/);
  assert.match(replies[0].raw, /text\/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\nBack Monday/, 'the text part made from the HTML');
});

test('a hosted sender gets the reply in its INBOX; outside the dates, or turned off, there is none', async () => {
  const { store, blobs } = jmap.server.deps;
  const bob = (await store.getAccountByAddress('bob@example.com'))!;
  const inbox = (await store.getMailbox(bob.id, 'INBOX'))!;
  await vacation('VacationResponse/set', { update: { singleton: { isEnabled: true, subject: null, textBody: 'Away.', htmlBody: null } } });
  await deliver('bob@example.com');
  const [reply] = await store.listMessages(bob.id, inbox.id);
  assert.ok(reply, 'the reply is delivered locally before the 250 to the message that caused it');
  assert.match((await blobs.get(reply.blobId)).toString(), /^Auto-Submitted: auto-replied$/m);

  const before = peer.messages.length;
  await vacation('VacationResponse/set', { update: { singleton: { fromDate: '2099-01-01T00:00:00Z' } } });
  await deliver('early@remote.test');
  await vacation('VacationResponse/set', { update: { singleton: { fromDate: null, toDate: '2000-01-01T00:00:00Z' } } });
  await deliver('late@remote.test');
  await vacation('VacationResponse/set', { update: { singleton: { toDate: null, isEnabled: false } } });
  await deliver('off@remote.test');
  await settled();
  assert.equal(peer.messages.length, before);
  assert.equal((await store.listMessages(bob.id, inbox.id)).length, 1);
});

test('a failing reply never fails the delivery: the message is stored, the failure logged', async () => {
  const { store, blobs, parse } = jmap.server.deps;
  const alice = (await store.getAccountByAddress('alice@example.com'))!;
  const logged: Record<string, unknown>[] = [];
  const log = { info: () => {}, warn: () => {}, error: (f: Record<string, unknown>) => void logged.push(f) };
  await store.setVacationResponse(alice.id, { isEnabled: true, fromDate: null, toDate: null, subject: null, textBody: 'Away.', htmlBody: null });
  const responder = new VacationResponder({ store, hostname: 'mail.test.example', log, send: async () => { throw new Error('queue disk full'); } });
  const delivery = new LocalDelivery({ store, blobs, parse, log, rules: inboxRules, afterStored: (input) => responder.afterStored(input) });
  const raw = Buffer.from('From: someone@remote.test\r\nTo: alice@example.com\r\nSubject: still stored\r\nMessage-ID: <x1@remote.test>\r\n\r\nHi\r\n');
  const [result] = await delivery.deliver(raw, { sender: 'someone@remote.test', recipients: [{ address: 'alice@example.com', account: alice }] });
  assert.equal(result.outcome.kind, 'stored');
  assert.deepEqual(logged.map((f) => [f.event, f.err]), [['vacation-reply-failed', 'queue disk full']]);
  const throwing = new LocalDelivery({ store, blobs, parse, log, rules: inboxRules, afterStored: async () => { throw new Error('hook broke'); } });
  const [again] = await throwing.deliver(raw, { sender: 'someone@remote.test', recipients: [{ address: 'alice@example.com', account: alice }] });
  assert.equal(again.outcome.kind, 'stored');
  assert.equal(logged[1].event, 'delivery-after-stored-failed');
});
