// The administration use cases (src/admin/use-cases/) against a real SQLite store in a temp
// directory: what each returns, what it changes in the store, and which AdminError it throws.
// No process, no terminal: the same calls the CLI and the REST API make.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { loadConfig, type Config } from '../src/server/config.ts';
import { openConfiguredStore } from '../src/server/open-store.ts';
import { StoreError, type MailStore } from '../src/store/types.ts';
import { verifyPassword } from '../src/auth/password.ts';
import { AdminError, storeCall, type AdminErrorCode } from '../src/admin/use-cases/errors.ts';
import { addDomain, listDomains, removeDomain, domainDnsRecords } from '../src/admin/use-cases/domains.ts';
import {
  addUser, checkNewUser, getUser, listUsers, removeUser, setUserPassword, setUserPopRetention, setUserQuota,
} from '../src/admin/use-cases/users.ts';
import { addAlias, listAliases, removeAlias } from '../src/admin/use-cases/aliases.ts';

interface Admin {
  store: MailStore;
  config: Config;
}

/** A fresh store per test, so no test depends on another's leftovers. */
async function withStore(fn: (deps: Admin) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'posthorn-admin-'));
  const config = loadConfig({ env: { POSTHORN_DATA_DIR: dir, POSTHORN_HOSTNAME: 'mail.example.com' } });
  const opened = await openConfiguredStore(config);
  const { store } = opened;
  try {
    await fn({ store, config });
  } finally {
    await opened.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Asserts that `promise` rejects with an AdminError of this code, subject and message. */
async function refused(promise: Promise<unknown>, code: AdminErrorCode, subject: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof AdminError, `an AdminError, not ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.subject, subject);
    assert.match(err.message, message);
    return true;
  });
}

const PASSWORD = 'correct horse battery';

test('addDomain normalises the name and stores a 2048-bit RSA DKIM key under a monthly selector', async () => {
  await withStore(async (deps) => {
    const added = await addDomain(deps, { name: 'Example.COM.' });
    const now = new Date();
    const selector = `ph${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    assert.deepEqual({ ...added, createdAt: 0 }, { name: 'example.com', createdAt: 0, dkimSelector: selector, accounts: 0 });
    const stored = await deps.store.getDomain('example.com');
    assert.equal(stored?.createdAt, added.createdAt);
    const key = createPrivateKey(stored?.dkimPrivateKeyPem ?? '');
    assert.equal(key.asymmetricKeyType, 'rsa');
    assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048);
    // IDNA: a U-label is stored as its A-label.
    assert.equal((await addDomain(deps, { name: 'bücher.example' })).name, 'xn--bcher-kva.example');
  });
});

test('addDomain refuses an invalid name and a domain hosted already', async () => {
  await withStore(async (deps) => {
    await refused(addDomain(deps, { name: 'not_a..domain' }), 'INVALID', 'not_a..domain', /^"not_a\.\.domain" is not a valid domain name$/);
    await refused(addDomain(deps, { name: 'localhost' }), 'INVALID', 'localhost', /not a valid domain name/);
    await addDomain(deps, { name: 'example.com' });
    await refused(addDomain(deps, { name: 'EXAMPLE.com' }), 'ALREADY_EXISTS', 'example.com', /^domain example\.com exists already$/);
    assert.equal((await listDomains(deps)).length, 1);
  });
});

test('listDomains counts the users of each domain', async () => {
  await withStore(async (deps) => {
    assert.deepEqual(await listDomains(deps), []);
    await addDomain(deps, { name: 'b.example' });
    await addDomain(deps, { name: 'a.example' });
    await addUser(deps, { address: 'one@b.example', password: PASSWORD });
    await addUser(deps, { address: 'two@b.example', password: PASSWORD });
    const domains = await listDomains(deps);
    assert.deepEqual(domains.map((d) => [d.name, d.accounts]), [['a.example', 0], ['b.example', 2]]);
    assert.ok(domains.every((d) => d.dkimSelector !== null && d.createdAt > 0));
  });
});

test('removeDomain refuses while users are left, then removes the domain and its aliases', async () => {
  await withStore(async (deps) => {
    await refused(removeDomain(deps, { name: 'example.com' }), 'NOT_FOUND', 'example.com', /^no such domain: example\.com$/);
    await addDomain(deps, { name: 'example.com' });
    await addUser(deps, { address: 'alice@example.com', password: PASSWORD });
    await addAlias(deps, { source: 'postmaster@example.com', target: 'someone@elsewhere.example' });
    await refused(removeDomain(deps, { name: 'Example.com' }), 'HAS_CHILDREN', 'example.com', /^domain example\.com still has 1 account\(s\)$/);
    assert.ok(await deps.store.getDomain('example.com'));
    await removeUser(deps, { address: 'alice@example.com' });
    assert.deepEqual(await removeDomain(deps, { name: 'EXAMPLE.COM' }), { name: 'example.com' });
    assert.equal(await deps.store.getDomain('example.com'), null);
    assert.deepEqual(await listAliases(deps), []);
  });
});

test('domainDnsRecords publishes the public half of the stored DKIM key', async () => {
  await withStore(async (deps) => {
    await refused(domainDnsRecords(deps, { name: 'example.com' }), 'NOT_FOUND', 'example.com', /no such domain/);
    const { dkimSelector } = await addDomain(deps, { name: 'example.com' });
    const records = await domainDnsRecords(deps, { name: 'Example.com' });
    const pem = (await deps.store.getDomain('example.com'))?.dkimPrivateKeyPem ?? '';
    const publicKey = createPublicKey(pem).export({ type: 'spki', format: 'der' }).toString('base64');
    const dkim = records.find((r) => r.name === `${dkimSelector}._domainkey.example.com.`);
    assert.equal(dkim?.type, 'TXT');
    assert.equal(dkim?.value, `v=DKIM1; k=rsa; p=${publicKey}`);
    assert.equal(records.find((r) => r.type === 'MX')?.value, '10 mail.example.com.');
  });
});

test('checkNewUser and addUser refuse a bad address, an unhosted domain and an existing user', async () => {
  await withStore(async (deps) => {
    await refused(checkNewUser(deps, { address: 'not an address' }), 'INVALID', 'not an address', /^"not an address" is not a valid email address$/);
    await refused(checkNewUser(deps, { address: 'bob@unknown.org' }), 'NOT_HOSTED', 'unknown.org', /^domain unknown\.org is not hosted here$/);
    await refused(addUser(deps, { address: 'bob@unknown.org', password: PASSWORD }), 'NOT_HOSTED', 'unknown.org', /not hosted/);
    await addDomain(deps, { name: 'example.com' });
    assert.equal(await checkNewUser(deps, { address: 'Alice@Example.com' }), 'alice@example.com');
    await addUser(deps, { address: 'alice@example.com', password: PASSWORD });
    await refused(checkNewUser(deps, { address: 'ALICE@example.com' }), 'ALREADY_EXISTS', 'alice@example.com', /^user alice@example\.com exists already$/);
    await refused(addUser(deps, { address: 'alice@example.com', password: PASSWORD }), 'ALREADY_EXISTS', 'alice@example.com', /exists already/);
  });
});

test('addUser stores an argon2id hash, the quota and the default mailboxes', async () => {
  await withStore(async (deps) => {
    await addDomain(deps, { name: 'example.com' });
    const user = await addUser(deps, { address: 'Alice@Example.COM', password: PASSWORD, quotaBytes: 500_000_000 });
    assert.deepEqual({ ...user, createdAt: 0 }, {
      address: 'alice@example.com', quotaBytes: 500_000_000, usedBytes: 0, messages: 0, popRetentionDays: null, createdAt: 0,
    });
    const account = await deps.store.getAccountByAddress('alice@example.com');
    assert.ok(account);
    assert.match(account.passwordHash, /^\$argon2id\$/);
    assert.equal(await verifyPassword(PASSWORD, account.passwordHash), true);
    const mailboxes = await deps.store.listMailboxes(account.id);
    assert.deepEqual(mailboxes.map((m) => m.name).sort(), ['Archive', 'Drafts', 'INBOX', 'Junk', 'Sent', 'Trash']);
    assert.equal((await addUser(deps, { address: 'bob@example.com', password: PASSWORD })).quotaBytes, null);
  });
});

test('addUser refuses a short password and a negative or fractional quota, and creates nothing', async () => {
  await withStore(async (deps) => {
    await addDomain(deps, { name: 'example.com' });
    await refused(addUser(deps, { address: 'bob@example.com', password: 'short' }), 'INVALID', 'bob@example.com', /^the password must have at least 8 characters$/);
    await refused(addUser(deps, { address: 'bob@example.com', password: PASSWORD, quotaBytes: -1 }), 'INVALID', 'bob@example.com', /quota/);
    await refused(addUser(deps, { address: 'bob@example.com', password: PASSWORD, quotaBytes: 1.5 }), 'INVALID', 'bob@example.com', /quota/);
    assert.deepEqual(await listUsers(deps), []);
  });
});

test('listUsers lists all users or one domain\'s, by address; getUser finds one or NOT_FOUND', async () => {
  await withStore(async (deps) => {
    await addDomain(deps, { name: 'a.example' });
    await addDomain(deps, { name: 'b.example' });
    await addUser(deps, { address: 'zoe@a.example', password: PASSWORD });
    await addUser(deps, { address: 'adam@a.example', password: PASSWORD });
    await addUser(deps, { address: 'carl@b.example', password: PASSWORD, quotaBytes: 1024 });
    assert.deepEqual((await listUsers(deps)).map((u) => u.address), ['adam@a.example', 'carl@b.example', 'zoe@a.example']);
    assert.deepEqual((await listUsers(deps, { domain: 'A.example' })).map((u) => u.address), ['adam@a.example', 'zoe@a.example']);
    assert.deepEqual(await listUsers(deps, { domain: 'unhosted.example' }), []);
    await refused(listUsers(deps, { domain: 'not_a..domain' }), 'INVALID', 'not_a..domain', /invalid domain/);
    assert.equal((await getUser(deps, { address: 'CARL@b.example' })).quotaBytes, 1024);
    await refused(getUser(deps, { address: 'nobody@b.example' }), 'NOT_FOUND', 'nobody@b.example', /^no such user: nobody@b\.example$/);
    await refused(getUser(deps, { address: 'nobody' }), 'INVALID', 'nobody', /not a valid email address/);
  });
});

test('setUserPassword replaces the hash; the old password stops working', async () => {
  await withStore(async (deps) => {
    await addDomain(deps, { name: 'example.com' });
    await addUser(deps, { address: 'alice@example.com', password: PASSWORD });
    await refused(setUserPassword(deps, { address: 'alice@example.com', password: 'short' }), 'INVALID', 'alice@example.com', /at least 8/);
    const changed = await setUserPassword(deps, { address: 'Alice@example.com', password: 'a new secret phrase' });
    assert.equal(changed.address, 'alice@example.com');
    const hash = (await deps.store.getAccountByAddress('alice@example.com'))?.passwordHash ?? '';
    assert.equal(await verifyPassword('a new secret phrase', hash), true);
    assert.equal(await verifyPassword(PASSWORD, hash), false);
    await refused(setUserPassword(deps, { address: 'bob@example.com', password: PASSWORD }), 'NOT_FOUND', 'bob@example.com', /no such user/);
  });
});

test('setUserQuota sets a limit or unlimited and refuses what is not a byte count', async () => {
  await withStore(async (deps) => {
    await addDomain(deps, { name: 'example.com' });
    await addUser(deps, { address: 'alice@example.com', password: PASSWORD });
    assert.equal((await setUserQuota(deps, { address: 'alice@example.com', quotaBytes: 2 * 1024 ** 3 })).quotaBytes, 2 * 1024 ** 3);
    assert.equal((await deps.store.getAccountByAddress('alice@example.com'))?.quotaBytes, 2 * 1024 ** 3);
    assert.equal((await setUserQuota(deps, { address: 'alice@example.com', quotaBytes: null })).quotaBytes, null);
    assert.equal((await deps.store.getAccountByAddress('alice@example.com'))?.quotaBytes, null);
    await refused(setUserQuota(deps, { address: 'alice@example.com', quotaBytes: -5 }), 'INVALID', 'alice@example.com', /quota/);
    await refused(setUserQuota(deps, { address: 'bob@example.com', quotaBytes: 5 }), 'NOT_FOUND', 'bob@example.com', /no such user/);
  });
});

test('setUserPopRetention takes a positive number of days or null', async () => {
  await withStore(async (deps) => {
    await addDomain(deps, { name: 'example.com' });
    await addUser(deps, { address: 'alice@example.com', password: PASSWORD });
    assert.equal((await setUserPopRetention(deps, { address: 'alice@example.com', days: 30 })).popRetentionDays, 30);
    assert.equal((await getUser(deps, { address: 'alice@example.com' })).popRetentionDays, 30);
    await setUserPopRetention(deps, { address: 'alice@example.com', days: null });
    assert.equal((await getUser(deps, { address: 'alice@example.com' })).popRetentionDays, null);
    for (const days of [0, -1, 2.5]) {
      await refused(setUserPopRetention(deps, { address: 'alice@example.com', days }), 'INVALID', 'alice@example.com', /positive whole number of days/);
    }
  });
});

test('removeUser removes the account and the aliases that point to it', async () => {
  await withStore(async (deps) => {
    await addDomain(deps, { name: 'example.com' });
    await addUser(deps, { address: 'alice@example.com', password: PASSWORD });
    await addAlias(deps, { source: 'postmaster@example.com', target: 'alice@example.com' });
    assert.deepEqual(await removeUser(deps, { address: 'ALICE@example.com' }), { address: 'alice@example.com' });
    assert.equal(await deps.store.getAccountByAddress('alice@example.com'), null);
    assert.deepEqual(await listAliases(deps), []);
    await refused(removeUser(deps, { address: 'alice@example.com' }), 'NOT_FOUND', 'alice@example.com', /no such user/);
  });
});

test('addAlias normalises, allows catch-alls and external targets, and the store routes through it', async () => {
  await withStore(async (deps) => {
    await addDomain(deps, { name: 'example.com' });
    await addUser(deps, { address: 'alice@example.com', password: PASSWORD });
    assert.deepEqual(await addAlias(deps, { source: 'PostMaster@Example.com', target: 'Alice@example.com' }), {
      source: 'postmaster@example.com', target: 'alice@example.com',
    });
    assert.deepEqual(await addAlias(deps, { source: '@EXAMPLE.com', target: 'alice@example.com' }), { source: '@example.com', target: 'alice@example.com' });
    await addAlias(deps, { source: 'list@example.com', target: 'friend@elsewhere.example' });
    const viaCatchAll = await deps.store.resolveRecipient('anything@example.com');
    assert.deepEqual(viaCatchAll?.map((t) => (t.kind === 'local' ? t.account.address : t.address)), ['alice@example.com']);
    // An alias is itself a valid target in a hosted domain.
    await addAlias(deps, { source: 'webmaster@example.com', target: 'postmaster@example.com' });
    assert.deepEqual((await listAliases(deps, { domain: 'example.com' })).map((a) => a.source), [
      '@example.com', 'list@example.com', 'postmaster@example.com', 'webmaster@example.com',
    ]);
  });
});

test('addAlias refuses bad addresses, unhosted domains, loops to itself, duplicates and dangling hosted targets', async () => {
  await withStore(async (deps) => {
    await addDomain(deps, { name: 'example.com' });
    await addUser(deps, { address: 'alice@example.com', password: PASSWORD });
    await refused(addAlias(deps, { source: '@not_a..domain', target: 'alice@example.com' }), 'INVALID', '@not_a..domain', /^"@not_a\.\.domain" is not a valid catch-all \(@domain\)$/);
    await refused(addAlias(deps, { source: 'nope', target: 'alice@example.com' }), 'INVALID', 'nope', /not a valid email address/);
    await refused(addAlias(deps, { source: 'a@example.com', target: 'nope' }), 'INVALID', 'nope', /not a valid email address/);
    await refused(addAlias(deps, { source: 'a@unknown.org', target: 'alice@example.com' }), 'NOT_HOSTED', 'unknown.org', /^domain unknown\.org is not hosted here$/);
    await refused(addAlias(deps, { source: 'alice@example.com', target: 'ALICE@example.com' }), 'INVALID', 'alice@example.com', /^an alias cannot point to itself$/);
    await addAlias(deps, { source: 'info@example.com', target: 'alice@example.com' });
    await refused(addAlias(deps, { source: 'info@example.com', target: 'alice@example.com' }), 'ALREADY_EXISTS', 'info@example.com', /^alias info@example\.com → alice@example\.com exists already$/);
    await refused(addAlias(deps, { source: 'ghost@example.com', target: 'nobody@example.com' }), 'INVALID', 'nobody@example.com', /^nobody@example\.com is in a hosted domain but is no user or alias$/);
    assert.deepEqual((await listAliases(deps)).map((a) => a.source), ['info@example.com']);
  });
});

test('removeAlias removes one target or every target of a source, else NOT_FOUND', async () => {
  await withStore(async (deps) => {
    await addDomain(deps, { name: 'example.com' });
    for (const target of ['one@elsewhere.example', 'two@elsewhere.example', 'three@elsewhere.example']) {
      await addAlias(deps, { source: 'team@example.com', target });
    }
    assert.deepEqual(await removeAlias(deps, { source: 'Team@example.com', target: 'ONE@elsewhere.example' }), {
      source: 'team@example.com', target: 'one@elsewhere.example', removed: 1,
    });
    assert.equal((await removeAlias(deps, { source: 'team@example.com' })).removed, 2);
    assert.deepEqual(await listAliases(deps), []);
    await refused(removeAlias(deps, { source: 'team@example.com' }), 'NOT_FOUND', 'team@example.com', /^no such alias: team@example\.com$/);
    await refused(removeAlias(deps, { source: '@example.com', target: 'x@elsewhere.example' }), 'NOT_FOUND', '@example.com', /^no such alias: @example\.com → x@elsewhere\.example$/);
  });
});

test('storeCall turns the caller\'s store refusals into AdminErrors and lets the server\'s own troubles through', async () => {
  await refused(storeCall('a@example.com', () => Promise.reject(new StoreError('ALREADY_EXISTS', 'account a@example.com exists'))), 'ALREADY_EXISTS', 'a@example.com', /exists/);
  const busy = new StoreError('UNAVAILABLE', 'database is locked');
  await assert.rejects(storeCall('a@example.com', () => Promise.reject(busy)), (err) => err === busy);
  assert.equal(await storeCall('x', async () => 42), 42);
});
