// mbsync (isync) syncing a whole account both ways over implicit TLS, with a Maildir on the
// local side: first full download, then local changes (flag, delete, new message, new folder)
// pushed to the server, then server changes (flags, delivery, expunge) pulled back.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync, readdirSync, renameSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startImapServer, message, type ImapTestServer } from './helpers/imap.ts';
import type { Account } from '../src/store/types.ts';
import { requireTool } from './helpers/tools.ts';

const run = promisify(execFile);
let srv: ImapTestServer;
let user: Account;
let local: string;

before(async () => {
  requireTool('mbsync');
  srv = await startImapServer();
  user = await srv.addAccount('mb@example.com', 'mb password');
  local = mkdtempSync(join(tmpdir(), 'posthorn-mbsync-'));
  mkdirSync(join(local, 'mail'));
  writeFileSync(
    join(local, 'mbsyncrc'),
    `IMAPAccount posthorn
Host 127.0.0.1
Port ${srv.imaps}
User mb@example.com
Pass "mb password"
SSLType IMAPS
CertificateFile ${join(srv.dir, 'tls', 'cert.pem')}

IMAPStore remote
Account posthorn

MaildirStore local
Path ${join(local, 'mail')}/
Inbox ${join(local, 'mail', 'INBOX')}
SubFolders Verbatim

Channel sync
Far :remote:
Near :local:
Patterns *
Create Both
Remove Both
Expunge Both
SyncState *
`,
  );
});

after(async () => {
  await srv?.stop();
  if (local) rmSync(local, { recursive: true, force: true });
});

async function mbsync(): Promise<void> {
  // Asynchronously: the server runs in this process and must keep answering.
  await run('mbsync', ['-q', '-c', join(local, 'mbsyncrc'), '-a'], { timeout: 60_000 });
}

/** Maildir files of a folder: name → flags (the letters after ":2,"). */
function maildir(folder: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const sub of ['new', 'cur']) {
    const dir = join(local, 'mail', folder, sub);
    for (const f of readdirSync(dir)) out.set(join(sub, f), f.slice(f.indexOf(':2,') + 3));
  }
  return out;
}

function subjects(folder: string): string[] {
  return [...maildir(folder).keys()].map((f) => /^Subject: (.*)$/m.exec(readFileSync(join(local, 'mail', folder, f), 'utf8'))?.[1] ?? '').sort();
}

async function serverSubjects(name: string): Promise<string[]> {
  const store = srv.server.deps.store;
  const mailbox = await srv.mailbox(user, name);
  const msgs = await store.getMessages(mailbox.accountId, mailbox.id, (await store.listMessages(mailbox.accountId, mailbox.id)).map((m) => m.uid));
  return msgs.map((m) => m.summary.subject).sort();
}

test('mbsync: download, push local changes, pull server changes', async () => {
  await srv.deliver(user, message('inbox one'));
  await srv.deliver(user, message('inbox two'));
  await srv.deliver(user, message('inbox three'));
  await srv.deliver(user, message('archived'), { mailbox: 'Archive', flags: ['\\Seen'] });
  await srv.server.deps.store.createMailbox(user.id, 'Projects/Alpha');
  await srv.deliver(user, message('alpha plan'), { mailbox: 'Projects/Alpha' });

  await mbsync();
  assert.deepEqual(subjects('INBOX'), ['inbox one', 'inbox three', 'inbox two']);
  assert.deepEqual(subjects('Archive'), ['archived']);
  assert.ok([...maildir('Archive').values()][0].includes('S'), 'the \\Seen flag came down');
  assert.deepEqual(subjects('Projects/Alpha'), ['alpha plan']);

  // Local changes: read "inbox one", trash "inbox two", file a new message, make a folder.
  const inbox = maildir('INBOX');
  for (const [file] of inbox) {
    const subject = /^Subject: (.*)$/m.exec(readFileSync(join(local, 'mail', 'INBOX', file), 'utf8'))![1];
    const base = file.replace(/^new\//, 'cur/').replace(/:2,.*$/, '');
    if (subject === 'inbox one') renameSync(join(local, 'mail', 'INBOX', file), join(local, 'mail', 'INBOX', `${base}:2,S`));
    if (subject === 'inbox two') renameSync(join(local, 'mail', 'INBOX', file), join(local, 'mail', 'INBOX', `${base}:2,T`));
  }
  writeFileSync(join(local, 'mail', 'Archive', 'new', `${Date.now()}.1.local`), message('filed locally'));
  for (const sub of ['new', 'cur', 'tmp']) mkdirSync(join(local, 'mail', 'Local Stuff', sub), { recursive: true });
  writeFileSync(join(local, 'mail', 'Local Stuff', 'new', `${Date.now()}.2.local`), message('made here'));

  await mbsync();
  assert.deepEqual(await serverSubjects('INBOX'), ['inbox one', 'inbox three']);
  const store = srv.server.deps.store;
  const inboxBox = await srv.mailbox(user, 'INBOX');
  const rows = await store.getMessages(inboxBox.accountId, inboxBox.id, (await store.listMessages(inboxBox.accountId, inboxBox.id)).map((m) => m.uid));
  assert.ok(rows.find((r) => r.summary.subject === 'inbox one')!.flags.includes('\\Seen'));
  assert.deepEqual(await serverSubjects('Archive'), ['archived', 'filed locally']);
  assert.deepEqual(await serverSubjects('Local Stuff'), ['made here']);

  // Server changes: a delivery, a flag set by another client, an expunge.
  await srv.deliver(user, message('arrived later'));
  const three = rows.find((r) => r.summary.subject === 'inbox three')!;
  await store.setFlags(user.id, inboxBox.id, [three.uid], 'add', ['\\Flagged']);
  const alpha = await srv.mailbox(user, 'Projects/Alpha');
  await store.expunge(user.id, alpha.id, { onlyDeleted: false });

  await mbsync();
  assert.deepEqual(subjects('INBOX'), ['arrived later', 'inbox one', 'inbox three']);
  const flagged = [...maildir('INBOX')].find(([f]) => readFileSync(join(local, 'mail', 'INBOX', f), 'utf8').includes('Subject: inbox three'))!;
  assert.ok(flagged[1].includes('F'), `\\Flagged came down: ${flagged[0]}`);
  assert.deepEqual(subjects('Projects/Alpha'), []);
  // A further run changes nothing on either side.
  await mbsync();
  assert.deepEqual(subjects('INBOX'), ['arrived later', 'inbox one', 'inbox three']);
  assert.deepEqual(await serverSubjects('INBOX'), ['arrived later', 'inbox one', 'inbox three']);
});
