// Limits and odd input from SECURITY-CASES.md that need their own settings: command line length,
// idle timeout, parameters of extensions we do not offer, 8BITMIME/SMTPUTF8 content, a 1 MB
// header line and 100,000 addresses in To: (stored, the parser's limits bound the summary).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, RawSmtp, sendRaw, message, codes, type Harness } from './smtp-harness.ts';

let h: Harness;

before(async () => {
  h = await startHarness({ roles: ['smtp'], limits: { maxLineBytes: 4096, idleTimeoutSeconds: 1, maxMessageBytes: 8 * 1024 * 1024 } });
  await h.addAccount('alice@posthorn.test');
  await h.addAccount('jürgen@posthorn.test');
});

after(async () => {
  await h.stop();
});

async function session(): Promise<RawSmtp> {
  const c = await RawSmtp.connect(h.ports.smtp);
  await c.reply();
  await c.cmd('EHLO client.test');
  return c;
}

test('a command line longer than limits.max_line_length: 421 and the connection is closed', async () => {
  const c = await session();
  assert.equal(codes(await c.cmd('NOOP ' + 'x'.repeat(5000))), '421 4.4.2');
  await c.closedByServer();
});

test('an idle client is disconnected after limits.idle_timeout with 421', async () => {
  const c = await session();
  assert.equal(codes(await c.reply()), '421 4.4.2');
  await c.closedByServer();
});

test('parameters of extensions not offered are refused 555 5.5.4: RET, ENVID with broken xtext, NOTIFY, ORCPT', async () => {
  const c = await session();
  assert.equal(codes(await c.cmd('MAIL FROM:<a@remote.test> ENVID=+ZZ')), '555 5.5.4');
  assert.equal(codes(await c.cmd('MAIL FROM:<a@remote.test> RET=HDRS')), '555 5.5.4');
  assert.equal(codes(await c.cmd('MAIL FROM:<a@remote.test> BODY=8BITMIME SMTPUTF8 SIZE=100')), '250 2.1.0');
  assert.equal(codes(await c.cmd('RCPT TO:<alice@posthorn.test> NOTIFY=NEVER')), '555 5.5.4');
  assert.equal(codes(await c.cmd('RCPT TO:<alice@posthorn.test> ORCPT=rfc822;+Z')), '555 5.5.4');
  assert.equal(codes(await c.cmd('RSET')), '250 2.0.0');
  assert.equal(codes(await c.cmd('MAIL FROM:<a@remote.test> BODY=BINARYMIME')), '501 5.5.4');
  c.end();
});

test('8BITMIME and SMTPUTF8: a UTF-8 local part and an 8-bit body are delivered byte for byte', async () => {
  const c = await session();
  const mail = await c.cmd('MAIL FROM:<renée@remote.test> BODY=8BITMIME SMTPUTF8');
  assert.equal(codes(mail), '250 2.1.0');
  assert.equal(codes(await c.cmd('RCPT TO:<jürgen@posthorn.test>')), '250 2.1.5');
  assert.match(await c.cmd('DATA'), /^354/);
  c.write(Buffer.from('From: Renée <renée@remote.test>\r\nSubject: Grüße\r\n\r\nMit freundlichen Grüßen — 😀\r\n.\r\n', 'utf8'));
  assert.equal(codes(await c.reply()), '250 2.6.0');
  c.end();
  const got = (await h.inbox('jürgen@posthorn.test'))[0];
  assert.ok(got.endsWith('Subject: Grüße\r\n\r\nMit freundlichen Grüßen — 😀\r\n'));
});

test('a 1 MB header line and 100,000 addresses in To: are taken in bounded form; the server keeps answering', async () => {
  const c = await session();
  const longLine = message({ subject: 'long header', extra: `X-Long: ${'a'.repeat(1024 * 1024)}` });
  assert.equal(codes((await sendRaw(c, 'a@remote.test', ['alice@posthorn.test'], longLine)).data), '250 2.6.0');
  const many = Array.from({ length: 100_000 }, (_, i) => `u${i}@x.test`).join(',\r\n ');
  assert.equal(codes((await sendRaw(c, 'a@remote.test', ['alice@posthorn.test'], message({ subject: 'many to', to: many }))).data), '250 2.6.0');
  assert.equal(codes(await c.cmd('NOOP')), '250 2.0.0');
  c.end();
  const inbox = await h.inbox('alice@posthorn.test');
  const long = inbox.find((m) => m.includes('Subject: long header'));
  assert.ok(long);
  assert.ok(/Authentication-Results: mx\.posthorn\.test;\r\n dkim=none \(header too large to verify\)/.test(long), 'verifier bounded for the long line too');
  const crowd = inbox.find((m) => m.includes('Subject: many to'));
  assert.ok(crowd);
  // Too big a header for the verifier: SPF only, DKIM and DMARC said to be unchecked.
  assert.ok(/Authentication-Results: mx\.posthorn\.test;\r\n dkim=none \(header too large to verify\);\r\n spf=none[^]*dmarc=none \(header too large to verify\)/.test(crowd.slice(0, 4000)));
});

test('10,000 pipelined RCPT: the first limits.max_recipients get 250, every one after 452 4.5.3', async () => {
  const own = await startHarness({ roles: ['smtp'], limits: { maxRecipients: 100 } });
  try {
    await own.addAccount('boss@catchall.test');
    await own.deps.store.addAlias('@catchall.test', 'boss@catchall.test');
    const c = await RawSmtp.connect(own.ports.smtp);
    await c.reply();
    await c.cmd('EHLO client.test');
    let batch = 'MAIL FROM:<a@remote.test>\r\n';
    for (let i = 0; i < 10_000; i++) batch += `RCPT TO:<u${i}@catchall.test>\r\n`;
    c.write(batch);
    const replies = (await c.replies(10_001)).map(codes);
    assert.equal(replies[0], '250 2.1.0');
    assert.ok(replies.slice(1, 101).every((r) => r === '250 2.1.5'));
    assert.ok(replies.slice(101).every((r) => r === '452 4.5.3'));
    assert.equal(codes(await c.cmd('NOOP')), '250 2.0.0');
    c.end();
  } finally {
    await own.stop();
  }
});
