// POP3 at size: a maildrop of 10,000 messages (STAT, LIST, UIDL complete and correct) and one
// 50 MB message retrieved intact by Python's poplib (sha-256 compared).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startPop3Server, RawPop3, runPython, type Pop3TestServer } from './helpers/pop3.ts';

let srv: Pop3TestServer;

before(async () => {
  srv = await startPop3Server({ env: { POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' } });
});

after(async () => {
  await srv.stop();
});

async function login(address: string): Promise<RawPop3> {
  const c = await RawPop3.connect(srv.pop3);
  await c.line();
  await c.command(`USER ${address}`);
  assert.match((await c.command('PASS pw')) ?? '', /^\+OK Logged in/);
  return c;
}

test('a maildrop of 10,000 messages: STAT, LIST, UIDL correct; RETR of the last one', async () => {
  const account = await srv.addAccount('many@example.com', 'pw');
  const COUNT = 10_000;
  const raws: string[] = [];
  for (let i = 0; i < COUNT; i++) {
    // 500 distinct texts (blobs are content-addressed, so 10,000 rows share 500 files: removing
    // 10,000 fsynced files at cleanup costs more than the test itself on this disk). Every tenth
    // text has bare LFs, so LIST sizes must differ from stored sizes there.
    const k = i % 500;
    const eol = k % 10 === 0 ? '\n' : '\r\n';
    raws.push([`From: s${k}@example.org`, `Subject: message ${k}`, '', `body ${k} ${'x'.repeat(k)}`, '.dot line', ''].join(eol));
  }
  for (let i = 0; i < COUNT; i += 250) {
    await Promise.all(raws.slice(i, i + 250).map((r) => srv.deliver(account, r)));
  }
  const box = await srv.inbox(account);
  const stored = await srv.server.deps.store.listMessages(box.accountId, box.id);
  assert.equal(stored.length, COUNT);
  // Delivery in parallel batches: map each stored message back to its text by subject number.
  const byUid = new Map(stored.map((m) => [m.uid, m]));
  const expectedSizes = await Promise.all(
    stored.map(async (m) => Buffer.byteLength((await srv.server.deps.blobs.get(m.blobId)).toString('latin1').replace(/(?<!\r)\n/g, '\r\n'), 'latin1')),
  );

  const c = await login('many@example.com');
  const total = expectedSizes.reduce((a, b) => a + b, 0);
  assert.equal(await c.command('STAT'), `+OK ${COUNT} ${total}`);
  assert.equal(await c.command('LIST'), `+OK ${COUNT} messages`);
  const list = await c.multiline();
  assert.equal(list.length, COUNT);
  list.forEach((line, i) => assert.equal(line, `${i + 1} ${expectedSizes[i]}`));
  assert.equal(await c.command('UIDL'), '+OK Unique-id listing follows');
  const uidl = await c.multiline();
  assert.equal(uidl.length, COUNT);
  assert.equal(new Set(uidl.map((l) => l.split(' ')[1])).size, COUNT, 'every UIDL distinct');
  assert.equal(await c.command(`LIST ${COUNT}`), `${'+OK'} ${COUNT} ${expectedSizes[COUNT - 1]}`);
  assert.match((await c.command(`RETR ${COUNT}`)) ?? '', /^\+OK/);
  const last = (await c.multiline()).join('\r\n') + '\r\n';
  const lastStored = byUid.get(stored[COUNT - 1].uid)!;
  assert.equal(last, (await srv.server.deps.blobs.get(lastStored.blobId)).toString('latin1').replace(/(?<!\r)\n/g, '\r\n'));
  assert.match((await c.command('QUIT')) ?? '', /^\+OK Bye/);
});

test('a 50 MB message is retrieved intact by poplib (sha-256), streamed with backpressure', async () => {
  const account = await srv.addAccount('big@example.com', 'pw');
  const header = 'From: big@example.org\r\nSubject: fifty megabytes\r\n\r\n';
  const lines: string[] = [];
  let size = Buffer.byteLength(header);
  for (let i = 0; size < 50 * 1024 * 1024; i++) {
    // Lines starting with "." must survive the stuffing round trip.
    const line = (i % 97 === 0 ? '.' : '') + `line ${i} ` + 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(2);
    lines.push(line);
    size += line.length + 2;
  }
  const raw = Buffer.from(header + lines.join('\r\n') + '\r\n', 'latin1');
  await srv.deliver(account, raw);
  const expected = createHash('sha256').update(raw).digest('hex');
  const result = await runPython<{ sha: string; octets: number; listed: string }>(
    `
import hashlib, json, poplib, sys
p = poplib.POP3('127.0.0.1', int(sys.argv[1]))
p.user('big@example.com'); p.pass_('pw')
listed = p.list(1).decode()
resp, lines, octets = p.retr(1)
data = b'\\r\\n'.join(lines) + b'\\r\\n'
p.quit()
print(json.dumps({'sha': hashlib.sha256(data).hexdigest(), 'octets': octets, 'listed': listed}))
`,
    [String(srv.pop3)],
  );
  assert.equal(result.sha, expected);
  assert.equal(result.octets, raw.length);
  assert.equal(result.listed, `+OK 1 ${raw.length}`);
});
