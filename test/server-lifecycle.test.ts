// The server as an operator runs it: start, health, metrics, TLS material, config errors, SIGTERM.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { tempDir, startTestServer, freePort, POSTHORN_BIN } from './helpers/server.ts';
import { readyLine } from './helpers/child-process.ts';

test('in process: /healthz answers 200 when up, /metrics is Prometheus text, a TLS certificate is made once', async () => {
  const dir = tempDir('life');
  try {
    // Plaintext on loopback, so that an unknown page reaches the routes (and their 404) rather than the HTTPS guard.
    const server = await startTestServer(dir.path, ['http'], { POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' });
    const base = `http://127.0.0.1:${server.ports.http}`;
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(await health.text(), 'ok\n');
    const metrics = await fetch(`${base}/metrics`);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const body = await metrics.text();
    assert.match(body, /# TYPE posthorn_http_requests_total counter/);
    assert.match(body, /posthorn_http_requests_total\{status="200"\} 1/);
    assert.match(body, /^posthorn_up 1$/m);
    assert.equal((await fetch(`${base}/no-such-page`)).status, 404);

    const certPem = readFileSync(join(dir.path, 'tls', 'cert.pem'), 'utf8');
    const cert = new X509Certificate(certPem);
    assert.match(cert.subjectAltName ?? '', /DNS:mail\.test\.example/);
    await server.stop();

    // A restart keeps the certificate (clients that pinned it keep working).
    const again = await startTestServer(dir.path, ['http']);
    assert.equal(readFileSync(join(dir.path, 'tls', 'cert.pem'), 'utf8'), certPem);
    await again.stop();
  } finally {
    dir.remove();
  }
});

test('an invalid setting stops the server at start, naming the setting', async () => {
  const dir = tempDir('badconf');
  try {
    const configFile = join(dir.path, 'posthorn.toml');
    writeFileSync(configFile, '[ports]\nimap = 143\nimapp = 993\n');
    const child = spawn(POSTHORN_BIN, ['serve', '--config', configFile], { env: { PATH: process.env.PATH ?? '', POSTHORN_DATA_DIR: dir.path } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = await once(child, 'exit');
    assert.equal(code, 78);
    assert.match(stderr, /unknown setting "ports\.imapp"/);
    assert.equal(existsSync(join(dir.path, 'posthorn.db')), false, 'nothing was created');

    const env = { PATH: process.env.PATH ?? '', POSTHORN_DATA_DIR: dir.path, POSTHORN_HTTP_PORT: 'eighty' };
    const child2 = spawn(POSTHORN_BIN, ['serve'], { env });
    let stderr2 = '';
    child2.stderr.on('data', (d: Buffer) => (stderr2 += d.toString()));
    const [code2] = await once(child2, 'exit');
    assert.equal(code2, 78);
    assert.match(stderr2, /POSTHORN_HTTP_PORT/);
  } finally {
    dir.remove();
  }
});

test('posthorn serve as a process: JSON logs, ready, healthz, then SIGTERM closes cleanly', async () => {
  const dir = tempDir('proc');
  try {
    const httpPort = await freePort();
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', POSTHORN_DATA_DIR: dir.path, POSTHORN_BIND: '127.0.0.1', POSTHORN_HTTP_PORT: String(httpPort) };
    for (const name of ['SMTP', 'SUBMISSION', 'SUBMISSIONS', 'IMAP', 'IMAPS', 'POP3', 'POP3S', 'HTTPS']) env[`POSTHORN_${name}_PORT`] = '0';
    const child = spawn(POSTHORN_BIN, ['serve'], { env });
    const lines: Record<string, unknown>[] = [];
    // Every log line is JSON (readyLine parses each one).
    await readyLine(child, (entry) => lines.push(entry));
    assert.equal((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status, 200);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = await exited;
    assert.equal(code, 0);
    assert.ok(lines.some((l) => l.event === 'listening' && l.protocol === 'http' && l.port === httpPort));
    assert.ok(lines.some((l) => l.event === 'stopped'), 'logged a clean stop');
    // The store was closed cleanly: SQLite checkpointed and removed its WAL file.
    assert.equal(existsSync(join(dir.path, 'posthorn.db-wal')), false);
  } finally {
    dir.remove();
  }
});
