// The sending side of an account in the SQLite backend (store/sending-types.ts): identities,
// submissions with their recipients, the vacation response and the auto-reply memory, and the
// per-type state counters and change log (migration 11). The trigger that carries queue
// attempts into submission recipients is in the migration, so no queue code knows of JMAP.

import { StoreError } from '../types.ts';
import type { AccountId, ObjectChanges } from '../types.ts';
import type { AccountObjectType, IdentityFields, IdentityRecord, RecipientStatus, SendingStore, SubmissionRecord, VacationSettings } from '../sending-types.ts';
import { VACATION_OFF } from '../sending-types.ts';
import type { Db } from './db.ts';
import { pageOfIds } from './changes.ts';

interface IdentityRow {
  id: number;
  is_default: number;
  name: string;
  email: string;
  reply_to: string | null;
  bcc: string | null;
  text_signature: string;
  html_signature: string;
}

interface SubmissionRow {
  id: number;
  identity_id: number;
  email_id: number;
  thread_id: number;
  envelope: string;
  send_at: number;
}

function identityFromRow(r: IdentityRow): IdentityRecord {
  return {
    id: r.id,
    isDefault: r.is_default === 1,
    name: r.name,
    email: r.email,
    replyTo: r.reply_to === null ? null : JSON.parse(r.reply_to),
    bcc: r.bcc === null ? null : JSON.parse(r.bcc),
    textSignature: r.text_signature,
    htmlSignature: r.html_signature,
  };
}

const json = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));

/** Takes the next state of a type and logs the object under it; returns the state. */
function bump(db: Db, accountId: AccountId, type: AccountObjectType, objectId: number): number {
  const row = db.get<{ state: number }>(
    `INSERT INTO account_object_state (account_id, type, state) VALUES (?, ?, 1)
     ON CONFLICT (account_id, type) DO UPDATE SET state = state + 1 RETURNING state`,
    accountId, type,
  );
  if (!row) throw new StoreError('NOT_FOUND', `no account ${accountId}`);
  db.run('INSERT INTO account_object_change (account_id, type, state, object_id) VALUES (?, ?, ?, ?)', accountId, type, row.state, objectId);
  return row.state;
}

function currentState(db: Db, accountId: AccountId, type: AccountObjectType): number {
  return db.get<{ state: number }>('SELECT state FROM account_object_state WHERE account_id = ? AND type = ?', accountId, type)?.state ?? 0;
}

function requireAccount(db: Db, accountId: AccountId): string {
  const row = db.get<{ address: string }>('SELECT address FROM account WHERE id = ?', accountId);
  if (!row) throw new StoreError('NOT_FOUND', `no account ${accountId}`);
  return row.address;
}

/** The table of each type with a change log, and the column holding the state it was created at. */
const OBJECT_TABLE: Partial<Record<AccountObjectType, string>> = { Identity: 'identity', EmailSubmission: 'email_submission' };

function submissions(db: Db, accountId: AccountId, ids: number[] | null): SubmissionRecord[] {
  const rows = ids === null
    ? db.all<SubmissionRow>('SELECT * FROM email_submission WHERE account_id = ? ORDER BY id', accountId)
    : db.all<SubmissionRow>('SELECT * FROM email_submission WHERE account_id = ? AND id IN (SELECT value FROM json_each(?)) ORDER BY id', accountId, JSON.stringify(ids));
  if (rows.length === 0) return [];
  const recipients = new Map<number, RecipientStatus[]>();
  for (const r of db.all<{ submission_id: number; address: string; delivered: RecipientStatus['delivered']; smtp_reply: string }>(
    'SELECT submission_id, address, delivered, smtp_reply FROM email_submission_recipient WHERE submission_id IN (SELECT value FROM json_each(?)) ORDER BY submission_id, position',
    JSON.stringify(rows.map((r) => r.id)),
  )) {
    const list = recipients.get(r.submission_id) ?? [];
    list.push({ address: r.address, delivered: r.delivered, smtpReply: r.smtp_reply });
    recipients.set(r.submission_id, list);
  }
  return rows.map((r) => ({
    id: r.id,
    identityId: r.identity_id,
    emailId: r.email_id,
    threadId: r.thread_id,
    envelope: JSON.parse(r.envelope),
    sendAt: r.send_at,
    recipients: recipients.get(r.id) ?? [],
  }));
}

function checkIds(ids: number[]): number[] {
  for (const id of ids) if (!Number.isSafeInteger(id) || id < 1) throw new StoreError('INVALID', `invalid id ${String(id)}`);
  return ids;
}

export function sendingOps(db: Db): SendingStore {
  return {
    objectState: (accountId, type) => db.read(() => currentState(db, accountId, type)),

    accountObjectChanges: (accountId, type, since, maxChanges) =>
      db.read((): ObjectChanges | null => {
        requireAccount(db, accountId);
        const state = currentState(db, accountId, type);
        if (!Number.isSafeInteger(since) || since < 0 || since > state) return null;
        if (maxChanges !== undefined && (!Number.isSafeInteger(maxChanges) || maxChanges < 1)) throw new StoreError('INVALID', 'maxChanges must be a positive integer');
        const rows = db.rows(
          'SELECT state, object_id FROM account_object_change WHERE account_id = ? AND type = ? AND state > ? ORDER BY state, id',
          accountId, type, since,
        ) as [number, number][];
        const page = pageOfIds(rows, maxChanges);
        if (!page) return null;
        const newState = page.more ? page.lastModseq : state;
        const result: ObjectChanges = { oldState: since, newState, hasMoreChanges: page.more, created: [], updated: [], destroyed: [] };
        const table = OBJECT_TABLE[type];
        const alive = new Map<number, number>();
        // The vacation response always exists: its one object (id 1) is only ever updated.
        if (type === 'VacationResponse') alive.set(1, 0);
        if (table) {
          for (const [id, created] of db.rows(`SELECT id, created_state FROM ${table} WHERE account_id = ? AND id IN (SELECT value FROM json_each(?))`, accountId, JSON.stringify(page.ids)) as [number, number][]) {
            alive.set(id, created);
          }
        }
        for (const id of page.ids) {
          const created = alive.get(id);
          if (created === undefined) result.destroyed.push(id);
          else (created > since ? result.created : result.updated).push(id);
        }
        return result;
      }),

    ensureDefaultIdentity: async (accountId) => {
      const exists = await db.read(() => db.get('SELECT 1 AS x FROM identity WHERE account_id = ? AND is_default = 1', accountId) !== undefined);
      if (exists) return;
      await db.write(() => {
        const address = requireAccount(db, accountId);
        if (db.get('SELECT 1 AS x FROM identity WHERE account_id = ? AND is_default = 1', accountId)) return;
        const id = db.get<{ id: number }>(
          `INSERT INTO identity (account_id, is_default, name, email, text_signature, html_signature, created_state) VALUES (?, 1, '', ?, '', '', 0) RETURNING id`,
          accountId, address,
        )!.id;
        const state = bump(db, accountId, 'Identity', id);
        db.run('UPDATE identity SET created_state = ? WHERE id = ?', state, id);
      });
    },

    listIdentities: (accountId) =>
      db.read(() => db.all<IdentityRow>('SELECT * FROM identity WHERE account_id = ? ORDER BY id', accountId).map(identityFromRow)),

    createIdentity: (accountId, fields: IdentityFields) =>
      db.write(() => {
        requireAccount(db, accountId);
        const id = db.get<{ id: number }>(
          `INSERT INTO identity (account_id, is_default, name, email, reply_to, bcc, text_signature, html_signature, created_state)
           VALUES (?, 0, ?, ?, ?, ?, ?, ?, 0) RETURNING id`,
          accountId, fields.name, fields.email, json(fields.replyTo), json(fields.bcc), fields.textSignature, fields.htmlSignature,
        )!.id;
        const state = bump(db, accountId, 'Identity', id);
        db.run('UPDATE identity SET created_state = ? WHERE id = ?', state, id);
        return identityFromRow(db.get<IdentityRow>('SELECT * FROM identity WHERE id = ?', id)!);
      }),

    updateIdentity: (accountId, id, fields) =>
      db.write(() => {
        const row = db.get<IdentityRow>('SELECT * FROM identity WHERE account_id = ? AND id = ?', accountId, id);
        if (!row) throw new StoreError('NOT_FOUND', `no identity ${id}`);
        const next = { ...identityFromRow(row), ...fields };
        db.run(
          'UPDATE identity SET name = ?, reply_to = ?, bcc = ?, text_signature = ?, html_signature = ? WHERE id = ?',
          next.name, json(next.replyTo), json(next.bcc), next.textSignature, next.htmlSignature, id,
        );
        bump(db, accountId, 'Identity', id);
        return identityFromRow(db.get<IdentityRow>('SELECT * FROM identity WHERE id = ?', id)!);
      }),

    destroyIdentity: (accountId, id) =>
      db.write(() => {
        const row = db.get<{ is_default: number }>('SELECT is_default FROM identity WHERE account_id = ? AND id = ?', accountId, id);
        if (!row) throw new StoreError('NOT_FOUND', `no identity ${id}`);
        if (row.is_default === 1) throw new StoreError('CANNOT', 'the default identity cannot be removed');
        db.run('DELETE FROM identity WHERE id = ?', id);
        bump(db, accountId, 'Identity', id);
      }),

    createSubmission: (accountId, input) =>
      db.write(() => {
        requireAccount(db, accountId);
        const id = db.get<{ id: number }>(
          `INSERT INTO email_submission (account_id, identity_id, email_id, thread_id, envelope, send_at, created_state)
           VALUES (?, ?, ?, ?, ?, ?, 0) RETURNING id`,
          accountId, input.identityId, input.emailId, input.threadId, JSON.stringify(input.envelope), input.sendAt,
        )!.id;
        input.recipients.forEach((r, position) => {
          db.run(
            `INSERT INTO email_submission_recipient (submission_id, position, address, delivered, smtp_reply, queue_message_id, queue_address)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
            id, position, r.address, r.delivered, r.smtpReply, r.queued?.messageId ?? null, r.queued?.address ?? null,
          );
        });
        // A queue attempt may have been recorded between the enqueue and this commit: take it over.
        db.run(
          `UPDATE email_submission_recipient SET (delivered, smtp_reply) = (
             SELECT CASE q.state WHEN 'delivered' THEN 'yes' WHEN 'failed' THEN 'no' ELSE 'queued' END,
                    CASE WHEN q.attempts = 0 THEN email_submission_recipient.smtp_reply
                         WHEN q.state = 'delivered' THEN '250 ' || COALESCE(q.last_status, '2.0.0') || ' delivered'
                         ELSE COALESCE(q.last_error, email_submission_recipient.smtp_reply) END
             FROM queue_recipient q WHERE q.message_id = email_submission_recipient.queue_message_id AND q.address = email_submission_recipient.queue_address)
           WHERE submission_id = ? AND queue_message_id IS NOT NULL
             AND EXISTS (SELECT 1 FROM queue_recipient q WHERE q.message_id = email_submission_recipient.queue_message_id AND q.address = email_submission_recipient.queue_address)`,
          id,
        );
        const state = bump(db, accountId, 'EmailSubmission', id);
        db.run('UPDATE email_submission SET created_state = ? WHERE id = ?', state, id);
        return submissions(db, accountId, [id])[0];
      }),

    getSubmissions: async (accountId, ids) => {
      const list = ids === null ? null : checkIds(ids);
      return db.read(() => submissions(db, accountId, list));
    },

    destroySubmission: (accountId, id) =>
      db.write(() => {
        if (db.run('DELETE FROM email_submission WHERE account_id = ? AND id = ?', accountId, id).changes === 0) throw new StoreError('NOT_FOUND', `no submission ${id}`);
        bump(db, accountId, 'EmailSubmission', id);
      }),

    getVacationResponse: (accountId) =>
      db.read((): VacationSettings => {
        const r = db.get<{ is_enabled: number; from_date: number | null; to_date: number | null; subject: string | null; text_body: string | null; html_body: string | null }>(
          'SELECT * FROM vacation_response WHERE account_id = ?', accountId,
        );
        if (!r) return { ...VACATION_OFF };
        return { isEnabled: r.is_enabled === 1, fromDate: r.from_date, toDate: r.to_date, subject: r.subject, textBody: r.text_body, htmlBody: r.html_body };
      }),

    setVacationResponse: (accountId, v) =>
      db.write(() => {
        requireAccount(db, accountId);
        db.run(
          `INSERT INTO vacation_response (account_id, is_enabled, from_date, to_date, subject, text_body, html_body) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (account_id) DO UPDATE SET is_enabled = excluded.is_enabled, from_date = excluded.from_date, to_date = excluded.to_date,
             subject = excluded.subject, text_body = excluded.text_body, html_body = excluded.html_body`,
          accountId, v.isEnabled ? 1 : 0, v.fromDate, v.toDate, v.subject, v.textBody, v.htmlBody,
        );
        db.run('DELETE FROM auto_reply_sent WHERE account_id = ?', accountId);
        // The singleton's id in the log is 1: VacationResponse has no /changes, only a state.
        bump(db, accountId, 'VacationResponse', 1);
      }),

    claimAutoReply: (accountId, sender, now, periodMs) =>
      db.write(() => {
        const row = db.get<{ sent_at: number }>(
          `INSERT INTO auto_reply_sent (account_id, sender, sent_at) VALUES (?, ?, ?)
           ON CONFLICT (account_id, sender) DO UPDATE SET sent_at = excluded.sent_at WHERE auto_reply_sent.sent_at <= ?
           RETURNING sent_at`,
          accountId, sender.toLowerCase(), now, now - periodMs,
        );
        return row !== undefined;
      }),
  };
}
