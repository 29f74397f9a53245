// IMAP end to end with curl (Debian's curl, installed by .ci/run), a client nobody here
// wrote, speaking RFC 5092 IMAP URLs: LIST (imap://host/), FETCH by UID (/INBOX;UID=n, with a
// SECTION), SEARCH (/INBOX?criteria), a custom command (-X 'EXAMINE INBOX'), APPEND (-T),
// STARTTLS (--ssl-reqd) and implicit TLS (imaps://, --insecure for the self-signed
// certificate). Every answer is compared with what the store holds.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startImapServer, message, type ImapTestServer } from './helpers/imap.ts';
import { requireTool } from './helpers/tools.ts';
import type { Account } from '../src/store/types.ts';

let CURL: string;
let srv: ImapTestServer; // plaintext LOGIN allowed on loopback, STARTTLS and imaps available
const work = mkdtempSync(join(tmpdir(), 'posthorn-imap-curl-'));

before(async () => {
  CURL = requireTool('curl');
  srv = await startImapServer({ POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' });
});

after(async () => {
  await srv?.stop();
  rmSync(work, { recursive: true, force: true });
});

interface CurlResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs curl; resolves with its exit code and output, never rejects on a non-zero exit. */
function curl(args: string[]): Promise<CurlResult> {
  return new Promise((resolve) => {
    execFile(CURL, ['-sS', '--max-time', '20', ...args], { encoding: 'buffer', timeout: 30_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr: stderr.toString() });
    });
  });
}

function ok(r: CurlResult): string {
  assert.equal(r.code, 0, `curl exited with ${r.code}: ${r.stderr}`);
  return r.stdout.toString('utf8');
}

async function account(name: string): Promise<{ account: Account; user: string }> {
  const address = `${name}@example.com`;
  return { account: await srv.addAccount(address, 'curl secret'), user: `${address}:curl secret` };
}

async function flagsOf(a: Account, uid: number): Promise<string[]> {
  const inbox = await srv.mailbox(a, 'INBOX');
  const [m] = await srv.server.deps.store.getMessages(inbox.accountId, inbox.id, [uid]);
  return m.flags;
}

const testOpts = { timeout: 60_000 };

test('curl imap://host/ lists every mailbox of the account, and imap://host/INBOX just the INBOX', testOpts, async () => {
  const { account: a, user } = await account('list');
  await srv.server.deps.store.createMailbox(a.id, 'Projects');
  await srv.server.deps.store.createMailbox(a.id, 'Projects/2026');
  const out = ok(await curl(['-u', user, `imap://127.0.0.1:${srv.imap}/`]));
  const lines = out.split('\r\n');
  assert.equal(lines.pop(), '', 'CRLF after the last line');
  for (const l of lines) assert.match(l, /^\* LIST \([^)]*\) "\/" \S+$/);
  const listed = lines.map((l) => l.slice(l.lastIndexOf(' ') + 1)).sort();
  const stored = (await srv.server.deps.store.listMailboxes(a.id)).map((m) => m.name).sort();
  assert.deepEqual(listed, stored);
  assert.ok(lines.some((l) => /^\* LIST \(.*\\HasChildren.*\) "\/" Projects$/.test(l)), out);
  assert.ok(lines.some((l) => /^\* LIST \(.*\\Sent.*\) "\/" Sent$/.test(l)), out);

  assert.equal(ok(await curl(['-u', user, `imap://127.0.0.1:${srv.imap}/INBOX`])), '* LIST (\\HasNoChildren) "/" INBOX\r\n');
});

test('curl imap://host/INBOX;UID=n fetches exactly the stored bytes and (BODY[], not PEEK) sets \\Seen; ;SECTION= fetches one header', testOpts, async () => {
  const { account: a, user } = await account('fetch');
  const raws = [
    message('first'),
    message('Grüße aus Köln', 'Zweite Nachricht: äöü ß — mit 8-Bit-Zeichen.\r\n.\r\n..zwei Punkte\r\nletzte Zeile\r\n', 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n'),
    message('third', 'x'.repeat(70_000) + '\r\n'),
  ].map((m) => Buffer.from(m, 'utf8'));
  const uids: number[] = [];
  for (const raw of raws) uids.push((await srv.deliver(a, raw)).uid);

  for (const i of [1, 2]) {
    const r = await curl(['-u', user, `imap://127.0.0.1:${srv.imap}/INBOX;UID=${uids[i]}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.equals(raws[i]), `UID ${uids[i]}: ${r.stdout.length} bytes, stored ${raws[i].length}`);
  }
  assert.ok((await flagsOf(a, uids[1])).includes('\\Seen'), 'BODY[] set \\Seen (RFC 9051 §6.4.5)');
  assert.ok(!(await flagsOf(a, uids[0])).includes('\\Seen'), 'a message curl did not fetch stays unseen');

  const header = ok(await curl(['-u', user, `imap://127.0.0.1:${srv.imap}/INBOX;UID=${uids[0]};SECTION=HEADER.FIELDS%20(SUBJECT)`]));
  assert.equal(header, 'Subject: first\r\n\r\n');
  // A UID that does not exist: UID FETCH answers OK without data (RFC 9051 §6.4.9), which curl
  // reports as exit 78, remote file not found.
  const missing = await curl(['-u', user, `imap://127.0.0.1:${srv.imap}/INBOX;UID=${uids[2] + 10}`]);
  assert.equal(missing.code, 78, missing.stderr);
  assert.equal(missing.stdout.length, 0);
});

test('curl imap://host/INBOX?SUBJECT%20word answers SEARCH with the matching sequence numbers', testOpts, async () => {
  const { account: a, user } = await account('search');
  const subjects = ['Quarterly report', 'lunch on friday', 'Report draft v2', 'no match here', 'REPORTING lines'];
  for (const s of subjects) await srv.deliver(a, message(s));
  // SEARCH SUBJECT is a case-insensitive substring match (RFC 9051 §6.4.4).
  const expected = subjects.flatMap((s, i) => (s.toLowerCase().includes('report') ? [i + 1] : []));
  assert.equal(expected.length, 3);
  assert.equal(ok(await curl(['-u', user, `imap://127.0.0.1:${srv.imap}/INBOX?SUBJECT%20report`])), `* SEARCH ${expected.join(' ')}\r\n`);
  assert.equal(ok(await curl(['-u', user, `imap://127.0.0.1:${srv.imap}/INBOX?SUBJECT%20nowhere`])), '* SEARCH\r\n');
  const both = subjects.flatMap((s, i) => (/report/i.test(s) && /draft/i.test(s) ? [i + 1] : []));
  assert.equal(ok(await curl(['-u', user, `imap://127.0.0.1:${srv.imap}/INBOX?SUBJECT%20report%20SUBJECT%20draft`])), `* SEARCH ${both.join(' ')}\r\n`);
});

test("curl -X 'EXAMINE INBOX' gets the mailbox's counters read-only, and EXAMINE leaves \\Recent alone", testOpts, async () => {
  const { account: a, user } = await account('examine');
  for (const s of ['one', 'two', 'three']) await srv.deliver(a, message(s));
  const inbox = await srv.mailbox(a, 'INBOX');
  const examine = async (): Promise<string[]> => ok(await curl(['-u', user, '-X', 'EXAMINE INBOX', `imap://127.0.0.1:${srv.imap}/`])).split('\r\n');
  const first = await examine();
  assert.ok(first.includes(`* ${inbox.messageCount} EXISTS`), first.join('\n'));
  assert.ok(first.includes(`* OK [UIDVALIDITY ${inbox.uidValidity}] UIDs valid`), first.join('\n'));
  assert.ok(first.some((l) => l.startsWith(`* OK [UIDNEXT ${inbox.uidNext}]`)), first.join('\n'));
  assert.ok(first.some((l) => l.startsWith('* OK [PERMANENTFLAGS ()]')), 'read-only: no permanent flags');
  assert.ok(first.includes('* 3 RECENT'), first.join('\n'));
  // RFC 3501 §6.3.2: EXAMINE must not make messages lose \Recent, so a second one sees them too.
  const second = await examine();
  assert.ok(second.includes('* 3 RECENT'), second.join('\n'));
  for (const uid of [1, 2, 3]) assert.deepEqual(await flagsOf(a, uid), [], 'EXAMINE changed no flags');
});

test('curl -T appends a message (APPEND with \\Seen) that the store then holds byte for byte', testOpts, async () => {
  const { account: a, user } = await account('append');
  const raw = Buffer.from(message('uploaded by curl', 'Body line one\r\nBody line two — ünïcödé\r\n'), 'utf8');
  const file = join(work, 'upload.eml');
  writeFileSync(file, raw);
  ok(await curl(['-u', user, '-T', file, `imap://127.0.0.1:${srv.imap}/INBOX`]));
  const inbox = await srv.mailbox(a, 'INBOX');
  const records = await srv.server.deps.store.listMessages(inbox.accountId, inbox.id);
  assert.equal(records.length, 1);
  assert.ok((await srv.server.deps.blobs.get(records[0].blobId)).equals(raw), 'stored bytes are the uploaded file');
  assert.deepEqual(records[0].flags, ['\\Seen'], 'curl appends with (\\Seen)');
  // And curl reads back what it wrote.
  const back = await curl(['-u', user, `imap://127.0.0.1:${srv.imap}/INBOX;UID=${records[0].uid}`]);
  assert.equal(back.code, 0, back.stderr);
  assert.ok(back.stdout.equals(raw));
});

test('curl over TLS: imaps:// (implicit, --insecure) and imap:// with --ssl-reqd (STARTTLS) fetch the same bytes; the self-signed certificate is refused without --insecure', testOpts, async () => {
  const { account: a, user } = await account('tls');
  const raw = Buffer.from(message('over tls', 'secret body\r\n'));
  const { uid } = await srv.deliver(a, raw);

  const implicit = await curl(['--insecure', '-u', user, `imaps://127.0.0.1:${srv.imaps}/INBOX;UID=${uid}`]);
  assert.equal(implicit.code, 0, implicit.stderr);
  assert.ok(implicit.stdout.equals(raw));
  assert.match(ok(await curl(['--insecure', '-u', user, `imaps://127.0.0.1:${srv.imaps}/`])), /^\* LIST \(\\HasNoChildren\) "\/" INBOX\r\n/);

  const starttls = await curl(['--insecure', '--ssl-reqd', '-v', '-u', user, `imap://127.0.0.1:${srv.imap}/INBOX;UID=${uid}`]);
  assert.equal(starttls.code, 0, starttls.stderr);
  assert.ok(starttls.stdout.equals(raw));
  assert.match(starttls.stderr, /^> A\d+ STARTTLS\r?$/m, 'curl upgraded the connection with STARTTLS');

  // curl's own check of the self-signed certificate fails: exit 60 (peer certificate cannot be authenticated).
  const verified = await curl(['-u', user, `imaps://127.0.0.1:${srv.imaps}/`]);
  assert.equal(verified.code, 60, verified.stderr);
});

test('curl with a wrong password is refused (exit 67, login denied) and prints nothing', testOpts, async () => {
  await account('denied');
  const r = await curl(['-u', 'denied@example.com:wrong password', `imap://127.0.0.1:${srv.imap}/INBOX`]);
  assert.equal(r.code, 67, r.stderr);
  assert.equal(r.stdout.length, 0);
});
