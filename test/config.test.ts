import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, ConfigError, DEFAULT_PORTS } from '../src/server/config.ts';
import { parseSize } from '../src/mail/size.ts';
import { smtpOptionsFrom } from '../src/server/protocols.ts';

const dir = mkdtempSync(join(tmpdir(), 'posthorn-config-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function file(text: string): string {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.toml`);
  writeFileSync(path, text);
  return path;
}

test('defaults are the operating contract ports', () => {
  const c = loadConfig({ env: {} });
  assert.deepEqual(c.ports, DEFAULT_PORTS);
  assert.equal(c.ports.smtp, 2525);
  assert.equal(c.ports.http, 8080);
  assert.ok(c.dataDir.endsWith('/data'));
});

test('the commented example in the repository loads and equals the defaults', () => {
  const fromExample = loadConfig({ file: 'posthorn.example.toml', env: {} });
  const defaults = loadConfig({ env: {} });
  assert.deepEqual(fromExample, defaults);
});

test('every POSTHORN_* variable of the contract overrides its setting; 0 disables a port', () => {
  const c = loadConfig({
    env: {
      POSTHORN_DATA_DIR: '/tmp/x',
      POSTHORN_HOSTNAME: 'Mail.Example.COM',
      POSTHORN_BIND: '127.0.0.1',
      POSTHORN_SMTP_PORT: '25',
      POSTHORN_SUBMISSION_PORT: '587',
      POSTHORN_SUBMISSIONS_PORT: '465',
      POSTHORN_IMAP_PORT: '143',
      POSTHORN_IMAPS_PORT: '993',
      POSTHORN_POP3_PORT: '0',
      POSTHORN_POP3S_PORT: '995',
      POSTHORN_HTTP_PORT: '80',
      POSTHORN_HTTPS_PORT: '443',
    },
  });
  assert.equal(c.dataDir, '/tmp/x');
  assert.equal(c.hostname, 'mail.example.com');
  assert.equal(c.bind, '127.0.0.1');
  assert.deepEqual(c.ports, { smtp: 25, submission: 587, submissions: 465, imap: 143, imaps: 993, pop3: 0, pop3s: 995, http: 80, https: 443 });
});

test('environment overrides the file, the file overrides defaults', () => {
  const path = file('[ports]\nimap = 1143\npop3 = 1110\n[limits]\nmax_message_size = "10MB"\n');
  const c = loadConfig({ file: path, env: { POSTHORN_IMAP_PORT: '3143' } });
  assert.equal(c.ports.imap, 3143);
  assert.equal(c.ports.pop3, 1110);
  assert.equal(c.limits.maxMessageBytes, 10_000_000);
});

test('outbound queue and DNS settings: durations, smarthost, resolvers', () => {
  const path = file('[queue]\nretry_delays = ["1m", "90s", "2h"]\nmax_age = "3d"\nrelay_host = "smtp.provider.example"\nrelay_port = 465\nrelay_secure = true\n[dns]\nservers = ["127.0.0.53", "::1"]\n');
  const c = loadConfig({ file: path, env: {} });
  assert.deepEqual(c.queue.retryDelaysSeconds, [60, 90, 7200]);
  assert.equal(c.queue.maxAgeSeconds, 3 * 86_400);
  assert.equal(c.queue.delayNoticeAfterSeconds, 4 * 3600, 'default kept');
  assert.deepEqual([c.queue.relayHost, c.queue.relayPort, c.queue.relaySecure], ['smtp.provider.example', 465, true]);
  assert.deepEqual(c.dns.servers, ['127.0.0.53', '::1']);
  assert.deepEqual(loadConfig({ env: { POSTHORN_DNS_SERVERS: '10.0.0.1, 10.0.0.2' } }).dns.servers, ['10.0.0.1', '10.0.0.2']);
  assert.throws(() => loadConfig({ file: file('[queue]\nretry_delays = ["soon"]\n'), env: {} }), /queue\.retry_delays/);
  assert.throws(() => loadConfig({ file: file('[queue]\nmax_age = "0m"\n'), env: {} }), /queue\.max_age/);
  assert.throws(() => loadConfig({ file: file('[dns]\nservers = ["resolver.example"]\n'), env: {} }), /dns\.servers.*IP/);
  assert.throws(() => loadConfig({ file: file('[queue]\nrelay_user = "me"\n'), env: {} }), /relay_password_file/);
});

test('the queue settings reach outbound delivery; the relay password comes from its file', () => {
  const secret = join(dir, 'relay-password');
  writeFileSync(secret, 'hunter2 with spaces\n');
  const path = file(`[queue]\nretry_delays = ["1m", "2m"]\nrelay_host = "relay.example"\nrelay_user = "me"\nrelay_password_file = "${secret}"\n`);
  const opts = smtpOptionsFrom(loadConfig({ file: path, env: {} }));
  assert.deepEqual(opts.schedule?.retryDelaysMs, [60_000, 120_000]);
  assert.deepEqual(opts.relay, { host: 'relay.example', port: 587, secure: false, requireTls: true, user: 'me', password: 'hunter2 with spaces' });
  assert.equal(smtpOptionsFrom(loadConfig({ env: {} })).relay, null);
  const missing = file(`[queue]\nrelay_host = "relay.example"\nrelay_user = "me"\nrelay_password_file = "${join(dir, 'nope')}"\n`);
  assert.throws(() => smtpOptionsFrom(loadConfig({ file: missing, env: {} })), /relay_password_file/);
});

test('unknown and invalid settings are refused with the setting named', () => {
  const cases: [() => unknown, RegExp][] = [
    [() => loadConfig({ file: file('[ports]\nimapp = 1\n'), env: {} }), /unknown setting "ports\.imapp"/],
    [() => loadConfig({ file: file('colour = "blue"\n'), env: {} }), /unknown setting "colour"/],
    [() => loadConfig({ file: file('[ports]\nimap = 70000\n'), env: {} }), /"ports\.imap".*port number/],
    [() => loadConfig({ file: file('[ports]\nimap = -1\n'), env: {} }), /"ports\.imap"/],
    [() => loadConfig({ file: file('[limits]\nmax_message_size = "lots"\n'), env: {} }), /max_message_size/],
    [() => loadConfig({ file: file('[auth]\nallow_plaintext_on_loopback = "perhaps"\n'), env: {} }), /allow_plaintext_on_loopback.*true or false/],
    [() => loadConfig({ file: file('[log]\nlevel = "loud"\n'), env: {} }), /log\.level/],
    [() => loadConfig({ file: file('this is = = not toml'), env: {} }), /config file/],
    [() => loadConfig({ file: join(dir, 'missing.toml'), env: {} }), /missing\.toml/],
    [() => loadConfig({ env: { POSTHORN_IMAP_PORT: 'abc' } }), /POSTHORN_IMAP_PORT/],
    [() => loadConfig({ env: { POSTHORN_IMAP_PORT: '1.5' } }), /POSTHORN_IMAP_PORT/],
    [() => loadConfig({ env: { POSTHORN_SMPT_PORT: '25' } }), /unknown setting POSTHORN_SMPT_PORT/],
    [() => loadConfig({ env: { POSTHORN_TLS_CERT: '/x.pem' } }), /set together/],
  ];
  for (const [fn, message] of cases) {
    assert.throws(fn, (err: unknown) => err instanceof ConfigError && message.test(err.message), String(message));
  }
});

test('human sizes', () => {
  assert.equal(parseSize('500MB'), 500_000_000);
  assert.equal(parseSize('2GiB'), 2 * 1024 ** 3);
  assert.equal(parseSize('1.5 kb'), 1500);
  assert.equal(parseSize('1048576'), 1048576);
  for (const bad of ['', '-1MB', 'MB', '5 parsecs', '1e9']) assert.throws(() => parseSize(bad), RangeError, bad);
});
