// Wrong passwords in parallel on separate IMAP connections (SECURITY-CASES.md "Logins"): every
// attempt is counted as it starts, so no more than the per-address limit get a password check;
// the rest are refused with a temporary error, and a client at another address still logs in.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startImapServer, RawImap, type ImapTestServer } from './helpers/imap.ts';
import { DEFAULT_AUTH_LIMITS } from '../src/auth/authenticator.ts';

const ADDRESS = 'flooded@example.com';
const PASSWORD = 'the right one';
let srv: ImapTestServer;

before(async () => {
  srv = await startImapServer({ POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' });
  await srv.addAccount(ADDRESS, PASSWORD);
});

after(async () => {
  await srv.stop();
});

async function attempt(password: string, from: string): Promise<string> {
  const c = await RawImap.connect(srv.imap, { from });
  try {
    assert.match((await c.line())!, /^\* OK /);
    return (await c.command('L', `LOGIN ${ADDRESS} "${password}"`)).at(-1)!;
  } finally {
    c.close();
  }
}

test('50 parallel wrong logins from one address: at most the limit are checked, the rest refused for now', async () => {
  const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => attempt(`guess ${i}`, '127.0.0.1')));
  const failed = answers.filter((a) => a.startsWith('L NO [AUTHENTICATIONFAILED]'));
  const refused = answers.filter((a) => a.startsWith('L NO [UNAVAILABLE]'));
  assert.equal(failed.length + refused.length, 50, answers.join('\n'));
  assert.ok(failed.length <= DEFAULT_AUTH_LIMITS.maxFailuresPerIp, `${failed.length} got a password check`);
  assert.ok(failed.length >= 1);
  // A client at another address is not held up by the flood.
  assert.match(await attempt(PASSWORD, '127.0.0.2'), /^L OK/);
});
