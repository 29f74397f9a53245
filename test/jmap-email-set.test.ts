// Email/set create (RFC 8621 §4.6) over real HTTP: the message it writes, read back over IMAP
// (FETCH BODY[]) and parsed by Python's email package, an independent MIME reader; and every
// kind of bad input refused per record, never written.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startJmapServer, type JmapTestServer } from './helpers/jmap.ts';
import { aliceAccount, fetchLastMessage, mailboxId, pythonParse, upload } from './helpers/jmap-write.ts';
import { hashPassword } from '../src/auth/password.ts';
import { toJmapId } from '../src/jmap/ids.ts';

let jmap: JmapTestServer;
let inbox: string;

before(async () => {
  jmap = await startJmapServer({ enable: ['imap'] });
  inbox = await mailboxId(jmap, 'INBOX');
});
after(() => jmap.stop());

async function set(args: Record<string, unknown>): Promise<any> {
  const [[name, result]] = await jmap.call([['Email/set', { accountId: jmap.accountId, ...args }, 's']]);
  assert.equal(name, 'Email/set', JSON.stringify(result));
  return result;
}

test('create a plain text Email: created has id, blobId, threadId, size; the message is RFC 5322 with Date, Message-ID, MIME-Version', async () => {
  const r = await set({
    create: {
      k1: {
        mailboxIds: { [inbox]: true },
        keywords: { $seen: true, $draft: true },
        from: [{ name: 'Alice', email: 'alice@example.com' }],
        to: [{ name: null, email: 'bob@example.org' }],
        subject: 'Plain hello',
        bodyStructure: { type: 'text/plain', partId: 'b' },
        bodyValues: { b: { value: 'Hello Bob,\nsee you.\n' } },
      },
    },
  });
  const created = r.created.k1;
  assert.match(created.id, /^E/);
  assert.match(created.threadId, /^T/);
  assert.match(created.blobId, /^[0-9a-f]{64}$/);
  assert.equal(typeof created.size, 'number');
  assert.equal(r.notCreated, null);
  assert.notEqual(r.oldState, r.newState);
  const { raw, flags } = await fetchLastMessage(jmap);
  assert.equal(raw.length, created.size, 'size is the stored message');
  assert.ok(flags.has('\\Seen') && flags.has('\\Draft'), 'keywords are IMAP flags');
  const text = raw.toString('utf8');
  assert.match(text, /^Date: \w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d \+0000\r$/m);
  assert.match(text, /^Message-ID: <[0-9a-f-]+@mail\.test\.example>\r$/m, 'generated with the server host name');
  assert.match(text, /^MIME-Version: 1\.0\r$/m);
  assert.ok(!/(^|[^\r])\n/.test(text), 'every line ends in CRLF');
  const py = pythonParse(raw);
  assert.deepEqual(py.defects, []);
  assert.equal(py.headers.subject, 'Plain hello');
  assert.equal(py.headers.from, 'Alice <alice@example.com>');
  assert.equal(py.type, 'text/plain');
  assert.equal(py.text!.replace(/\r\n/g, '\n'), 'Hello Bob,\nsee you.\n');
});

test('non-ASCII: encoded words in headers (RFC 2047), UTF-8 text in QP or base64, RFC 2231 file name, attachment bytes intact', async () => {
  const pdf = Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0x10, 0x80, ...Buffer.from('binary tail')]);
  const up = await upload(jmap, pdf, 'application/pdf');
  assert.equal(up.status, 201);
  const longLine = 'Ünïcödé '.repeat(40);
  const r = await set({
    create: {
      k2: {
        mailboxIds: { [inbox]: true },
        from: [{ name: 'Jörg Müller', email: 'joerg@example.de' }],
        to: [{ name: 'Zoë, the "Boss"', email: 'zoe@example.org' }],
        subject: 'Grüße aus Köln — ein Betreff, der lang genug ist, um gefaltet zu werden, ganz sicher',
        sentAt: '2025-03-01T09:30:00+01:00',
        'header:X-Mood:asText': 'heiter ☀',
        textBody: [{ partId: 't', type: 'text/plain' }],
        htmlBody: [{ partId: 'h', type: 'text/html' }],
        attachments: [{ blobId: up.body.blobId, type: 'application/pdf', name: 'Übersicht März 2025.pdf', disposition: 'attachment' }],
        bodyValues: { t: { value: `Hallo Zoë,\r\n${longLine}\r\n` }, h: { value: '<p>Hallo <b>Zoë</b></p>' } },
      },
    },
  });
  assert.ok(r.created?.k2, JSON.stringify(r.notCreated));
  const { raw } = await fetchLastMessage(jmap);
  const lines = raw.toString('latin1').split('\r\n');
  assert.ok(lines.every((l) => l.length <= 78), `no line over 78: ${lines.find((l) => l.length > 78)}`);
  assert.ok(!raw.some((b) => b >= 0x80), 'the whole message is 7-bit: every non-ASCII character is encoded');
  const py = pythonParse(raw);
  assert.deepEqual(py.defects, []);
  assert.equal(py.headers.subject, 'Grüße aus Köln — ein Betreff, der lang genug ist, um gefaltet zu werden, ganz sicher');
  assert.equal(py.headers.from, 'Jörg Müller <joerg@example.de>');
  assert.equal(py.headers.to, '"Zoë, the \\"Boss\\"" <zoe@example.org>');
  assert.equal(py.headers['x-mood'], 'heiter ☀');
  assert.equal(py.headers.date, 'Sat, 01 Mar 2025 09:30:00 +0100');
  assert.equal(py.type, 'multipart/mixed');
  const [alternative, attachment] = py.parts!;
  assert.equal(alternative.type, 'multipart/alternative');
  const [plain, html] = alternative.parts!;
  assert.equal(plain.type, 'text/plain');
  assert.equal(plain.charset, 'utf-8');
  assert.ok(plain.cte === 'quoted-printable' || plain.cte === 'base64', plain.cte ?? 'no CTE');
  assert.equal(plain.text!.replace(/\r\n/g, '\n'), `Hallo Zoë,\n${longLine}\n`);
  assert.equal(html.type, 'text/html');
  assert.equal(html.text!.replace(/\r\n$/, ''), '<p>Hallo <b>Zoë</b></p>');
  assert.equal(attachment.type, 'application/pdf');
  assert.equal(attachment.filename, 'Übersicht März 2025.pdf');
  assert.equal(attachment.disposition, 'attachment');
  assert.equal(attachment.cte, 'base64');
  assert.deepEqual(Buffer.from(attachment.base64!, 'base64'), pdf);
  assert.match(raw.toString('latin1'), /filename\*0?\*=utf-8''/i, 'RFC 2231 form for the file name');
});

test('HTML with an inline image by cid goes in multipart/related; a part of an existing message can be attached', async () => {
  const png = Buffer.from('\x89PNG fake image bytes', 'latin1');
  const up = await upload(jmap, png, 'image/png');
  const first = await set({
    create: {
      k3: {
        mailboxIds: { [inbox]: true },
        subject: 'With inline image',
        htmlBody: [{ partId: 'h', type: 'text/html' }],
        attachments: [{ blobId: up.body.blobId, type: 'image/png', disposition: 'inline', cid: 'logo@x' }],
        bodyValues: { h: { value: '<img src="cid:logo@x">' } },
      },
    },
  });
  assert.ok(first.created?.k3, JSON.stringify(first.notCreated));
  const py = pythonParse((await fetchLastMessage(jmap)).raw);
  assert.equal(py.type, 'multipart/related');
  assert.equal(py.parts![0].type, 'text/html');
  assert.equal(py.parts![1].cid, '<logo@x>');
  // Part 2 of that message (the image) as an attachment of a new one, by its part blob id.
  const partBlob = `${first.created.k3.blobId}_2`;
  const second = await set({
    create: { k4: { mailboxIds: { [inbox]: true }, subject: 'Forwarded image', attachments: [{ blobId: partBlob, type: 'image/png', name: 'logo.png' }] } },
  });
  assert.ok(second.created?.k4, JSON.stringify(second.notCreated));
  const fwd = pythonParse((await fetchLastMessage(jmap)).raw);
  const image = fwd.type === 'multipart/mixed' ? fwd.parts!.find((p) => p.type === 'image/png')! : fwd;
  assert.deepEqual(Buffer.from(image.base64!, 'base64'), png);
});

test('header:Name:asRaw and the other parsed forms reach the message as given', async () => {
  const r = await set({
    create: {
      k5: {
        mailboxIds: { [inbox]: true },
        'header:X-Raw-Thing': ' value with (comment)\r\n folded',
        'header:List-Unsubscribe:asURLs': ['mailto:unsub@example.org', 'https://example.org/u'],
        'header:Resent-To:asGroupedAddresses': [{ name: 'Team', addresses: [{ name: null, email: 'a@example.org' }, { name: 'B', email: 'b@example.org' }] }],
        messageId: ['given.id@example.org'],
        references: ['r1@example.org', 'r2@example.org'],
        'header:Comments:asText:all': ['first', 'second'],
        bodyStructure: { partId: '1' },
        bodyValues: { '1': { value: 'x' } },
      },
    },
  });
  assert.ok(r.created?.k5, JSON.stringify(r.notCreated));
  const text = (await fetchLastMessage(jmap)).raw.toString('latin1');
  assert.match(text, /^X-Raw-Thing: value with \(comment\)\r\n folded\r$/m);
  assert.match(text, /^List-Unsubscribe: <mailto:unsub@example\.org>, <https:\/\/example\.org\/u>\r$/m);
  assert.match(text, /^Resent-To: Team: a@example\.org, B <b@example\.org>;\r$/m);
  assert.match(text, /^Message-ID: <given\.id@example\.org>\r$/m);
  assert.equal(text.match(/^Message-ID:/gm)?.length, 1, 'no second, generated Message-ID');
  assert.match(text, /^References: <r1@example\.org> <r2@example\.org>\r$/m);
  assert.match(text, /^Comments: first\r\nComments: second\r$/m);
});

test('header injection: CR or LF in any header value, name or address is invalidProperties, and nothing is stored', async () => {
  const base = { mailboxIds: { [inbox]: true }, bodyStructure: { partId: '1' }, bodyValues: { '1': { value: 'x' } } };
  const attempts: Record<string, Record<string, unknown>> = {
    subject: { subject: 'Hi\r\nBcc: victim@example.org' },
    name: { from: [{ name: 'Eve\nBcc: victim@example.org', email: 'eve@example.org' }] },
    email: { to: [{ name: null, email: 'x@example.org>\r\nBcc: <victim@example.org' }] },
    raw: { 'header:X-Thing': 'ok\r\nBcc: victim@example.org' },
    rawBareLf: { 'header:X-Thing': 'ok\nBcc: victim@example.org' },
    messageId: { messageId: ['a@b>\r\nBcc: <c@d'] },
    filename: { attachments: [{ partId: '1', name: 'a.txt\r\nBcc: victim@example.org' }] },
    partHeader: { bodyStructure: { partId: '1', 'header:X-P': 'v\r\nBcc: victim@example.org' } },
    headerName: { 'header:X Bad': 'v' },
  };
  const before = (await aliceAccount(jmap)).modseq;
  const r = await set({ create: Object.fromEntries(Object.entries(attempts).map(([k, v]) => [k, { ...base, ...v }])) });
  assert.equal(r.created, null, JSON.stringify(r.created));
  for (const k of Object.keys(attempts)) assert.equal(r.notCreated[k]?.type, 'invalidProperties', `${k}: ${JSON.stringify(r.notCreated[k])}`);
  assert.equal((await aliceAccount(jmap)).modseq, before, 'no change was made');
});

test('bad creates: unknown and server-set properties, wrong types, empty or foreign mailboxIds, missing blobs, conflicting headers', async () => {
  const store = jmap.server.deps.store;
  const other = await store.createAccount({ address: 'mallory@example.com', passwordHash: await hashPassword('mallory password') });
  const foreignInbox = toJmapId('mailbox', (await store.getMailbox(other.id, 'INBOX'))!.id);
  const body = { bodyStructure: { partId: '1' }, bodyValues: { '1': { value: 'x' } } };
  const r = await set({
    create: {
      unknown: { mailboxIds: { [inbox]: true }, colour: 'blue', ...body },
      serverSet: { mailboxIds: { [inbox]: true }, id: 'E1', ...body },
      headers: { mailboxIds: { [inbox]: true }, headers: [{ name: 'X', value: 'y' }], ...body },
      noMailbox: { mailboxIds: {}, ...body },
      mailboxList: { mailboxIds: [inbox], ...body },
      foreign: { mailboxIds: { [foreignInbox]: true }, ...body },
      falseKeyword: { mailboxIds: { [inbox]: true }, keywords: { $seen: false }, ...body },
      badKeyword: { mailboxIds: { [inbox]: true }, keywords: { 'a b': true }, ...body },
      subjectNumber: { mailboxIds: { [inbox]: true }, subject: 42, ...body },
      twice: { mailboxIds: { [inbox]: true }, subject: 'a', 'header:Subject:asText': 'b', ...body },
      wrongForm: { mailboxIds: { [inbox]: true }, 'header:Subject:asAddresses': [{ email: 'a@b' }], ...body },
      contentOnEmail: { mailboxIds: { [inbox]: true }, 'header:Content-Type': 'text/html', ...body },
      both: { mailboxIds: { [inbox]: true }, textBody: [{ partId: '1' }], ...body },
      htmlAsText: { mailboxIds: { [inbox]: true }, textBody: [{ partId: '1', type: 'text/html' }], bodyValues: { '1': { value: 'x' } } },
      noValue: { mailboxIds: { [inbox]: true }, bodyStructure: { partId: 'missing' } },
      badDate: { mailboxIds: { [inbox]: true }, sentAt: 'yesterday', ...body },
      badReceived: { mailboxIds: { [inbox]: true }, receivedAt: '2025-01-01T00:00:00+01:00', ...body },
      missingBlob: { mailboxIds: { [inbox]: true }, attachments: [{ blobId: 'f'.repeat(64), type: 'image/png' }] },
      deep: { mailboxIds: { [inbox]: true }, bodyStructure: nested(40), bodyValues: { '1': { value: 'x' } } },
      multipartWithPartId: { mailboxIds: { [inbox]: true }, bodyStructure: { type: 'multipart/mixed', partId: '1' }, bodyValues: { '1': { value: 'x' } } },
      transferEncoding: { mailboxIds: { [inbox]: true }, bodyStructure: { partId: '1', 'header:Content-Transfer-Encoding': 'base64' }, bodyValues: { '1': { value: 'x' } } },
      truncatedValue: { mailboxIds: { [inbox]: true }, bodyStructure: { partId: '1' }, bodyValues: { '1': { value: 'x', isTruncated: true } } },
    },
  });
  assert.equal(r.created, null, JSON.stringify(r.created));
  for (const k of Object.keys(r.notCreated)) {
    const expected = k === 'missingBlob' ? 'blobNotFound' : 'invalidProperties';
    assert.equal(r.notCreated[k].type, expected, `${k}: ${JSON.stringify(r.notCreated[k])}`);
  }
  assert.equal(Object.keys(r.notCreated).length, 22);
  assert.deepEqual(r.notCreated.missingBlob.notFound, ['f'.repeat(64)]);
  assert.deepEqual(r.notCreated.unknown.properties, ['colour']);
  assert.deepEqual(r.notCreated.foreign.properties, ['mailboxIds']);
  // Another account's upload is not this account's blob either.
  const otherAuth = 'Basic ' + Buffer.from('mallory@example.com:mallory password').toString('base64');
  const theirs = await fetch(`${jmap.base}/jmap/upload/${toAccountIdOf(other.id)}/`, { method: 'POST', headers: { authorization: otherAuth }, body: 'secret' });
  assert.equal(theirs.status, 201);
  const { blobId } = (await theirs.json()) as { blobId: string };
  const stolen = await set({ create: { s: { mailboxIds: { [inbox]: true }, attachments: [{ blobId, type: 'text/plain' }] } } });
  assert.equal(stolen.notCreated?.s?.type, 'blobNotFound');
});

function nested(depth: number): Record<string, unknown> {
  return depth === 0 ? { partId: '1' } : { type: 'multipart/mixed', subParts: [nested(depth - 1)] };
}

function toAccountIdOf(id: number): string {
  return 'A' + id.toString(36);
}

test('creation ids: a later call refers to the created Email by "#k"; ifInState is checked', async () => {
  const responses = await jmap.call([
    ['Email/set', { accountId: jmap.accountId, create: { n: { mailboxIds: { [inbox]: true }, subject: 'ref', bodyStructure: { partId: '1' }, bodyValues: { '1': { value: 'x' } } } } }, 'a'],
    ['Email/set', { accountId: jmap.accountId, update: { '#n': { 'keywords/$flagged': true } } }, 'b'],
    ['Email/set', { accountId: jmap.accountId, ifInState: 's0', destroy: ['#n'] }, 'c'],
  ]);
  const created = responses[0][1].created.n.id;
  assert.deepEqual(responses[1][1].updated, { [created]: null });
  assert.deepEqual(responses[2], ['error', { type: 'stateMismatch', description: responses[2][1].description }, 'c']);
  const email = (await jmap.server.deps.store.getEmails((await aliceAccount(jmap)).id, [parseInt(created.slice(1), 36)]))[0];
  assert.ok(email.keywords.includes('\\Flagged'));
});

test('every property given every wrong shape: a SetError per record, never serverFail or a method error', async () => {
  const properties = ['mailboxIds', 'keywords', 'receivedAt', 'from', 'subject', 'sentAt', 'messageId', 'header:X-A:asAddresses', 'header:X-B:asGroupedAddresses', 'header:Date:asDate', 'bodyStructure', 'textBody', 'htmlBody', 'attachments', 'bodyValues'];
  const values: unknown[] = [null, 0, -1, 'x', '\r\n', true, [], [null], [1], [{}], {}, { a: 1 }, [{ email: 1 }], [{ name: 'n', addresses: 'x' }], { partId: 1 }, { blobId: {} }, { subParts: {} }];
  const create: Record<string, unknown> = {};
  let n = 0;
  for (const p of properties) {
    for (const v of values) create[`c${n++}`] = { mailboxIds: { [inbox]: true }, bodyStructure: { partId: '1' }, bodyValues: { '1': { value: 'x' } }, [p]: v };
  }
  const r = await set({ create });
  for (const [k, e] of Object.entries((r.notCreated ?? {}) as Record<string, { type: string }>)) {
    assert.notEqual(e.type, 'serverFail', `${k}: ${JSON.stringify(create[k])}`);
  }
  assert.equal(Object.keys(r.created ?? {}).length + Object.keys(r.notCreated ?? {}).length, n);
});

test('sentAt and messageId given as null: the server still sets Date and Message-ID', async () => {
  const r = await set({ create: { n: { mailboxIds: { [inbox]: true }, sentAt: null, messageId: null, bodyStructure: { partId: '1' }, bodyValues: { '1': { value: 'x' } } } } });
  assert.ok(r.created?.n, JSON.stringify(r.notCreated));
  const text = (await fetchLastMessage(jmap)).raw.toString('latin1');
  assert.match(text, /^Date: /m);
  assert.match(text, /^Message-ID: </m);
});

test('Email/get reads back what Email/set wrote: headers, keywords, mailboxes, text and attachment', async () => {
  const up = await upload(jmap, Buffer.from('%PDF-1.4 fake'), 'application/pdf');
  const responses = await jmap.call([
    ['Email/set', { accountId: jmap.accountId, create: { rt: {
      mailboxIds: { [inbox]: true },
      keywords: { $flagged: true },
      from: [{ name: 'Jörg', email: 'joerg@example.de' }],
      to: [{ name: null, email: 'zoe@example.org' }],
      subject: 'Rückfrage zum Angebot',
      sentAt: '2025-03-01T09:30:00+01:00',
      textBody: [{ partId: 't' }],
      attachments: [{ blobId: up.body.blobId, type: 'application/pdf', name: 'Angebot Nr. 7.pdf' }],
      bodyValues: { t: { value: 'Grüße,\nJörg' } },
    } } }, 's'],
    ['Email/get', { accountId: jmap.accountId, ids: ['#rt'], properties: ['subject', 'from', 'to', 'sentAt', 'keywords', 'mailboxIds', 'textBody', 'attachments', 'bodyValues', 'hasAttachment'], fetchTextBodyValues: true }, 'g'],
  ]);
  assert.equal(responses[1][0], 'Email/get', JSON.stringify(responses[1]));
  const email = responses[1][1].list[0];
  assert.equal(email.subject, 'Rückfrage zum Angebot');
  assert.deepEqual(email.from, [{ name: 'Jörg', email: 'joerg@example.de' }]);
  assert.deepEqual(email.to, [{ name: null, email: 'zoe@example.org' }]);
  assert.equal(Date.parse(email.sentAt), Date.parse('2025-03-01T09:30:00+01:00'));
  assert.deepEqual(email.keywords, { $flagged: true });
  assert.deepEqual(email.mailboxIds, { [inbox]: true });
  assert.equal(email.hasAttachment, true);
  assert.equal(email.attachments[0].name, 'Angebot Nr. 7.pdf');
  assert.equal(email.attachments[0].type, 'application/pdf');
  const text = email.bodyValues[email.textBody[0].partId].value as string;
  assert.equal(text.replace(/\r\n/g, '\n').replace(/\n$/, ''), 'Grüße,\nJörg');
});
