// JMAP push subscriptions in the SQLite backend (store/push-subscription-types.ts): table
// push_subscription (migration 12), removed with its account by ON DELETE CASCADE.

import { StoreError } from '../types.ts';
import type { NewPushSubscription, PushSubscriptionRecord, PushSubscriptionStore } from '../push-subscription-types.ts';
import type { Db } from './db.ts';

interface Row {
  id: number;
  account_id: number;
  device_client_id: string;
  url: string;
  keys_p256dh: string | null;
  keys_auth: string | null;
  verification_code: string;
  verified: number;
  expires_at: number | null;
  types: string | null;
  created_at: number;
}

function fromRow(r: Row): PushSubscriptionRecord {
  return {
    id: r.id,
    accountId: r.account_id,
    deviceClientId: r.device_client_id,
    url: r.url,
    keys: r.keys_p256dh !== null && r.keys_auth !== null ? { p256dh: r.keys_p256dh, auth: r.keys_auth } : null,
    verificationCode: r.verification_code,
    verified: r.verified === 1,
    expiresAt: r.expires_at,
    types: r.types === null ? null : (JSON.parse(r.types) as string[]),
    createdAt: r.created_at,
  };
}

function checkTypes(types: string[] | null | undefined): void {
  if (types && !types.every((t) => typeof t === 'string' && t.length > 0)) throw new StoreError('INVALID', 'types must be non-empty strings');
}

export function pushSubscriptionOps(db: Db): PushSubscriptionStore {
  const byId = (accountId: number, id: number): Row | undefined =>
    db.get<Row>('SELECT * FROM push_subscription WHERE id = ? AND account_id = ?', id, accountId);
  return {
    createPushSubscription: (input: NewPushSubscription) => {
      checkTypes(input.types);
      if (!input.url || !input.deviceClientId || !input.verificationCode) return Promise.reject(new StoreError('INVALID', 'url, deviceClientId and verificationCode are required'));
      return db.write(() => {
        const r = db.get<Row>(
          `INSERT INTO push_subscription (account_id, device_client_id, url, keys_p256dh, keys_auth, verification_code, verified, expires_at, types, created_at)
           VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?) RETURNING *`,
          input.accountId, input.deviceClientId, input.url, input.keys?.p256dh ?? null, input.keys?.auth ?? null,
          input.verificationCode, input.expiresAt, input.types === null ? null : JSON.stringify(input.types), input.now ?? db.now(),
        );
        return fromRow(r!);
      });
    },

    listPushSubscriptions: (accountId, now) =>
      db.read(() =>
        (now === undefined
          ? db.all<Row>('SELECT * FROM push_subscription WHERE account_id = ? ORDER BY id', accountId)
          : db.all<Row>('SELECT * FROM push_subscription WHERE account_id = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY id', accountId, now)
        ).map(fromRow),
      ),

    updatePushSubscription: (accountId, id, patch) => {
      checkTypes(patch.types);
      return db.write(() => {
        const row = byId(accountId, id);
        if (!row) return null;
        if (patch.verified !== undefined) db.run('UPDATE push_subscription SET verified = ? WHERE id = ?', patch.verified ? 1 : 0, id);
        if (patch.expiresAt !== undefined) db.run('UPDATE push_subscription SET expires_at = ? WHERE id = ?', patch.expiresAt, id);
        if (patch.types !== undefined) db.run('UPDATE push_subscription SET types = ? WHERE id = ?', patch.types === null ? null : JSON.stringify(patch.types), id);
        return fromRow(byId(accountId, id)!);
      });
    },

    deletePushSubscription: (accountId, id) =>
      db.write(() => db.run('DELETE FROM push_subscription WHERE id = ? AND account_id = ?', id, accountId).changes > 0),

    accountsWithPushSubscriptions: (now) =>
      db.read(() =>
        db.all<{ account_id: number }>(
          'SELECT DISTINCT account_id FROM push_subscription WHERE verified = 1 AND (expires_at IS NULL OR expires_at > ?) ORDER BY account_id', now,
        ).map((r) => r.account_id),
      ),

    deleteExpiredPushSubscriptions: (now) =>
      db.write(() => db.run('DELETE FROM push_subscription WHERE expires_at IS NOT NULL AND expires_at <= ?', now).changes),
  };
}
