// End to end: delivery rules given at server start decide where SMTP mail lands, read back over
// IMAP with imapflow. A rule files list mail into a folder with a keyword (INBOX when the
// recipient has no such folder), and files null-sender mail, such as our own DSN for a
// recipient over quota, into the Archive by its special-use role.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ImapFlow } from 'imapflow';
import { startHarness, RawSmtp, sendRaw, message, codes, PASSWORD, type Harness } from './smtp-harness.ts';
import type { DeliveryRules } from '../src/delivery/rules.ts';

let h: Harness;

const rules: DeliveryRules = {
  decide: ({ envelope, message }) => {
    if (envelope.sender === '') return { action: 'store', placements: [{ mailbox: { role: '\\Archive' } }] };
    if (message.parsed.summary.subject?.startsWith('[dev]')) return { action: 'store', placements: [{ mailbox: { name: 'Lists/dev' }, flags: ['$Dev'] }] };
    return { action: 'store', placements: [{ mailbox: { name: 'INBOX' } }] };
  },
};

before(async () => {
  h = await startHarness({ roles: ['smtp'], env: { POSTHORN_IMAP_PORT: '1' }, deliveryRules: rules });
  const alice = await h.addAccount('alice@posthorn.test');
  await h.addAccount('bob@posthorn.test');
  await h.addAccount('small@posthorn.test', undefined, 3000);
  await h.deps.store.createMailbox(alice.id, 'Lists/dev');
});

after(async () => {
  await h.stop();
});

async function session(): Promise<RawSmtp> {
  const c = await RawSmtp.connect(h.ports.smtp);
  assert.match(await c.reply(), /^220 /);
  assert.match(await c.cmd('EHLO client.remote.test'), /^250/);
  return c;
}

/** Subjects and flags of the messages in one mailbox, over IMAP. */
async function overImap(user: string, mailbox: string): Promise<{ subject: string | undefined; flags: string[] }[]> {
  const c = new ImapFlow({ host: '127.0.0.1', port: h.ports.imap, secure: false, auth: { user, pass: PASSWORD }, tls: { rejectUnauthorized: false }, logger: false });
  await c.connect();
  try {
    const lock = await c.getMailboxLock(mailbox);
    try {
      const out: { subject: string | undefined; flags: string[] }[] = [];
      if ((c.mailbox as { exists: number }).exists === 0) return out;
      for await (const m of c.fetch('1:*', { envelope: true, flags: true })) out.push({ subject: m.envelope?.subject, flags: [...(m.flags ?? [])].sort() });
      return out;
    } finally {
      lock.release();
    }
  } finally {
    await c.logout();
  }
}

test('a rule files list mail into Lists/dev with a keyword; a recipient without that folder gets it in INBOX; other mail stays in INBOX', async () => {
  const c = await session();
  const list = await sendRaw(c, 'dev@lists.remote.test', ['alice@posthorn.test', 'bob@posthorn.test'], message({ subject: '[dev] build broke' }));
  assert.equal(codes(list.data), '250 2.6.0');
  const plain = await sendRaw(c, 'friend@remote.test', ['alice@posthorn.test'], message({ subject: 'lunch?' }));
  assert.equal(codes(plain.data), '250 2.6.0');
  c.end();
  assert.deepEqual(await overImap('alice@posthorn.test', 'Lists/dev'), [{ subject: '[dev] build broke', flags: ['$Dev'] }]);
  assert.deepEqual((await overImap('alice@posthorn.test', 'INBOX')).map((m) => m.subject), ['lunch?']);
  assert.deepEqual(await overImap('bob@posthorn.test', 'INBOX'), [{ subject: '[dev] build broke', flags: ['$Dev'] }]);
});

test('the DSN for a recipient over quota reaches the hosted sender through the same rules (null sender → Archive)', async () => {
  const c = await session();
  const r = await sendRaw(c, 'bob@posthorn.test', ['small@posthorn.test', 'alice@posthorn.test'], message({ from: 'bob@posthorn.test', subject: 'too big for small', body: 'q'.repeat(4000) }));
  assert.equal(codes(r.data), '250 2.6.0');
  c.end();
  assert.equal((await h.inbox('small@posthorn.test')).length, 0);
  const archive = await overImap('bob@posthorn.test', 'Archive');
  assert.equal(archive.length, 1);
  assert.match(archive[0].subject ?? '', /Undelivered Mail Returned to Sender/);
  assert.ok(!(await overImap('bob@posthorn.test', 'INBOX')).some((m) => /Undelivered/.test(m.subject ?? '')));
});
