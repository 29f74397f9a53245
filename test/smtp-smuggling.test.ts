// SMTP smuggling (CVE-2023-51764/5/6, SECURITY-CASES.md): only <CR><LF>.<CR><LF> ends DATA.
// Each variant is sent pipelined in one write, followed by a smuggled second transaction; the
// server must answer exactly once (554 5.6.0: bare CR/LF refused, see src/smtp/data.ts) and no
// message, first or smuggled, may appear in the INBOX.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, RawSmtp, codes, type Harness } from './smtp-harness.ts';

let h: Harness;

before(async () => {
  h = await startHarness({ roles: ['smtp'] });
  await h.addAccount('bob@posthorn.test');
});

after(async () => {
  await h.stop();
});

const VARIANTS: [string, string][] = [
  ['\\n.\\n', '\n.\n'],
  ['\\n.\\r\\n', '\n.\r\n'],
  ['\\r\\n.\\n', '\r\n.\n'],
  ['\\r.\\r\\n', '\r.\r\n'],
  ['\\r\\n.\\r', '\r\n.\r'],
  ['bare LF in a line', 'a\nb\r\n'],
  ['bare CR in a line', 'a\rb\r\n'],
];

async function attempt(tag: string, terminator: string, chunkSize: number): Promise<void> {
  const c = await RawSmtp.connect(h.ports.smtp);
  assert.match(await c.reply(), /^220/);
  assert.match(await c.cmd('EHLO attacker.test'), /PIPELINING/);
  // RFC 2920: the envelope pipelined in one write.
  c.write('MAIL FROM:<attacker@remote.test>\r\nRCPT TO:<bob@posthorn.test>\r\nDATA\r\n');
  const envelope = await c.replies(3);
  assert.deepEqual(envelope.map(codes), ['250 2.1.0', '250 2.1.5', '354']);
  const payload = Buffer.from(
    `Subject: carrier ${tag}\r\n\r\nfirst part${terminator}` +
      'MAIL FROM:<spoofed@posthorn.test>\r\nRCPT TO:<bob@posthorn.test>\r\nDATA\r\n' +
      `Subject: smuggled ${tag}\r\n\r\nevil\r\n.\r\n`,
  );
  for (let i = 0; i < payload.length; i += chunkSize) c.write(payload.subarray(i, i + chunkSize));
  // Exactly one reply to the whole payload …
  assert.equal(codes(await c.reply()), '554 5.6.0');
  // … and the next reply answers our NOOP, not a smuggled MAIL/RCPT/DATA.
  assert.equal(codes(await c.cmd('NOOP')), '250 2.0.0');
  c.end();
}

for (const [name, terminator] of VARIANTS) {
  for (const chunk of [1, 7, 65536]) {
    test(`${name} (chunks of ${chunk}) ends nothing: one 554 5.6.0, nothing delivered`, async () => {
      const tag = `${name} ${chunk}`;
      await attempt(tag, terminator, chunk);
      const inbox = await h.inbox('bob@posthorn.test');
      assert.ok(!inbox.some((m) => m.includes(`carrier ${tag}`)), 'carrier message not stored');
      assert.ok(!inbox.some((m) => m.includes(`smuggled ${tag}`)), 'no smuggled message');
    });
  }
}

test('a dot-stuffed "." line is content; CRLF.CRLF is the only end, and the stored message keeps the single dot', async () => {
  const c = await RawSmtp.connect(h.ports.smtp);
  await c.reply();
  await c.cmd('EHLO client.test');
  c.write('MAIL FROM:<a@remote.test>\r\nRCPT TO:<bob@posthorn.test>\r\nDATA\r\n');
  await c.replies(3);
  c.write('Subject: stuffed\r\n\r\nbefore\r\n..\r\nafter\r\n.\r\n');
  assert.equal(codes(await c.reply()), '250 2.6.0');
  c.end();
  const got = (await h.inbox('bob@posthorn.test')).find((m) => m.includes('Subject: stuffed'));
  assert.ok(got);
  assert.ok(got.endsWith('\r\n\r\nbefore\r\n.\r\nafter\r\n'));
});
