// A private Dovecot LMTP server for benchmarks: the reference that delivers durably into Maildir
// (mail_fsync = optimized, Dovecot's default: the message file is fsynced before the reply).
// Its own config, passwd-file users and mail store under a temp folder; never /etc/dovecot.
// Loopback only, stopped by the PID in its master.pid.

import { mkdirSync, writeFileSync, readFileSync, readdirSync, chownSync, existsSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import net from 'node:net';

export interface DovecotLmtp {
  port: number;
  /** Messages in the users' Maildirs (to check the runs delivered everything). */
  delivered(): number;
  stop(): Promise<void>;
}

export function dovecotBinary(): string | null {
  for (const p of ['/usr/sbin/dovecot', '/usr/bin/dovecot']) if (existsSync(p)) return p;
  return null;
}

/** uid/gid that owns the mail: Dovecot refuses to deliver as root. */
function mailOwner(): { uid: number; gid: number } {
  const uid = process.getuid?.() ?? 0;
  if (uid !== 0) return { uid, gid: process.getgid?.() ?? uid };
  return { uid: Number(execFileSync('id', ['-u', 'nobody']).toString().trim()), gid: Number(execFileSync('id', ['-g', 'nobody']).toString().trim()) };
}

/** Resolves once something listens on the loopback port (at most 10 s). */
export async function waitPort(port: number, what = 'dovecot LMTP'): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const s = net.connect({ port, host: '127.0.0.1' });
    const ok = await new Promise<boolean>((resolve) => {
      s.once('connect', () => resolve(true));
      s.once('error', () => resolve(false));
    });
    s.destroy();
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not listen on ${port}`);
}

export async function startDovecotLmtp(dir: string, port: number, users: string[]): Promise<DovecotLmtp> {
  const bin = dovecotBinary();
  if (!bin) throw new Error('dovecot not installed (apt-get install -y dovecot-lmtpd)');
  const { uid, gid } = mailOwner();
  const run = join(dir, 'run');
  const mail = join(dir, 'mail');
  mkdirSync(run, { recursive: true });
  mkdirSync(mail, { recursive: true });
  chmodSync(dir, 0o755);
  chownSync(mail, uid, gid);
  const passwd = users.map((u) => `${u}:{PLAIN}x:${uid}:${gid}::${join(mail, u)}`).join('\n') + '\n';
  writeFileSync(join(dir, 'users'), passwd, { mode: 0o644 });
  const conf = join(dir, 'dovecot.conf');
  writeFileSync(
    conf,
    `base_dir = ${run}
state_dir = ${join(dir, 'state')}
instance_name = posthorn-bench-dovecot
protocols = lmtp
listen = 127.0.0.1
log_path = ${join(dir, 'dovecot.log')}
ssl = no
first_valid_uid = ${uid}
last_valid_uid = ${uid}
mail_location = maildir:~/Maildir
mail_fsync = optimized
default_process_limit = 500
default_client_limit = 5000
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%Ln ${join(dir, 'users')}
}
userdb {
  driver = passwd-file
  args = username_format=%Ln ${join(dir, 'users')}
}
service lmtp {
  inet_listener lmtp {
    port = ${port}
  }
}
protocol lmtp {
  postmaster_address = postmaster@bench.invalid
}
`,
  );
  execFileSync(bin, ['-c', conf], { stdio: 'ignore' });
  await waitPort(port);
  return {
    port,
    delivered: () => {
      let n = 0;
      for (const u of users) {
        const box = join(mail, u, 'Maildir');
        for (const sub of ['new', 'cur']) if (existsSync(join(box, sub))) n += readdirSync(join(box, sub)).length;
      }
      return n;
    },
    stop: async () => {
      const pid = Number(readFileSync(join(run, 'master.pid'), 'utf8').trim());
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 200; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          return;
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}
