// JMAP Identity (RFC 8621 §6) over real HTTP: the account's own address as an identity made on
// first use and never removed; identities added only for addresses the user may send as (the
// rule SMTP submission uses: its own address and aliases pointing at it); /changes from the
// type's own state; the submission capability in the session object.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startJmapServer, type JmapTestServer } from './helpers/jmap.ts';

const USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:submission'];
let jmap: JmapTestServer;

before(async () => {
  jmap = await startJmapServer();
  const { store } = jmap.server.deps;
  await store.addAlias('sales@example.com', 'alice@example.com');
  await store.createAccount({ address: 'bob@example.com', passwordHash: 'x' });
  await store.addAlias('bobby@example.com', 'bob@example.com');
  await store.addAlias('@example.com', 'alice@example.com');
});
after(() => jmap.stop());

async function one(name: string, args: Record<string, unknown>): Promise<any> {
  const [[got, body]] = await jmap.call([[name, { accountId: jmap.accountId, ...args }, 'c']], USING);
  assert.equal(got, name, JSON.stringify(body));
  return body;
}

test('the session object offers the submission capability with its account values (RFC 8621 §1.3.4)', async () => {
  const session = (await (await fetch(`${jmap.base}/.well-known/jmap`, { headers: { authorization: jmap.authorization } })).json()) as any;
  assert.deepEqual(session.capabilities['urn:ietf:params:jmap:submission'], {});
  assert.deepEqual(session.accounts[jmap.accountId].accountCapabilities['urn:ietf:params:jmap:submission'], { maxDelayedSend: 0, submissionExtensions: {} });
  assert.equal(session.primaryAccounts['urn:ietf:params:jmap:submission'], jmap.accountId);
  const [[name]] = await jmap.call([['Identity/get', { accountId: jmap.accountId }, 'c']], ['urn:ietf:params:jmap:core']);
  assert.equal(name, 'error', 'without the capability in "using" the method is unknown');
});

test('Identity/get: the own address is there from the start, once, and may not be deleted', async () => {
  const first = await one('Identity/get', { ids: null });
  assert.equal(first.list.length, 1);
  const [own] = first.list;
  assert.deepEqual({ ...own, id: undefined }, { id: undefined, name: '', email: 'alice@example.com', replyTo: null, bcc: null, textSignature: '', htmlSignature: '', mayDelete: false });
  const again = await one('Identity/get', { ids: [own.id, 'Inope'], properties: ['email'] });
  assert.deepEqual(again.list, [{ id: own.id, email: 'alice@example.com' }]);
  assert.deepEqual(again.notFound, ['Inope']);
  assert.equal(again.state, first.state, 'reading changes nothing');
  const refused = await one('Identity/set', { destroy: [own.id] });
  assert.equal(refused.notDestroyed[own.id].type, 'forbidden');
});

test('Identity/set: create for an alias of the account; forbiddenFrom for another account\'s address or a catch-all one; update; destroy', async () => {
  const before = await one('Identity/get', {});
  const set = await one('Identity/set', {
    ifInState: before.state,
    create: {
      sales: { email: 'Sales@Example.com', name: 'Sales team', replyTo: [{ name: 'Desk', email: 'desk@example.com' }], textSignature: '-- \nSales' },
      bob: { email: 'bob@example.com', name: 'Not me' },
      bobby: { email: 'bobby@example.com' },
      catchall: { email: 'anything@example.com' },
      noemail: { name: 'x' },
      badname: { email: 'sales@example.com', name: 42 },
      serverSet: { email: 'sales@example.com', mayDelete: false },
    },
  });
  assert.equal(set.oldState, before.state);
  assert.notEqual(set.newState, before.state);
  const created = set.created.sales;
  assert.match(created.id, /^I/);
  assert.equal(created.mayDelete, true);
  assert.equal(created.email, 'sales@example.com', 'the address as stored is reported back');
  assert.equal(created.htmlSignature, '', 'defaults are reported');
  assert.equal(set.notCreated.bob.type, 'forbiddenFrom');
  assert.equal(set.notCreated.bobby.type, 'forbiddenFrom');
  assert.equal(set.notCreated.catchall.type, 'forbiddenFrom', 'a catch-all receives for the domain; it does not make its addresses the user\'s');
  assert.deepEqual(set.notCreated.noemail.properties, ['email']);
  assert.deepEqual(set.notCreated.badname.properties, ['name']);
  assert.deepEqual(set.notCreated.serverSet.properties, ['mayDelete']);

  const got = await one('Identity/get', { ids: [created.id] });
  assert.deepEqual(got.list[0], { id: created.id, name: 'Sales team', email: 'sales@example.com', replyTo: [{ name: 'Desk', email: 'desk@example.com' }], bcc: null, textSignature: '-- \nSales', htmlSignature: '', mayDelete: true });

  const upd = await one('Identity/set', { update: { [created.id]: { name: 'Sales', bcc: [{ name: null, email: 'archive@example.com' }] }, Inope: { name: 'x' } } });
  assert.deepEqual(upd.updated, { [created.id]: null });
  assert.equal(upd.notUpdated.Inope.type, 'notFound');
  const immutable = await one('Identity/set', { update: { [created.id]: { email: 'alice@example.com' } } });
  assert.deepEqual(immutable.notUpdated[created.id].properties, ['email']);
  const same = await one('Identity/set', { update: { [created.id]: { email: 'sales@example.com', mayDelete: true } } });
  assert.deepEqual(same.updated, { [created.id]: null }, 'repeating read-only values is allowed');
  assert.equal((await one('Identity/get', { ids: [created.id] })).list[0].name, 'Sales');

  const stale = await jmap.call([['Identity/set', { accountId: jmap.accountId, ifInState: before.state, update: { [created.id]: { name: 'late' } } }, 'c']], USING);
  assert.deepEqual([stale[0][0], stale[0][1].type], ['error', 'stateMismatch']);

  const del = await one('Identity/set', { destroy: [created.id, 'Inope'] });
  assert.deepEqual(del.destroyed, [created.id]);
  assert.equal(del.notDestroyed.Inope.type, 'notFound');
});

test('Identity/set creates may be referenced by creation id later in the request', async () => {
  const responses = await jmap.call([
    ['Identity/set', { accountId: jmap.accountId, create: { k: { email: 'sales@example.com', name: 'ref' } } }, 'a'],
    ['Identity/get', { accountId: jmap.accountId, ids: ['#k'], properties: ['name'] }, 'b'],
  ], USING);
  const id = responses[0][1].created.k.id;
  assert.deepEqual(responses[1][1].list, [{ id, name: 'ref' }]);
  assert.deepEqual(responses[1][1].notFound, []);
});

test('Identity/changes: created, updated and destroyed since a state, in pages; a foreign state cannot be calculated', async () => {
  const start = (await one('Identity/get', { ids: [] })).state;
  const made = await one('Identity/set', { create: { a: { email: 'sales@example.com', name: 'a' }, b: { email: 'sales@example.com', name: 'b' } } });
  const a = made.created.a.id;
  const b = made.created.b.id;
  const own = (await one('Identity/get', {})).list.find((i: any) => !i.mayDelete).id;
  await one('Identity/set', { update: { [own]: { name: 'Alice' } }, destroy: [b] });
  const changes = await one('Identity/changes', { sinceState: start });
  assert.deepEqual(changes.created, [a]);
  assert.deepEqual(changes.updated, [own]);
  assert.deepEqual(changes.destroyed, [b], 'created and destroyed since: reported destroyed');
  assert.equal(changes.hasMoreChanges, false);
  assert.equal(changes.newState, (await one('Identity/get', { ids: [] })).state);
  const page = await one('Identity/changes', { sinceState: start, maxChanges: 1 });
  assert.equal(page.hasMoreChanges, true);
  assert.equal(page.created.length + page.updated.length + page.destroyed.length, 1);
  const rest = await one('Identity/changes', { sinceState: page.newState, maxChanges: 10 });
  assert.equal(rest.newState, changes.newState);
  const none = await one('Identity/changes', { sinceState: changes.newState });
  assert.deepEqual([none.created, none.updated, none.destroyed], [[], [], []]);
  const [[err, body]] = await jmap.call([['Identity/changes', { accountId: jmap.accountId, sinceState: 'nonsense' }, 'c']], USING);
  assert.deepEqual([err, body.type], ['error', 'cannotCalculateChanges']);
  const [[err2, body2]] = await jmap.call([['Identity/changes', { accountId: jmap.accountId, sinceState: 's' + (1e6).toString(36) }, 'c']], USING);
  assert.deepEqual([err2, body2.type], ['error', 'cannotCalculateChanges'], 'a state from the future');
});
