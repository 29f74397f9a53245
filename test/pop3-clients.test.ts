// POP3 end to end with clients nobody here wrote: Python's poplib (STLS, POP3S, plaintext on
// loopback), curl (pop3:// and pop3s://), fetchmail in keep mode and in delete mode.
// Debian packages: python3 (poplib is in the standard library), curl, fetchmail.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPop3Server, runPython, run, message, type Pop3TestServer } from './helpers/pop3.ts';
import type { Account } from '../src/store/types.ts';
import { requireTool } from './helpers/tools.ts';

let loose: Pop3TestServer; // plaintext allowed on loopback
let strict: Pop3TestServer; // TLS required for passwords
const work = mkdtempSync(join(tmpdir(), 'posthorn-pop3-clients-'));

const ODD = 'Subject: odd\nFrom: a@example.org\n\n.leading dot\n..two dots\nbare LF line\r\nCRLF line\n.\nlast line without newline';

before(async () => {
  loose = await startPop3Server({ env: { POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' } });
  strict = await startPop3Server();
});

after(async () => {
  await loose.stop();
  await strict.stop();
  rmSync(work, { recursive: true, force: true });
});

const POPLIB = `
import json, poplib, ssl, sys, base64
host, port, mode, user, password, delete = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6] == 'yes'
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
if mode == 'pop3s':
    p = poplib.POP3_SSL(host, port, context=ctx)
else:
    p = poplib.POP3(host, port)
    if mode == 'stls':
        p.stls(ctx)
caps = {k: v for k, v in p.capa().items()}
p.user(user)
p.pass_(password)
count, total = p.stat()
listing = [l.decode() for l in p.list()[1]]
uidls = [l.decode() for l in p.uidl()[1]]
messages = []
for i in range(1, count + 1):
    resp, lines, octets = p.retr(i)
    messages.append({'raw': base64.b64encode(b'\\r\\n'.join(lines) + b'\\r\\n').decode(), 'octets': octets})
    if delete:
        p.dele(i)
quit = p.quit().decode()
print(json.dumps({'caps': caps, 'count': count, 'total': total, 'list': listing, 'uidl': uidls, 'messages': messages, 'quit': quit}))
`;

interface PoplibResult {
  caps: Record<string, string[]>;
  count: number;
  total: number;
  list: string[];
  uidl: string[];
  messages: { raw: string; octets: number }[];
  quit: string;
}

function poplib(port: number, mode: 'plain' | 'stls' | 'pop3s', user: string, password: string, del = false): Promise<PoplibResult> {
  return runPython<PoplibResult>(POPLIB, ['127.0.0.1', String(port), mode, user, password, del ? 'yes' : 'no']);
}

/** The message as the client must end up with it: CRLF line ends, a final CRLF. */
function crlf(text: string): string {
  const t = text.replace(/\r?\n/g, '\r\n');
  return t.endsWith('\r\n') ? t : t + '\r\n';
}

async function inboxCount(srv: Pop3TestServer, account: Account): Promise<number> {
  return (await srv.server.deps.store.listMessages(account.id, (await srv.inbox(account)).id)).length;
}

for (const mode of ['stls', 'pop3s'] as const) {
  test(`poplib over ${mode === 'stls' ? 'STLS' : 'POP3S'}: CAPA, STAT, LIST, UIDL, RETR of an odd message exactly, DELE + QUIT`, async () => {
    const address = `${mode}@example.com`;
    const account = await strict.addAccount(address, 'p4ss word');
    await strict.deliver(account, message('first', 'hello'));
    await strict.deliver(account, ODD);
    const r = await poplib(mode === 'stls' ? strict.pop3 : strict.pop3s, mode, address, 'p4ss word', true);
    assert.ok('USER' in r.caps && 'UIDL' in r.caps && 'TOP' in r.caps);
    assert.deepEqual(r.caps.SASL, ['PLAIN']);
    assert.deepEqual(r.caps.EXPIRE, ['NEVER', 'USER']);
    assert.equal(r.count, 2);
    const expected = [crlf(message('first', 'hello')), crlf(ODD)];
    assert.equal(r.total, expected.reduce((a, m) => a + Buffer.byteLength(m), 0), 'STAT octets are the CRLF-normalised sizes');
    assert.deepEqual(r.list, expected.map((m, i) => `${i + 1} ${Buffer.byteLength(m)}`));
    assert.equal(new Set(r.uidl.map((l) => l.split(' ')[1])).size, 2);
    r.messages.forEach((m, i) => {
      assert.equal(Buffer.from(m.raw, 'base64').toString('utf8'), expected[i], `message ${i + 1} arrives CRLF, un-stuffed equal`);
      assert.equal(m.octets, Buffer.byteLength(expected[i]), 'octets as received equal LIST');
    });
    assert.match(r.quit, /^\+OK/);
    assert.equal(await inboxCount(strict, account), 0);
  });
}

test('poplib in plaintext on loopback when allowed; refused without TLS otherwise', async () => {
  const account = await loose.addAccount('plain@example.com', 'pw');
  await loose.deliver(account, message('p', 'plain body'));
  const r = await poplib(loose.pop3, 'plain', 'plain@example.com', 'pw');
  assert.equal(r.count, 1);
  assert.equal(Buffer.from(r.messages[0].raw, 'base64').toString(), crlf(message('p', 'plain body')));
  assert.equal(await inboxCount(loose, account), 1, 'no DELE: kept');
  await strict.addAccount('plain@example.com', 'pw');
  await assert.rejects(poplib(strict.pop3, 'plain', 'plain@example.com', 'pw'), /SYS\/PERM/);
});

test('curl pop3:// (plaintext on loopback), pop3:// with --ssl-reqd (STLS) and pop3s://: LIST and RETR by URL', async () => {
  requireTool('curl');
  const a = await loose.addAccount('curl@example.com', 'pw');
  await loose.deliver(a, message('c1', 'one'));
  await loose.deliver(a, message('c2', 'two\n.dot'));
  const list = await run('curl', ['-sS', '--max-time', '20', '-u', 'curl@example.com:pw', `pop3://127.0.0.1:${loose.pop3}/`]);
  assert.equal(list.code, 0, list.stderr);
  assert.equal(list.stdout, [message('c1', 'one'), message('c2', 'two\n.dot')].map((m, i) => `${i + 1} ${Buffer.byteLength(crlf(m))}\r\n`).join(''));
  const retr = await run('curl', ['-sS', '--max-time', '20', '-u', 'curl@example.com:pw', `pop3://127.0.0.1:${loose.pop3}/2`]);
  assert.equal(retr.code, 0, retr.stderr);
  assert.equal(retr.stdout, crlf(message('c2', 'two\n.dot')));

  const s = await strict.addAccount('curl@example.com', 'pw');
  await strict.deliver(s, message('s1', 'secure'));
  const stls = await run('curl', ['-sS', '-k', '--ssl-reqd', '--max-time', '20', '-u', 'curl@example.com:pw', `pop3://127.0.0.1:${strict.pop3}/1`]);
  assert.equal(stls.code, 0, stls.stderr);
  assert.equal(stls.stdout, crlf(message('s1', 'secure')));
  const implicit = await run('curl', ['-sS', '-k', '--max-time', '20', '-u', 'curl@example.com:pw', `pop3s://127.0.0.1:${strict.pop3s}/`]);
  assert.equal(implicit.code, 0, implicit.stderr);
  assert.match(implicit.stdout, /^1 \d+\r\n$/);
  // Without TLS on a non-loopback-allowed server, curl cannot log in.
  const refused = await run('curl', ['-sS', '--max-time', '20', '-u', 'curl@example.com:pw', `pop3://127.0.0.1:${strict.pop3}/`]);
  assert.notEqual(refused.code, 0);
});

function fetchmailRc(opts: { port: number; ssl: boolean; user: string; password: string; keep: boolean; out: string }): string {
  return [
    'set no syslog',
    `poll 127.0.0.1 service ${opts.port} protocol POP3 uidl auth password`,
    `  user "${opts.user}" there with password "${opts.password}" is "nobody" here`,
    // "no sslcertck", never "sslcertck no": fetchmail reads the latter as "no keep" (peers README).
    opts.ssl ? '  ssl no sslcertck' : '  sslproto tls1.2+ no sslcertck',
    opts.keep ? '  keep' : '  no keep',
    `  mda "cat >> ${opts.out}"`,
    '',
  ].join('\n');
}

async function fetchmail(name: string, rc: string): Promise<{ code: number; stdout: string; stderr: string }> {
  requireTool('fetchmail');
  const rcFile = join(work, `${name}.rc`);
  writeFileSync(rcFile, rc);
  chmodSync(rcFile, 0o600);
  return run('fetchmail', ['-f', rcFile, '--idfile', join(work, `${name}.ids`), '--pidfile', join(work, `${name}.pid`), '--nodetach', '-v'], {
    env: { ...process.env, HOME: work },
  });
}

function subjects(file: string): string[] {
  if (!existsSync(file)) return [];
  return [...readFileSync(file, 'utf8').matchAll(/^Subject: (.*)$/gm)].map((m) => m[1].trim());
}

test('fetchmail keep mode (POP3S): downloads all, leaves them; a second run fetches only the new message (UIDL)', async () => {
  const account = await strict.addAccount('keep@example.com', 'pw');
  await strict.deliver(account, message('k1', 'one'));
  await strict.deliver(account, message('k2', 'two\n.three'));
  const out = join(work, 'keep.mbox');
  const rc = fetchmailRc({ port: strict.pop3s, ssl: true, user: 'keep@example.com', password: 'pw', keep: true, out });
  const first = await fetchmail('keep', rc);
  assert.equal(first.code, 0, first.stderr + first.stdout);
  assert.deepEqual(subjects(out), ['k1', 'k2']);
  assert.ok(readFileSync(out, 'utf8').includes('\n.three'), 'un-stuffed by fetchmail');
  assert.equal(await inboxCount(strict, account), 2, 'keep: nothing deleted on the server');
  await strict.deliver(account, message('k3', 'three'));
  const second = await fetchmail('keep', rc);
  assert.equal(second.code, 0, second.stderr + second.stdout);
  assert.deepEqual(subjects(out), ['k1', 'k2', 'k3'], 'only the new message the second time');
  assert.equal(await inboxCount(strict, account), 3);
  // fetchmail's exit code 1 means "no mail": nothing new on a third run.
  const third = await fetchmail('keep', rc);
  assert.equal(third.code, 1, third.stderr + third.stdout);
  assert.deepEqual(subjects(out), ['k1', 'k2', 'k3']);
});

test('fetchmail delete mode (STLS): downloads all and the server keeps nothing', async () => {
  const account = await strict.addAccount('del@example.com', 'pw');
  for (const s of ['d1', 'd2', 'd3']) await strict.deliver(account, message(s, `body of ${s}`));
  const out = join(work, 'delete.mbox');
  const result = await fetchmail('delete', fetchmailRc({ port: strict.pop3, ssl: false, user: 'del@example.com', password: 'pw', keep: false, out }));
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.match(result.stderr + result.stdout, /STLS/);
  assert.deepEqual(subjects(out), ['d1', 'd2', 'd3']);
  assert.equal(await inboxCount(strict, account), 0);
});
