// SECURITY-CASES.md "kill -9 at any moment during … APPEND": the server as a separate process
// (test/imap-crash-server.ts: startServer with the IMAP listeners) takes pipelined LITERAL+
// APPENDs from concurrent sessions and is killed with SIGKILL once enough of them got a tagged
// OK, while up to 31 others are in flight (their literals being read, blobs written, rows
// committed or OKs on the way).
// After a restart on the same data directory:
// - every APPEND that got OK is in the INBOX exactly once, under the UID its APPENDUID named,
//   byte-identical (sha-256 of the stored blob);
// - nothing is half-visible: every row is a whole message we sent, its blob complete, and the
//   account's and mailbox's counters equal the rows (count, bytes = sum of sizes);
// - UIDs are never reused: UIDVALIDITY is unchanged and every APPEND after a restart gets a
//   UID above all that were acknowledged before it.
// Three server lives are killed at different points, then a fourth checks and stops cleanly.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/server/config.ts';
import { openConfiguredStore } from '../src/server/open-store.ts';
import { hashPassword } from '../src/auth/password.ts';
import { RawImap } from './helpers/imap.ts';
import { spawnTestServer } from './helpers/child-process.ts';

const ADDRESS = 'crash@posthorn.test';
const PASSWORD = 'crash password';

const SESSIONS = 8;
/** APPENDs each session keeps in flight (pipelined, LITERAL+). */
const WINDOW = 4;
/** One server life per entry: SIGKILL once this many of its APPENDs have a tagged OK. */
const KILL_AFTER = [40, 70, 100];

function serve(dir: string): { child: ChildProcess; ready: Promise<number> } {
  const { child, ready } = spawnTestServer('imap-crash-server.ts', [dir]);
  return { child, ready: ready.then((entry) => entry.imap as number) };
}

interface Sent {
  messageId: string;
  raw: Buffer;
  sha: string;
}

/** A message with a unique Message-ID; bodies vary in size (some large, so a kill can land mid-literal). */
function makeMessage(session: number, n: number): Sent {
  const messageId = `crash-${session}-${n}.${randomBytes(4).toString('hex')}@imap.test`;
  const bodyBytes = n % 7 === 3 ? 300_000 : 500 + Math.floor(Math.random() * 20_000);
  const body = randomBytes(Math.ceil(bodyBytes * 0.75)).toString('base64').replace(/.{76}/g, '$&\r\n');
  const raw = Buffer.from(
    `From: Crash <crash@remote.test>\r\nTo: <${ADDRESS}>\r\nSubject: crash ${session}-${n}\r\n` +
      `Date: Wed, 25 Nov 2026 10:00:00 +0000\r\nMessage-ID: <${messageId}>\r\n\r\n${body}\r\n`,
  );
  return { messageId, raw, sha: createHash('sha256').update(raw).digest('hex') };
}

const login = (port: number): Promise<RawImap> => RawImap.login(port, ADDRESS, PASSWORD);

interface Acked {
  sent: Sent;
  uidValidity: number;
  uid: number;
  life: number;
}

/**
 * One server life: SESSIONS sessions each keep WINDOW APPENDs in flight until `killAfter` got
 * OK, then the child gets SIGKILL from inside the response handler, with the rest in flight.
 */
async function appendUntilKilled(dir: string, life: number, killAfter: number, sent: Map<string, Sent>, acked: Acked[]): Promise<void> {
  const server = serve(dir);
  const died = once(server.child, 'exit');
  try {
    const port = await server.ready;
    const refused: string[] = [];
    let oks = 0;
    let inFlightAtKill = 0;
    const inFlightBySession: Map<string, Sent>[] = [];
    const session = async (id: number, c: Awaited<ReturnType<typeof login>>): Promise<void> => {
      const inFlight = new Map<string, Sent>();
      inFlightBySession.push(inFlight);
      let n = 0;
      const sendNext = (): void => {
        const m = makeMessage(life * 100 + id, n);
        const tag = `A${n++}`;
        sent.set(m.sha, m);
        inFlight.set(tag, m);
        c.send(Buffer.concat([Buffer.from(`${tag} APPEND INBOX {${m.raw.length}+}\r\n`), m.raw, Buffer.from('\r\n')]));
      };
      try {
        for (let i = 0; i < WINDOW; i++) sendNext();
        for (;;) {
          const line = await c.line(20_000);
          if (line === null) return; // the server died
          const tagged = /^(A\d+) (OK|NO|BAD)\b(.*)$/.exec(line);
          if (!tagged) continue;
          const m = inFlight.get(tagged[1]);
          assert.ok(m, `response for an unknown tag: ${line}`);
          inFlight.delete(tagged[1]);
          if (tagged[2] !== 'OK') {
            refused.push(line);
          } else {
            const code = /^ \[APPENDUID (\d+) (\d+)\]/.exec(tagged[3]);
            assert.ok(code, `OK without APPENDUID: ${line}`);
            acked.push({ sent: m, uidValidity: Number(code[1]), uid: Number(code[2]), life });
            if (++oks === killAfter) {
              inFlightAtKill = inFlightBySession.reduce((sum, f) => sum + f.size, 0);
              server.child.kill('SIGKILL');
            }
          }
          if (oks < killAfter) sendNext();
        }
      } finally {
        c.close();
      }
    };
    // Every session logged in before the first APPEND: the kill comes after N acknowledgements,
    // and a session still logging in then would see its connection close, not the test's subject.
    const clients = await Promise.all(Array.from({ length: SESSIONS }, () => login(port)));
    await Promise.all(clients.map((c, i) => session(i, c)));
    const [, signal] = await died;
    assert.equal(signal, 'SIGKILL', `life ${life}: the server was killed, not stopped`);
    assert.ok(oks >= killAfter, `life ${life}: ${oks} APPENDs acknowledged`);
    assert.deepEqual(refused, [], `life ${life}: no APPEND refused while the server was up`);
    assert.ok(inFlightAtKill > 0, `life ${life}: APPENDs in flight at the kill`);
  } finally {
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
  }
}

test('kill -9 during pipelined APPENDs, three times: every OK survives exactly once, byte-identical, nothing half-visible, UIDs never reused', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'posthorn-imap-crash-'));
  const config = loadConfig({ env: { POSTHORN_DATA_DIR: dir, POSTHORN_HOSTNAME: 'imap.test' } });
  try {
    const setup = await openConfiguredStore(config);
    await setup.store.addDomain('posthorn.test');
    await setup.store.createAccount({ address: ADDRESS, passwordHash: await hashPassword(PASSWORD) });
    await setup.close();

    const sent = new Map<string, Sent>(); // by sha-256
    const acked: Acked[] = [];
    for (const [life, killAfter] of KILL_AFTER.entries()) await appendUntilKilled(dir, life, killAfter, sent, acked);

    const uidValidity = acked[0].uidValidity;
    assert.ok(acked.every((a) => a.uidValidity === uidValidity), 'one UIDVALIDITY for the INBOX across restarts');
    assert.equal(new Set(acked.map((a) => a.uid)).size, acked.length, 'each OK named its own UID');
    for (const a of acked) {
      const earlier = acked.filter((b) => b.life < a.life);
      for (const b of earlier) assert.ok(a.uid > b.uid, `UID ${a.uid} (life ${a.life}) above UID ${b.uid} acknowledged in life ${b.life}`);
    }

    // A last life: one more APPEND, SELECT, then a clean stop.
    const last = serve(dir);
    let newUid: number;
    let exists: string | undefined;
    try {
      const port = await last.ready;
      const after = makeMessage(999, 0);
      sent.set(after.sha, after);
      const c = await login(port);
      c.send(Buffer.concat([Buffer.from(`N APPEND INBOX {${after.raw.length}+}\r\n`), after.raw, Buffer.from('\r\n')]));
      const appended = (await c.until('N')).at(-1)!;
      const code = /^N OK \[APPENDUID (\d+) (\d+)\]/.exec(appended);
      assert.ok(code, appended);
      assert.equal(Number(code[1]), uidValidity, 'UIDVALIDITY unchanged by the crashes');
      newUid = Number(code[2]);
      acked.push({ sent: after, uidValidity, uid: newUid, life: KILL_AFTER.length });
      exists = (await c.command('S', 'SELECT INBOX')).find((l) => / EXISTS$/.test(l));
      c.close();
      const stopped = once(last.child, 'exit');
      last.child.kill('SIGTERM');
      assert.deepEqual(await stopped, [0, null], 'clean stop');
    } finally {
      if (last.child.exitCode === null && last.child.signalCode === null) last.child.kill('SIGKILL');
    }

    const opened = await openConfiguredStore(config);
    try {
      const { store, blobs } = opened;
      const account = (await store.getAccountByAddress(ADDRESS))!;
      const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
      const records = await store.listMessages(inbox.accountId, inbox.id);
      assert.equal(exists, `* ${records.length} EXISTS`, 'SELECT after the restarts shows every row');
      const uids = records.map((r) => r.uid);
      assert.equal(new Set(uids).size, uids.length, 'UIDs unique');

      // Every row is one whole message we sent: its blob is there, complete, and matches its id.
      const rowsBySha = new Map<string, number[]>();
      for (const r of records) {
        const bytes = await blobs.get(r.blobId).catch((err: Error) => assert.fail(`UID ${r.uid}: blob unreadable (${err.message})`));
        const sha = createHash('sha256').update(bytes).digest('hex');
        assert.equal(sha, r.blobId, `UID ${r.uid}: blob content matches its id`);
        assert.equal(bytes.length, r.size, `UID ${r.uid}: size is the blob's`);
        assert.ok(sent.has(sha), `UID ${r.uid} is a message that was sent in full`);
        rowsBySha.set(sha, [...(rowsBySha.get(sha) ?? []), r.uid]);
      }
      for (const m of await store.getMessages(inbox.accountId, inbox.id, uids)) {
        assert.equal(m.summary.messageId, sent.get(m.blobId)!.messageId, `UID ${m.uid}: Message-ID`);
      }
      for (const a of acked) {
        assert.deepEqual(rowsBySha.get(a.sent.sha), [a.uid], `<${a.sent.messageId}> stored exactly once, under its APPENDUID ${a.uid}`);
      }
      for (const uid of uids) if (uid !== newUid) assert.ok(newUid > uid, `UID ${newUid} after the restarts above stored UID ${uid}`);

      // Counters equal the rows: nothing counted that is not visible, nothing visible not counted.
      const total = records.reduce((sum, r) => sum + r.size, 0);
      assert.equal(inbox.messageCount, records.length, 'mailbox message count');
      assert.equal(inbox.sizeBytes, total, 'mailbox size');
      assert.ok(inbox.uidNext > newUid, 'UIDNEXT beyond every UID');
      let accountRows = 0;
      let accountBytes = 0;
      for (const box of await store.listMailboxes(account.id)) {
        for (const r of await store.listMessages(box.accountId, box.id)) {
          accountRows++;
          accountBytes += r.size;
        }
      }
      assert.equal(accountRows, records.length, 'nothing outside the INBOX');
      assert.equal(account.messageCount, accountRows, 'account message count');
      assert.equal(account.usedBytes, accountBytes, 'account used bytes = sum of sizes');
    } finally {
      await opened.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
