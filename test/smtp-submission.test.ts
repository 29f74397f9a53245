// Submission (RFC 6409) end to end with clients nobody here wrote — Python's smtplib, swaks,
// nodemailer — plus raw sockets for the refusals: AUTH only after TLS, 530 5.7.0 without AUTH,
// the sender and From: must be the user's, Message-ID/Date added, DKIM signature, local delivery
// and queueing of remote recipients.

import { DEFAULT_AUTH_LIMITS } from '../src/auth/authenticator.ts';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import nodemailer from 'nodemailer';
import { dkimVerify } from 'mailauth';
import { startHarness, RawSmtp, sendRaw, message, codes, freePort, PASSWORD, type Harness } from './smtp-harness.ts';
import { staticResolver } from '../src/net/dns.ts';
import { requirePythonFor, requireSwaksWithTls } from './helpers/tools.ts';

let h: Harness;
const dkim = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicKeyB64 = dkim.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

before(async () => {
  // remote.test routes to a loopback port where nobody listens: remote mail stays queued (temporary failure).
  const closed = await freePort();
  h = await startHarness({
    roles: ['submission', 'submissions'],
    smtp: { resolver: staticResolver({ 'remote.test': { MX: [{ exchange: 'mx.remote.test', priority: 10 }] }, 'mx.remote.test': { A: ['127.0.0.1'] } }), mxPort: closed },
  });
  await h.deps.store.addDomain('posthorn.test', { selector: 'ph1', privateKeyPem: dkim.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string });
  await h.addAccount('alice@posthorn.test');
  await h.addAccount('bob@posthorn.test');
  await h.deps.store.addAlias('alice.sales@posthorn.test', 'alice@posthorn.test');
});

after(async () => {
  await h.stop();
});

function run(cmd: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

const PY_SEND = `
import smtplib, ssl, sys, json
port, user, password, sender, rcpts, msg = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5].split(','), sys.stdin.read()
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP('127.0.0.1', port, timeout=20)
s.ehlo('py.client.test')
s.starttls(context=ctx)
s.ehlo('py.client.test')
out = {'auth': s.esmtp_features.get('auth', '')}
try:
    s.login(user, password)
    out['refused'] = s.sendmail(sender, rcpts, msg)
    out['ok'] = True
except smtplib.SMTPResponseException as e:
    out['ok'] = False; out['code'] = e.smtp_code; out['error'] = e.smtp_error.decode()
except smtplib.SMTPRecipientsRefused as e:
    out['ok'] = False; out['recipients'] = {k: [v[0], v[1].decode()] for k, v in e.recipients.items()}
s.quit()
print(json.dumps(out))
`;

async function pySend(user: string, password: string, sender: string, rcpts: string[], msg: string): Promise<Record<string, unknown>> {
  const r = await run(requirePythonFor(PY_SEND), ['-c', PY_SEND, String(h.ports.submission), user, password, sender, rcpts.join(','), msg], msg);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

test('Python smtplib: STARTTLS, AUTH PLAIN/LOGIN offered, local recipient delivered, remote one queued', async () => {
  const out = await pySend('alice@posthorn.test', PASSWORD, 'alice@posthorn.test', ['bob@posthorn.test', 'carol@remote.test'], message({ from: 'Alice <alice@posthorn.test>', to: 'bob@posthorn.test, carol@remote.test', subject: 'from python' }));
  assert.equal(out.ok, true, JSON.stringify(out));
  assert.match(String(out.auth), /PLAIN/);
  assert.match(String(out.auth), /LOGIN/);
  const got = (await h.inbox('bob@posthorn.test')).find((m) => m.includes('Subject: from python'));
  assert.ok(got);
  assert.match(got, /with ESMTPSA id/);
  const queued = await h.outbound.store.list();
  assert.ok(queued.some((q) => q.sender === 'alice@posthorn.test' && q.recipients.some((r) => r.address === 'carol@remote.test')));
});

test('Python smtplib: a wrong password is 535 5.7.8', async () => {
  const out = await pySend('alice@posthorn.test', 'wrong password!', 'alice@posthorn.test', ['bob@posthorn.test'], message());
  assert.equal(out.ok, false);
  assert.equal(out.code, 535);
  assert.match(String(out.error), /^5\.7\.8 /);
});

test('without AUTH: MAIL is 530 5.7.0; before STARTTLS AUTH is neither advertised nor accepted', async () => {
  const c = await RawSmtp.connect(h.ports.submission);
  await c.reply();
  const ehlo = await c.cmd('EHLO client.test');
  assert.ok(!/AUTH/.test(ehlo), 'no AUTH offered in plaintext');
  assert.equal(codes(await c.cmd('MAIL FROM:<alice@posthorn.test>')), '530 5.7.0');
  assert.equal(codes(await c.cmd(`AUTH PLAIN ${Buffer.from(`\0alice@posthorn.test\0${PASSWORD}`).toString('base64')}`)), '500 5.5.2');
  assert.equal(codes(await c.cmd('MAIL FROM:<alice@posthorn.test>')), '530 5.7.0');
  assert.equal(codes(await c.cmd('STARTTLS')), '220 2.0.0');
  await c.startTls();
  assert.match(await c.cmd('EHLO client.test'), /AUTH PLAIN LOGIN/);
  assert.equal(codes(await c.cmd('MAIL FROM:<alice@posthorn.test>')), '530 5.7.0');
  c.end();
});

test('plaintext AUTH on loopback only when auth.allow_plaintext_on_loopback is set', async () => {
  const own = await startHarness({ roles: ['submission'], env: { POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' } });
  try {
    await own.addAccount('alice@posthorn.test');
    await own.addAccount('bob@posthorn.test');
    const c = await RawSmtp.connect(own.ports.submission);
    await c.reply();
    assert.match(await c.cmd('EHLO client.test'), /AUTH PLAIN LOGIN/);
    assert.equal(codes(await c.cmd(`AUTH PLAIN ${Buffer.from(`\0alice@posthorn.test\0${PASSWORD}`).toString('base64')}`)), '235 2.7.0');
    const r = await sendRaw(c, 'alice@posthorn.test', ['bob@posthorn.test'], message({ from: 'alice@posthorn.test', subject: 'loopback plain' }));
    assert.equal(codes(r.data), '250 2.6.0');
    c.end();
    assert.ok((await own.inbox('bob@posthorn.test')).some((m) => m.includes('loopback plain')));
  } finally {
    await own.stop();
  }
});

async function tlsSession(login = 'alice@posthorn.test'): Promise<RawSmtp> {
  const c = await RawSmtp.connect(h.ports.submissions, true);
  await c.reply();
  assert.match(await c.cmd('EHLO client.test'), /AUTH PLAIN LOGIN/);
  assert.equal(codes(await c.cmd(`AUTH PLAIN ${Buffer.from(`\0${login}\0${PASSWORD}`).toString('base64')}`)), '235 2.7.0');
  return c;
}

test('the envelope sender must be the user or one of its aliases: 553 5.7.1 otherwise, and for <>', async () => {
  const c = await tlsSession();
  assert.equal(codes(await c.cmd('MAIL FROM:<bob@posthorn.test>')), '553 5.7.1');
  assert.equal(codes(await c.cmd('MAIL FROM:<ceo@remote.test>')), '553 5.7.1');
  assert.equal(codes(await c.cmd('MAIL FROM:<>')), '553 5.7.1');
  assert.equal(codes(await c.cmd('MAIL FROM:<alice.sales@posthorn.test>')), '250 2.1.0');
  c.end();
});

test('From: must belong to the user as well: 553 5.7.1 at end of data, nothing delivered', async () => {
  const c = await tlsSession();
  const r = await sendRaw(c, 'alice@posthorn.test', ['bob@posthorn.test'], message({ from: 'Bob <bob@posthorn.test>', subject: 'forged from' }));
  assert.equal(codes(r.data), '553 5.7.1');
  const ok = await sendRaw(c, 'alice@posthorn.test', ['bob@posthorn.test'], message({ from: 'Sales <alice.sales@posthorn.test>', subject: 'alias from' }));
  assert.equal(codes(ok.data), '250 2.6.0');
  c.end();
  const inbox = await h.inbox('bob@posthorn.test');
  assert.ok(!inbox.some((m) => m.includes('forged from')));
  assert.ok(inbox.some((m) => m.includes('alias from')));
});

test('Message-ID and Date are added when missing; the message is DKIM-signed and the signature verifies', async () => {
  const c = await tlsSession();
  const bare = 'From: alice@posthorn.test\r\nTo: bob@posthorn.test\r\nSubject: no id\r\n\r\nbody\r\n';
  assert.equal(codes((await sendRaw(c, 'alice@posthorn.test', ['bob@posthorn.test'], bare)).data), '250 2.6.0');
  c.end();
  const got = (await h.inbox('bob@posthorn.test')).find((m) => m.includes('Subject: no id'))!;
  assert.match(got, /\r\nMessage-ID: <[0-9a-f]{32}@mx\.posthorn\.test>\r\n/);
  assert.match(got, /\r\nDate: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000\r\n/);
  assert.match(got, /^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed\/relaxed; d=posthorn\.test;/);
  const resolver = staticResolver({ 'ph1._domainkey.posthorn.test': { TXT: [[`v=DKIM1; k=rsa; p=${publicKeyB64}`]] } });
  const verdict = await dkimVerify(Buffer.from(got), { resolver: resolver as never });
  assert.equal(verdict.results[0].status.result, 'pass');
});

test('nodemailer over implicit TLS (submissions) with AUTH LOGIN', async () => {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: h.ports.submissions,
    secure: true,
    auth: { user: 'alice@posthorn.test', pass: PASSWORD },
    authMethod: 'LOGIN',
    tls: { rejectUnauthorized: false },
  });
  const info = await transport.sendMail({ from: 'alice@posthorn.test', to: 'bob@posthorn.test', subject: 'from nodemailer', text: 'héllo wörld' });
  assert.deepEqual(info.accepted, ['bob@posthorn.test']);
  transport.close();
  assert.ok((await h.inbox('bob@posthorn.test')).some((m) => m.includes('Subject: from nodemailer')));
  const refused = nodemailer.createTransport({ host: '127.0.0.1', port: h.ports.submissions, secure: true, tls: { rejectUnauthorized: false } });
  await assert.rejects(refused.sendMail({ from: 'alice@posthorn.test', to: 'bob@posthorn.test', text: 'x' }), (err: { responseCode?: number; response?: string }) => {
    assert.equal(err.responseCode, 530);
    assert.match(err.response ?? '', /^530 5\.7\.0/);
    return true;
  });
  refused.close();
});

test('swaks: STARTTLS + AUTH LOGIN delivers; without AUTH the transcript shows 530 5.7.0', async () => {
  const base = ['--server', `127.0.0.1:${h.ports.submission}`, '--from', 'alice@posthorn.test', '--to', 'bob@posthorn.test', '--header', 'Subject: from swaks', '--tls'];
  const swaks = requireSwaksWithTls();
  const ok = await run(swaks, [...base, '--auth', 'LOGIN', '--auth-user', 'alice@posthorn.test', '--auth-password', PASSWORD]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /<~\s+250 2\.6\.0/);
  assert.ok((await h.inbox('bob@posthorn.test')).some((m) => m.includes('Subject: from swaks')));
  const noAuth = await run(swaks, base);
  assert.notEqual(noAuth.code, 0);
  assert.match(noAuth.stdout, /<~\* 530 5\.7\.0 Authentication required/);
});

test('failed logins are rate-limited per IP by the shared limiter: 454 4.7.0 even for the right password', async () => {
  const own = await startHarness({ roles: ['submissions'] });
  try {
    await own.addAccount('alice@posthorn.test');
    const c = await RawSmtp.connect(own.ports.submissions, true);
    await c.reply();
    await c.cmd('EHLO client.test');
    const bad = Buffer.from('\0alice@posthorn.test\0not the password').toString('base64');
    for (let i = 0; i < DEFAULT_AUTH_LIMITS.maxFailuresPerAccountAddress; i++) {
      const reply = await c.cmd(`AUTH PLAIN ${bad}`);
      if (reply.startsWith('421')) break; // smtp-server's unauthenticated-command cap: reconnect
      assert.equal(codes(reply), '535 5.7.8');
    }
    c.end();
    const d = await RawSmtp.connect(own.ports.submissions, true);
    await d.reply();
    await d.cmd('EHLO client.test');
    assert.equal(codes(await d.cmd(`AUTH PLAIN ${Buffer.from(`\0alice@posthorn.test\0${PASSWORD}`).toString('base64')}`)), '454 4.7.0');
    d.end();
  } finally {
    await own.stop();
  }
});

test('a submitted Authentication-Results in our name is removed (RFC 8601 §5)', async () => {
  const c = await tlsSession();
  const forged = message({ from: 'alice@posthorn.test', subject: 'forged verdict', extra: 'Authentication-Results: mx.posthorn.test; dmarc=pass header.from=bank.test' });
  assert.equal(codes((await sendRaw(c, 'alice@posthorn.test', ['bob@posthorn.test'], forged)).data), '250 2.6.0');
  c.end();
  const got = (await h.inbox('bob@posthorn.test')).find((m) => m.includes('Subject: forged verdict'))!;
  assert.ok(!got.includes('header.from=bank.test'));
});

test('AUTH PLAIN with an authorization identity other than the authentication identity is refused (RFC 4616 §2)', async () => {
  const plain = (authzid: string, authcid: string): string => Buffer.from(`${authzid}\0${authcid}\0${PASSWORD}`).toString('base64');
  const attempt = async (token: string): Promise<string> => {
    const c = await RawSmtp.connect(h.ports.submissions, true);
    try {
      await c.reply();
      await c.cmd('EHLO client.test');
      return codes(await c.cmd(`AUTH PLAIN ${token}`));
    } finally {
      c.end();
    }
  };
  // alice's own password, asking to act as bob: refused, though the password is right.
  assert.equal(await attempt(plain('bob@posthorn.test', 'alice@posthorn.test')), '535 5.7.8');
  // The same identity twice (any case), or the authzid alone as many clients send it, are alice.
  assert.equal(await attempt(plain('Alice@Posthorn.test', 'alice@posthorn.test')), '235 2.7.0');
  assert.equal(await attempt(plain('alice@posthorn.test', '')), '235 2.7.0');
});
