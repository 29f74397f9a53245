// A JMAP client that Posthorn's authors did not write, jmap-jam (npm), against a real server over
// real HTTP: it reads the session resource, builds its own `using` from the method names
// (RFC 8620 §3.3), numbers its own method calls and resolves its own result references (§3.7).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startJmapServer, type JmapTestServer } from './helpers/jmap.ts';

// Loaded by a specifier that the type checker does not follow: jmap-jam's types come from
// jmap-rfc-types, which ships TypeScript sources with enums, and `tsc --noEmit` here would
// check them under erasableSyntaxOnly. At run time it is the package's plain ES module.
const JMAP_JAM = 'jmap-jam';
const { default: JamClient } = (await import(JMAP_JAM)) as { default: any };

const MAIL = 'urn:ietf:params:jmap:mail';
let jmap: JmapTestServer;
let jam: any;

before(async () => {
  jmap = await startJmapServer();
  const sessionUrl = `${jmap.base}/.well-known/jmap`;
  // Jam knows only bearer tokens (its constructor fetches the session with one, which Posthorn
  // answers 401); its header and session are public, so a Basic user sets both (RFC 7617).
  jam = new JamClient({ sessionUrl, bearerToken: 'unused' });
  await jam.session.catch(() => undefined);
  jam.authHeader = jmap.authorization;
  jam.session = JamClient.loadSession(sessionUrl, jam.authHeader);
});
after(() => jmap.stop());

test('jmap-jam reads the session resource: the core capability, the account, the API URL (RFC 8620 §2)', async () => {
  const session = await jam.session;
  assert.equal(session.username, jmap.address);
  assert.ok(session.capabilities['urn:ietf:params:jmap:core'], 'core capability');
  assert.ok(session.accounts[jmap.accountId], 'the account is in the session');
  assert.equal(session.apiUrl, `${jmap.base}/jmap/api`);
  // getPrimaryAccount() is the mail capability's primary account: present exactly when mail is.
  assert.equal(await jam.getPrimaryAccount(), MAIL in session.capabilities ? jmap.accountId : undefined);
});

test('jmap-jam Core/echo: the arguments come back unchanged, with the session state (RFC 8620 §4)', async () => {
  const args = { hello: 'world', nested: { list: [1, 'two', null], yes: true } };
  const [echoed, meta] = await jam.request(['Core/echo', args] as any);
  assert.deepEqual(echoed, args);
  assert.equal(meta.sessionState, (await jam.session).state);
  assert.equal(meta.response.status, 200);
});

test('jmap-jam requestMany with a result reference between two Core/echo calls (RFC 8620 §3.7)', async () => {
  const [responses] = await jam.requestMany((t: any) => {
    const first = t.Core.echo({ list: ['a', 'b'] });
    const second = t.Core.echo({ got: first.$ref('/list') });
    return { first, second };
  });
  assert.deepEqual((responses as any).first, { list: ['a', 'b'] });
  assert.deepEqual((responses as any).second, { got: ['a', 'b'] }, 'the server resolved #got from the first response');
});

test('jmap-jam Mailbox/get: INBOX with its role when the mail capability is advertised, else the request-level error (RFC 8621 §2.1, RFC 8620 §3.6.1)', async () => {
  const session = await jam.session;
  const accountId = (await jam.getPrimaryAccount()) ?? jmap.accountId;
  if (MAIL in session.capabilities) {
    const [result] = await jam.api.Mailbox.get({ accountId, ids: null });
    assert.equal(result.accountId, accountId);
    assert.equal(typeof result.state, 'string');
    const inbox = result.list.find((m: any) => m.role === 'inbox');
    assert.ok(inbox, 'a mailbox with role inbox');
    assert.equal(typeof inbox.name, 'string');
    assert.equal(inbox.parentId, null);
    assert.equal(typeof inbox.totalEmails, 'number');
    assert.deepEqual(result.notFound, []);
  } else {
    // Jam puts urn:ietf:params:jmap:mail in `using` for a Mailbox method and throws the
    // problem details the server answers with.
    await assert.rejects(jam.api.Mailbox.get({ accountId, ids: null }), (problem: any) => {
      assert.equal(problem.type, 'urn:ietf:params:jmap:error:unknownCapability');
      assert.equal(problem.status, 400);
      return true;
    });
  }
});
