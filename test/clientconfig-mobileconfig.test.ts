// The Apple configuration profile route over a real loopback HTTP server: HTTP Basic auth through
// the shared Authenticator interface, and the profile checked with Python's plistlib (the same
// XML plist format iOS and macOS read) against the configuration.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { execFileSync } from 'node:child_process';
import { defaultConfig } from '../src/server/config.ts';
import { silentLogger } from '../src/server/log.ts';
import { normaliseAddress } from '../src/mail/address.ts';
import type { MailStore } from '../src/store/types.ts';
import type { Authenticator, AuthContext, AuthResult } from '../src/auth/authenticator.ts';
import type { HttpContext } from '../src/web/types.ts';
import { serveClientConfig } from './helpers/clientconfig.ts';
import { requirePythonFor } from './helpers/tools.ts';

const PASSWORD = 'correct horse <battery> & "staple"';
const ACCOUNTS: Record<string, { password: string; disabled: boolean }> = {
  'frank@example.com': { password: PASSWORD, disabled: false },
  'gone@example.com': { password: PASSWORD, disabled: true },
  'ctl@example.com': { password: 'bell\u0007', disabled: false },
};

let server: Server;
let base: string;
let ctx: HttpContext;
const authCalls: { username: string; ctx: AuthContext }[] = [];

/** The bound ports the routes read, as a running server records them; tests change them between requests. */
let ports: Record<string, number>;

/** A running server's view: the configured host name, every listener bound to its default port. */
function reset(): void {
  ctx.hostname = 'mail.example.net';
  ports = { ...defaultConfig().ports };
  ctx.ports = ports;
}

before(async () => {
  const store = { getDomain: async (name: string) => (name === 'example.com' ? { id: 1, name, createdAt: 0, dkimSelector: null, dkimPrivateKeyPem: null } : null) };
  const auth = {
    authenticate: async (username: string, password: string, actx: AuthContext): Promise<AuthResult> => {
      authCalls.push({ username, ctx: actx });
      if (password === 'too-many') return { ok: false, reason: 'rate-limited' };
      const address = normaliseAddress(username);
      const entry = address ? ACCOUNTS[address] : undefined;
      if (!address || !entry || entry.password !== password) return { ok: false, reason: 'invalid' };
      if (entry.disabled) return { ok: false, reason: 'disabled' };
      const account = { id: 7, address, domainId: 1, passwordHash: '', quotaBytes: null, usedBytes: 0, messageCount: 0, modseq: 1, popRetentionDays: null, createdAt: 0, disabled: false };
      return { ok: true, account };
    },
  };
  ctx = { hostname: '', ports: {}, store: store as unknown as MailStore, auth: auth as unknown as Authenticator, log: silentLogger() };
  reset();
  ({ base, server } = await serveClientConfig(ctx));
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const basic = (user: string, password: string): Record<string, string> => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`,
});

type Plist = Record<string, unknown> & { PayloadContent: Record<string, unknown>[] };

/** plistlib.loads: fails on anything that is not a well-formed property list. */
function parsePlist(doc: string): Plist {
  const py = 'import sys, json, plistlib\nprint(json.dumps(plistlib.loads(sys.stdin.buffer.read())))';
  return JSON.parse(execFileSync(requirePythonFor(py), ['-c', py], { input: doc }).toString()) as Plist;
}

const UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/;

async function download(query = '', headers: Record<string, string> = basic('Frank@Example.com', PASSWORD)): Promise<{ res: Response; text: string }> {
  const res = await fetch(`${base}/mobileconfig${query}`, { headers });
  return { res, text: await res.text() };
}

test('mobileconfig: 401 with a Basic challenge without credentials or with wrong ones', async () => {
  reset();
  for (const headers of [{}, basic('frank@example.com', 'wrong'), basic('nobody@example.com', PASSWORD), { authorization: 'Bearer abc' }, { authorization: 'Basic !!!' }]) {
    const { res, text } = await download('', headers);
    assert.equal(res.status, 401, JSON.stringify(headers));
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="[^"]+"/);
    assert.doesNotMatch(text, /<plist/);
  }
});

test('mobileconfig: rate-limited logins get 429, a disabled account 403', async () => {
  reset();
  assert.equal((await download('', basic('frank@example.com', 'too-many'))).res.status, 429);
  assert.equal((await download('', basic('gone@example.com', PASSWORD))).res.status, 403);
});

test('mobileconfig: checks the password through the shared authenticator as protocol http', async () => {
  authCalls.length = 0;
  await download();
  assert.equal(authCalls.length, 1);
  assert.equal(authCalls[0].username, 'Frank@Example.com');
  assert.equal(authCalls[0].ctx.protocol, 'http');
  assert.equal(authCalls[0].ctx.ip, '127.0.0.1');
});

function checkProfile(profile: Plist, config: HttpContext, address: string): void {
  assert.equal(profile.PayloadType, 'Configuration');
  assert.equal(profile.PayloadVersion, 1);
  assert.match(String(profile.PayloadIdentifier), /^net\.example\.mail\./, 'reversed host name');
  assert.equal(profile.PayloadContent.length, 1);
  const mail = profile.PayloadContent[0];
  assert.equal(mail.PayloadType, 'com.apple.mail.managed');
  assert.equal(mail.PayloadVersion, 1);
  assert.ok(String(mail.PayloadIdentifier).startsWith(String(profile.PayloadIdentifier) + '.'));
  for (const uuid of [profile.PayloadUUID, mail.PayloadUUID]) assert.match(String(uuid), UUID);
  assert.notEqual(profile.PayloadUUID, mail.PayloadUUID);
  assert.equal(mail.EmailAddress, address);
  assert.equal(mail.IncomingMailServerUsername, address);
  assert.equal(mail.OutgoingMailServerUsername, address);
  assert.equal(mail.IncomingMailServerHostName, config.hostname);
  assert.equal(mail.OutgoingMailServerHostName, config.hostname);
  assert.equal(mail.IncomingMailServerAuthentication, 'EmailAuthPassword');
  assert.equal(mail.OutgoingMailServerAuthentication, 'EmailAuthPassword');
  assert.equal(mail.OutgoingPasswordSameAsIncomingPassword, true);
  const [inPort, inTls] = config.ports.imaps ? [config.ports.imaps, true] : config.ports.imap ? [config.ports.imap, false] : config.ports.pop3s ? [config.ports.pop3s, true] : [config.ports.pop3, false];
  assert.equal(mail.EmailAccountType, config.ports.imaps || config.ports.imap ? 'EmailTypeIMAP' : 'EmailTypePOP');
  assert.equal(mail.IncomingMailServerPortNumber, inPort);
  assert.equal(mail.IncomingMailServerUseSSL, inTls);
  const [outPort, outTls] = config.ports.submissions ? [config.ports.submissions, true] : [config.ports.submission, false];
  assert.equal(mail.OutgoingMailServerPortNumber, outPort);
  assert.equal(mail.OutgoingMailServerUseSSL, outTls);
}

test('mobileconfig: a well-formed profile for the logged-in account, no password inside', async () => {
  reset();
  const { res, text } = await download();
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/x-apple-aspen-config');
  assert.equal(res.headers.get('content-disposition'), 'attachment; filename="frank-at-example.com.mobileconfig"');
  assert.match(res.headers.get('cache-control') ?? '', /no-store/);
  const profile = parsePlist(text);
  checkProfile(profile, ctx, 'frank@example.com');
  assert.ok(!('IncomingPassword' in profile.PayloadContent[0]) && !('OutgoingPassword' in profile.PayloadContent[0]));
  assert.ok(!text.includes('horse'), 'the password appears nowhere');
  assert.equal((await download('?password=0')).text.includes('horse'), false);
});

test('mobileconfig: the password only when asked for with ?password=1, escaped correctly', async () => {
  reset();
  const { res, text } = await download('?password=1');
  assert.equal(res.status, 200);
  const mail = parsePlist(text).PayloadContent[0];
  assert.equal(mail.IncomingPassword, PASSWORD);
  assert.equal(mail.OutgoingPassword, PASSWORD);
  // A password XML cannot carry is refused rather than altered.
  assert.equal((await download('?password=1', basic('ctl@example.com', 'bell\u0007'))).res.status, 400);
  assert.equal((await download('', basic('ctl@example.com', 'bell\u0007'))).res.status, 200);
});

test('mobileconfig: payload UUIDs are unique, identifiers stable per account', async () => {
  reset();
  const seen = new Set<string>();
  const identifiers = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const profile = parsePlist((await download()).text);
    seen.add(String(profile.PayloadUUID));
    seen.add(String(profile.PayloadContent[0].PayloadUUID));
    identifiers.add(String(profile.PayloadIdentifier));
  }
  assert.equal(seen.size, 10);
  assert.equal(identifiers.size, 1, 'a new download replaces the installed profile');
});

test('mobileconfig: follows port changes and disabled listeners', async () => {
  reset();
  ports.imaps = 0;
  ports.imap = 14143;
  ports.submissions = 0;
  checkProfile(parsePlist((await download()).text), ctx, 'frank@example.com');
  reset();
  ports.imaps = 0;
  ports.imap = 0;
  ports.pop3s = 15995;
  checkProfile(parsePlist((await download()).text), ctx, 'frank@example.com');
  reset();
  ports.submissions = 0;
  ports.submission = 0;
  assert.equal((await download()).res.status, 404);
  assert.equal((await fetch(`${base}/mobileconfig`, { method: 'POST', headers: basic('frank@example.com', PASSWORD) })).status, 405);
});
