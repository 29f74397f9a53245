// The admin command line as a user runs it: bin/posthorn in a separate process, against the same
// data directory as a running server. What each verb prints is tested in this process by
// test/admin-cli.test.ts and what it does by test/admin-use-cases.test.ts; this file keeps what
// only a real process shows: argv, stdin, stdout/stderr, exit statuses, what it loads, and a
// running server seeing the change at once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { tempDir, runCli, startTestServer, ROOT } from './helpers/server.ts';

test('domains and users changed by the CLI are seen at once by a running server', async () => {
  const dir = tempDir('cli');
  const env = { POSTHORN_DATA_DIR: dir.path, POSTHORN_HOSTNAME: 'mail.example.com' };
  const server = await startTestServer(dir.path, []);
  try {
    let r = await runCli(['domain', 'add', 'Example.COM'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /added domain example\.com/);
    r = await runCli(['user', 'add', 'Alice@example.com', '--password-stdin'], env, 'correct horse battery\n');
    assert.equal(r.code, 0, r.stderr);
    // Added by another process a moment ago: the running server lets her in now.
    const ok = await server.deps.auth.authenticate('alice@example.com', 'correct horse battery', { ip: '127.0.0.1', protocol: 'imap' });
    assert.equal(ok.ok, true);
    const mailboxes = await server.deps.store.listMailboxes(ok.ok ? ok.account.id : -1);
    assert.deepEqual(mailboxes.map((m) => m.name).sort(), ['Archive', 'Drafts', 'INBOX', 'Junk', 'Sent', 'Trash']);

    r = await runCli(['user', 'passwd', 'alice@example.com', '--password-stdin'], env, 'a new secret phrase\n');
    assert.equal(r.code, 0, r.stderr);
    const old = await server.deps.auth.authenticate('alice@example.com', 'correct horse battery', { ip: '127.0.0.9', protocol: 'pop3' });
    assert.equal(old.ok, false);
    const fresh = await server.deps.auth.authenticate('alice@example.com', 'a new secret phrase', { ip: '127.0.0.9', protocol: 'pop3' });
    assert.equal(fresh.ok, true);

    r = await runCli(['user', 'remove', 'alice@example.com'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await server.deps.store.getAccountByAddress('alice@example.com'), null);
  } finally {
    await server.stop();
    dir.remove();
  }
});

test('exit statuses, and which stream gets what', async () => {
  const dir = tempDir('cli-wire');
  const env = { POSTHORN_DATA_DIR: dir.path, POSTHORN_HOSTNAME: 'mail.example.com' };
  try {
    const added = await runCli(['domain', 'add', 'example.com'], env);
    assert.equal(added.code, 0, added.stderr);
    // Independent of each other: run at once.
    const [again, noPassword, shortPassword, negative, list, unknown, bare, help] = await Promise.all([
      runCli(['domain', 'add', 'example.com'], env),
      runCli(['user', 'add', 'bob@example.com'], env),
      runCli(['user', 'add', 'bob@example.com', '--password-stdin'], env, 'short\n'),
      // "-5MB" reaches the verb as a value, not as an unknown short option.
      runCli(['user', 'add', 'bob@example.com', '--quota', '-5MB'], env),
      runCli(['domain', 'list', '--json'], env),
      runCli(['frobnicate'], env),
      runCli([], env),
      runCli(['help'], env),
    ]);
    assert.deepEqual([again.code, again.stdout, again.stderr], [1, '', 'posthorn: domain example.com exists already\n']);
    assert.equal(noPassword.code, 2);
    assert.match(noPassword.stderr, /--password-stdin/);
    assert.deepEqual([shortPassword.code, shortPassword.stderr], [1, 'posthorn: the password must have at least 8 characters\n']);
    assert.deepEqual([negative.code, negative.stderr], [1, 'posthorn: a quota cannot be negative: -5MB\n']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual((JSON.parse(list.stdout) as { name: string }[]).map((d) => d.name), ['example.com']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^posthorn: unknown command "frobnicate"\nusage: posthorn COMMAND/);
    assert.equal(bare.code, 2);
    assert.match(bare.stdout, /^usage: posthorn COMMAND/);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: posthorn COMMAND/);
    assert.equal(help.stdout, bare.stdout);
  } finally {
    dir.remove();
  }
});

/** The modules `posthorn ARGS` loads, as a module hook in its process records them. */
async function modulesLoadedBy(args: string[], env: Record<string, string>): Promise<{ code: number | null; urls: string[] }> {
  const hook = `import { registerHooks } from 'node:module';
    import { writeSync } from 'node:fs';
    registerHooks({ load(url, context, next) { writeSync(2, 'loaded ' + url + '\\n'); return next(url, context); } });`;
  const child = spawn(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(hook)}`, join(ROOT, 'src', 'main.ts'), ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  child.stdin.end();
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const urls = stderr.split('\n').filter((l) => l.startsWith('loaded ')).map((l) => l.slice('loaded '.length));
  return { code, urls };
}

test('an admin verb loads neither the server, nor the protocols, nor their libraries', async () => {
  const dir = tempDir('cli-load');
  const env = { POSTHORN_DATA_DIR: dir.path, POSTHORN_HOSTNAME: 'mail.example.com' };
  try {
    const SERVER_ONLY = [
      /\/node_modules\/(smtp-server|mailauth|nodemailer|pino|selfsigned)\//,
      /\/src\/(smtp|imap|pop3)\//,
      /\/src\/server\/(app|tls|tcp-listener|listener-pair|protocols|log)\.ts$/,
      /\/src\/web\/server\.ts$/,
    ];
    const verbs = [['domain', 'add', 'example.com'], ['user', 'list'], ['alias', 'list'], ['queue', 'list']];
    const runs = await Promise.all(verbs.map((args) => modulesLoadedBy(args, env)));
    for (const [i, { code, urls }] of runs.entries()) {
      const args = verbs[i];
      assert.equal(code, 0, args.join(' '));
      // The hook saw the verb's own module, so an empty list cannot pass for a light one.
      assert.ok(urls.some((u) => /\/src\/(admin|queue)\/cli\.ts$/.test(u)), `${args.join(' ')}: hook saw nothing`);
      const heavy = urls.filter((u) => SERVER_ONLY.some((re) => re.test(u)));
      assert.deepEqual(heavy, [], `${args.join(' ')} loaded server modules`);
    }
  } finally {
    dir.remove();
  }
});
