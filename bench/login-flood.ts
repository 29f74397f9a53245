// Logins under a flood: while FLOOD connections from as many loopback addresses send wrong
// passwords over and over, each for an account name of its own (so no per-account limit stops
// them: every attempt costs a full argon2id check, or a fast refusal once the bounds hold),
// an honest user logs in from an address that is not attacking, first with a password the
// server has not seen yet (a full check) and then again (the verified-login cache). Prints the
// latency of those logins, p50 and p99, and what the flood got (failed, refused for now).
//
//   node_modules/.bin/node bench/login-flood.ts [--flood 120] [--secs 10]
//
// The server runs in a child process (this file with --serve), so the flood's client work does
// not share its event loop. No reference server here: the Dovecot this machine's lab sets up
// stores plain passwords (no memory-hard hash), so its figures would not measure the same work.

import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const FLOOD = opt('--flood', 120);
const SECS = opt('--secs', 10);
const USERS = 20;

async function serve(): Promise<void> {
  const { loadConfig } = await import('../src/server/config.ts');
  const { startServer } = await import('../src/server/app.ts');
  const { silentLogger } = await import('../src/server/log.ts');
  const { hashPassword } = await import('../src/auth/password.ts');
  const dir = mkdtempSync(join(tmpdir(), 'posthorn-bench-login-'));
  const config = loadConfig({
    env: {
      POSTHORN_DATA_DIR: dir, POSTHORN_BIND: '127.0.0.1', POSTHORN_HOSTNAME: 'bench.test', POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true',
      POSTHORN_SMTP_PORT: '0', POSTHORN_SUBMISSION_PORT: '0', POSTHORN_SUBMISSIONS_PORT: '0', POSTHORN_POP3_PORT: '0',
      POSTHORN_POP3S_PORT: '0', POSTHORN_HTTP_PORT: '0', POSTHORN_IMAPS_PORT: '0', POSTHORN_IMAP_PORT: '1',
    },
  });
  config.limits.maxConnectionsPerIp = 1000;
  const server = await startServer(config, { ephemeralPorts: true, log: silentLogger() });
  const { store } = server.deps;
  await store.addDomain('example.com');
  await store.createAccount({ address: 'victim@example.com', passwordHash: await hashPassword('victim pw') });
  for (let i = 0; i < USERS; i++) await store.createAccount({ address: `user${i}@example.com`, passwordHash: await hashPassword(`pw ${i}`) });
  process.stdout.write(JSON.stringify({ port: server.ports.imap }) + '\n');
  for await (const _ of createInterface({ input: process.stdin })) break;
  await server.stop();
}

/** One LOGIN on a fresh connection; resolves with the tagged answer and the time it took. */
function login(port: number, from: string, user: string, password: string): Promise<{ answer: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const c = net.connect({ port, host: '127.0.0.1', localAddress: from });
    let buf = '';
    let greeted = false;
    c.on('data', (d) => {
      buf += d.toString('latin1');
      if (!greeted && buf.includes('\r\n')) {
        greeted = true;
        buf = '';
        c.write(`L LOGIN ${user} "${password}"\r\n`);
      }
      const m = /^L (.*)\r\n/m.exec(buf);
      if (m) {
        const ms = performance.now() - t0;
        c.end('Z LOGOUT\r\n');
        resolve({ answer: m[1], ms });
      }
    });
    c.on('error', reject);
  });
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function main(): Promise<void> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const first = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  const { port } = JSON.parse(first) as { port: number };
  const until = Date.now() + SECS * 1000;
  const flood = { failed: 0, refused: 0, other: 0 };
  const attacker = async (n: number): Promise<void> => {
    const from = `127.0.${1 + Math.floor(n / 250)}.${1 + (n % 250)}`;
    for (let i = 0; Date.now() < until; i++) {
      const { answer } = await login(port, from, `guess${n}x${i}@example.com`, 'wrong');
      if (answer.startsWith('NO [AUTHENTICATIONFAILED]')) flood.failed++;
      else if (answer.startsWith('NO [UNAVAILABLE]')) flood.refused++;
      else flood.other++;
    }
  };
  const first_: number[] = [];
  const cached: number[] = [];
  const refusedHonest: string[] = [];
  const honest = async (): Promise<void> => {
    // Let the flood build up first.
    await new Promise((r) => setTimeout(r, 1000));
    for (let i = 0; i < USERS && Date.now() < until; i++) {
      const from = `127.200.0.${1 + i}`;
      for (const list of [first_, cached]) {
        const { answer, ms } = await login(port, from, `user${i}@example.com`, `pw ${i}`);
        if (answer.startsWith('OK')) list.push(ms);
        else refusedHonest.push(answer);
      }
    }
  };
  await Promise.all([...Array.from({ length: FLOOD }, (_, n) => attacker(n)), honest()]);
  child.stdin!.end('stop\n');
  console.log(`login-flood: ${FLOOD} flooding addresses for ${SECS} s (wrong passwords, a new account name each)`);
  console.log(`  flood answers: ${flood.failed} checked and failed, ${flood.refused} refused for now (limit or hash bound), ${flood.other} other`);
  console.log(`  honest first login (full argon2id): n=${first_.length} p50 ${pct(first_, 50)?.toFixed(1)} ms, p99 ${pct(first_, 99)?.toFixed(1)} ms (goal < 500)`);
  console.log(`  honest repeated login (cache):      n=${cached.length} p50 ${pct(cached, 50)?.toFixed(1)} ms, p99 ${pct(cached, 99)?.toFixed(1)} ms (goal < 200)`);
  if (refusedHonest.length > 0) console.log(`  honest logins refused: ${refusedHonest.length} (${refusedHonest[0]})`);
}

if (args[0] === '--serve') await serve();
else await main();
