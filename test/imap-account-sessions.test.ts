// limits.max_connections_per_account between two nodes sharing one Coordination backend: two
// sets of IMAP listeners over one store, each with its own context, on one in-process backend
// whose clock the test moves. The limit counts sessions on both nodes; the sessions of a node
// that died stop counting one ACCOUNT_SESSION_TTL_MS after its last heartbeat.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startImapServer, RawImap, type ImapTestServer } from './helpers/imap.ts';
import { imapServices } from '../src/imap/services.ts';
import { ACCOUNT_SESSION_TTL_MS } from '../src/imap/context.ts';
import { InProcessCoordination } from '../src/store/coordination-memory.ts';
import type { Coordination } from '../src/store/coordination-types.ts';
import { cutOffWhen } from './helpers/coordination.ts';
import type { Listener } from '../src/net/listener.ts';
import { imapDepsFrom, tcpListeners } from '../src/server/protocols.ts';

let srv: ImapTestServer;
let clock = 1_700_000_000_000;
const shared = new InProcessCoordination({ now: () => clock });
let nodeAReachable = true;
const services: Listener[] = [];
let nodeA = 0;
let nodeB = 0;
const LIMIT_TEXT = 'NO [LIMIT] Too many connections for this account, close another client first';

/** Node A's view of the backend: every call fails while A is cut off (dead or partitioned). */
const cutOffWhenUnreachable = (backend: Coordination): Coordination => cutOffWhen(backend, () => !nodeAReachable);

async function startNode(coordination: Coordination): Promise<number> {
  const deps = srv.server.deps;
  const [plain] = tcpListeners(deps, imapServices({ ...imapDepsFrom(deps), coordination }).filter((s) => s.name === 'imap').map((s) => ({ ...s, port: 0 })));
  services.push(plain);
  return plain.listen();
}

before(async () => {
  srv = await startImapServer({ POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' }, { maxConnectionsPerAccount: 2 });
  nodeA = await startNode(cutOffWhenUnreachable(shared));
  nodeB = await startNode(shared);
});

after(async () => {
  await Promise.all(services.map((s) => s.close(1000)));
  await srv.stop();
});

async function login(port: number, address: string, tag = 'L'): Promise<{ c: RawImap; status: string }> {
  const c = await RawImap.connect(port);
  await c.line();
  const r = await c.command(tag, `LOGIN ${address} pw`);
  return { c, status: r.at(-1)! };
}

test('the per-account limit counts the sessions of both nodes; a LOGOUT on one frees a place on the other', async () => {
  await srv.addAccount('both@example.com', 'pw');
  const a = await login(nodeA, 'both@example.com');
  const b = await login(nodeB, 'both@example.com');
  assert.match(a.status, /^L OK/);
  assert.match(b.status, /^L OK/);
  const third = await login(nodeA, 'both@example.com');
  assert.equal(third.status, `L ${LIMIT_TEXT}`);
  await b.c.command('z', 'LOGOUT');
  await b.c.waitClosed();
  assert.match((await third.c.command('M', 'LOGIN both@example.com pw')).at(-1)!, /^M OK/);
  for (const x of [a, third]) x.c.close();
});

test('the sessions of a node that died stop counting one ttl after its last heartbeat', async () => {
  await srv.addAccount('dead@example.com', 'pw');
  const sessions = [await login(nodeA, 'dead@example.com'), await login(nodeA, 'dead@example.com')];
  for (const s of sessions) assert.match(s.status, /^L OK/);
  nodeAReachable = false;
  try {
    for (const s of sessions) s.c.close();
    await Promise.all(sessions.map((s) => s.c.waitClosed()));
    clock += ACCOUNT_SESSION_TTL_MS - 1;
    const b = await login(nodeB, 'dead@example.com');
    assert.equal(b.status, `L ${LIMIT_TEXT}`);
    clock += 1;
    assert.match((await b.c.command('M', 'LOGIN dead@example.com pw')).at(-1)!, /^M OK/);
    b.c.close();
  } finally {
    nodeAReachable = true;
  }
});

test('a backend that cannot count sessions makes LOGIN answer UNAVAILABLE, not a server error', async () => {
  await srv.addAccount('cutoff@example.com', 'pw');
  const c = await RawImap.connect(nodeA);
  await c.line();
  nodeAReachable = false;
  try {
    // The authenticator counts failures on the server's own backend; only the slot claim fails.
    assert.equal((await c.command('L', 'LOGIN cutoff@example.com pw')).at(-1), 'L NO [UNAVAILABLE] Authentication is temporarily unavailable');
  } finally {
    nodeAReachable = true;
  }
  assert.match((await c.command('M', 'LOGIN cutoff@example.com pw')).at(-1)!, /^M OK/);
  c.close();
});
