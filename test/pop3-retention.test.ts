// "Leave messages on the server, remove after N days" as Thunderbird and Outlook do it, played over
// several sessions and simulated days (an injected clock), across a server restart; and the
// server-side retention announced with EXPIRE (RFC 2449 §6.7).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPop3Server, RawPop3, message, type Pop3TestServer } from './helpers/pop3.ts';

const DAY = 86_400_000;
let now = Date.UTC(2026, 0, 1, 8, 0, 0);
let srv: Pop3TestServer;

before(async () => {
  srv = await startPop3Server({
    env: { POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' },
    configToml: '[pop3]\nretention_days = 30\n',
    now: () => now,
  });
});

after(async () => {
  await srv.stop();
});

async function session(address: string): Promise<RawPop3> {
  const c = await RawPop3.connect(srv.pop3);
  assert.match((await c.line()) ?? '', /^\+OK/);
  await c.command(`USER ${address}`);
  assert.match((await c.command('PASS pw')) ?? '', /^\+OK Logged in/);
  return c;
}

async function uidlMap(c: RawPop3): Promise<Map<string, number>> {
  assert.match((await c.command('UIDL')) ?? '', /^\+OK/);
  const map = new Map<string, number>();
  for (const line of await c.multiline()) {
    const [n, uid] = line.split(' ');
    assert.match(uid, /^[\x21-\x7e]{1,70}$/, 'RFC 1939 §7 unique-id syntax');
    map.set(uid, Number(n));
  }
  return map;
}

async function subjectOf(c: RawPop3, n: number): Promise<string> {
  assert.match((await c.command(`RETR ${n}`)) ?? '', /^\+OK/);
  const lines = await c.multiline();
  return (lines.find((l) => l.startsWith('Subject: ')) ?? '').slice(9);
}

/**
 * The client: a local record of downloaded UIDLs and when; each session downloads what is new
 * and deletes what it downloaded more than `removeAfterDays` ago.
 */
class LeaveOnServerClient {
  readonly downloaded = new Map<string, { subject: string; at: number }>();
  readonly everSeen = new Set<string>();
  readonly address: string;
  readonly removeAfterDays: number;
  constructor(address: string, removeAfterDays: number) {
    this.address = address;
    this.removeAfterDays = removeAfterDays;
  }

  async sync(): Promise<{ fetched: string[]; deleted: string[]; onServer: Map<string, number> }> {
    const c = await session(this.address);
    const onServer = await uidlMap(c);
    const fetched: string[] = [];
    const deleted: string[] = [];
    for (const [uid, n] of onServer) {
      this.everSeen.add(uid);
      const known = this.downloaded.get(uid);
      if (!known) {
        const subject = await subjectOf(c, n);
        this.downloaded.set(uid, { subject, at: now });
        fetched.push(subject);
      } else if (now - known.at > this.removeAfterDays * DAY) {
        assert.equal(await c.command(`DELE ${n}`), `+OK Message ${n} deleted`);
        deleted.push(known.subject);
      }
    }
    assert.match((await c.command('QUIT')) ?? '', /^\+OK Bye/);
    await c.waitClosed();
    return { fetched, deleted, onServer };
  }
}

test('leave on server, remove after 3 days: UIDLs stable across sessions, MOVE and a restart; new mail gets a never-seen UIDL', async () => {
  const account = await srv.addAccount('tb@example.com', 'pw');
  const client = new LeaveOnServerClient('tb@example.com', 3);
  await srv.deliver(account, message('m1', 'one'));
  await srv.deliver(account, message('m2', 'two'));

  // Day 0: both downloaded, left on the server.
  let r = await client.sync();
  assert.deepEqual(r.fetched, ['m1', 'm2']);
  assert.deepEqual(r.deleted, []);
  const day0 = [...r.onServer.keys()];

  // Day 1: one new message; the old ones keep their UIDLs and are not fetched again.
  now += DAY;
  await srv.deliver(account, message('m3', 'three'));
  r = await client.sync();
  assert.deepEqual(r.fetched, ['m3']);
  assert.deepEqual([...r.onServer.keys()].slice(0, 2), day0);

  // An IMAP user moves m1 to Archive and back: a new UID in INBOX, the same UIDL.
  const store = srv.server.deps.store;
  const inbox = await srv.inbox(account);
  const archive = await store.getMailbox(account.id, 'Archive');
  assert.ok(archive);
  const m1Uid = (await store.listMessages(inbox.accountId, inbox.id))[0].uid;
  const out = await store.moveMessages(account.id, inbox.id, [m1Uid], archive.id);
  await store.moveMessages(account.id, archive.id, [out.mapping[0].destUid], inbox.id);

  // Restart the server; day 2: nothing new, every UIDL as before.
  await srv.restart();
  now += DAY;
  r = await client.sync();
  assert.deepEqual(r.fetched, []);
  assert.deepEqual(new Set(r.onServer.keys()), new Set(client.downloaded.keys()));

  // Day 4: m1 and m2 were downloaded 4 days ago (> 3): the client deletes them; m3 (3 days) stays.
  now += 2 * DAY;
  r = await client.sync();
  assert.deepEqual(r.deleted.sort(), ['m1', 'm2']);
  const left = await srv.server.deps.store.listMessages(inbox.accountId, inbox.id);
  assert.equal(left.length, 1, 'DELE+QUIT removed them from the store');

  // Day 5: a new message; its UIDL was never seen before, not even for the deleted ones.
  now += DAY;
  await srv.deliver(account, message('m4', 'four'));
  const seenBefore = new Set(client.everSeen);
  r = await client.sync();
  assert.deepEqual(r.fetched, ['m4']);
  const newUid = [...r.onServer.keys()].find((u) => client.downloaded.get(u)?.subject === 'm4');
  assert.ok(newUid && !seenBefore.has(newUid));
  assert.equal(r.onServer.size, 2);
});

test('server retention (EXPIRE): default announced before login with USER, the account value after; retrieved mail removed after N days', async () => {
  const pre = await RawPop3.connect(srv.pop3);
  await pre.line();
  assert.equal(await pre.command('CAPA'), '+OK Capability list follows');
  assert.ok((await pre.multiline()).includes('EXPIRE 30 USER'));
  pre.close();

  const account = await srv.addAccount('exp@example.com', 'pw');
  await srv.server.deps.store.setPopRetention(account.id, 2);
  await srv.deliver(account, message('r1', 'retrieved on day 0'));
  await srv.deliver(account, message('t1', 'only looked at with TOP'));

  // Day 0: RETR r1, TOP t1; nothing deleted by the client.
  let c = await session('exp@example.com');
  assert.equal(await c.command('CAPA'), '+OK Capability list follows');
  assert.ok((await c.multiline()).includes('EXPIRE 2'));
  assert.equal(await subjectOf(c, 1), 'r1');
  assert.match((await c.command('TOP 2 0')) ?? '', /^\+OK/);
  await c.multiline();
  assert.match((await c.command('QUIT')) ?? '', /^\+OK Bye/);
  await c.waitClosed();

  // Day 2 (exactly 2 days): the minimum retention is not over yet.
  now += 2 * DAY;
  await srv.deliver(account, message('n2', 'new on day 2'));
  c = await session('exp@example.com');
  assert.equal(await c.command('STAT'), `+OK 3 ${[message('r1', 'retrieved on day 0'), message('t1', 'only looked at with TOP'), message('n2', 'new on day 2')].reduce((a, m) => a + Buffer.byteLength(m), 0)}`);
  assert.match((await c.command('QUIT')) ?? '', /^\+OK/);
  await c.waitClosed();

  // Day 3: r1 was retrieved more than 2 days ago and is removed at login; t1 and n2 stay.
  now += DAY;
  c = await session('exp@example.com');
  const subjects: string[] = [];
  for (let n = 1; n <= 2; n++) subjects.push(await subjectOf(c, n));
  assert.deepEqual(subjects, ['t1', 'n2']);
  assert.equal(await c.command('RETR 3'), '-ERR No such message 3');
  assert.match((await c.command('QUIT')) ?? '', /^\+OK/);
  await c.waitClosed();

  // An account without its own setting gets the server default.
  await srv.addAccount('dflt@example.com', 'pw');
  c = await session('dflt@example.com');
  assert.equal(await c.command('CAPA'), '+OK Capability list follows');
  assert.ok((await c.multiline()).includes('EXPIRE 30'));
  c.close();
});
