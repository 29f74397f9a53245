// IMAP end to end with imapflow (a client nobody here wrote): STARTTLS login, folders, APPEND,
// FETCH of bodies and structure, flags, SEARCH, COPY/MOVE, EXPUNGE, QUOTA, and IDLE receiving
// another session's changes and a delivery.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { ImapFlow } from 'imapflow';
import { startImapServer, message, type ImapTestServer } from './helpers/imap.ts';
import type { Account } from '../src/store/types.ts';

let srv: ImapTestServer;
let user: Account;

before(async () => {
  srv = await startImapServer();
  user = await srv.addAccount('flow@example.com', 'flow password', 10 * 1024 * 1024);
});

after(async () => {
  await srv.stop();
});

function client(opts: { secure?: boolean } = {}): ImapFlow {
  return new ImapFlow({
    host: '127.0.0.1',
    port: opts.secure ? srv.imaps : srv.imap,
    secure: opts.secure ?? false,
    auth: { user: 'flow@example.com', pass: 'flow password' },
    tls: { rejectUnauthorized: false },
    logger: false,
  });
}

test('STARTTLS login, LIST with special-use, CREATE/RENAME/DELETE a hierarchy, STATUS', async () => {
  const c = client();
  await c.connect();
  assert.ok(c.secureConnection || (c as unknown as { socket: { encrypted?: boolean } }).socket.encrypted, 'STARTTLS was used');
  const list = await c.list();
  const byPath = new Map(list.map((m) => [m.path, m]));
  assert.ok(byPath.has('INBOX'));
  assert.equal(byPath.get('Sent')?.specialUse, '\\Sent');
  assert.equal(byPath.get('Trash')?.specialUse, '\\Trash');
  await c.mailboxCreate('Projekte/Größe');
  await c.mailboxCreate('Projekte/Größe/Unter');
  let paths = (await c.list()).map((m) => m.path);
  assert.ok(paths.includes('Projekte/Größe/Unter'), paths.join(','));
  await c.mailboxRename('Projekte', 'Archiv2026');
  paths = (await c.list()).map((m) => m.path);
  assert.ok(paths.includes('Archiv2026/Größe/Unter'));
  assert.ok(!paths.some((p) => p.startsWith('Projekte')));
  await c.mailboxDelete('Archiv2026/Größe/Unter');
  await c.mailboxDelete('Archiv2026/Größe');
  await c.mailboxDelete('Archiv2026');
  paths = (await c.list()).map((m) => m.path);
  assert.ok(!paths.some((p) => p.startsWith('Archiv2026')));
  const status = await c.status('INBOX', { messages: true, uidNext: true, unseen: true, highestModseq: true });
  assert.ok(status);
  assert.equal(typeof status.messages, 'number');
  assert.ok(status.uidNext! >= 1);
  await c.logout();
});

test('implicit TLS: APPEND, FETCH envelope/structure/source/parts, flags, SEARCH, COPY, MOVE, delete, QUOTA', async () => {
  const c = client({ secure: true });
  await c.connect();
  await c.mailboxCreate('Work');
  const multipart = [
    'From: Carol <carol@example.net>',
    'To: flow@example.com',
    'Subject: Quarterly report',
    'Date: Tue, 24 Nov 2026 09:30:00 +0100',
    'Message-ID: <report@example.net>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Numbers are up =E2=80=94 see attachment.',
    '--b1',
    'Content-Type: application/octet-stream; name="data.bin"',
    'Content-Disposition: attachment; filename="data.bin"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('binary\u0000payload').toString('base64'),
    '--b1--',
    '',
  ].join('\r\n');
  const appended = await c.append('Work', multipart, ['\\Flagged', 'Important'], new Date('2026-11-24T08:30:00Z'));
  assert.ok(appended && appended.uid, 'APPENDUID returned');
  await c.append('Work', message('Second note', 'plain words here\r\n'));
  const lock = await c.getMailboxLock('Work');
  try {
    const msg = await c.fetchOne(String(appended.uid), { uid: true, envelope: true, bodyStructure: true, flags: true, internalDate: true, size: true, source: true }, { uid: true });
    assert.ok(msg);
    assert.equal(msg.envelope?.subject, 'Quarterly report');
    assert.equal(msg.envelope?.from?.[0]?.address, 'carol@example.net');
    assert.ok(msg.flags?.has('\\Flagged') && msg.flags?.has('Important'));
    assert.equal(new Date(msg.internalDate!).toISOString(), '2026-11-24T08:30:00.000Z');
    assert.equal(msg.size, Buffer.byteLength(multipart));
    assert.equal(msg.source?.toString(), multipart);
    assert.equal(msg.bodyStructure?.type, 'multipart/mixed');
    assert.equal(msg.bodyStructure?.childNodes?.[1]?.dispositionParameters?.filename, 'data.bin');
    // BODY.PEEK[1] and BINARY: the decoded attachment bytes, with the NUL.
    const parts = await c.fetchOne(String(appended.uid), { uid: true, bodyParts: ['1', '2'] }, { uid: true });
    assert.ok(parts);
    assert.match(parts.bodyParts?.get('1')?.toString() ?? '', /Numbers are up/);
    const dl = await c.download(String(appended.uid), '2', { uid: true });
    const chunks: Buffer[] = [];
    assert.ok(dl.content);
    for await (const chunk of dl.content) chunks.push(chunk as Buffer);
    assert.equal(Buffer.concat(chunks).toString('latin1'), 'binary\u0000payload');
    // \Seen was not set by the PEEK fetches.
    const flagsNow = await c.fetchOne(String(appended.uid), { flags: true }, { uid: true });
    assert.ok(flagsNow && !flagsNow.flags?.has('\\Seen'));
    await c.messageFlagsAdd(String(appended.uid), ['\\Seen'], { uid: true });
    await c.messageFlagsRemove(String(appended.uid), ['Important'], { uid: true });
    const after = await c.fetchOne(String(appended.uid), { flags: true }, { uid: true });
    assert.ok(after && after.flags?.has('\\Seen') && !after.flags?.has('Important'));
    assert.deepEqual(await c.search({ subject: 'quarterly' }, { uid: true }), [appended.uid]);
    assert.deepEqual(await c.search({ body: 'plain words' }, { uid: true }), [appended.uid + 1]);
    // TEXT sees header and body; BODY only the body (RFC 9051 §6.4.4): "quarterly" is in the Subject only.
    assert.deepEqual(await c.search({ text: 'QUARTERLY' }, { uid: true }), [appended.uid]);
    assert.deepEqual(await c.search({ body: 'quarterly' }, { uid: true }), []);
    assert.deepEqual(await c.search({ body: 'numbers are up' }, { uid: true }), [appended.uid]);
    assert.deepEqual(await c.search({ seen: false }, { uid: true }), [appended.uid + 1]);
    assert.deepEqual(await c.search({ from: 'carol@example.net', flagged: true }, { uid: true }), [appended.uid]);
    const copied = await c.messageCopy(String(appended.uid), 'Archive', { uid: true });
    assert.ok(copied && copied.uidMap && copied.uidMap.size === 1);
    const moved = await c.messageMove(String(appended.uid + 1), 'Trash', { uid: true });
    assert.ok(moved && moved.uidMap && moved.uidMap.size === 1);
    assert.equal(c.mailbox && typeof c.mailbox === 'object' ? c.mailbox.exists : -1, 1);
    assert.ok(await c.messageDelete(String(appended.uid), { uid: true }));
    assert.equal(c.mailbox && typeof c.mailbox === 'object' ? c.mailbox.exists : -1, 0);
  } finally {
    lock.release();
  }
  const archive = await c.status('Archive', { messages: true });
  assert.ok(archive);
  assert.equal(archive.messages, 1);
  const quota = await c.getQuota('INBOX');
  assert.ok(quota && quota.storage, 'STORAGE quota reported');
  assert.equal(quota.storage.limit, 10 * 1024 * 1024);
  assert.equal(quota.storage.usage, 1024, JSON.stringify(quota)); // one small message left (in Archive), counted in whole KiB
  await c.logout();
});

test('IDLE: another session\'s flag change and expunge, and a delivery, reach the idling client', async () => {
  await srv.deliver(user, message('Before idle'));
  const watcher = client();
  const actor = client();
  await watcher.connect();
  await actor.connect();
  await watcher.mailboxOpen('INBOX');
  const exists0 = (watcher.mailbox as { exists: number }).exists;
  // Start IDLE without awaiting its end (imapflow's idle() resolves when IDLE stops).
  const idling = watcher.idle();
  const existsEvent = once(watcher, 'exists');
  await srv.deliver(user, message('Delivered while idling'));
  const [ex] = await existsEvent;
  assert.equal(ex.count, exists0 + 1);
  await actor.mailboxOpen('INBOX');
  const flagsEvent = once(watcher, 'flags');
  await actor.messageFlagsAdd('1', ['\\Flagged']);
  const [fl] = await flagsEvent;
  assert.ok(fl.flags.has('\\Flagged'));
  const expungeEvent = once(watcher, 'expunge');
  await actor.messageDelete('1');
  const [exp] = await expungeEvent;
  assert.ok(exp.seq === 1 || exp.uid !== undefined);
  await actor.logout();
  await watcher.logout();
  await idling.catch(() => {});
});
