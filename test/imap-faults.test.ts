// SECURITY-CASES.md "Disk full; database locked → temporary failure (NO), never a success that
// was not stored", for IMAP APPEND, COPY and STORE. Both faults are real, not mocked:
// - database locked: a second SQLite connection (as another process would: the CLI) holds
//   BEGIN IMMEDIATE on the server's posthorn.db; the server's write waits its busy timeout
//   (5 s, fixed in openSqliteStore, not configurable, so this test takes ~10 s) and must answer
//   NO [UNAVAILABLE];
// - disk full: the server (test/imap-crash-server.ts) runs in its own mount namespace with its
//   data directory on a 4 MiB tmpfs; the test fills it with a file until ENOSPC, so a new blob
//   (ENOSPC) and a new WAL frame (SQLITE_FULL) find no space. Skipped where no tmpfs can be
//   mounted (neither root nor unprivileged user namespaces).
// While the fault lasts and after it is removed, nothing half-stored is visible (IMAP STATUS and
// FETCH, and the store: counters equal the rows); then the very same commands succeed and what
// they report is stored.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { startImapServer, RawImap, message } from './helpers/imap.ts';
import { findTool, requireTool } from './helpers/tools.ts';
import { openSqliteStore } from '../src/store/sqlite/index.ts';
import { TieredBlobStore } from '../src/store/blob-tiered.ts';
import { InProcessChangeBus } from '../src/store/change-bus.ts';
import { hashPassword } from '../src/auth/password.ts';
import type { AccountId, BlobStore, MailStore } from '../src/store/types.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const NODE = join(HERE, '..', 'node_modules', '.bin', 'node');
const ADDRESS = 'faults@example.com';
const PASSWORD = 'fault password';

const login = (port: number): Promise<RawImap> => RawImap.login(port, ADDRESS, PASSWORD);

async function loginSelect(port: number): Promise<RawImap> {
  const c = await login(port);
  assert.match((await c.command('S', 'SELECT INBOX')).at(-1)!, /^S OK/);
  return c;
}

function appendCommand(tag: string, mailbox: string, raw: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${tag} APPEND ${mailbox} {${raw.length}+}\r\n`), raw, Buffer.from('\r\n')]);
}

/**
 * Lines up to the tagged response, waiting up to a minute: in the lock test the server (in this
 * process) blocks the event loop for its whole busy timeout, which RawImap's 10 s deadline for
 * one line would count against the reply.
 */
async function until(c: RawImap, tag: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const l = await c.line(60_000);
    if (l === null) throw new Error(`closed before ${tag}: ${out.join(' | ')}`);
    out.push(l);
    if (l.startsWith(tag + ' ')) return out;
  }
}

async function command(c: RawImap, tag: string, text: string): Promise<string[]> {
  c.send(`${tag} ${text}\r\n`);
  return until(c, tag);
}

async function append(c: RawImap, tag: string, mailbox: string, raw: Buffer): Promise<string> {
  c.send(appendCommand(tag, mailbox, raw));
  return (await until(c, tag)).at(-1)!;
}

/** STATUS counters as a fresh session sees them. */
async function status(port: number, mailbox: string): Promise<string> {
  const c = await login(port);
  try {
    const lines = await c.command('T', `STATUS ${mailbox} (MESSAGES UIDNEXT SIZE)`);
    assert.match(lines.at(-1)!, /^T OK/);
    return lines.find((l) => l.startsWith('* STATUS'))!;
  } finally {
    c.close();
  }
}

function sha(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * What the store holds for the account: per mailbox the UIDs with their flags and blob sha-256
 * (read back from the blob, so a missing or partial blob shows), after checking that the
 * account's and every mailbox's counters equal the rows.
 */
async function storedState(store: MailStore, blobs: BlobStore, accountId: AccountId): Promise<Record<string, { uid: number; flags: string[]; sha: string }[]>> {
  const out: Record<string, { uid: number; flags: string[]; sha: string }[]> = {};
  let rows = 0;
  let bytes = 0;
  for (const box of await store.listMailboxes(accountId)) {
    const records = await store.listMessages(box.accountId, box.id);
    const size = records.reduce((sum, r) => sum + r.size, 0);
    assert.equal(box.messageCount, records.length, `${box.name}: message count = rows`);
    assert.equal(box.sizeBytes, size, `${box.name}: size = sum of sizes`);
    rows += records.length;
    bytes += size;
    if (records.length === 0) continue;
    out[box.name] = [];
    for (const r of records) {
      const content = await blobs.get(r.blobId);
      assert.equal(content.length, r.size, `${box.name} UID ${r.uid}: whole blob`);
      out[box.name].push({ uid: r.uid, flags: [...r.flags].sort(), sha: sha(content) });
    }
  }
  const account = (await store.getAccount(accountId))!;
  assert.equal(account.messageCount, rows, 'account message count = rows');
  assert.equal(account.usedBytes, bytes, 'account used bytes = sum of sizes');
  return out;
}

test('database locked by another connection: APPEND, COPY and STORE answer NO [UNAVAILABLE], store nothing, then succeed', { timeout: 120_000 }, async () => {
  const srv = await startImapServer({ POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' });
  const { store, blobs } = srv.server.deps;
  try {
    const account = await srv.addAccount(ADDRESS, PASSWORD);
    await store.createMailbox(account.id, 'Kept');
    const one = Buffer.from(message('one'));
    const two = Buffer.from(message('two'));
    const three = Buffer.from(message('three'));
    await srv.deliver(account, one);
    await srv.deliver(account, two);
    const before = await storedState(store, blobs, account.id);
    assert.deepEqual(before, { INBOX: [{ uid: 1, flags: [], sha: sha(one) }, { uid: 2, flags: [], sha: sha(two) }] });
    const inboxBefore = await status(srv.imap, 'INBOX');
    const keptBefore = await status(srv.imap, 'Kept');

    // One session per command, logged in and selected before the lock (SELECT claims \Recent,
    // a write), so the three wait on the lock at the same time rather than one after another.
    const [appender, copier, flagger] = await Promise.all([login(srv.imap), loginSelect(srv.imap), loginSelect(srv.imap)]);
    const lock = new DatabaseSync(join(srv.dir, 'posthorn.db'));
    lock.exec('BEGIN IMMEDIATE');
    let locked = true;
    try {
      const answers = await Promise.all([
        append(appender, 'A', 'INBOX', three),
        command(copier, 'C', 'UID COPY 1 Kept'),
        command(flagger, 'F', 'UID STORE 1 +FLAGS (\\Flagged)'),
      ]);
      assert.match(answers[0], /^A NO \[UNAVAILABLE\]/, 'APPEND under the lock');
      assert.match(answers[1].at(-1)!, /^C NO \[UNAVAILABLE\]/, 'COPY under the lock');
      assert.match(answers[2].at(-1)!, /^F NO \[UNAVAILABLE\]/, 'STORE under the lock');
      assert.deepEqual(answers[2].filter((l) => l.startsWith('*')), [], 'no FETCH for flags that were not stored');
      // Readers are not blocked (WAL), and see nothing of the refused commands.
      assert.equal(await status(srv.imap, 'INBOX'), inboxBefore);
      assert.equal(await status(srv.imap, 'Kept'), keptBefore);
      lock.exec('ROLLBACK');
      locked = false;
    } finally {
      if (locked) lock.exec('ROLLBACK');
      lock.close();
    }

    // The lock is gone: still nothing of the refused commands, in this session's view or anyone's.
    const flags = await command(flagger, 'G', 'UID FETCH 1 (FLAGS)');
    assert.match(flags.at(-1)!, /^G OK/);
    assert.doesNotMatch(flags.join('\n'), /\\Flagged/);
    assert.equal(await status(srv.imap, 'INBOX'), inboxBefore);
    assert.equal(await status(srv.imap, 'Kept'), keptBefore);
    assert.deepEqual(await storedState(store, blobs, account.id), before);

    // The same commands again: OK, and what they report is stored.
    const appended = await append(appender, 'A2', 'INBOX', three);
    const appendUid = /^A2 OK \[APPENDUID \d+ (\d+)\]/.exec(appended);
    assert.ok(appendUid, appended);
    const copied = (await command(copier, 'C2', 'UID COPY 1 Kept')).at(-1)!;
    const copyUid = /^C2 OK \[COPYUID \d+ 1 (\d+)\]/.exec(copied);
    assert.ok(copyUid, copied);
    const stored = await command(flagger, 'F2', 'UID STORE 1 +FLAGS (\\Flagged)');
    assert.match(stored.at(-1)!, /^F2 OK/);
    assert.ok(stored.some((l) => /^\* 1 FETCH \(.*FLAGS \([^)]*\\Flagged/.test(l)), stored.join('\n'));
    assert.deepEqual(await storedState(store, blobs, account.id), {
      INBOX: [
        { uid: 1, flags: ['\\Flagged'], sha: sha(one) },
        { uid: 2, flags: [], sha: sha(two) },
        { uid: Number(appendUid[1]), flags: [], sha: sha(three) },
      ],
      // The copy is the same Email: the keyword set on INBOX's message is its keyword too.
      Kept: [{ uid: Number(copyUid[1]), flags: ['\\Flagged'], sha: sha(one) }],
    });
    for (const c of [appender, copier, flagger]) c.close();
  } finally {
    await srv.stop();
  }
});

/**
 * unshare flags that let this process mount a tmpfs in a private mount namespace: as root a
 * mount namespace is enough, otherwise an unprivileged user namespace is needed. Null when
 * neither works here (a property of the kernel and sandbox), or when unshare itself is missing
 * (then the test runs and fails, saying what to install).
 */
function mountNamespace(): string[] | null {
  if (findTool('unshare') === null) return null;
  const flags = process.getuid?.() === 0
    ? ['--mount', '--propagation', 'private']
    : ['--user', '--map-root-user', '--mount', '--propagation', 'private'];
  const probe = mkdtempSync(join(tmpdir(), 'posthorn-faults-probe-'));
  try {
    const r = spawnSync('unshare', [...flags, 'sh', '-c', 'mount -t tmpfs -o size=64k posthorn-probe "$0"', probe], { stdio: 'ignore' });
    return r.status === 0 ? flags : null;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

const NAMESPACE = mountNamespace();

/** Writes until the file system answers ENOSPC, in smaller and smaller writes. */
function fillUp(path: string): void {
  const fd = openSync(path, 'w');
  let full = false;
  try {
    for (const chunk of [1 << 20, 1 << 16, 1 << 12, 1 << 9, 1]) {
      const buf = Buffer.alloc(chunk, 0x78);
      for (;;) {
        try {
          writeSync(fd, buf);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
          full = true;
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  assert.ok(full, 'the file system reported ENOSPC');
}

function tempBlobFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.startsWith('.tmp-')) out.push(join(d, e.name));
    }
  };
  walk(dir);
  return out;
}

// The server's data directory exists only in its mount namespace. The test reaches files there
// through /proc/<pid>/root, but SQLite resolves that magic link to "/" and would open another
// file, so the database is prepared outside (template, copied in before the server starts) and
// checked outside (copied out by the same shell after the server stopped).
const WRAPPER = [
  'mount -t tmpfs -o size=4m,mode=0700 posthorn-faults "$0" || exit 97',
  'cp -a "$1/." "$0/" || exit 98',
  '"$3" "$4" "$0"',
  'code=$?',
  'cp -a "$0/." "$2/" || exit 99',
  'exit $code',
].join('\n');

test('disk full (tmpfs data directory): APPEND, COPY and STORE answer NO [UNAVAILABLE], store nothing, then succeed',
  { timeout: 60_000, skip: NAMESPACE || findTool('unshare') === null ? false : 'cannot mount a tmpfs in a private mount namespace here (needs root or unprivileged user namespaces)' },
  async () => {
    requireTool('unshare');
    const root = mkdtempSync(join(tmpdir(), 'posthorn-imap-faults-'));
    const [data, template, after] = ['data', 'template', 'after'].map((d) => join(root, d));
    for (const d of [data, template, after]) mkdirSync(d);
    let shell: ChildProcess | null = null;
    let serverPid = 0;
    try {
      const prepared = await openSqliteStore({ path: join(template, 'posthorn.db'), bus: new InProcessChangeBus() });
      await prepared.addDomain('example.com');
      const account = await prepared.createAccount({ address: ADDRESS, passwordHash: await hashPassword(PASSWORD) });
      await prepared.createMailbox(account.id, 'Kept');
      await prepared.close();

      shell = spawn('unshare', [...NAMESPACE!, 'sh', '-c', WRAPPER, data, template, after, NODE, join(HERE, 'imap-crash-server.ts')], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = once(shell, 'exit');
      const port = await new Promise<number>((resolve, reject) => {
        let buffered = '';
        shell!.stdout!.on('data', (d: Buffer) => {
          buffered += d.toString();
          const m = /\{"event":"ready","imap":(\d+),"imaps":\d+,"pid":(\d+)\}/.exec(buffered);
          if (m) {
            serverPid = Number(m[2]);
            resolve(Number(m[1]));
          }
        });
        shell!.once('exit', (code, signal) => reject(new Error(`server shell exited with ${code ?? signal}`)));
      });
      const mounted = `/proc/${serverPid}/root${data}`;

      const one = Buffer.from(message('one'));
      const two = Buffer.from(message('two'));
      const three = Buffer.from(message('three', 'A new message: its blob needs space.\r\n'.repeat(200)));
      const c = await login(port);
      assert.match(await append(c, 'P1', 'INBOX', one), /^P1 OK \[APPENDUID \d+ 1\]/);
      assert.match(await append(c, 'P2', 'INBOX', two), /^P2 OK \[APPENDUID \d+ 2\]/);
      assert.match((await command(c, 'S', 'SELECT INBOX')).at(-1)!, /^S OK/);
      const inboxBefore = await status(port, 'INBOX');
      const keptBefore = await status(port, 'Kept');
      assert.match(inboxBefore, /MESSAGES 2\b/);

      // Nothing checkpoints the WAL at this size, so every new transaction appends frames to it:
      // with every free page taken, a write to the database finds no space, like a new blob.
      const filler = join(mounted, 'filler');
      fillUp(filler);
      let full = true;
      try {
        // A new message: the blob itself finds no space.
        assert.match(await append(c, 'A', 'INBOX', three), /^A NO \[UNAVAILABLE\]/, 'APPEND of a new message on a full disk');
        // A message whose blob exists already: only the row has to be written, into the WAL.
        assert.match(await append(c, 'B', 'Kept', one), /^B NO \[UNAVAILABLE\]/, 'APPEND of stored bytes on a full disk');
        assert.match((await command(c, 'C', 'UID COPY 1 Kept')).at(-1)!, /^C NO \[UNAVAILABLE\]/, 'COPY on a full disk');
        const flagged = await command(c, 'F', 'UID STORE 1 +FLAGS (\\Flagged)');
        assert.match(flagged.at(-1)!, /^F NO \[UNAVAILABLE\]/, 'STORE on a full disk');
        assert.deepEqual(flagged.filter((l) => l.startsWith('*')), [], 'no FETCH for flags that were not stored');
        // Reading still works and shows nothing of the refused commands.
        assert.equal(await status(port, 'INBOX'), inboxBefore);
        assert.equal(await status(port, 'Kept'), keptBefore);
        assert.deepEqual(tempBlobFiles(join(mounted, 'blobs')), [], 'no partial blob left behind');
        unlinkSync(filler);
        full = false;
      } finally {
        if (full) unlinkSync(filler);
      }

      // Space again: still nothing of the refused commands, in this session's view or anyone's.
      const flags = await command(c, 'G', 'UID FETCH 1:* (FLAGS)');
      assert.match(flags.at(-1)!, /^G OK/);
      assert.equal(flags.filter((l) => /^\* \d+ FETCH /.test(l)).length, 2, flags.join('\n'));
      assert.doesNotMatch(flags.join('\n'), /\\Flagged/);
      assert.equal(await status(port, 'INBOX'), inboxBefore);
      assert.equal(await status(port, 'Kept'), keptBefore);

      // The same commands again: OK, and what they report is stored.
      const uidOf = (line: string, pattern: RegExp): number => {
        const m = pattern.exec(line);
        assert.ok(m, line);
        return Number(m[1]);
      };
      const threeUid = uidOf(await append(c, 'A2', 'INBOX', three), /^A2 OK \[APPENDUID \d+ (\d+)\]/);
      const appendedUid = uidOf(await append(c, 'B2', 'Kept', one), /^B2 OK \[APPENDUID \d+ (\d+)\]/);
      const copiedUid = uidOf((await command(c, 'C2', 'UID COPY 1 Kept')).at(-1)!, /^C2 OK \[COPYUID \d+ 1 (\d+)\]/);
      const stored = await command(c, 'F2', 'UID STORE 1 +FLAGS (\\Flagged)');
      assert.match(stored.at(-1)!, /^F2 OK/);
      assert.ok(stored.some((l) => /^\* 1 FETCH \(.*FLAGS \([^)]*\\Flagged/.test(l)), stored.join('\n'));
      c.close();

      process.kill(serverPid, 'SIGTERM');
      assert.deepEqual(await exited, [0, null], 'the server survived the full disk and stopped cleanly; its data was copied out');

      const opened = await openSqliteStore({ path: join(after, 'posthorn.db'), bus: new InProcessChangeBus() });
      try {
        assert.deepEqual(await storedState(opened, new TieredBlobStore(join(after, 'blobs')), account.id), {
          INBOX: [
            { uid: 1, flags: ['\\Flagged'], sha: sha(one) },
            { uid: 2, flags: [], sha: sha(two) },
            { uid: threeUid, flags: [], sha: sha(three) },
          ],
          Kept: [
            { uid: appendedUid, flags: [], sha: sha(one) },
            // The copy is the same Email as INBOX's uid 1, so it carries the keyword set there.
            { uid: copiedUid, flags: ['\\Flagged'], sha: sha(one) },
          ],
        });
      } finally {
        await opened.close();
      }
    } finally {
      if (shell && shell.exitCode === null && shell.signalCode === null) {
        // The server first (the shell then copies out and exits), the shell if it has no server.
        if (serverPid) process.kill(serverPid, 'SIGKILL');
        else shell.kill('SIGKILL');
        await once(shell, 'exit');
      }
      rmSync(root, { recursive: true, force: true });
    }
  });
