// JMAP push over EventSource (RFC 8620 §7.3) against a real server: StateChange objects (§7.1)
// after an IMAP STORE in another session and after a delivery, the types filter, closeafter,
// pings, catching up with Last-Event-ID, authentication and the connection limit.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ImapFlow } from 'imapflow';
import { startJmapServer, type JmapTestServer } from './helpers/jmap.ts';
import { deliverTo, eventSourceUrl, imapClient, openEventStream, refusedUpgrade } from './helpers/jmap-push.ts';
import { toState } from '../src/jmap/ids.ts';
import { readEventSourceQuery } from '../src/jmap/push/event-source.ts';

let srv: JmapTestServer;
let imap: ImapFlow;

async function accountState(): Promise<string> {
  const account = await srv.server.deps.store.getAccountByAddress(srv.address);
  return toState(account!.modseq);
}

before(async () => {
  srv = await startJmapServer({ enable: ['imap'], env: { POSTHORN_JMAP_PUSH_MIN_PING: '1' } });
  await deliverTo(srv, 'first');
  imap = await imapClient(srv);
  await imap.mailboxOpen('INBOX');
});

after(async () => {
  await imap.logout().catch(() => {});
  await srv.stop();
});

describe('EventSource', () => {
  it('an IMAP STORE in another session pushes a StateChange with the new Email, Thread and Mailbox states', async () => {
    const stream = await openEventStream(eventSourceUrl(srv, {}), srv.authorization);
    try {
      assert.equal(stream.status, 200);
      assert.match(stream.headers.get('content-type') ?? '', /^text\/event-stream/);
      await imap.messageFlagsAdd('1:*', ['\\Flagged']);
      const event = await stream.next('state');
      const body = JSON.parse(event.data);
      const state = await accountState();
      assert.deepEqual(body, { '@type': 'StateChange', changed: { [srv.accountId]: { Email: state, Thread: state, Mailbox: state } } });
      assert.equal(event.id, state, 'the event id is the state reached, for Last-Event-ID');
    } finally {
      stream.close();
    }
  });

  it('a delivery pushes EmailDelivery too; closeafter=state ends the response after the first state event', async () => {
    const stream = await openEventStream(eventSourceUrl(srv, { closeafter: 'state' }), srv.authorization);
    const { modseq } = await deliverTo(srv, 'second');
    const event = await stream.next('state');
    const state = toState(modseq);
    assert.deepEqual(JSON.parse(event.data).changed[srv.accountId], { Email: state, Thread: state, Mailbox: state, EmailDelivery: state });
    await stream.ended;
    await assert.rejects(stream.next(), /ended/);
  });

  it('types: only the named types are pushed, and a change of none of them pushes nothing', async () => {
    const deliveries = await openEventStream(eventSourceUrl(srv, { types: 'EmailDelivery' }), srv.authorization);
    const everything = await openEventStream(eventSourceUrl(srv, { types: '*' }), srv.authorization);
    try {
      await imap.messageFlagsRemove('1:*', ['\\Flagged']);
      // Both streams hear the same change at the same moment: once the unfiltered one has it, the filtered one has passed it over.
      const flags = JSON.parse((await everything.next('state')).data).changed[srv.accountId];
      assert.ok(!('EmailDelivery' in flags));
      const { modseq } = await deliverTo(srv, 'third');
      const event = JSON.parse((await deliveries.next('state')).data);
      assert.deepEqual(event.changed, { [srv.accountId]: { EmailDelivery: toState(modseq) } });
    } finally {
      deliveries.close();
      everything.close();
    }
  });

  it('a /set of a type outside the mail change log (VacationResponse) is pushed with its new state', async () => {
    const stream = await openEventStream(eventSourceUrl(srv, { types: 'VacationResponse' }), srv.authorization);
    try {
      const [[, set]] = await srv.call([['VacationResponse/set', { accountId: srv.accountId, update: { singleton: { isEnabled: true, textBody: 'Away.' } } }, 'v']], ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:vacationresponse']);
      assert.notEqual(set.newState, set.oldState);
      assert.deepEqual(JSON.parse((await stream.next('state')).data).changed, { [srv.accountId]: { VacationResponse: set.newState } });
    } finally {
      stream.close();
    }
  });

  it('ping: a ping event with the interval used, and no id', async () => {
    const stream = await openEventStream(eventSourceUrl(srv, { ping: 1 }), srv.authorization);
    try {
      const ping = await stream.next('ping');
      assert.deepEqual(JSON.parse(ping.data), { interval: 1 });
      assert.equal(ping.id, null);
    } finally {
      stream.close();
    }
  });

  it('Last-Event-ID: a client that reconnects first hears what it missed', async () => {
    const before = await accountState();
    await imap.mailboxCreate('Missed');
    const stream = await openEventStream(eventSourceUrl(srv, {}), srv.authorization, { 'last-event-id': before });
    try {
      const state = await accountState();
      assert.deepEqual(JSON.parse((await stream.next('state')).data).changed[srv.accountId], { Mailbox: state });
    } finally {
      stream.close();
    }
  });

  it('refuses without credentials (401 with a challenge) and a bad query (400)', async () => {
    const anonymous = await fetch(eventSourceUrl(srv, {}));
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic /);
    for (const query of [{ closeafter: 'sometimes' }, { ping: '-1' }, { types: 'Email;Mailbox' }, { types: 'E mail' }, { types: ',' }]) {
      const res = await fetch(eventSourceUrl(srv, query), { headers: { authorization: srv.authorization } });
      assert.equal(res.status, 400, JSON.stringify(query));
      await res.body?.cancel();
    }
  });

  it('the query: ping raised to the minimum and capped, 0 means none, "*" means every type', () => {
    const q = (s: string, min = 5) => readEventSourceQuery(new URLSearchParams(s), min);
    assert.deepEqual(q('types=*&closeafter=no&ping=1'), { types: null, closeAfterState: false, ping: 5 });
    assert.deepEqual(q('types=Email,Mailbox&closeafter=state&ping=0'), { types: new Set(['Email', 'Mailbox']), closeAfterState: true, ping: 0 });
    assert.equal((q('ping=99999999') as { ping: number }).ping, 3600);
  });
});

describe('EventSource connection limit', () => {
  it('an account over its limit of open push connections gets 429, for EventSource and WebSocket alike', async () => {
    const limited = await startJmapServer({ env: { POSTHORN_JMAP_MAX_PUSH_CONNECTIONS_PER_ACCOUNT: '2' } });
    const open = [];
    try {
      for (let i = 0; i < 2; i++) open.push(await openEventStream(eventSourceUrl(limited, {}), limited.authorization));
      assert.deepEqual(open.map((s) => s.status), [200, 200]);
      const third = await fetch(eventSourceUrl(limited, {}), { headers: { authorization: limited.authorization } });
      assert.equal(third.status, 429);
      assert.match((await third.json()).detail, /for this account/);
      // WebSockets count against the same limit.
      const { status } = await refusedUpgrade(`ws://127.0.0.1:${limited.server.ports.http}/jmap/ws`, ['jmap'], { authorization: limited.authorization });
      assert.equal(status, 429);
    } finally {
      for (const s of open) s.close();
      await limited.stop();
    }
  });
});
