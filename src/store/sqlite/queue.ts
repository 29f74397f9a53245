// The outbound queue of the SQLite backend (store/queue-types.ts): tables queue_message and
// queue_recipient in the main database (migration 8).
//
// Implementation notes:
// - Every write goes through Db.write(): the group commit, BEGIN IMMEDIATE, synchronous=FULL.
//   enqueue() therefore resolves only after the COMMIT that holds it is fsynced.
// - A claim is one UPDATE … WHERE id IN (SELECT due and unclaimed … LIMIT n) RETURNING. SQLite
//   has one writer at a time (BEGIN IMMEDIATE takes the lock up front, across processes), so the
//   SELECT and the UPDATE see no concurrent claim, and two claimers never get the same row.
// - PostgreSQL does the same in one statement, with the row locks skipped instead of waited for:
//     UPDATE queue_recipient SET claim_owner = $1, claim_until = $2
//      WHERE id IN (SELECT id FROM queue_recipient
//                    WHERE state = 'pending' AND next_attempt_at <= $3
//                      AND (claim_until IS NULL OR claim_until <= $3)
//                    ORDER BY next_attempt_at, id LIMIT $4
//                    FOR UPDATE SKIP LOCKED)
//      RETURNING *;
//   SKIP LOCKED lets a second node's claim pass over rows the first is claiming in that very
//   moment (instead of queueing behind it and then finding them taken); the lease columns, not
//   the row lock, hold the claim for the length of the attempt. recordAttempts is the same
//   guarded UPDATE (… AND claim_owner = $owner) there.
// - The message row refers to its body by blob_id (indexed): isBlobReferenced() looks here too.

import { StoreError } from '../types.ts';
import type { AttemptOutcome, CarriedMessage, DeliveryQueue, QueuedMessage, QueuedRecipient, RecipientState } from '../queue-types.ts';
import type { Db } from './db.ts';

interface RecipientRow {
  id: number;
  message_id: number;
  address: string;
  domain: string;
  state: RecipientState;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  last_status: string | null;
  last_remote: string | null;
  delay_notified: number;
  claim_owner: string | null;
  claim_until: number | null;
}

interface MessageRow {
  id: number;
  sender: string;
  created_at: number;
  size: number;
  blob_id: string;
  is_bounce: number;
}

function recipientFromRow(r: RecipientRow): QueuedRecipient {
  return {
    id: r.id,
    messageId: r.message_id,
    address: r.address,
    domain: r.domain,
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    lastStatus: r.last_status,
    lastRemote: r.last_remote,
    delayNotified: r.delay_notified === 1,
    claimedBy: r.claim_owner,
    claimedUntil: r.claim_until,
  };
}

function messageFromRow(m: MessageRow): QueuedMessage {
  return { id: m.id, sender: m.sender, createdAt: m.created_at, size: m.size, blobId: m.blob_id, isBounce: m.is_bounce === 1 };
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

const STATES: ReadonlySet<string> = new Set<RecipientState>(['pending', 'delivered', 'failed']);

/** Ids as one JSON parameter (json_each), so a statement has a fixed text whatever their number. */
function idList(ids: number[]): string {
  return JSON.stringify(ids.filter((id) => Number.isSafeInteger(id)));
}

export function queueOps(db: Db): DeliveryQueue {
  const insertMessage = (sender: string, createdAt: number, size: number, blobId: string, isBounce: boolean): number =>
    db.get<{ id: number }>(
      'INSERT INTO queue_message (sender, created_at, size, blob_id, is_bounce) VALUES (?, ?, ?, ?, ?) RETURNING id',
      sender, createdAt, size, blobId, isBounce ? 1 : 0,
    )!.id;

  /** A message with nothing pending leaves the queue (its DSN, if any, is already queued). */
  const removeIfDone = (messageId: number): void => {
    db.run("DELETE FROM queue_message WHERE id = ? AND NOT EXISTS (SELECT 1 FROM queue_recipient WHERE message_id = ? AND state = 'pending')", messageId, messageId);
  };

  return {
    enqueue: async (input) => {
      const recipients = [...new Set(input.recipients)];
      if (recipients.length === 0) throw new StoreError('INVALID', 'a queued message needs a recipient');
      if (!/^[0-9a-f]{64}$/.test(input.blobId)) throw new StoreError('INVALID', 'a queued message needs a blob id');
      return db.write(() => {
        const now = input.now ?? db.now();
        const id = insertMessage(input.sender, now, input.size, input.blobId, input.isBounce ?? false);
        for (const address of recipients) {
          db.run('INSERT INTO queue_recipient (message_id, address, domain, next_attempt_at) VALUES (?, ?, ?, ?)', id, address, domainOf(address), now);
        }
        return id;
      });
    },

    claimDue: async ({ owner, now, leaseMs, limit }) => {
      if (owner === '') throw new StoreError('INVALID', 'a claim needs an owner');
      const rows = await db.write(() =>
        db.all<RecipientRow>(
          `UPDATE queue_recipient SET claim_owner = ?, claim_until = ?
            WHERE id IN (SELECT id FROM queue_recipient
                          WHERE state = 'pending' AND next_attempt_at <= ? AND (claim_until IS NULL OR claim_until <= ?)
                          ORDER BY next_attempt_at, id LIMIT ?)
            RETURNING *`,
          owner, now + leaseMs, now, now, Math.max(0, Math.floor(limit)),
        ),
      );
      return rows.map(recipientFromRow).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.id - b.id);
    },

    renewClaims: async (owner, recipientIds, until) => {
      if (recipientIds.length === 0) return [];
      return db.write(() =>
        db.all<{ id: number }>(
          "UPDATE queue_recipient SET claim_until = ? WHERE claim_owner = ? AND state = 'pending' AND id IN (SELECT value FROM json_each(?)) RETURNING id",
          until, owner, idList(recipientIds),
        ).map((r) => r.id).sort((a, b) => a - b),
      );
    },

    releaseClaims: async (owner, recipientIds) => {
      if (recipientIds.length === 0) return;
      await db.write(() => {
        db.run('UPDATE queue_recipient SET claim_owner = NULL, claim_until = NULL WHERE claim_owner = ? AND id IN (SELECT value FROM json_each(?))', owner, idList(recipientIds));
      });
    },

    recordAttempts: async (owner, outcomes) => {
      if (outcomes.length === 0) return [];
      for (const o of outcomes) {
        if (!STATES.has(o.state)) throw new StoreError('INVALID', `unknown recipient state ${String(o.state)}`);
      }
      return db.write(() => {
        const recorded: number[] = [];
        const messages = new Set<number>();
        for (const o of outcomes) {
          // Guarded by the claim: a holder whose lease another worker took over matches nothing.
          const row = db.get<{ message_id: number }>(
            `UPDATE queue_recipient SET state = ?, attempts = attempts + 1, next_attempt_at = COALESCE(?, next_attempt_at),
               last_error = ?, last_status = ?, last_remote = ?, delay_notified = MAX(delay_notified, ?),
               claim_owner = NULL, claim_until = NULL
             WHERE id = ? AND claim_owner = ? AND state = 'pending' RETURNING message_id`,
            o.state, o.nextAttemptAt ?? null, o.error ?? null, o.status ?? null, o.remote ?? null, o.delayNotified ? 1 : 0, o.recipientId, owner,
          );
          if (!row) continue;
          recorded.push(o.recipientId);
          messages.add(row.message_id);
        }
        for (const id of messages) removeIfDone(id);
        return recorded;
      });
    },

    nextDue: () =>
      db.read(() =>
        db.get<{ t: number | null }>(
          "SELECT MIN(MAX(next_attempt_at, COALESCE(claim_until, 0))) AS t FROM queue_recipient WHERE state = 'pending'",
        )!.t,
      ),

    getMessage: (id) =>
      db.read(() => {
        const row = db.get<MessageRow>('SELECT * FROM queue_message WHERE id = ?', id);
        return row ? messageFromRow(row) : null;
      }),

    list: () =>
      db.read(() => {
        const messages = db.all<MessageRow>('SELECT * FROM queue_message ORDER BY id');
        const byMessage = new Map<number, QueuedRecipient[]>();
        for (const r of db.all<RecipientRow>('SELECT * FROM queue_recipient ORDER BY message_id, id')) {
          const list = byMessage.get(r.message_id);
          if (list) list.push(recipientFromRow(r));
          else byMessage.set(r.message_id, [recipientFromRow(r)]);
        }
        return messages.map((m) => ({ ...messageFromRow(m), recipients: byMessage.get(m.id) ?? [] }));
      }),

    retry: async (messageId, now) =>
      db.write(() => {
        const at = now ?? db.now();
        const r = messageId === null
          ? db.run("UPDATE queue_recipient SET next_attempt_at = ? WHERE state = 'pending'", at)
          : db.run("UPDATE queue_recipient SET next_attempt_at = ? WHERE state = 'pending' AND message_id = ?", at, messageId);
        return r.changes;
      }),

    drop: async (messageId) => db.write(() => db.run('DELETE FROM queue_message WHERE id = ?', messageId).changes > 0),

    carryIn: async (source, carried: CarriedMessage[], now) =>
      db.write(() => {
        const at = now ?? db.now();
        if (db.get('SELECT 1 AS x FROM queue_carried_source WHERE source = ?', source)) return false;
        for (const m of carried) {
          if (!m.recipients.some((r) => r.state === 'pending')) continue;
          const id = insertMessage(m.sender, m.createdAt, m.size, m.blobId, m.isBounce);
          for (const r of m.recipients) {
            db.run(
              `INSERT INTO queue_recipient (message_id, address, domain, state, attempts, next_attempt_at, last_error, last_status, last_remote, delay_notified)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
              id, r.address, r.domain, STATES.has(r.state) ? r.state : 'pending', r.attempts, r.nextAttemptAt, r.lastError, r.lastStatus, r.lastRemote, r.delayNotified ? 1 : 0,
            );
          }
        }
        db.run('INSERT INTO queue_carried_source (source, carried_at, messages) VALUES (?, ?, ?)', source, at, carried.length);
        return true;
      }),
  };
}
