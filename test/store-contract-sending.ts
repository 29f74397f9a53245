// The sending part of the store contract (src/store/sending-types.ts), run by
// test/store-contract.ts against every backend: identities (the default one made once, never
// removed), submissions and their recipients following the outbound queue, the vacation
// response and the auto-reply memory, and /changes from the per-type state counters.

import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { IdentityFields, SubmissionInput } from '../src/store/sending-types.ts';
import { rawMessage } from './helpers/store-fixtures.ts';
import { rejectsWith, withStore } from './helpers/store-contract-kit.ts';
import type { OpenTestStore } from './helpers/store-contract-kit.ts';

const fields = (over: Partial<IdentityFields> = {}): IdentityFields => ({
  name: 'Work', email: 'user@example.org', replyTo: null, bcc: null, textSignature: '', htmlSignature: '', ...over,
});

const submission = (over: Partial<SubmissionInput> = {}): SubmissionInput => ({
  identityId: 1,
  emailId: 7,
  threadId: 3,
  envelope: { mailFrom: { email: 'user@example.org', parameters: null }, rcptTo: [{ email: 'far@remote.test', parameters: null }] },
  sendAt: 1_700_000_000_000,
  recipients: [{ address: 'far@remote.test', delivered: 'queued', smtpReply: '250 2.0.0 queued' }],
  ...over,
});

export function sendingContract(open: OpenTestStore): void {
  it('the default identity is the account address, made once, changeable, never removed', () =>
    withStore(open, async ({ store, account }) => {
      assert.deepEqual(await store.listIdentities(account.id), []);
      assert.equal(await store.objectState(account.id, 'Identity'), 0);
      await Promise.all([store.ensureDefaultIdentity(account.id), store.ensureDefaultIdentity(account.id)]);
      await store.ensureDefaultIdentity(account.id);
      const [def, ...rest] = await store.listIdentities(account.id);
      assert.deepEqual(rest, []);
      assert.deepEqual({ ...def, id: 0 }, { id: 0, isDefault: true, name: '', email: 'user@example.org', replyTo: null, bcc: null, textSignature: '', htmlSignature: '' });
      assert.equal(await store.objectState(account.id, 'Identity'), 1);
      const renamed = await store.updateIdentity(account.id, def.id, { name: 'User', replyTo: [{ name: null, email: 'reply@example.org' }] });
      assert.equal(renamed.name, 'User');
      assert.deepEqual(renamed.replyTo, [{ name: null, email: 'reply@example.org' }]);
      assert.equal(renamed.email, 'user@example.org');
      await rejectsWith(store.destroyIdentity(account.id, def.id), 'CANNOT');
      await rejectsWith(store.updateIdentity(account.id, def.id + 100, { name: 'x' }), 'NOT_FOUND');
      await rejectsWith(store.destroyIdentity(account.id, def.id + 100), 'NOT_FOUND');
    }));

  it('identities of one account are invisible to another; removing the account removes them', () =>
    withStore(open, async ({ store, account }) => {
      const other = await store.createAccount({ address: 'other@example.org', passwordHash: 'h' });
      const mine = await store.createIdentity(account.id, fields());
      assert.deepEqual(await store.listIdentities(other.id), []);
      await rejectsWith(store.updateIdentity(other.id, mine.id, { name: 'stolen' }), 'NOT_FOUND');
      await rejectsWith(store.destroyIdentity(other.id, mine.id), 'NOT_FOUND');
      await store.removeAccount(account.id);
      await rejectsWith(store.createIdentity(account.id, fields()), 'NOT_FOUND');
    }));

  it('changes: created, updated, destroyed since a state; pages end between states; an unknown state is null', () =>
    withStore(open, async ({ store, account }) => {
      const a = await store.createIdentity(account.id, fields({ name: 'a' }));
      const s1 = await store.objectState(account.id, 'Identity');
      const b = await store.createIdentity(account.id, fields({ name: 'b' }));
      await store.updateIdentity(account.id, a.id, { textSignature: '-- a' });
      const c = await store.createIdentity(account.id, fields({ name: 'c' }));
      await store.destroyIdentity(account.id, c.id);
      await store.destroyIdentity(account.id, b.id);
      const s2 = await store.objectState(account.id, 'Identity');
      assert.equal(s2, s1 + 5);
      const all = await store.accountObjectChanges(account.id, 'Identity', s1);
      assert.deepEqual(all, { oldState: s1, newState: s2, hasMoreChanges: false, created: [], updated: [a.id], destroyed: [b.id, c.id].sort((x, y) => x - y) });
      const fromZero = await store.accountObjectChanges(account.id, 'Identity', 0);
      assert.deepEqual(fromZero?.created, [a.id]);
      const page = await store.accountObjectChanges(account.id, 'Identity', s1, 1);
      assert.deepEqual(page, { oldState: s1, newState: s1 + 1, hasMoreChanges: true, created: [], updated: [], destroyed: [b.id] });
      const rest = await store.accountObjectChanges(account.id, 'Identity', page!.newState, 10);
      assert.equal(rest?.newState, s2);
      assert.equal(rest?.hasMoreChanges, false);
      assert.deepEqual(await store.accountObjectChanges(account.id, 'Identity', s2), { oldState: s2, newState: s2, hasMoreChanges: false, created: [], updated: [], destroyed: [] });
      assert.equal(await store.accountObjectChanges(account.id, 'Identity', s2 + 1), null);
      assert.equal(await store.accountObjectChanges(account.id, 'Identity', -1), null);
      assert.equal(await store.objectState(account.id, 'EmailSubmission'), 0, 'each type counts on its own');
    }));

  it('submissions: stored with their recipients in order, read by id or all, destroyed', () =>
    withStore(open, async ({ store, account }) => {
      const one = await store.createSubmission(account.id, submission({
        recipients: [
          { address: 'far@remote.test', delivered: 'queued', smtpReply: '250 2.0.0 queued' },
          { address: 'near@example.org', delivered: 'yes', smtpReply: '250 2.1.5 delivered' },
        ],
      }));
      const two = await store.createSubmission(account.id, submission({ emailId: 8 }));
      assert.deepEqual(one.recipients.map((r) => [r.address, r.delivered]), [['far@remote.test', 'queued'], ['near@example.org', 'yes']]);
      assert.deepEqual({ ...one, id: 0, recipients: [] }, { ...submission(), id: 0, recipients: [] });
      assert.deepEqual((await store.getSubmissions(account.id, null)).map((s) => s.id), [one.id, two.id]);
      assert.deepEqual(await store.getSubmissions(account.id, [two.id, two.id + 99]), [two]);
      const other = await store.createAccount({ address: 'other@example.org', passwordHash: 'h' });
      assert.deepEqual(await store.getSubmissions(other.id, null), []);
      await rejectsWith(store.destroySubmission(other.id, one.id), 'NOT_FOUND');
      const before = await store.objectState(account.id, 'EmailSubmission');
      await store.destroySubmission(account.id, one.id);
      assert.deepEqual((await store.accountObjectChanges(account.id, 'EmailSubmission', before))?.destroyed, [one.id]);
      assert.deepEqual((await store.getSubmissions(account.id, null)).map((s) => s.id), [two.id]);
    }));

  it('a queued recipient follows the queue: an attempt recorded updates its status and the submission state', () =>
    withStore(open, async ({ store, blobs, account }) => {
      const blob = await blobs.put(rawMessage('out', 50));
      const queueId = await store.queue.enqueue({ sender: 'user@example.org', recipients: ['far@remote.test', 'gone@remote.test'], blobId: blob.id, size: blob.size, now: 1000 });
      const sub = await store.createSubmission(account.id, submission({
        recipients: [
          { address: 'far@remote.test', delivered: 'queued', smtpReply: '250 2.0.0 queued', queued: { messageId: queueId, address: 'far@remote.test' } },
          { address: 'gone@remote.test', delivered: 'queued', smtpReply: '250 2.0.0 queued', queued: { messageId: queueId, address: 'gone@remote.test' } },
        ],
      }));
      const state = await store.objectState(account.id, 'EmailSubmission');
      const claimed = await store.queue.claimDue({ owner: 'w', now: 1000, leaseMs: 60_000, limit: 10 });
      const far = claimed.find((r) => r.address === 'far@remote.test')!;
      const gone = claimed.find((r) => r.address === 'gone@remote.test')!;
      await store.queue.recordAttempts('w', [
        { recipientId: far.id, state: 'pending', nextAttemptAt: 5000, error: '451 4.3.0 try later', status: '4.3.0' },
        { recipientId: gone.id, state: 'failed', error: '550 5.1.1 no such user', status: '5.1.1' },
      ]);
      let [now] = await store.getSubmissions(account.id, [sub.id]);
      assert.deepEqual(now.recipients.map((r) => [r.delivered, r.smtpReply]), [['queued', '451 4.3.0 try later'], ['no', '550 5.1.1 no such user']]);
      const changes = await store.accountObjectChanges(account.id, 'EmailSubmission', state);
      assert.deepEqual(changes?.updated, [sub.id]);
      assert.ok(changes!.newState > state);
      const [again] = await store.queue.claimDue({ owner: 'w', now: 5000, leaseMs: 60_000, limit: 10 });
      await store.queue.recordAttempts('w', [{ recipientId: again.id, state: 'delivered', error: null, status: '2.0.0', remote: 'mx.remote.test' }]);
      [now] = await store.getSubmissions(account.id, [sub.id]);
      assert.deepEqual(now.recipients.map((r) => r.delivered), ['yes', 'no']);
      assert.match(now.recipients[0].smtpReply, /^250 2\.0\.0/);
      assert.deepEqual(await store.queue.list(), [], 'the queue forgets the message; the submission keeps the outcome');
    }));

  it('a submission made after its queue attempt was recorded takes the recorded outcome', () =>
    withStore(open, async ({ store, blobs, account }) => {
      const blob = await blobs.put(rawMessage('fast', 50));
      const queueId = await store.queue.enqueue({ sender: 'user@example.org', recipients: ['a@remote.test', 'b@remote.test'], blobId: blob.id, size: blob.size, now: 1000 });
      const claimed = await store.queue.claimDue({ owner: 'w', now: 1000, leaseMs: 60_000, limit: 10 });
      await store.queue.recordAttempts('w', [{ recipientId: claimed.find((r) => r.address === 'a@remote.test')!.id, state: 'failed', error: '550 5.7.1 refused', status: '5.7.1' }]);
      const sub = await store.createSubmission(account.id, submission({
        recipients: ['a@remote.test', 'b@remote.test'].map((address) => ({ address, delivered: 'queued' as const, smtpReply: '250 2.0.0 queued', queued: { messageId: queueId, address } })),
      }));
      assert.deepEqual(sub.recipients.map((r) => [r.delivered, r.smtpReply]), [['no', '550 5.7.1 refused'], ['queued', '250 2.0.0 queued']]);
    }));

  it('vacation response: off until set; set replaces it; the auto-reply memory is once per period and forgotten by a new setting', () =>
    withStore(open, async ({ store, account }) => {
      assert.deepEqual(await store.getVacationResponse(account.id), { isEnabled: false, fromDate: null, toDate: null, subject: null, textBody: null, htmlBody: null });
      const state = await store.objectState(account.id, 'VacationResponse');
      const on = { isEnabled: true, fromDate: 1000, toDate: null, subject: 'Away', textBody: 'Back soon.', htmlBody: null };
      await store.setVacationResponse(account.id, on);
      assert.deepEqual(await store.getVacationResponse(account.id), on);
      assert.equal(await store.objectState(account.id, 'VacationResponse'), state + 1);
      assert.deepEqual(await store.accountObjectChanges(account.id, 'VacationResponse', state), { oldState: state, newState: state + 1, hasMoreChanges: false, created: [], updated: [1], destroyed: [] });
      const day = 86_400_000;
      const claims = await Promise.all([store.claimAutoReply(account.id, 'Friend@remote.test', 10 * day, 7 * day), store.claimAutoReply(account.id, 'friend@remote.test', 10 * day, 7 * day)]);
      assert.deepEqual(claims.sort(), [false, true], 'two deliveries at once answer once');
      assert.equal(await store.claimAutoReply(account.id, 'friend@remote.test', 16 * day, 7 * day), false, 'within the period');
      assert.equal(await store.claimAutoReply(account.id, 'other@remote.test', 16 * day, 7 * day), true, 'per sender');
      assert.equal(await store.claimAutoReply(account.id, 'friend@remote.test', 17 * day, 7 * day), true, 'a period later');
      const other = await store.createAccount({ address: 'other@example.org', passwordHash: 'h' });
      assert.equal(await store.claimAutoReply(other.id, 'friend@remote.test', 17 * day, 7 * day), true, 'per account');
      await store.setVacationResponse(account.id, { ...on, subject: 'Away again' });
      assert.equal(await store.claimAutoReply(account.id, 'friend@remote.test', 17 * day + 1, 7 * day), true, 'a new setting answers anew');
      assert.deepEqual(await store.getVacationResponse(other.id), { isEnabled: false, fromDate: null, toDate: null, subject: null, textBody: null, htmlBody: null });
    }));
}
