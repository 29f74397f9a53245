// Store contract, part 1: domains, accounts, aliases and recipient resolution.

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { rejectsWith, withStore, type OpenTestStore } from './helpers/store-contract-kit.ts';

export function accountsContract(open: OpenTestStore): void {
  it('adds, lists and removes domains', () =>
    withStore(open, async ({ store }) => {
      const d = await store.addDomain('Mail.Example.NET');
      assert.equal(d.name, 'mail.example.net');
      assert.equal((await store.getDomain('MAIL.example.net'))?.id, d.id);
      await rejectsWith(store.addDomain('mail.example.net'), 'ALREADY_EXISTS');
      await rejectsWith(store.addDomain('not a domain'), 'INVALID');
      assert.deepEqual((await store.listDomains()).map((x) => x.name), ['example.org', 'mail.example.net']);
      await rejectsWith(store.removeDomain('example.org'), 'HAS_CHILDREN');
      await store.addAlias('@mail.example.net', 'user@example.org');
      await store.removeDomain('mail.example.net');
      assert.equal(await store.getDomain('mail.example.net'), null);
      assert.deepEqual(await store.listAliases(), [], 'aliases of a removed domain go with it');
      await rejectsWith(store.removeDomain('mail.example.net'), 'NOT_FOUND');
      const withKey = await store.addDomain('dkim.example', { selector: 's1', privateKeyPem: 'PEM' });
      assert.equal(withKey.dkimSelector, 's1');
      assert.equal(withKey.dkimPrivateKeyPem, 'PEM');
    }));

  it('creates accounts with the default mailboxes, all subscribed', () =>
    withStore(open, async ({ store, account }) => {
      assert.equal(account.address, 'user@example.org');
      assert.equal(account.usedBytes, 0);
      assert.equal(account.quotaBytes, null);
      assert.equal(account.disabled, false);
      const boxes = await store.listMailboxes(account.id);
      const byName = new Map(boxes.map((b) => [b.name, b.role]));
      assert.deepEqual(
        [...byName.entries()].sort(),
        [['Archive', '\\Archive'], ['Drafts', '\\Drafts'], ['INBOX', null], ['Junk', '\\Junk'], ['Sent', '\\Sent'], ['Trash', '\\Trash']],
      );
      assert.deepEqual((await store.listSubscriptions(account.id)).sort(), ['Archive', 'Drafts', 'INBOX', 'Junk', 'Sent', 'Trash']);
      assert.equal((await store.getMailboxByRole(account.id, '\\Trash'))?.name, 'Trash');
      assert.equal(await store.getMailboxByRole(account.id, '\\All'), null);
      assert.equal((await store.getAccountByAddress('USER@Example.ORG'))?.id, account.id);
      assert.equal(await store.getAccountByAddress('nobody@example.org'), null);
      assert.equal(await store.getAccount(999999), null);
      await rejectsWith(store.createAccount({ address: 'User@example.org', passwordHash: 'h' }), 'ALREADY_EXISTS');
      await rejectsWith(store.createAccount({ address: 'x@unhosted.example', passwordHash: 'h' }), 'NOT_FOUND');
      await rejectsWith(store.createAccount({ address: 'not-an-address', passwordHash: 'h' }), 'INVALID');
    }));

  it('updates password hash, quota and POP3 retention', () =>
    withStore(open, async ({ store, account }) => {
      await store.setPasswordHash(account.id, 'new-hash');
      await store.setQuota(account.id, 1000);
      await store.setPopRetention(account.id, 30);
      const a = (await store.getAccount(account.id))!;
      assert.equal(a.passwordHash, 'new-hash');
      assert.equal(a.quotaBytes, 1000);
      assert.equal(a.popRetentionDays, 30);
      assert.deepEqual(await store.quota(account.id), { usedBytes: 0, limitBytes: 1000, messageCount: 0 });
      await store.setQuota(account.id, null);
      assert.equal((await store.getAccount(account.id))!.quotaBytes, null);
      await rejectsWith(store.setQuota(account.id, -1), 'INVALID');
      await rejectsWith(store.setPasswordHash(999999, 'x'), 'NOT_FOUND');
      await rejectsWith(store.quota(999999), 'NOT_FOUND');
    }));

  it('answers NOT_FOUND for operations on an account that does not exist', () =>
    withStore(open, async ({ store, inbox }) => {
      const missing = 999999;
      await rejectsWith(store.createMailbox(missing, 'x'), 'NOT_FOUND');
      await rejectsWith(store.setSubscribed(missing, 'x', true), 'NOT_FOUND');
      await rejectsWith(store.removeAccount(missing), 'NOT_FOUND');
      await rejectsWith(store.setPopRetention(missing, 1), 'NOT_FOUND');
      await rejectsWith(store.expunge(missing, inbox.id, { onlyDeleted: false }), 'NOT_FOUND');
      assert.deepEqual(await store.listMailboxes(missing), []);
      await rejectsWith(store.changesSince(missing, 0), 'NOT_FOUND');
    }));

  it('lists accounts per domain', () =>
    withStore(open, async ({ store }) => {
      await store.addDomain('other.example');
      await store.createAccount({ address: 'b@other.example', passwordHash: 'h' });
      await store.createAccount({ address: 'a@other.example', passwordHash: 'h', quotaBytes: 5 });
      assert.deepEqual((await store.listAccounts('other.example')).map((a) => a.address), ['a@other.example', 'b@other.example']);
      assert.equal((await store.listAccounts()).length, 3);
      assert.equal((await store.getAccountByAddress('a@other.example'))?.quotaBytes, 5);
    }));

  it('resolves recipients: account, alias, catch-all, chains, loops, external', () =>
    withStore(open, async ({ store, account }) => {
      const other = await store.createAccount({ address: 'other@example.org', passwordHash: 'h' });
      const local = (address: string) => ({ kind: 'local', address });
      const view = async (addr: string) => {
        const r = await store.resolveRecipient(addr);
        return r === null ? null : r.map((t) => (t.kind === 'local' ? local(t.account.address) : t));
      };
      assert.deepEqual(await view('User@Example.org'), [local('user@example.org')]);
      assert.equal(await view('user@unhosted.example'), null);
      assert.deepEqual(await view('nobody@example.org'), []);

      await store.addAlias('postmaster@example.org', 'user@example.org');
      await store.addAlias('team@example.org', 'user@example.org');
      await store.addAlias('team@example.org', 'other@example.org');
      await store.addAlias('team@example.org', 'friend@elsewhere.example');
      await rejectsWith(store.addAlias('team@example.org', 'other@example.org'), 'ALREADY_EXISTS');
      await rejectsWith(store.addAlias('x@unhosted.example', 'user@example.org'), 'NOT_FOUND');
      assert.deepEqual(await view('postmaster@example.org'), [local('user@example.org')]);
      assert.deepEqual(await view('team@example.org'), [
        local('user@example.org'), local('other@example.org'), { kind: 'external', address: 'friend@elsewhere.example' },
      ]);

      // Chains: a → b → c → account; and a loop x → y → x that yields nothing but ends.
      await store.addAlias('a@example.org', 'b@example.org');
      await store.addAlias('b@example.org', 'c@example.org');
      await store.addAlias('c@example.org', 'other@example.org');
      assert.deepEqual(await view('a@example.org'), [local('other@example.org')]);
      await store.addAlias('x@example.org', 'y@example.org');
      await store.addAlias('y@example.org', 'x@example.org');
      await store.addAlias('y@example.org', 'user@example.org');
      assert.deepEqual(await view('x@example.org'), [local('user@example.org')]);
      // Depth limit: a chain longer than 5 aliases does not resolve.
      for (let i = 1; i <= 7; i++) await store.addAlias(`l${i}@example.org`, i === 7 ? 'user@example.org' : `l${i + 1}@example.org`);
      assert.deepEqual(await view('l3@example.org'), [local('user@example.org')]);
      assert.deepEqual(await view('l1@example.org'), []);

      // Catch-all only when neither account nor exact alias exists.
      await store.addAlias('@example.org', 'other@example.org');
      assert.deepEqual(await view('random@example.org'), [local('other@example.org')]);
      assert.deepEqual(await view('user@example.org'), [local('user@example.org')]);
      assert.deepEqual(await view('postmaster@example.org'), [local('user@example.org')]);

      assert.deepEqual((await store.listAliases('example.org')).filter((a) => a.source === 'team@example.org').map((a) => a.target).sort(), [
        'friend@elsewhere.example', 'other@example.org', 'user@example.org',
      ]);
      assert.equal(await store.removeAlias('team@example.org', 'friend@elsewhere.example'), 1);
      assert.equal(await store.removeAlias('team@example.org'), 2);
      assert.equal(await store.removeAlias('team@example.org'), 0);
      assert.deepEqual(await view('team@example.org'), [local('other@example.org')], 'falls back to the catch-all');

      // Removing an account removes the aliases that point to it.
      await store.removeAccount(other.id);
      assert.equal((await store.listAliases()).some((a) => a.target === 'other@example.org'), false);
      assert.deepEqual(await view('random@example.org'), []);
      assert.equal(account.id > 0, true);
    }));
}
