// The admin command line in this process (runAdminCommand with in-memory streams): for each verb
// the text and JSON it prints, the messages it writes to stderr and the exit status, as README
// "Administration" documents them. test/cli.test.ts runs the real bin/posthorn for what only a
// real process shows.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runAdminCommand, USAGE } from '../src/admin/cli.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

type Cli = (args: string[], stdin?: string) => Promise<Run>;

/**
 * `posthorn ARGS` with a fresh directory as its data directory (or, with `env`, whatever
 * environment that makes of the directory); stdin is a pipe (no terminal).
 */
async function withCli(
  fn: (cli: Cli, dir: string) => Promise<void>,
  env: (dir: string) => Record<string, string> = (dir) => ({ POSTHORN_DATA_DIR: dir, POSTHORN_HOSTNAME: 'mail.example.com' }),
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'posthorn-admin-cli-'));
  const cli: Cli = async (args, stdin = '') => {
    const io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() };
    let stdout = '';
    let stderr = '';
    io.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    io.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    io.stdin.end(stdin);
    const code = await runAdminCommand(args, io, env(dir));
    return { code, stdout, stderr };
  };
  try {
    await fn(cli, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function ok(r: Run, stdout: string | RegExp): void {
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  if (typeof stdout === 'string') assert.equal(r.stdout, stdout);
  else assert.match(r.stdout, stdout);
}

function fails(r: Run, code: number, stderr: string | RegExp): void {
  assert.equal(r.code, code, `exit status; stderr: ${r.stderr}`);
  assert.equal(r.stdout, '');
  if (typeof stderr === 'string') assert.equal(r.stderr, stderr);
  else assert.match(r.stderr, stderr);
}

const PASSWORD = 'correct horse battery\n';

test('domain add, list, dns and remove print what README documents', async () => {
  await withCli(async (cli) => {
    ok(await cli(['domain', 'list']), 'no domains; add one with: posthorn domain add DOMAIN\n');
    ok(await cli(['domain', 'add', 'Example.COM']), 'added domain example.com\npublish its DNS records: posthorn domain dns example.com\n');
    fails(await cli(['domain', 'add', 'example.com']), 1, 'posthorn: domain example.com exists already\n');
    fails(await cli(['domain', 'add', 'not_a..domain']), 1, 'posthorn: "not_a..domain" is not a valid domain name\n');
    fails(await cli(['domain', 'add']), 2, 'posthorn: usage: posthorn domain add DOMAIN\n');

    const today = new Date().toISOString().slice(0, 10);
    ok(await cli(['domain', 'list']), `DOMAIN       ACCOUNTS  CREATED\nexample.com  0         ${today}\n`);
    const listed = JSON.parse((await cli(['domain', 'list', '--json'])).stdout) as { name: string; createdAt: string; dkimSelector: string }[];
    assert.equal(listed.length, 1);
    assert.deepEqual(Object.keys(listed[0]), ['name', 'createdAt', 'dkimSelector']);
    assert.equal(listed[0].name, 'example.com');
    assert.equal(listed[0].createdAt.slice(0, 10), today);
    assert.match(listed[0].dkimSelector, /^ph\d{6}$/);

    const zone = await cli(['domain', 'dns', 'example.com']);
    ok(zone, /^example\.com\.\s+3600 IN MX\s+10 mail\.example\.com\.$/m);
    assert.match(zone.stdout, new RegExp(`^${listed[0].dkimSelector}\\._domainkey\\.example\\.com\\.\\s+3600 IN TXT\\s+"v=DKIM1; k=rsa; p=[A-Za-z0-9+/]{200,}`, 'm'));
    assert.match(zone.stdout, /"v=spf1 mx -all"/);
    assert.match(zone.stdout, /^_dmarc\.example\.com\./m);
    const records = JSON.parse((await cli(['domain', 'dns', 'example.com', '--json'])).stdout) as { name: string; type: string }[];
    assert.ok(records.some((r) => r.type === 'MX' && r.name === 'example.com.'));
    fails(await cli(['domain', 'dns', 'other.example']), 1, 'posthorn: no such domain: other.example\n');

    ok(await cli(['user', 'add', 'alice@example.com', '--password-stdin'], PASSWORD), 'added user alice@example.com\n');
    fails(await cli(['domain', 'remove', 'example.com']), 1,
      'posthorn: domain example.com still has 1 account(s); remove them first (posthorn user list example.com)\n');
    ok(await cli(['user', 'remove', 'alice@example.com']), 'removed user alice@example.com and all of its mail\n');
    ok(await cli(['domain', 'remove', 'EXAMPLE.com']), 'removed domain example.com\n');
    fails(await cli(['domain', 'remove', 'example.com']), 1, 'posthorn: no such domain: example.com\n');
    ok(await cli(['domain', 'list', '--json']), '[]\n');
  });
});

test('user add: the password comes from stdin, and is not asked for when the address, domain or quota is wrong', async () => {
  await withCli(async (cli) => {
    // Without --password-stdin and without a terminal, asking would fail with status 2: these
    // fail with status 1 because they are refused before the password is asked for.
    fails(await cli(['user', 'add', 'bob@unknown.org']), 1,
      'posthorn: domain unknown.org is not hosted here; add it first: posthorn domain add unknown.org\n');
    await cli(['domain', 'add', 'example.com']);
    ok(await cli(['user', 'add', 'Alice@example.com', '--quota', '500MB', '--password-stdin'], PASSWORD), 'added user alice@example.com with a quota of 477 MiB\n');
    fails(await cli(['user', 'add', 'alice@example.com']), 1, 'posthorn: user alice@example.com exists already\n');
    fails(await cli(['user', 'add', 'not an address']), 1, 'posthorn: "not an address" is not a valid email address\n');
    fails(await cli(['user', 'add', 'bob@example.com', '--quota', 'lots']), 1, /^posthorn: invalid quota "lots": /);
    fails(await cli(['user', 'add', 'bob@example.com', '--quota', '-5MB']), 1, 'posthorn: a quota cannot be negative: -5MB\n');
    fails(await cli(['user', 'add', 'bob@example.com']), 2, 'posthorn: no terminal to ask for the password: pipe it in with --password-stdin\n');
    fails(await cli(['user', 'add', 'bob@example.com', '--password-stdin'], 'short\nsecond line is ignored\n'), 1, 'posthorn: the password must have at least 8 characters\n');
    fails(await cli(['user', 'add', '--password-stdin'], PASSWORD), 2, 'posthorn: usage: posthorn user add ADDRESS [--quota SIZE] [--password-stdin]\n');
    // Only the first line is the password.
    ok(await cli(['user', 'add', 'bob@example.com', '--password-stdin'], 'first line is it\r\nnot this\n'), 'added user bob@example.com\n');
    ok(await cli(['user', 'list', '--json']), '[{"address":"alice@example.com","quotaBytes":500000000,"usedBytes":0,"messages":0,"popRetentionDays":null},'
      + '{"address":"bob@example.com","quotaBytes":null,"usedBytes":0,"messages":0,"popRetentionDays":null}]\n');
  });
});

test('user list, passwd, quota, retention and remove', async () => {
  await withCli(async (cli) => {
    await cli(['domain', 'add', 'example.com']);
    await cli(['domain', 'add', 'example.org']);
    ok(await cli(['user', 'list']), 'no users\n');
    await cli(['user', 'add', 'alice@example.com', '--quota', '2GiB', '--password-stdin'], PASSWORD);
    await cli(['user', 'add', 'carl@example.org', '--password-stdin'], PASSWORD);
    ok(await cli(['user', 'list']), [
      'ADDRESS            USED  QUOTA      MESSAGES',
      'alice@example.com  0 B   2.0 GiB    0',
      'carl@example.org   0 B   unlimited  0',
      '',
    ].join('\n'));
    ok(await cli(['user', 'list', 'Example.ORG']), 'ADDRESS           USED  QUOTA      MESSAGES\ncarl@example.org  0 B   unlimited  0\n');

    ok(await cli(['user', 'passwd', 'Alice@example.com', '--password-stdin'], 'a new secret phrase\n'), 'changed the password of alice@example.com\n');
    fails(await cli(['user', 'passwd', 'nobody@example.com', '--password-stdin'], PASSWORD), 1, 'posthorn: no such user: nobody@example.com\n');

    ok(await cli(['user', 'quota', 'alice@example.com']), 'alice@example.com: 0 B used of 2.0 GiB (0 messages)\n');
    ok(await cli(['user', 'quota', 'alice@example.com', '500MB']), 'quota of alice@example.com: 477 MiB\n');
    ok(await cli(['user', 'quota', 'alice@example.com', 'unlimited']), 'quota of alice@example.com: unlimited\n');
    ok(await cli(['user', 'quota', 'alice@example.com']), 'alice@example.com: 0 B used of unlimited (0 messages)\n');
    fails(await cli(['user', 'quota', 'alice@example.com', '-5MB']), 1, 'posthorn: a quota cannot be negative: -5MB\n');
    fails(await cli(['user', 'quota', 'alice@example.com', 'lots']), 1, /^posthorn: invalid quota "lots": /);
    fails(await cli(['user', 'quota', 'nobody@example.com', '1GB']), 1, 'posthorn: no such user: nobody@example.com\n');

    ok(await cli(['user', 'retention', 'alice@example.com', '30']), 'POP3 retention of alice@example.com: 30 day(s) after download\n');
    ok(await cli(['user', 'retention', 'alice@example.com', 'NEVER']), 'POP3 retention of alice@example.com: keep until the client deletes\n');
    fails(await cli(['user', 'retention', 'alice@example.com', '0']), 1, 'posthorn: retention must be a positive number of days or "never", not "0"\n');
    fails(await cli(['user', 'retention', 'alice@example.com']), 2, 'posthorn: usage: posthorn user retention ADDRESS DAYS|never\n');

    ok(await cli(['user', 'remove', 'alice@example.com']), 'removed user alice@example.com and all of its mail\n');
    fails(await cli(['user', 'remove', 'alice@example.com']), 1, 'posthorn: no such user: alice@example.com\n');
    fails(await cli(['user', 'remove']), 2, 'posthorn: usage: posthorn user remove ADDRESS\n');
  });
});

test('alias add, list and remove', async () => {
  await withCli(async (cli) => {
    await cli(['domain', 'add', 'example.com']);
    await cli(['user', 'add', 'alice@example.com', '--password-stdin'], PASSWORD);
    ok(await cli(['alias', 'list']), 'no aliases\n');
    // Before the catch-all exists, an unknown hosted target is refused.
    fails(await cli(['alias', 'add', 'ghost@example.com', 'nobody@example.com']), 1, 'posthorn: nobody@example.com is in a hosted domain but is no user or alias\n');
    ok(await cli(['alias', 'add', 'PostMaster@example.com', 'alice@example.com']), 'added alias postmaster@example.com → alice@example.com\n');
    ok(await cli(['alias', 'add', '@example.com', 'alice@example.com']), 'added alias @example.com → alice@example.com\n');
    ok(await cli(['alias', 'add', '@example.com', 'friend@elsewhere.example']), 'added alias @example.com → friend@elsewhere.example\n');
    fails(await cli(['alias', 'add', 'postmaster@example.com', 'alice@example.com']), 1, 'posthorn: alias postmaster@example.com → alice@example.com exists already\n');
    fails(await cli(['alias', 'add', 'x@unknown.org', 'alice@example.com']), 1, 'posthorn: domain unknown.org is not hosted here; add it first: posthorn domain add unknown.org\n');
    fails(await cli(['alias', 'add', '@bad..domain', 'alice@example.com']), 1, 'posthorn: "@bad..domain" is not a valid catch-all (@domain)\n');
    fails(await cli(['alias', 'add', 'alice@example.com', 'alice@example.com']), 1, 'posthorn: an alias cannot point to itself\n');
    fails(await cli(['alias', 'add', 'x@example.com']), 2, 'posthorn: usage: posthorn alias add SOURCE TARGET\n');

    ok(await cli(['alias', 'list', 'example.com']), [
      'SOURCE                  TARGET',
      '@example.com            alice@example.com',
      '@example.com            friend@elsewhere.example',
      'postmaster@example.com  alice@example.com',
      '',
    ].join('\n'));
    ok(await cli(['alias', 'list', '--json']), '[{"source":"@example.com","target":"alice@example.com"},'
      + '{"source":"@example.com","target":"friend@elsewhere.example"},{"source":"postmaster@example.com","target":"alice@example.com"}]\n');

    ok(await cli(['alias', 'remove', 'postmaster@example.com', 'alice@example.com']), 'removed 1 alias of postmaster@example.com\n');
    ok(await cli(['alias', 'remove', '@EXAMPLE.com']), 'removed 2 aliases of @example.com\n');
    fails(await cli(['alias', 'remove', '@example.com']), 1, 'posthorn: no such alias: @example.com\n');
    fails(await cli(['alias', 'remove', 'a@example.com', 'b@example.com']), 1, 'posthorn: no such alias: a@example.com → b@example.com\n');
    fails(await cli(['alias', 'remove']), 2, 'posthorn: usage: posthorn alias remove SOURCE [TARGET]\n');
  });
});

test('queue verbs are reached through the same command line', async () => {
  await withCli(async (cli) => {
    ok(await cli(['queue', 'list']), 'the queue is empty\n');
    fails(await cli(['queue', 'drop', '42']), 1, 'posthorn: no queued message 42\n');
    fails(await cli(['queue', 'drop']), 2, 'posthorn: usage: posthorn queue drop ID\n');
  });
});

test('unknown commands, --help and bad options get the usage text and their exit status', async () => {
  await withCli(async (cli) => {
    fails(await cli(['frobnicate']), 2, `posthorn: unknown command "frobnicate"\n${USAGE}\n`);
    fails(await cli(['domain', 'frob']), 2, `posthorn domain: unknown command "frob"\n${USAGE}\n`);
    fails(await cli(['user']), 2, `posthorn user: unknown command ""\n${USAGE}\n`);
    fails(await cli(['alias', 'constructor']), 2, `posthorn alias: unknown command "constructor"\n${USAGE}\n`);
    fails(await cli(['domain', 'list', '--bogus']), 2, /^posthorn: Unknown option '--bogus'/);
    ok(await cli(['user', 'add', '--help']), `${USAGE}\n`);
  });
});

test('--config names a configuration file, and a bad one is reported', async () => {
  await withCli(async (cli, dir) => {
    const file = join(dir, 'posthorn.toml');
    writeFileSync(file, `data_dir = ${JSON.stringify(join(dir, 'data'))}\nhostname = "mail.example.com"\n`);
    ok(await cli(['domain', 'add', 'example.com', '--config', file]), /^added domain example\.com\n/);
    assert.ok(existsSync(join(dir, 'data', 'posthorn.db')), 'the store is in the configured data directory');
    ok(await cli(['domain', 'list', '--json', '--config', file]), /"name":"example\.com"/);
    writeFileSync(file, 'no_such_setting = 1\n');
    fails(await cli(['domain', 'list', '--config', file]), 1, /^posthorn: .*no_such_setting/);
  }, () => ({}));
});
