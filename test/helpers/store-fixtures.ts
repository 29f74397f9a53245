// Fixtures shared by the store tests: a minimal MessageSummary (the store keeps it as opaque
// JSON), message bytes, and invariant checks that any backend must satisfy.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { AccountId, BlobStore, MailStore } from '../../src/store/types.ts';
import type { MessageSummary, ParsedMessage } from '../../src/wire/mime/types.ts';

export function summaryFor(subject: string, size = 0): MessageSummary {
  return {
    envelope: {
      date: null, subject, from: null, sender: null, replyTo: null, to: null, cc: null, bcc: null, inReplyTo: null, messageId: null,
    },
    root: {
      section: '', headerStart: 0, headerEnd: 0, bodyStart: 0, bodyEnd: size, type: 'text', subtype: 'plain',
      params: { charset: 'us-ascii' }, id: null, description: null, encoding: '7BIT', size, lines: 0, md5: null,
      disposition: null, language: null, location: null, parts: [], message: null,
    },
    subject, baseSubject: subject, from: [], to: [], cc: [], sentDate: null, messageId: null, inReplyTo: [], references: [],
    preview: '', hasAttachment: false, truncated: false,
  };
}

export function rawMessage(subject: string, bodyBytes = 0): Buffer {
  return Buffer.from(`Subject: ${subject}\r\n\r\n${'x'.repeat(bodyBytes)}\r\n`);
}

/** Stand-in for the MIME parser (src/wire/mime/parse.ts) where only the summary's presence matters. */
export function fakeParse(raw: Uint8Array): ParsedMessage {
  const m = /^Subject: (.*)\r\n/.exec(Buffer.from(raw).toString('latin1'));
  return { summary: summaryFor(m ? m[1] : '', raw.byteLength), searchText: m ? m[1] : '' };
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Counters equal what the messages say: mailbox counters, account used bytes and count. */
export async function assertCountersConsistent(store: MailStore, accountId: AccountId): Promise<void> {
  let used = 0;
  let count = 0;
  const counts = new Map((await store.mailboxCounts(accountId)).map((c) => [c.mailboxId, c]));
  for (const mb of await store.listMailboxes(accountId)) {
    const msgs = await store.listMessages(mb.accountId, mb.id);
    // The JMAP counts (RFC 8621 §2): visible = without \Deleted; unread = visible, without \Seen and \Draft.
    const visible = msgs.filter((m) => !m.flags.includes('\\Deleted'));
    const unread = visible.filter((m) => !m.flags.includes('\\Seen') && !m.flags.includes('\\Draft'));
    assert.deepEqual(counts.get(mb.id), {
      mailboxId: mb.id,
      emails: visible.length,
      unreadEmails: unread.length,
      threads: new Set(visible.map((m) => m.threadId)).size,
      unreadThreads: new Set(unread.map((m) => m.threadId)).size,
    }, `JMAP counts of ${mb.name}`);
    const size = msgs.reduce((s, m) => s + m.size, 0);
    assert.equal(mb.messageCount, msgs.length, `messageCount of ${mb.name}`);
    assert.equal(mb.sizeBytes, size, `sizeBytes of ${mb.name}`);
    assert.equal(mb.unseenCount, msgs.filter((m) => !m.flags.includes('\\Seen')).length, `unseenCount of ${mb.name}`);
    assert.equal(mb.deletedCount, msgs.filter((m) => m.flags.includes('\\Deleted')).length, `deletedCount of ${mb.name}`);
    for (let i = 1; i < msgs.length; i++) assert.ok(msgs[i].uid > msgs[i - 1].uid, 'ascending UIDs');
    for (const m of msgs) assert.ok(m.uid < mb.uidNext, 'uid below uidNext');
    for (const m of msgs) assert.ok(m.modseq <= mb.highestModseq, 'message modseq <= HIGHESTMODSEQ');
    used += size;
    count += msgs.length;
  }
  const q = await store.quota(accountId);
  assert.equal(q.usedBytes, used, 'usedBytes == sum(size)');
  assert.equal(q.messageCount, count, 'messageCount == number of messages');
  const acc = await store.getAccount(accountId);
  assert.equal(acc?.usedBytes, used);
}

/** Every message's blob exists with the recorded size and content hash. */
export async function assertBlobsIntact(store: MailStore, blobs: BlobStore, accountId: AccountId): Promise<void> {
  for (const mb of await store.listMailboxes(accountId)) {
    for (const m of await store.listMessages(mb.accountId, mb.id)) {
      const content = await blobs.get(m.blobId);
      assert.equal(content.byteLength, m.size, `size of blob of uid ${m.uid}`);
      assert.equal(sha256(content), m.blobId, `hash of blob of uid ${m.uid}`);
    }
  }
}
