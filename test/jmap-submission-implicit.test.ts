// EmailSubmission/set's implicit Email/set (RFC 8621 §7.5), through the real dispatcher with a
// recording Email/set in its place: which Emails it is given (by creation id and by submission
// id, only for submissions that succeeded), with the patch as the client wrote it, and its
// response right after EmailSubmission/set's under the same call id. The real Email/set's
// effect (Drafts → Sent, $draft removed) is checked in jmap-submission.test.ts once registered.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startJmapServer, type JmapTestServer } from './helpers/jmap.ts';
import { Dispatcher } from '../src/jmap/dispatch.ts';
import { jmapMethodSets } from '../src/jmap/method-sets.ts';
import { jmapDepsFrom } from '../src/server/protocols.ts';
import { ingestMessage } from '../src/delivery/explicit-target.ts';
import type { Account } from '../src/store/types.ts';
import type { MethodSet } from '../src/jmap/types.ts';

const MAIL = 'urn:ietf:params:jmap:mail';
const USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:submission', MAIL];
let jmap: JmapTestServer;
let alice: Account;
const calls: Record<string, unknown>[] = [];
let dispatcher: Dispatcher;

before(async () => {
  jmap = await startJmapServer();
  alice = (await jmap.server.deps.store.getAccountByAddress(jmap.address))!;
  await jmap.server.deps.store.createAccount({ address: 'bob@example.com', passwordHash: 'x' });
  const recorder: MethodSet = {
    capability: MAIL,
    methods: {
      'Email/set': async (args) => {
        calls.push(args);
        return { accountId: args.accountId, oldState: 's1', newState: 's2', updated: Object.fromEntries(Object.keys((args.update as object) ?? {}).map((id) => [id, null])), destroyed: args.destroy ?? null };
      },
    },
  };
  const deps = jmapDepsFrom(jmap.server.deps, jmap.server.outbound);
  dispatcher = new Dispatcher(deps, [...jmapMethodSets(deps).filter((s) => s.capability !== MAIL), recorder]);
});
after(() => jmap.stop());

async function draft(subject: string): Promise<string> {
  const { store, blobs, parse } = jmap.server.deps;
  const box = (await store.getMailboxByRole(alice.id, '\\Drafts'))!;
  const raw = `From: alice@example.com\r\nTo: bob@example.com\r\nSubject: ${subject}\r\n\r\nHi\r\n`;
  return 'E' + (await ingestMessage({ store, blobs, parse }, alice.id, box.id, Buffer.from(raw), { flags: ['\\Draft'] })).emailId.toString(36);
}

const run = (methodCalls: [string, Record<string, unknown>, string][]) => dispatcher.run({ using: USING, methodCalls, createdIds: null }, alice, 'state');

test('onSuccessUpdateEmail and onSuccessDestroyEmail: one implicit Email/set for the submissions that succeeded, its response next', async () => {
  const [[, ids]] = (await run([['Identity/get', { accountId: jmap.accountId }, 'i']])).methodResponses;
  const identityId = (ids.list as { id: string }[])[0].id;
  const sent = await draft('sent one');
  const kept = await draft('another');
  const patch = { 'mailboxIds/M1': null, 'mailboxIds/M2': true, 'keywords/$draft': null };
  calls.length = 0;
  const { methodResponses } = await run([['EmailSubmission/set', {
    accountId: jmap.accountId,
    create: { ok: { identityId, emailId: sent }, bad: { identityId: 'Izz', emailId: kept }, other: { identityId, emailId: kept } },
    onSuccessUpdateEmail: { '#ok': patch, '#bad': { 'keywords/$seen': true } },
    onSuccessDestroyEmail: ['#other', '#bad'],
  }, 'c1']]);
  assert.deepEqual(methodResponses.map(([name, , id]) => [name, id]), [['EmailSubmission/set', 'c1'], ['Email/set', 'c1']]);
  assert.ok(methodResponses[0][1].notCreated && (methodResponses[0][1].notCreated as any).bad);
  assert.deepEqual(calls, [{ accountId: jmap.accountId, update: { [sent]: patch }, destroy: [kept] }], 'the failed submission changes no Email');

  calls.length = 0;
  const subId = (methodResponses[0][1].created as any).ok.id;
  const none = await run([['EmailSubmission/set', { accountId: jmap.accountId, update: { [subId]: { undoStatus: 'canceled' } }, onSuccessUpdateEmail: { [subId]: patch } }, 'c2']]);
  assert.deepEqual(none.methodResponses.map(([name]) => name), ['EmailSubmission/set'], 'nothing succeeded: no implicit call');
  assert.deepEqual(calls, []);

  const byId = await run([['EmailSubmission/set', { accountId: jmap.accountId, destroy: [subId], onSuccessDestroyEmail: [subId] }, 'c3']]);
  assert.deepEqual(byId.methodResponses.map(([name]) => name), ['EmailSubmission/set', 'Email/set']);
  assert.deepEqual(calls, [{ accountId: jmap.accountId, destroy: [sent] }], 'an existing submission named by its id');
});
