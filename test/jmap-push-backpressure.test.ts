// Backpressure of an EventSource stream (src/jmap/push/event-source.ts): while the socket's
// buffer is full nothing more is written and changes merge, so a client that stops reading
// costs a few pending states, and after 'drain' it hears only the latest state per type. A
// response object that refuses writes stands in for a full socket (the kernel's buffers would
// take many megabytes of events first); the hub, bus and connection slots are the real ones.

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { InProcessChangeBus } from '../src/store/change-bus.ts';
import { PushHub } from '../src/jmap/push/hub.ts';
import { PushConnections } from '../src/jmap/push/connections.ts';
import { EventStream, type PushServices } from '../src/jmap/push/event-source.ts';
import { DEFAULT_PUSH_OPTIONS } from '../src/jmap/push/options.ts';
import { toState } from '../src/jmap/ids.ts';
import { silentLogger } from '../src/server/log.ts';
import type { Account, MailStore } from '../src/store/types.ts';

class FullSocketResponse extends EventEmitter {
  chunks: string[] = [];
  accepting = true;
  writableEnded = false;
  socket = null;
  writeHead(): this {
    return this;
  }
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return this.accepting;
  }
  end(): void {
    this.writableEnded = true;
  }
  destroy(): void {}
}

const fanOut = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

it('a stream whose socket is full writes nothing more; after drain it sends one event with the latest states', async () => {
  const bus = new InProcessChangeBus();
  const hub = new PushHub(bus, silentLogger());
  const connections = new PushConnections({ perAccount: 1, total: 1 });
  const push: PushServices = { hub, connections, options: DEFAULT_PUSH_OPTIONS, store: {} as MailStore, log: silentLogger() };
  const account = { id: 7, address: 'slow@example.com', modseq: 0 } as Account;
  const res = new FullSocketResponse();
  new EventStream(push, account, { types: null, closeAfterState: false, ping: 0 }, res as unknown as ServerResponse).start(null);
  assert.equal(res.chunks.length, 1, 'the opening comment');

  res.accepting = false;
  bus.publish({ accountId: 7, modseq: 1, kinds: ['message-flags'], mailboxIds: [] });
  await fanOut();
  assert.equal(res.chunks.length, 2, 'the first change is written; the socket is now full');
  for (let m = 2; m <= 500; m++) bus.publish({ accountId: 7, modseq: m, kinds: m === 300 ? ['mailbox-created'] : ['message-flags'], mailboxIds: [] });
  await fanOut();
  assert.equal(res.chunks.length, 2, 'nothing is written while the socket is full');

  res.accepting = true;
  res.emit('drain');
  assert.equal(res.chunks.length, 3, 'one event for everything that happened meanwhile');
  const data = JSON.parse(/^data: (.*)$/m.exec(res.chunks[2])![1]);
  const latest = toState(500);
  assert.deepEqual(data.changed.A7, { Email: latest, Thread: latest, Mailbox: latest });
  assert.match(res.chunks[2], new RegExp(`^id: ${latest}$`, 'm'));

  assert.equal(connections.size, 1);
  res.emit('close');
  assert.equal(connections.size, 0, 'the slot is given back');
  assert.equal(hub.accountCount, 0, 'and the bus subscription');
  assert.equal(bus.listenerCount(7), 0);
});

it('announce: a type outside the change log reaches the account\'s listeners, with no mod-sequence', async () => {
  const bus = new InProcessChangeBus();
  const hub = new PushHub(bus, silentLogger());
  const heard: [Record<string, string>, number | null][] = [];
  const unsubscribe = hub.subscribe(3, (changed, modseq) => heard.push([changed, modseq]));
  hub.subscribe(3, () => {
    throw new Error('a broken listener does not keep the others from the change');
  });
  hub.announce(3, { Identity: 'i9' });
  hub.announce(4, { Identity: 'i1' });
  hub.announce(3, {});
  bus.publish({ accountId: 3, modseq: 12, kinds: ['subscription'], mailboxIds: [] });
  await fanOut();
  unsubscribe();
  hub.announce(3, { VacationResponse: 'v2' });
  assert.deepEqual(heard, [[{ Identity: 'i9' }, null], [{ Mailbox: toState(12) }, 12]]);
});
