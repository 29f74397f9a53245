// Inbound SMTP (MX) end to end over raw sockets: capabilities, hosted recipients, no relay (with
// the tricky address forms of SECURITY-CASES.md), size, quota, limits, STARTTLS injection, an
// abandoned DATA, and what a delivered message carries.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, RawSmtp, sendRaw, message, codes, blobTempFiles, type Harness } from './smtp-harness.ts';

let h: Harness;

before(async () => {
  h = await startHarness({ roles: ['smtp'], limits: { maxRecipients: 5, maxMessageBytes: 200_000 } });
  await h.addAccount('alice@posthorn.test');
  await h.addAccount('bob@posthorn.test');
  await h.addAccount('small@posthorn.test', undefined, 3000);
  await h.addAccount('boss@catchall.test');
  await h.deps.store.addAlias('sales@posthorn.test', 'alice@posthorn.test');
  await h.deps.store.addAlias('team@posthorn.test', 'alice@posthorn.test');
  await h.deps.store.addAlias('team@posthorn.test', 'bob@posthorn.test');
  await h.deps.store.addAlias('@catchall.test', 'boss@catchall.test');
});

after(async () => {
  await h.stop();
});

async function session(): Promise<RawSmtp> {
  const c = await RawSmtp.connect(h.ports.smtp);
  assert.match(await c.reply(), /^220 mx\.posthorn\.test ESMTP/);
  assert.match(await c.cmd('EHLO client.remote.test'), /^250/);
  return c;
}

test('EHLO advertises PIPELINING, 8BITMIME, SMTPUTF8, SIZE, ENHANCEDSTATUSCODES and STARTTLS, and no AUTH on the MX', async () => {
  const c = await RawSmtp.connect(h.ports.smtp);
  await c.reply();
  const ehlo = await c.cmd('EHLO client.remote.test');
  for (const ext of ['PIPELINING', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'STARTTLS', 'SIZE 200000']) {
    assert.ok(ehlo.split('\n').some((l) => l.slice(4) === ext), `${ext} in ${ehlo}`);
  }
  assert.ok(!/AUTH/.test(ehlo));
  assert.equal(codes(await c.cmd('AUTH PLAIN AGFsaWNlAHg=')), '500 5.5.2');
  c.end();
});

test('a message to an account lands in its INBOX with Received and Authentication-Results; a forged result of ours is removed', async () => {
  const c = await session();
  const forged = 'Authentication-Results: mx.posthorn.test; spf=pass smtp.mailfrom=evil.test';
  const r = await sendRaw(c, 'sender@remote.test', ['alice@posthorn.test'], message({ subject: 'first', extra: forged }));
  assert.equal(codes(r.rcpt[0]), '250 2.1.5');
  assert.equal(codes(r.data), '250 2.6.0');
  c.end();
  const inbox = await h.inbox('alice@posthorn.test');
  const got = inbox.find((m) => m.includes('Subject: first'));
  assert.ok(got);
  assert.match(got, /^Received-SPF: none/);
  assert.match(got, /Authentication-Results: mx\.posthorn\.test;\r\n dkim=none[^]*spf=none[^]*dmarc=none/);
  assert.match(got, /Received: from client\.remote\.test \(\[127\.0\.0\.1\]\)\r\n\tby mx\.posthorn\.test \(Posthorn\) with ESMTP id \S+\r\n\tfor <alice@posthorn\.test>;/);
  assert.ok(!got.includes('spf=pass smtp.mailfrom=evil.test'));
});

test('one blob serves every recipient; aliases fan out, an account reached twice gets one copy, catch-all takes unknown local parts', async () => {
  const c = await session();
  const r = await sendRaw(c, 'sender@remote.test', ['team@posthorn.test', 'sales@posthorn.test', 'alice@posthorn.test', 'whoever@catchall.test'], message({ subject: 'fanout' }));
  assert.deepEqual(r.rcpt.map(codes), ['250 2.1.5', '250 2.1.5', '250 2.1.5', '250 2.1.5']);
  assert.equal(codes(r.data), '250 2.6.0');
  c.end();
  const { store } = h.deps;
  const blobIds = new Set<string>();
  for (const address of ['alice@posthorn.test', 'bob@posthorn.test', 'boss@catchall.test']) {
    const account = (await store.getAccountByAddress(address))!;
    const box = (await store.getMailbox(account.id, 'INBOX'))!;
    const mine = (await store.getMessages(box.accountId, box.id, (await store.listMessages(box.accountId, box.id)).map((m) => m.uid))).filter((m) => m.summary.subject === 'fanout');
    assert.equal(mine.length, 1, `${address} has exactly one copy`);
    blobIds.add(mine[0].blobId);
  }
  assert.equal(blobIds.size, 1);
});

test('unknown user 550 5.1.1; relaying 554 5.7.1, including source routes; %-hack and quoted forms never relay', async () => {
  const c = await session();
  assert.match(await c.cmd('MAIL FROM:<sender@remote.test>'), /^250/);
  assert.equal(codes(await c.cmd('RCPT TO:<nobody@posthorn.test>')), '550 5.1.1');
  assert.equal(codes(await c.cmd('RCPT TO:<victim@elsewhere.test>')), '554 5.7.1');
  assert.equal(codes(await c.cmd('RCPT TO:<@posthorn.test:victim@elsewhere.test>')), '554 5.7.1');
  assert.equal(codes(await c.cmd('RCPT TO:<@posthorn.test,@mx.posthorn.test:victim@elsewhere.test>')), '554 5.7.1');
  assert.equal(codes(await c.cmd('RCPT TO:<victim%elsewhere.test@posthorn.test>')), '550 5.1.1');
  assert.equal(codes(await c.cmd('RCPT TO:<"victim@elsewhere.test"@posthorn.test>')), '501 5.1.3');
  assert.equal(codes(await c.cmd('RCPT TO:<victim!elsewhere.test@posthorn.test>')), '550 5.1.1');
  // Syntax smtp-server lets through but an address of ours can never have: a single-label domain.
  assert.equal(codes(await c.cmd('RCPT TO:<root@localhost>')), '553 5.1.3');
  // Nothing was accepted, so DATA has no recipient.
  assert.equal(codes(await c.cmd('DATA')), '503 5.5.1');
  c.end();
});

test('the domainless postmaster means postmaster@<host name> (RFC 5321 §4.5.1): not hosted here, so refused like any relay', async () => {
  const c = await session();
  assert.match(await c.cmd('MAIL FROM:<sender@remote.test>'), /^250/);
  // mx.posthorn.test is not a hosted domain here: postmaster resolves to nothing we host.
  assert.equal(codes(await c.cmd('RCPT TO:<postmaster>')), '554 5.7.1');
  c.end();
});

test('SIZE: above the limit 552 5.3.4 at MAIL; malformed SIZE 501; an oversized body 552 5.3.4 and nothing stored', async () => {
  const c = await session();
  assert.equal(codes(await c.cmd('MAIL FROM:<sender@remote.test> SIZE=200001')), '552 5.3.4');
  assert.equal(codes(await c.cmd('MAIL FROM:<sender@remote.test> SIZE=-1')), '501 5.5.4');
  assert.equal(codes(await c.cmd('MAIL FROM:<sender@remote.test> SIZE=99999999999999999999')), '552 5.3.4');
  assert.equal(codes(await c.cmd('MAIL FROM:<sender@remote.test> SIZE=999999999999999999999')), '501 5.5.4');
  const before = (await h.inbox('bob@posthorn.test')).length;
  const r = await sendRaw(c, 'sender@remote.test', ['bob@posthorn.test'], message({ subject: 'huge', body: 'x'.repeat(998) + ('\r\n' + 'y'.repeat(998)).repeat(210) }));
  assert.equal(codes(r.data), '552 5.3.4');
  // The session goes on after the refusal.
  assert.equal(codes((await sendRaw(c, 'sender@remote.test', ['bob@posthorn.test'], message({ subject: 'after huge' }))).data), '250 2.6.0');
  c.end();
  const inbox = await h.inbox('bob@posthorn.test');
  assert.equal(inbox.length, before + 1);
  assert.ok(!inbox.some((m) => m.includes('Subject: huge')));
});

test('quota: 452 4.2.2 at RCPT for a declared SIZE that does not fit, 552 5.2.2 at end of data otherwise', async () => {
  const c = await session();
  assert.match(await c.cmd('MAIL FROM:<sender@remote.test> SIZE=5000'), /^250/);
  assert.equal(codes(await c.cmd('RCPT TO:<small@posthorn.test>')), '452 4.2.2');
  assert.equal(codes(await c.cmd('RCPT TO:<bob@posthorn.test>')), '250 2.1.5');
  assert.equal(codes(await c.cmd('RSET')), '250 2.0.0');
  const r = await sendRaw(c, 'sender@remote.test', ['small@posthorn.test'], message({ subject: 'too big for small', body: 'z'.repeat(4000) }));
  assert.equal(codes(r.rcpt[0]), '250 2.1.5');
  assert.equal(codes(r.data), '552 5.2.2');
  c.end();
  assert.equal((await h.inbox('small@posthorn.test')).length, 0);
});

test('quota, several recipients: the others are delivered (250) and the sender gets a DSN for the one over quota', async () => {
  const c = await session();
  const r = await sendRaw(c, 'alice@posthorn.test', ['small@posthorn.test', 'bob@posthorn.test'], message({ from: 'alice@posthorn.test', subject: 'partial quota', body: 'q'.repeat(4000) }));
  assert.equal(codes(r.data), '250 2.6.0');
  c.end();
  assert.ok((await h.inbox('bob@posthorn.test')).some((m) => m.includes('Subject: partial quota')));
  assert.equal((await h.inbox('small@posthorn.test')).length, 0);
  const dsn = (await h.inbox('alice@posthorn.test')).find((m) => m.includes('Undelivered Mail Returned to Sender'));
  assert.ok(dsn, 'DSN delivered to the local sender');
  assert.match(dsn, /Content-Type: multipart\/report; report-type=delivery-status/);
  assert.match(dsn, /Final-Recipient: rfc822; small@posthorn\.test\r\nAction: failed\r\nStatus: 5\.2\.2/);
  assert.match(dsn, /Subject: partial quota/);
  assert.ok(!dsn.includes('q'.repeat(100)), 'only the header of the original is returned');
});

test('recipients per message: past limits.max_recipients 452 4.5.3', async () => {
  const c = await session();
  assert.match(await c.cmd('MAIL FROM:<sender@remote.test>'), /^250/);
  for (let i = 0; i < 5; i++) assert.equal(codes(await c.cmd(`RCPT TO:<user${i}@catchall.test>`)), '250 2.1.5');
  assert.equal(codes(await c.cmd('RCPT TO:<user5@catchall.test>')), '452 4.5.3');
  c.end();
});

test('connections per IP: past limits.max_connections_per_ip the greeting is 421 4.7.0 and the connection closes', async () => {
  const own = await startHarness({ roles: ['smtp'], limits: { maxConnectionsPerIp: 3 } });
  try {
    const open: RawSmtp[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await RawSmtp.connect(own.ports.smtp);
      assert.match(await c.reply(), /^220/);
      open.push(c);
    }
    const refused = await RawSmtp.connect(own.ports.smtp);
    assert.equal(codes(await refused.reply()), '421 4.7.0');
    await refused.closedByServer();
    // One leaves (QUIT, so the server has counted it out when 221 arrives and the socket closes), a new one gets in.
    const leaving = open.pop()!;
    assert.equal(codes(await leaving.cmd('QUIT')), '221 2.0.0');
    await leaving.closedByServer();
    let admitted: string;
    do {
      const c = await RawSmtp.connect(own.ports.smtp);
      admitted = await c.reply();
      c.end();
      if (!admitted.startsWith('421')) break;
      await c.closedByServer();
    } while (admitted.startsWith('421'));
    assert.match(admitted, /^220/);
    for (const c of open) c.end();
  } finally {
    await own.stop();
  }
});

test('a client that disconnects in the middle of DATA leaves nothing delivered and no temp file', async () => {
  const before = (await h.inbox('bob@posthorn.test')).length;
  const c = await session();
  assert.match(await c.cmd('MAIL FROM:<sender@remote.test>'), /^250/);
  assert.match(await c.cmd('RCPT TO:<bob@posthorn.test>'), /^250/);
  assert.match(await c.cmd('DATA'), /^354/);
  c.write(message({ subject: 'cut short' }) + 'x'.repeat(50_000));
  c.end();
  // The server notices the close; a following complete session proves it is past it.
  const d = await session();
  assert.equal(codes((await sendRaw(d, 'sender@remote.test', ['bob@posthorn.test'], message({ subject: 'after cut' }))).data), '250 2.6.0');
  d.end();
  const inbox = await h.inbox('bob@posthorn.test');
  assert.equal(inbox.length, before + 1);
  assert.ok(!inbox.some((m) => m.includes('cut short')));
  assert.deepEqual(blobTempFiles(h.dir), []);
});

test('STARTTLS discards pipelined plaintext: STARTTLS\\r\\nRSET\\r\\n in one packet gets one reply, and EHLO state is reset', async () => {
  const c = await session();
  c.write('STARTTLS\r\nRSET\r\n');
  assert.equal(codes(await c.reply()), '220 2.0.0');
  await c.startTls();
  // The first reply inside TLS answers our own command, not the injected RSET; MAIL needs a new EHLO.
  assert.equal(codes(await c.cmd('MAIL FROM:<sender@remote.test>')), '503 5.5.1');
  const ehlo = await c.cmd('EHLO client.remote.test');
  assert.ok(!ehlo.includes('STARTTLS'));
  const r = await sendRaw(c, 'sender@remote.test', ['bob@posthorn.test'], message({ subject: 'over tls' }));
  assert.equal(codes(r.data), '250 2.6.0');
  c.end();
  const got = (await h.inbox('bob@posthorn.test')).find((m) => m.includes('Subject: over tls'));
  assert.match(got!, /with ESMTPS id/);
});

test('a delivery publishes on the change bus for the account (wakes IDLE sessions)', async () => {
  const bob = (await h.deps.store.getAccountByAddress('bob@posthorn.test'))!;
  const woke = new Promise<number>((resolve) => {
    const off = h.deps.bus.subscribe(bob.id, (event) => {
      off();
      resolve(event.accountId);
    });
  });
  const c = await session();
  assert.equal(codes((await sendRaw(c, 'sender@remote.test', ['bob@posthorn.test'], message({ subject: 'wake' }))).data), '250 2.6.0');
  c.end();
  assert.equal(await woke, bob.id);
});

test('metrics: accepted messages and refusals by stage and code are exported', async () => {
  const c = await session();
  assert.match(await c.cmd('MAIL FROM:<sender@remote.test>'), /^250/);
  assert.equal(codes(await c.cmd('RCPT TO:<victim@elsewhere.test>')), '554 5.7.1');
  c.end();
  const text = h.deps.metrics.render();
  assert.match(text, /posthorn_smtp_messages_total\{listener="smtp"\} [1-9]\d*/);
  assert.match(text, /posthorn_smtp_refusals_total\{(?=[^}]*code="554")(?=[^}]*listener="smtp")(?=[^}]*stage="rcpt")[^}]*\} [1-9]\d*/);
});
