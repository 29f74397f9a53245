// Test helpers: a real Posthorn in a temp directory, and the `posthorn` command as a user runs it.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { loadConfig, type Config } from '../../src/server/config.ts';
import { startServer, type RunningServer, type StartOptions } from '../../src/server/app.ts';
import { silentLogger } from '../../src/server/log.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const POSTHORN_BIN = join(ROOT, 'bin', 'posthorn');

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `posthorn-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Every listener disabled unless named in `enable`; bound to free loopback ports. */
export function testConfig(dataDir: string, enable: string[], extraEnv: Record<string, string> = {}): Config {
  const env: Record<string, string> = {
    POSTHORN_DATA_DIR: dataDir,
    POSTHORN_BIND: '127.0.0.1',
    POSTHORN_HOSTNAME: 'mail.test.example',
    ...extraEnv,
  };
  for (const name of ['SMTP', 'SUBMISSION', 'SUBMISSIONS', 'IMAP', 'IMAPS', 'POP3', 'POP3S', 'HTTP', 'HTTPS']) {
    env[`POSTHORN_${name}_PORT`] ??= enable.includes(name.toLowerCase()) ? '1' : '0';
  }
  return loadConfig({ env });
}

export async function startTestServer(dataDir: string, enable: string[], extraEnv: Record<string, string> = {}, opts: StartOptions = {}): Promise<RunningServer> {
  return startServer(testConfig(dataDir, enable, extraEnv), { ephemeralPorts: true, log: silentLogger(), ...opts });
}

/** A free TCP port on 127.0.0.1, for a server started as a separate process. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `bin/posthorn ARGS` as a user would, with the given environment and stdin. */
export function runCli(args: string[], env: Record<string, string>, stdin = ''): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(POSTHORN_BIN, args, { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}
