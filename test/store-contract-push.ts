// The JMAP push subscription part of the store contract (src/store/push-subscription-types.ts),
// run by test/store-contract.ts against every backend: create and list per account, update,
// verification, expiry honoured by every reader, delete, and removal with the account.

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { rejectsWith, withStore, type OpenTestStore } from './helpers/store-contract-kit.ts';

const T = 1_700_000_000_000;

export function pushSubscriptionContract(open: OpenTestStore): void {
  it('create, list per account, update and delete', () =>
    withStore(open, async ({ store, account }) => {
      const subs = store.pushSubscriptions;
      const other = await store.createAccount({ address: 'other@example.org', passwordHash: 'h' });
      const a = await subs.createPushSubscription({
        accountId: account.id, deviceClientId: 'phone', url: 'https://push.example/a', keys: { p256dh: 'BP', auth: 'AU' },
        verificationCode: 'code-a', expiresAt: T + 1000, types: ['Email', 'Mailbox'], now: T,
      });
      assert.deepEqual(a, {
        id: a.id, accountId: account.id, deviceClientId: 'phone', url: 'https://push.example/a', keys: { p256dh: 'BP', auth: 'AU' },
        verificationCode: 'code-a', verified: false, expiresAt: T + 1000, types: ['Email', 'Mailbox'], createdAt: T,
      });
      const b = await subs.createPushSubscription({ accountId: account.id, deviceClientId: 'laptop', url: 'https://push.example/b', keys: null, verificationCode: 'code-b', expiresAt: null, types: null });
      await subs.createPushSubscription({ accountId: other.id, deviceClientId: 'x', url: 'https://push.example/x', keys: null, verificationCode: 'c', expiresAt: null, types: null });
      assert.ok(b.id > a.id);
      assert.deepEqual((await subs.listPushSubscriptions(account.id)).map((s) => s.id), [a.id, b.id]);

      const updated = await subs.updatePushSubscription(account.id, a.id, { verified: true, types: null, expiresAt: T + 5000 });
      assert.deepEqual({ ...updated }, { ...a, verified: true, types: null, expiresAt: T + 5000 });
      assert.equal(await subs.updatePushSubscription(other.id, a.id, { verified: true }), null, 'another account cannot touch it');
      assert.equal(await subs.deletePushSubscription(other.id, a.id), false);
      assert.equal(await subs.deletePushSubscription(account.id, a.id), true);
      assert.equal(await subs.deletePushSubscription(account.id, a.id), false);
      assert.deepEqual((await subs.listPushSubscriptions(account.id)).map((s) => s.id), [b.id]);
      await rejectsWith(subs.createPushSubscription({ accountId: account.id, deviceClientId: 'd', url: '', keys: null, verificationCode: 'c', expiresAt: null, types: null }), 'INVALID');
      await rejectsWith(subs.createPushSubscription({ accountId: account.id + 1000, deviceClientId: 'd', url: 'https://x', keys: null, verificationCode: 'c', expiresAt: null, types: null }), 'NOT_FOUND');
    }));

  it('expiry: expired subscriptions are not listed as active, and go when swept', () =>
    withStore(open, async ({ store, account }) => {
      const subs = store.pushSubscriptions;
      const make = (code: string, expiresAt: number | null) =>
        subs.createPushSubscription({ accountId: account.id, deviceClientId: code, url: `https://push.example/${code}`, keys: null, verificationCode: code, expiresAt, types: null, now: T });
      const soon = await make('soon', T + 100);
      const later = await make('later', T + 10_000);
      const never = await make('never', null);
      assert.deepEqual(await subs.accountsWithPushSubscriptions(T), [], 'unverified subscriptions are not active');
      for (const s of [soon, later]) await subs.updatePushSubscription(account.id, s.id, { verified: true });
      assert.deepEqual(await subs.accountsWithPushSubscriptions(T), [account.id]);
      assert.deepEqual((await subs.listPushSubscriptions(account.id, T + 100)).map((s) => s.id), [later.id, never.id], 'expired at its instant');
      assert.deepEqual(await subs.accountsWithPushSubscriptions(T + 10_000), [], 'the only verified ones expired');
      assert.equal(await subs.deleteExpiredPushSubscriptions(T + 100), 1);
      assert.deepEqual((await subs.listPushSubscriptions(account.id)).map((s) => s.id), [later.id, never.id]);
    }));

  it('subscriptions go with their account', () =>
    withStore(open, async ({ store }) => {
      const gone = await store.createAccount({ address: 'gone@example.org', passwordHash: 'h' });
      await store.pushSubscriptions.createPushSubscription({ accountId: gone.id, deviceClientId: 'd', url: 'https://push.example/g', keys: null, verificationCode: 'c', expiresAt: null, types: null });
      await store.removeAccount(gone.id);
      assert.deepEqual(await store.pushSubscriptions.listPushSubscriptions(gone.id), []);
    }));
}
