// Multi-session sync: three imapflow clients on one account create, rename and delete folders,
// change flags, copy, move and expunge, while deliveries arrive; a fourth, raw session idles on
// INBOX and applies every untagged EXISTS/EXPUNGE/FETCH it is sent. At the end each client's
// view (sequence number → UID → flags) must equal the store's.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ImapFlow } from 'imapflow';
import { startImapServer, message, RawImap, type ImapTestServer } from './helpers/imap.ts';
import type { Account } from '../src/store/types.ts';

let srv: ImapTestServer;
let user: Account;

before(async () => {
  srv = await startImapServer({ POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' });
  user = await srv.addAccount('sync@example.com', 'sync pw');
  for (let i = 0; i < 20; i++) await srv.deliver(user, message(`seed ${i}`));
});

after(async () => {
  await srv.stop();
});

function flow(): ImapFlow {
  return new ImapFlow({
    host: '127.0.0.1', port: srv.imap, secure: false, doSTARTTLS: false,
    auth: { user: 'sync@example.com', pass: 'sync pw' }, logger: false,
  } as ConstructorParameters<typeof ImapFlow>[0]);
}

/** A small deterministic PRNG, so a failure can be replayed. */
function prng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x / 0x7fffffff;
  };
}

async function storeView(name: string): Promise<{ uid: number; flags: string[] }[]> {
  const mailbox = await srv.mailbox(user, name);
  return (await srv.server.deps.store.listMessages(mailbox.accountId, mailbox.id)).map((m) => ({ uid: m.uid, flags: [...m.flags].sort() }));
}

/** What an imapflow client sees for the selected mailbox: seq order, UIDs, flags. */
async function clientView(c: ImapFlow): Promise<{ uid: number; flags: string[] }[]> {
  await c.noop();
  const out: { seq: number; uid: number; flags: string[] }[] = [];
  const exists = (c.mailbox as { exists: number }).exists;
  if (exists > 0) for await (const m of c.fetch('1:*', { uid: true, flags: true })) out.push({ seq: m.seq, uid: m.uid, flags: [...(m.flags ?? [])].sort() });
  assert.equal(out.length, exists, 'EXISTS count equals what FETCH 1:* returns');
  out.forEach((m, i) => assert.equal(m.seq, i + 1, 'sequence numbers are contiguous'));
  return out.map(({ uid, flags }) => ({ uid, flags }));
}

/** The raw observer: applies untagged responses to its own seq → UID list. */
class Observer {
  uids: (number | null)[] = [];
  flags = new Map<number, string[]>();
  apply(line: string): void {
    let m = /^\* (\d+) EXISTS$/.exec(line);
    if (m) {
      while (this.uids.length < Number(m[1])) this.uids.push(null);
      return;
    }
    m = /^\* (\d+) EXPUNGE$/.exec(line);
    if (m) {
      const seq = Number(m[1]);
      assert.ok(seq >= 1 && seq <= this.uids.length, `EXPUNGE ${seq} within 1..${this.uids.length}`);
      this.uids.splice(seq - 1, 1);
      return;
    }
    m = /^\* (\d+) FETCH \(UID (\d+)(?: FLAGS \(([^)]*)\))?/.exec(line);
    if (m) {
      const seq = Number(m[1]);
      const uid = Number(m[2]);
      assert.ok(seq >= 1 && seq <= this.uids.length, `FETCH ${seq} within 1..${this.uids.length}`);
      if (this.uids[seq - 1] !== null) assert.equal(this.uids[seq - 1], uid, `seq ${seq} is still UID ${uid}`);
      this.uids[seq - 1] = uid;
      // \Recent is this session's state (RFC 3501 §2.3.2), never a stored flag: left out here.
      if (m[3] !== undefined) this.flags.set(uid, m[3] ? m[3].split(' ').filter((f) => f !== '\\Recent').sort() : []);
    }
  }
}

test('three clients and deliveries change one account concurrently; every view ends equal to the store', async () => {
  const clients = [flow(), flow(), flow()];
  for (const c of clients) await c.connect();
  for (const c of clients) await c.mailboxOpen('INBOX');

  const raw = await RawImap.connect(srv.imap);
  await raw.line();
  await raw.command('l', 'LOGIN sync@example.com "sync pw"');
  const obs = new Observer();
  for (const l of await raw.command('s', 'SELECT INBOX')) obs.apply(l);
  for (const l of await raw.command('f', 'FETCH 1:* (UID FLAGS)')) obs.apply(l);
  raw.send('i IDLE\r\n');
  assert.equal(await raw.line(), '+ idling');
  let pushed = 0;
  const reading = (async () => {
    for (;;) {
      const l = await raw.line(60_000);
      if (l === null || l.startsWith('i ')) return;
      pushed++;
      obs.apply(l);
    }
  })();

  const rnd = prng(4);
  const pick = async (c: ImapFlow): Promise<number | null> => {
    const uids = await c.search({ all: true }, { uid: true });
    return uids && uids.length ? uids[Math.floor(rnd() * uids.length)] : null;
  };
  const flagger = async (c: ImapFlow): Promise<void> => {
    for (let i = 0; i < 25; i++) {
      const uid = await pick(c);
      if (uid === null) continue;
      if (rnd() < 0.6) await c.messageFlagsAdd(String(uid), [rnd() < 0.5 ? '\\Seen' : '\\Flagged'], { uid: true });
      else await c.messageFlagsRemove(String(uid), ['\\Seen'], { uid: true });
    }
  };
  const mover = async (c: ImapFlow): Promise<void> => {
    for (let i = 0; i < 15; i++) {
      const uid = await pick(c);
      if (uid === null) continue;
      const r = rnd();
      if (r < 0.35) await c.messageMove(String(uid), 'Archive', { uid: true });
      else if (r < 0.6) await c.messageCopy(String(uid), 'Trash', { uid: true });
      else await c.messageDelete(String(uid), { uid: true });
    }
  };
  const organiser = async (c: ImapFlow): Promise<void> => {
    for (let i = 0; i < 6; i++) {
      await c.mailboxCreate(`Folder ${i}/Sub`);
      await c.mailboxRename(`Folder ${i}`, `Renamed ${i}`);
      await c.append('INBOX', message(`appended ${i}`), i % 2 ? ['\\Seen'] : []);
      if (i % 2) {
        await c.mailboxDelete(`Renamed ${i}/Sub`);
        await c.mailboxDelete(`Renamed ${i}`);
      }
    }
  };
  const deliveries = async (): Promise<void> => {
    for (let i = 0; i < 15; i++) {
      await srv.deliver(user, message(`delivered ${i}`));
      await new Promise((r) => setImmediate(r));
    }
  };
  await Promise.all([flagger(clients[0]), mover(clients[1]), organiser(clients[2]), deliveries()]);

  const truth = await storeView('INBOX');
  assert.ok(truth.length > 0);
  for (const c of clients) assert.deepEqual(await clientView(c), truth);

  // The observer was told everything while idling; after DONE its list must match the store
  // wherever it learnt a UID, and a final FETCH fills in what EXISTS only counted.
  assert.ok(pushed > 20, `IDLE pushed ${pushed} untagged responses`);
  raw.send('DONE\r\n');
  await reading;
  for (const l of await raw.command('n', 'NOOP')) obs.apply(l);
  assert.equal(obs.uids.length, truth.length, 'EXISTS/EXPUNGE bookkeeping matches the store count');
  for (const l of await raw.command('g', 'FETCH 1:* (UID FLAGS)')) obs.apply(l);
  assert.deepEqual(obs.uids, truth.map((t) => t.uid));
  for (const t of truth) assert.deepEqual(obs.flags.get(t.uid), t.flags);

  const names = (await clients[2].list()).map((m) => m.path).sort();
  assert.deepEqual(names.filter((n) => n.startsWith('Renamed') || n.startsWith('Folder')), ['Renamed 0', 'Renamed 0/Sub', 'Renamed 2', 'Renamed 2/Sub', 'Renamed 4', 'Renamed 4/Sub']);
  for (const c of clients) await c.logout();
  raw.close();
});
