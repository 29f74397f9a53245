// Email/get (RFC 8621 §4.2) over real HTTP: metadata, the header properties and their parsed
// forms (§4.1.2, §4.1.3), default properties, errors for bad arguments, another account's
// Emails, and keywords following an IMAP flag change made with imapflow.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ImapFlow } from 'imapflow';
import { startJmapServer, type JmapTestServer } from './helpers/jmap.ts';
import { accountOf, appendEmail, emailGet, methodError, type StoredEmail } from './helpers/jmap-email-fixtures.ts';
import { toJmapId } from '../src/jmap/ids.ts';

let jmap: JmapTestServer;
let headersEmail: StoredEmail;

const HEADERS_MESSAGE = [
  'Return-Path: <jorg@example.de>',
  'From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <jorg@example.de>',
  'Sender: Secretary <sec@example.de>',
  'Reply-To: "Replies" <replies@example.de>',
  'To: Friends: "Ann" <ann@example.com>, bob@example.com;, carol@example.com',
  'Cc: Dave <dave@example.com>',
  'Bcc: eve@example.com',
  'Subject: =?ISO-8859-1?Q?Gr=FC=DFe?= aus',
  ' Berlin',
  'Date: Wed, 25 Nov 2026 12:00:00 +0200 (CEST)',
  'Message-ID: <first@example.de>',
  'In-Reply-To: <parent@example.com>',
  'References: <root@example.com> <parent@example.com>',
  'List-Unsubscribe: <mailto:leave@example.de> (by mail), <https://example.de/leave>',
  'X-Multi: one',
  'X-Multi: =?UTF-8?B?endlaQ==?=',
  'Resent-Date: Thu, 26 Nov 2026 08:30:00 -0500',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Hallo   zusammen,',
  '',
  'bis bald.',
  '',
].join('\r\n');

before(async () => {
  jmap = await startJmapServer({ enable: ['imap'], env: { POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' } });
  headersEmail = await appendEmail(jmap, HEADERS_MESSAGE, { internalDate: Date.UTC(2026, 10, 25, 10, 1, 2) });
});
after(() => jmap.stop());

test('metadata: id, blobId, threadId, mailboxIds, keywords, size, receivedAt (RFC 8621 §4.1.1)', async () => {
  const r = await emailGet(jmap, { ids: [headersEmail.id], properties: ['blobId', 'threadId', 'mailboxIds', 'keywords', 'size', 'receivedAt'] });
  assert.match(r.state, /^s/);
  assert.deepEqual(r.notFound, []);
  const [e] = r.list;
  assert.deepEqual(Object.keys(e).sort(), ['blobId', 'id', 'keywords', 'mailboxIds', 'receivedAt', 'size', 'threadId']);
  assert.equal(e.id, headersEmail.id);
  assert.equal(e.blobId, headersEmail.blobId);
  assert.match(e.threadId, /^T[0-9a-z]+$/);
  assert.equal(Object.keys(e.mailboxIds).length, 1);
  assert.deepEqual(Object.values(e.mailboxIds), [true]);
  assert.deepEqual(e.keywords, {});
  assert.equal(e.size, headersEmail.raw.length);
  assert.equal(e.receivedAt, '2026-11-25T10:01:02Z', 'RFC 8620 §1.4 UTCDate, no fraction');
});

test('convenience header properties (RFC 8621 §4.1.3)', async () => {
  const [e] = (await emailGet(jmap, { ids: [headersEmail.id], properties: ['messageId', 'inReplyTo', 'references', 'sender', 'from', 'to', 'cc', 'bcc', 'replyTo', 'subject', 'sentAt'] })).list;
  assert.deepEqual(e.messageId, ['first@example.de']);
  assert.deepEqual(e.inReplyTo, ['parent@example.com']);
  assert.deepEqual(e.references, ['root@example.com', 'parent@example.com']);
  assert.deepEqual(e.from, [{ name: 'Jörg Müller', email: 'jorg@example.de' }]);
  assert.deepEqual(e.sender, [{ name: 'Secretary', email: 'sec@example.de' }]);
  assert.deepEqual(e.replyTo, [{ name: 'Replies', email: 'replies@example.de' }]);
  assert.deepEqual(e.to, [
    { name: 'Ann', email: 'ann@example.com' },
    { name: null, email: 'bob@example.com' },
    { name: null, email: 'carol@example.com' },
  ], 'group members flattened (Addresses form)');
  assert.deepEqual(e.cc, [{ name: 'Dave', email: 'dave@example.com' }]);
  assert.deepEqual(e.bcc, [{ name: null, email: 'eve@example.com' }]);
  assert.equal(e.subject, 'Grüße aus Berlin', 'RFC 2047 decoded, unfolded');
  assert.equal(e.sentAt, '2026-11-25T12:00:00+02:00', 'the Date form keeps the zone it was written in');
});

test('header:Name forms, :all, and the raw headers list (RFC 8621 §4.1.2, §4.1.3)', async () => {
  const props = [
    'header:Subject', 'header:subject:asText', 'header:To:asGroupedAddresses', 'header:To:asAddresses', 'header:X-Multi',
    'header:X-Multi:all', 'header:x-multi:asText:all', 'header:List-Unsubscribe:asURLs', 'header:Resent-Date:asDate',
    'header:Message-ID:asMessageIds', 'header:X-Absent', 'header:X-Absent:all', 'header:X-Multi:asDate', 'headers',
  ];
  const [e] = (await emailGet(jmap, { ids: [headersEmail.id], properties: props })).list;
  assert.equal(e['header:Subject'], ' =?ISO-8859-1?Q?Gr=FC=DFe?= aus\r\n Berlin', 'Raw: every octet after the colon, folding kept');
  assert.equal(e['header:subject:asText'], 'Grüße aus Berlin', 'Text: unfolded (the folding space stays), decoded');
  assert.deepEqual(e['header:To:asGroupedAddresses'], [
    { name: 'Friends', addresses: [{ name: 'Ann', email: 'ann@example.com' }, { name: null, email: 'bob@example.com' }] },
    { name: null, addresses: [{ name: null, email: 'carol@example.com' }] },
  ]);
  assert.equal(e['header:To:asAddresses'].length, 3);
  assert.equal(e['header:X-Multi'], ' =?UTF-8?B?endlaQ==?=', 'the last field of that name');
  assert.deepEqual(e['header:X-Multi:all'], [' one', ' =?UTF-8?B?endlaQ==?=']);
  assert.deepEqual(e['header:x-multi:asText:all'], ['one', 'zwei']);
  assert.deepEqual(e['header:List-Unsubscribe:asURLs'], ['mailto:leave@example.de', 'https://example.de/leave']);
  assert.equal(e['header:Resent-Date:asDate'], '2026-11-26T08:30:00-05:00');
  assert.deepEqual(e['header:Message-ID:asMessageIds'], ['first@example.de']);
  assert.equal(e['header:X-Absent'], null);
  assert.deepEqual(e['header:X-Absent:all'], []);
  assert.equal(e['header:X-Multi:asDate'], null, 'an unknown field may take any form; an unparsable one is null');
  assert.equal(e.headers.length, 18);
  assert.deepEqual(e.headers[0], { name: 'Return-Path', value: ' <jorg@example.de>' });
  assert.deepEqual(e.headers.find((h: any) => h.name === 'Date'), { name: 'Date', value: ' Wed, 25 Nov 2026 12:00:00 +0200 (CEST)' });
});

test('default properties (RFC 8621 §4.2) and preview', async () => {
  const [e] = (await emailGet(jmap, { ids: [headersEmail.id] })).list;
  assert.deepEqual(Object.keys(e).sort(), [
    'attachments', 'bcc', 'blobId', 'bodyValues', 'cc', 'from', 'hasAttachment', 'htmlBody', 'id', 'inReplyTo', 'keywords', 'mailboxIds',
    'messageId', 'preview', 'receivedAt', 'references', 'replyTo', 'sender', 'sentAt', 'size', 'subject', 'textBody', 'threadId', 'to',
  ]);
  assert.equal(e.preview, 'Hallo zusammen, bis bald.', 'whitespace collapsed');
  assert.deepEqual(e.bodyValues, {}, 'no fetch*BodyValues: no values');
  assert.equal(e.hasAttachment, false);
  assert.deepEqual(e.textBody.map((p: any) => p.partId), ['1']);
  assert.deepEqual(e.htmlBody.map((p: any) => p.partId), ['1'], 'plain text only: it is the HTML body too');
  assert.deepEqual(e.attachments, []);
});

test('bad arguments: unknown and ill-formed properties are invalidArguments; forms a field may not take too', async () => {
  for (const properties of [['nonsense'], ['header:Subject:asAddresses'], ['header:From:asDate'], ['header:Date:asText'], ['header:X-Foo:asBogus'], ['header:X:asText:all:more'], ['header:'], ['header:Bad Name']]) {
    const err = await methodError(jmap, 'Email/get', { ids: [headersEmail.id], properties });
    assert.equal(err?.type, 'invalidArguments', JSON.stringify(properties));
  }
  assert.equal((await methodError(jmap, 'Email/get', { ids: [headersEmail.id], bodyProperties: ['partId', 'nope'] }))?.type, 'invalidArguments');
  assert.equal((await methodError(jmap, 'Email/get', { ids: [headersEmail.id], fetchTextBodyValues: 'yes' }))?.type, 'invalidArguments');
  assert.equal((await methodError(jmap, 'Email/get', { ids: [headersEmail.id], maxBodyValueBytes: -1 }))?.type, 'invalidArguments');
  assert.equal((await methodError(jmap, 'Email/get', { ids: [headersEmail.id], sort: [] }))?.type, 'invalidArguments', 'an unknown argument');
  assert.equal((await methodError(jmap, 'Email/get', { ids: 'E1' }))?.type, 'invalidArguments');
  const tooMany = Array.from({ length: 1001 }, (_, i) => `E${(i + 1).toString(36)}`);
  assert.equal((await methodError(jmap, 'Email/get', { ids: tooMany }))?.type, 'requestTooLarge', 'maxObjectsInGet');
  assert.equal((await methodError(jmap, 'Email/get', { ids: null }))?.type, 'requestTooLarge');
  const other = await methodError(jmap, 'Email/get', { accountId: 'Azzzz', ids: [headersEmail.id] });
  assert.equal(other?.type, 'accountNotFound');
});

test("another account's Emails and ids that are no Email's are notFound", async () => {
  const theirs = await appendEmail(jmap, 'From: x@example.org\r\nSubject: private\r\n\r\nnot yours\r\n', { address: 'bob@example.net' });
  const r = await emailGet(jmap, { ids: [theirs.id, 'E0', 'Mzz', 'garbage', headersEmail.id], properties: ['subject'] });
  assert.deepEqual(r.list, [{ id: headersEmail.id, subject: 'Grüße aus Berlin' }]);
  assert.deepEqual(r.notFound.sort(), [theirs.id, 'E0', 'Mzz', 'garbage'].sort());
  const dup = await emailGet(jmap, { ids: [headersEmail.id, headersEmail.id], properties: ['subject'] });
  assert.equal(dup.list.length, 1, 'an id asked twice is answered once');
});

test('a list view (subject, from, preview, keywords, receivedAt, hasAttachment, sender …) reads no blob', async () => {
  const blobs = jmap.server.deps.blobs;
  const ids: string[] = [];
  for (let i = 0; i < 50; i++) ids.push((await appendEmail(jmap, `From: Sender ${i} <s${i}@example.org>\r\nSubject: list ${i}\r\n\r\nBody number ${i}.\r\n`, { mailbox: 'Archive' })).id);
  const original = { get: blobs.get, read: blobs.read };
  let reads = 0;
  blobs.get = async (id) => (reads++, original.get.call(blobs, id));
  blobs.read = async (id, s, e) => (reads++, original.read.call(blobs, id, s, e));
  try {
    const r = await emailGet(jmap, { ids, properties: ['subject', 'from', 'preview', 'keywords', 'receivedAt', 'hasAttachment', 'size', 'threadId', 'mailboxIds'] });
    assert.equal(r.list.length, 50);
    assert.equal(r.list[7].preview, 'Body number 7.');
    assert.deepEqual(r.list[7].from, [{ name: 'Sender 7', email: 's7@example.org' }]);
    assert.equal(reads, 0, 'answered from the stored summaries');
    await emailGet(jmap, { ids, properties: ['sender', 'replyTo', 'bcc', 'messageId', 'sentAt', 'to', 'cc'] });
    assert.equal(reads, 0, 'the other fast properties of RFC 8621 §4.2 too');
    await emailGet(jmap, { ids: ids.slice(0, 3), properties: ['header:X-Mailer'] });
    assert.equal(reads, 3, 'other fields need the header block: one range read per Email');
  } finally {
    blobs.get = original.get;
    blobs.read = original.read;
  }
});

test('an IMAP flag change (imapflow) shows in keywords; \\Deleted hides the Email', async () => {
  const email = await appendEmail(jmap, 'From: a@example.org\r\nSubject: flags\r\n\r\nflag me\r\n', { flags: ['$Important'] });
  assert.deepEqual((await emailGet(jmap, { ids: [email.id], properties: ['keywords'] })).list[0].keywords, { $important: true });
  const client = new ImapFlow({
    host: '127.0.0.1', port: jmap.server.ports.imap!, secure: false, auth: { user: jmap.address, pass: jmap.password },
    tls: { rejectUnauthorized: false }, logger: false,
  });
  await client.connect();
  try {
    await client.mailboxOpen('INBOX');
    await client.messageFlagsAdd({ uid: String(email.uid) }, ['\\Seen', '\\Flagged', '$Label1'], { uid: true });
    assert.deepEqual((await emailGet(jmap, { ids: [email.id], properties: ['keywords'] })).list[0].keywords, { $seen: true, $flagged: true, $important: true, $label1: true });
    await client.messageFlagsRemove({ uid: String(email.uid) }, ['$Important'], { uid: true });
    await client.messageFlagsAdd({ uid: String(email.uid) }, ['\\Deleted'], { uid: true });
    const r = await emailGet(jmap, { ids: [email.id], properties: ['keywords'] });
    assert.deepEqual(r.notFound, [email.id], 'RFC 8621 §4.1.1: a message with \\Deleted is not visible');
  } finally {
    await client.logout();
  }
});

test('the Addresses and GroupedAddresses examples of RFC 8621 §4.1.2.3–4', async () => {
  const list = '"  James Smythe" <james@example.com>, Friends:\r\n  jane@example.com, =?UTF-8?Q?John_Sm=C3=AEth?=\r\n  <john@example.com>;';
  const { id } = await appendEmail(jmap, `From: a@example.org\r\nX-List: ${list}\r\nSubject: example\r\n\r\nx\r\n`);
  const [e] = (await emailGet(jmap, { ids: [id], properties: ['header:X-List:asAddresses', 'header:X-List:asGroupedAddresses'] })).list;
  assert.deepEqual(e['header:X-List:asAddresses'], [
    { name: 'James Smythe', email: 'james@example.com' },
    { name: null, email: 'jane@example.com' },
    { name: 'John Smîth', email: 'john@example.com' },
  ]);
  assert.deepEqual(e['header:X-List:asGroupedAddresses'], [
    { name: null, addresses: [{ name: 'James Smythe', email: 'james@example.com' }] },
    { name: 'Friends', addresses: [{ name: null, email: 'jane@example.com' }, { name: 'John Smîth', email: 'john@example.com' }] },
  ]);
});

test('a summary stored before it kept sender, replyTo, bcc and preview: read from the blob instead', async () => {
  const deps = jmap.server.deps;
  const raw = Buffer.from('From: a@example.org\r\nSender: S <s@example.org>\r\nBcc: hidden@example.org\r\nSubject: old row\r\n\r\nOld   body.\r\n');
  const blob = await deps.blobs.put(raw);
  const { summary, searchText } = deps.parse(raw);
  const old: Record<string, unknown> = { ...summary };
  for (const key of ['sender', 'replyTo', 'bcc', 'preview']) delete old[key];
  const alice = await accountOf(jmap);
  const inbox = (await deps.store.getMailbox(alice.id, 'INBOX'))!;
  const r = await deps.store.appendMessage(alice.id, inbox.id, { blobId: blob.id, size: raw.length, summary: old as any, searchText });
  const [e] = (await emailGet(jmap, { ids: [toJmapId('email', r.emailId)], properties: ['sender', 'replyTo', 'bcc', 'preview'] })).list;
  assert.deepEqual(e.sender, [{ name: 'S', email: 's@example.org' }]);
  assert.equal(e.replyTo, null);
  assert.deepEqual(e.bcc, [{ name: null, email: 'hidden@example.org' }]);
  assert.equal(e.preview, 'Old body.');
});
