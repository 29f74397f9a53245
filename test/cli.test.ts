// The admin command line end to end, as a user runs it: bin/posthorn in a separate process,
// against the same data directory as a running server.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir, runCli, startTestServer } from './helpers/server.ts';

test('domains, users, quotas, aliases through the CLI, seen at once by a running server', async () => {
  const dir = tempDir('cli');
  const env = { POSTHORN_DATA_DIR: dir.path, POSTHORN_HOSTNAME: 'mail.example.com' };
  const server = await startTestServer(dir.path, []);
  try {
    let r = await runCli(['domain', 'add', 'Example.COM'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /added domain example\.com/);
    r = await runCli(['domain', 'add', 'example.com'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /exists already/);
    r = await runCli(['domain', 'add', 'not_a..domain'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not a valid domain/);

    r = await runCli(['user', 'add', 'Alice@example.com', '--quota', '500MB', '--password-stdin'], env, 'correct horse battery\n');
    assert.equal(r.code, 0, r.stderr);
    // Added by another process a moment ago: the running server lets her in now.
    const ok = await server.deps.auth.authenticate('alice@example.com', 'correct horse battery', { ip: '127.0.0.1', protocol: 'imap' });
    assert.equal(ok.ok, true);
    const mailboxes = await server.deps.store.listMailboxes(ok.ok ? ok.account.id : -1);
    assert.deepEqual(mailboxes.map((m) => m.name).sort(), ['Archive', 'Drafts', 'INBOX', 'Junk', 'Sent', 'Trash']);

    r = await runCli(['user', 'add', 'alice@example.com', '--password-stdin'], env, 'another password\n');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /exists already/);
    r = await runCli(['user', 'add', 'bob@unknown.org', '--password-stdin'], env, 'another password\n');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not hosted/);
    r = await runCli(['user', 'add', 'not an address', '--password-stdin'], env, 'another password\n');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not a valid email address/);
    r = await runCli(['user', 'add', 'bob@example.com'], env); // no terminal, no --password-stdin
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--password-stdin/);
    r = await runCli(['user', 'add', 'bob@example.com', '--password-stdin'], env, 'short\n');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /at least 8 characters/);

    r = await runCli(['user', 'quota', 'alice@example.com', '-5MB'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot be negative/);
    r = await runCli(['user', 'quota', 'alice@example.com', '2GiB'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await server.deps.store.getAccountByAddress('alice@example.com'))?.quotaBytes, 2 * 1024 ** 3);
    r = await runCli(['user', 'quota', 'alice@example.com', 'lots'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /invalid quota/);

    r = await runCli(['user', 'passwd', 'alice@example.com', '--password-stdin'], env, 'a new secret phrase\n');
    assert.equal(r.code, 0, r.stderr);
    const old = await server.deps.auth.authenticate('alice@example.com', 'correct horse battery', { ip: '127.0.0.9', protocol: 'pop3' });
    assert.equal(old.ok, false);
    const fresh = await server.deps.auth.authenticate('alice@example.com', 'a new secret phrase', { ip: '127.0.0.9', protocol: 'pop3' });
    assert.equal(fresh.ok, true);

    r = await runCli(['user', 'list', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const users = JSON.parse(r.stdout) as { address: string; quotaBytes: number; usedBytes: number }[];
    assert.deepEqual(users.map((u) => [u.address, u.quotaBytes, u.usedBytes]), [['alice@example.com', 2 * 1024 ** 3, 0]]);

    r = await runCli(['alias', 'add', 'postmaster@example.com', 'alice@example.com'], env);
    assert.equal(r.code, 0, r.stderr);
    r = await runCli(['alias', 'add', 'ghost@example.com', 'nobody@example.com'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no user or alias/);
    r = await runCli(['alias', 'add', '@example.com', 'alice@example.com'], env);
    assert.equal(r.code, 0, r.stderr);
    const viaCatchAll = await server.deps.store.resolveRecipient('anything@example.com');
    assert.deepEqual(viaCatchAll?.map((t) => (t.kind === 'local' ? t.account.address : t.address)), ['alice@example.com']);
    r = await runCli(['alias', 'list'], env);
    assert.match(r.stdout, /postmaster@example\.com\s+alice@example\.com/);
    r = await runCli(['alias', 'remove', '@example.com'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await server.deps.store.resolveRecipient('anything@example.com'), []);

    r = await runCli(['domain', 'dns', 'example.com'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /MX/);
    assert.match(r.stdout, /v=spf1/);
    assert.match(r.stdout, /v=DKIM1; k=rsa; p=[A-Za-z0-9+/]{200,}/);
    assert.match(r.stdout, /_dmarc/);

    r = await runCli(['domain', 'remove', 'example.com'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /still has 1 account/);
    r = await runCli(['user', 'remove', 'alice@example.com'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await server.deps.store.getAccountByAddress('alice@example.com'), null);
    r = await runCli(['domain', 'remove', 'example.com'], env);
    assert.equal(r.code, 0, r.stderr);
    r = await runCli(['domain', 'list', '--json'], env);
    assert.deepEqual(JSON.parse(r.stdout), []);

    r = await runCli(['queue', 'list'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /the queue is empty/);
    r = await runCli(['queue', 'drop', '42'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no queued message 42/);

    r = await runCli(['frobnicate'], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command "frobnicate"/);
  } finally {
    await server.stop();
    dir.remove();
  }
});
