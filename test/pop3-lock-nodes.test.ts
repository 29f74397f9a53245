// The maildrop lock (RFC 1939 §4) between two nodes sharing one Coordination backend: two sets of
// POP3 listeners over one store, each with its own MaildropLocks, on one in-process backend
// whose clock the test moves. A node that dies (its calls to the backend fail from then on)
// leaves its lock behind until the lease expires; a node whose lock expired deletes nothing.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPop3Server, RawPop3, message, type Pop3TestServer } from './helpers/pop3.ts';
import { pop3Services } from '../src/pop3/services.ts';
import { MAILDROP_LOCK_TTL_MS } from '../src/pop3/locks.ts';
import { InProcessCoordination } from '../src/store/coordination-memory.ts';
import type { Coordination } from '../src/store/coordination-types.ts';
import { cutOffWhen } from './helpers/coordination.ts';
import type { Listener } from '../src/net/listener.ts';
import { pop3DepsFrom, tcpListeners } from '../src/server/protocols.ts';

let srv: Pop3TestServer;
let clock = 1_700_000_000_000;
const shared = new InProcessCoordination({ now: () => clock });
let nodeAReachable = true;
const services: Listener[] = [];
let nodeA = 0;
let nodeB = 0;

/** Node A's view of the backend: every call fails while A is cut off (dead or partitioned). */
const cutOffWhenUnreachable = (backend: Coordination): Coordination => cutOffWhen(backend, () => !nodeAReachable);

async function startNode(coordination: Coordination): Promise<number> {
  const deps = srv.server.deps;
  const [plain] = tcpListeners(deps, pop3Services({ ...pop3DepsFrom(deps), coordination }).filter((s) => s.name === 'pop3').map((s) => ({ ...s, port: 0 })));
  services.push(plain);
  return plain.listen();
}

before(async () => {
  srv = await startPop3Server({ env: { POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' } });
  nodeA = await startNode(cutOffWhenUnreachable(shared));
  nodeB = await startNode(shared);
});

after(async () => {
  await Promise.all(services.map((s) => s.close(1000)));
  await srv.stop();
});

async function pass(port: number, address: string): Promise<{ c: RawPop3; reply: string }> {
  const c = await RawPop3.connect(port);
  await c.line();
  await c.command(`USER ${address}`);
  return { c, reply: (await c.command('PASS pw')) ?? '' };
}

const IN_USE = '-ERR [IN-USE] Maildrop already locked by another session';

test('a lock taken on one node refuses the maildrop on the other; QUIT frees it for both', async () => {
  await srv.addAccount('both@example.com', 'pw');
  const a = await pass(nodeA, 'both@example.com');
  assert.match(a.reply, /^\+OK Logged in/);
  const b = await pass(nodeB, 'both@example.com');
  assert.equal(b.reply, IN_USE);
  assert.equal(await a.c.command('QUIT'), '+OK Bye');
  await a.c.waitClosed();
  assert.equal(await b.c.command('USER both@example.com'), '+OK Send PASS');
  assert.match((await b.c.command('PASS pw')) ?? '', /^\+OK Logged in/);
  assert.equal(await b.c.command('QUIT'), '+OK Bye');
});

test('the lock of a node that died is gone one lock ttl after its last heartbeat', async () => {
  await srv.addAccount('dead@example.com', 'pw');
  const a = await pass(nodeA, 'dead@example.com');
  assert.match(a.reply, /^\+OK Logged in/);
  nodeAReachable = false;
  try {
    a.c.close(); // node A cannot even say that the session ended
    await a.c.waitClosed();
    clock += MAILDROP_LOCK_TTL_MS - 1;
    const b = await pass(nodeB, 'dead@example.com');
    assert.equal(b.reply, IN_USE);
    clock += 1;
    assert.equal(await b.c.command('USER dead@example.com'), '+OK Send PASS');
    assert.match((await b.c.command('PASS pw')) ?? '', /^\+OK Logged in/);
    assert.equal(await b.c.command('QUIT'), '+OK Bye');
  } finally {
    nodeAReachable = true;
  }
});

test('a session whose lock expired while its node was cut off deletes nothing at QUIT', async () => {
  const acc = await srv.addAccount('stalled@example.com', 'pw');
  await srv.deliver(acc, message('still here', 'body'));
  const a = await pass(nodeA, 'stalled@example.com');
  assert.match(a.reply, /^\+OK Logged in, 1 messages/);
  assert.equal(await a.c.command('DELE 1'), '+OK Message 1 deleted');
  nodeAReachable = false;
  clock += MAILDROP_LOCK_TTL_MS;
  const b = await pass(nodeB, 'stalled@example.com');
  assert.match(b.reply, /^\+OK Logged in, 1 messages/, 'the expired lock was taken over');
  nodeAReachable = true;
  assert.equal(await a.c.command('QUIT'), '-ERR [SYS/TEMP] Some deleted messages not removed, try again later');
  assert.match((await b.c.command('STAT')) ?? '', /^\+OK 1 \d+$/);
  assert.equal(await b.c.command('QUIT'), '+OK Bye');
  assert.equal((await srv.server.deps.store.quota(acc.id)).messageCount, 1);
});
