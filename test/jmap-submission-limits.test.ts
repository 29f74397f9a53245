// EmailSubmission/set against the server's message limits (RFC 8621 §7.5 SetErrors): a message
// over limits.max_message_size is tooLarge, an envelope over limits.max_recipients is
// tooManyRecipients — the limits SMTP submission enforces, from the same configuration.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startJmapServer, type JmapTestServer } from './helpers/jmap.ts';
import { ingestMessage } from '../src/delivery/explicit-target.ts';

const USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:submission'];
let jmap: JmapTestServer;
const configDir = mkdtempSync(join(tmpdir(), 'posthorn-jmap-limits-'));

before(async () => {
  const file = join(configDir, 'posthorn.toml');
  writeFileSync(file, '[limits]\nmax_message_size = 2000\nmax_recipients = 2\n');
  jmap = await startJmapServer({ env: { POSTHORN_CONFIG: file } });
  await jmap.server.deps.store.createAccount({ address: 'bob@example.com', passwordHash: 'x' });
});
after(async () => {
  await jmap.stop();
  rmSync(configDir, { recursive: true, force: true });
});

async function draft(to: string, bodyBytes: number): Promise<string> {
  const { store, blobs, parse } = jmap.server.deps;
  const account = (await store.getAccountByAddress(jmap.address))!;
  const box = (await store.getMailboxByRole(account.id, '\\Drafts'))!;
  const raw = `From: alice@example.com\r\nTo: ${to}\r\nSubject: limits\r\n\r\n${'x'.repeat(bodyBytes)}\r\n`;
  const r = await ingestMessage({ store, blobs, parse }, account.id, box.id, Buffer.from(raw));
  return 'E' + r.emailId.toString(36);
}

test('tooLarge past the message size limit, tooManyRecipients past the recipient limit; within both it is sent', async () => {
  const [[, ids]] = await jmap.call([['Identity/get', { accountId: jmap.accountId }, 'i']], USING);
  const identityId = ids.list[0].id;
  const big = await draft('bob@example.com', 2100);
  const many = await draft('bob@example.com, b1@example.com, b2@example.com', 10);
  const fine = await draft('bob@example.com', 10);
  const [[, set]] = await jmap.call([['EmailSubmission/set', {
    accountId: jmap.accountId,
    create: { big: { identityId, emailId: big }, many: { identityId, emailId: many }, fine: { identityId, emailId: fine } },
  }, 's']], USING);
  assert.deepEqual([set.notCreated.big.type, set.notCreated.big.maxSize], ['tooLarge', 2000]);
  assert.deepEqual([set.notCreated.many.type, set.notCreated.many.maxRecipients], ['tooManyRecipients', 2]);
  assert.ok(set.created.fine, JSON.stringify(set));
});
