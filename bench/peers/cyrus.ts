// A private Cyrus IMAP 3.6 (Debian's packages) on loopback, the reference JMAP server for
// test/jmap-conformance.ts and bench/jmap.ts: its httpd serves JMAP (RFC 8620/8621), its imapd
// and lmtpd the same mail store. Users log in with plain-text passwords from a private sasldb.
//
//   node_modules/.bin/node bench/peers/cyrus.ts [--user NAME:PASSWORD ...]   start, print, Enter stops
//
// Cyrus is never installed into the system: in Debian it conflicts with dovecot-imapd (both
// provide imap-server) and would break the Dovecot benchmarks. Its packages are fetched with
// `apt-get download` and unpacked with `dpkg -x` into CYRUS_ROOT (default /work/peers/cyrus/root)
// the first time, and its master runs from there with -C/-M pointing at config files written
// into a temp folder, with its own database, spool and sasldb; nothing is read from /etc.
// Master drops to the `cyrus` user when started as root; that user is created if missing.

import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { startSmtpToLmtp } from './smtp-to-lmtp.ts';

export const CYRUS_ROOT = process.env.CYRUS_ROOT ?? '/work/peers/cyrus/root';
/** Cyrus and the libraries it needs that a Node machine image lacks (Debian 12). */
const PACKAGES = [
  'cyrus-imapd', 'cyrus-common', 'cyrus-caldav', 'cyrus-admin', 'sasl2-bin',
  'libclamav12', 'libical3', 'libpcre3', 'libshp2', 'libxapian30', 'libzephyr4', 'libmspack0',
];
const BIN = join(CYRUS_ROOT, 'usr', 'lib', 'cyrus', 'bin');
const LIBS = [join(CYRUS_ROOT, 'usr', 'lib', 'x86_64-linux-gnu'), join(CYRUS_ROOT, 'lib', 'x86_64-linux-gnu')].join(':');

export interface CyrusUser { username: string; password: string }
export interface RunningCyrus {
  version: string;
  ports: { http: number; imap: number; lmtp: number };
  /** Builds the user's Xapian index now (squatter), instead of waiting for the rolling one. */
  indexUser(username: string): void;
  stop(): Promise<void>;
}

function run(cmd: string, argv: string[], opts: { cwd?: string; input?: string } = {}): string {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', env: { ...process.env, LD_LIBRARY_PATH: LIBS }, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')}: exit ${r.status ?? r.signal}: ${(r.stderr || r.stdout || '').trim().slice(-500)}`);
  return r.stdout;
}

/** Unpacks Cyrus into CYRUS_ROOT unless it is there; throws with the reason if it cannot. */
export function ensureCyrus(): void {
  if (existsSync(join(BIN, 'master'))) return;
  const debs = join(CYRUS_ROOT, '..', 'debs');
  mkdirSync(debs, { recursive: true });
  run('apt-get', ['download', ...PACKAGES], { cwd: debs });
  for (const deb of readdirSync(debs).filter((f) => f.endsWith('.deb'))) run('dpkg', ['-x', join(debs, deb), CYRUS_ROOT]);
  if (!existsSync(join(BIN, 'master'))) throw new Error(`no ${BIN}/master after unpacking`);
}

export function cyrusVersion(): string {
  const info = readFileSync(join(CYRUS_ROOT, 'usr', 'lib', 'cyrus', 'cyrus-hardwired-config.txt'), 'utf8');
  return /PACKAGE_VERSION (\S+)/.exec(info)?.[1] ?? 'unknown';
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Waits until something accepts on the port (master binds its listeners after forking). */
async function waitForListener(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`Cyrus did not listen on 127.0.0.1:${port} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One IMAP LOGIN: Cyrus creates the user's INBOX and special-use folders on it (autocreate_quota). */
export function imapLogin(port: number, user: CyrusUser): Promise<void> {
  const quote = (s: string) => `"${s.replace(/[\\"]/g, (c) => '\\' + c)}"`;
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    let buf = '';
    let step = 0;
    s.setEncoding('utf8');
    s.on('error', reject);
    s.on('data', (d: string) => {
      buf += d;
      if (step === 0 && buf.includes('\r\n')) {
        step = 1;
        buf = '';
        s.write(`a LOGIN ${quote(user.username)} ${quote(user.password)}\r\n`);
      } else if (step === 1 && /^a (OK|NO|BAD)/m.test(buf)) {
        if (!/^a OK/m.test(buf)) return reject(new Error(`Cyrus LOGIN ${user.username}: ${buf.trim()}`));
        step = 2;
        s.end('b LOGOUT\r\n');
        resolve();
      }
    });
  });
}

/** dir: a new folder that the cyrus user can reach (its parents searchable by others). */
export async function startCyrus(opts: { dir: string; users: CyrusUser[]; rollingSquatter?: boolean }): Promise<RunningCyrus> {
  const rolling = opts.rollingSquatter ?? true;
  ensureCyrus();
  if (spawnSync('id', ['-u', 'cyrus'], { stdio: 'ignore' }).status !== 0) {
    run('useradd', ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', 'cyrus']);
  }
  const uid = Number(run('id', ['-u', 'cyrus']).trim());
  const gid = Number(run('id', ['-g', 'cyrus']).trim());
  const d = opts.dir;
  const conf = join(d, 'conf');
  for (const sub of ['db', 'proc', 'socket', 'log', 'lock', 'sync', 'user', 'quota', 'msg', 'ptclient', 'sieve']) mkdirSync(join(conf, sub), { recursive: true });
  mkdirSync(join(d, 'spool'), { recursive: true });
  mkdirSync(join(d, 'search'), { recursive: true });
  // lmtpd -a: connections on its TCP socket count as authenticated (it listens on loopback only).
  const ports = { http: await freePort(), imap: await freePort(), lmtp: await freePort() };
  // Outgoing mail (EmailSubmission, vacation replies) comes back in through Cyrus's own LMTP.
  const relay = await startSmtpToLmtp(ports.lmtp);
  const imapdConf = join(d, 'imapd.conf');
  const pidFile = join(d, 'master.pid');
  try {
    writeFileSync(imapdConf, [
      `configdirectory: ${conf}`,
      `partition-default: ${join(d, 'spool')}`,
      'defaultpartition: default',
      'servername: localhost',
      // No admin user: the suite needs none, and the bench loads mail as the user itself.
      `sasl_pwcheck_method: auxprop`,
      `sasl_auxprop_plugin: sasldb`,
      `sasl_sasldb_path: ${join(d, 'sasldb2')}`,
      'sasl_mech_list: PLAIN LOGIN',
      'allowplaintext: yes',
      // JMAP needs conversations (thread ids) on the mailboxes from their creation on.
      'httpmodules: jmap',
      'conversations: yes',
      'conversations_db: twoskip',
      'altnamespace: yes',
      'unixhierarchysep: yes',
      // Users log in as user@domain; Identity/get gives that address as the identity's email.
      'virtdomains: userid',
      'defaultdomain: localhost',
      // Every user's INBOX and special-use folders come into being at the first login or delivery.
      'autocreate_quota: 0',
      'autocreate_post: yes',
      'autocreate_inbox_folders: Drafts|Sent|Trash|Junk|Archive',
      'autocreate_subscribe_folders: Drafts|Sent|Trash|Junk|Archive',
      'xlist-drafts: Drafts', 'xlist-sent: Sent', 'xlist-trash: Trash', 'xlist-junk: Junk', 'xlist-archive: Archive',
      `lmtpsocket: ${join(conf, 'socket', 'lmtp')}`,
      `idlesocket: ${join(conf, 'socket', 'idle')}`,
      `notifysocket: ${join(conf, 'socket', 'notify')}`,
      // Vacation responses are Sieve scripts.
      `sievedir: ${join(conf, 'sieve')}`,
      // JMAP text search (Email/query text/from/subject…, SearchSnippet) runs on Xapian, kept up to
      // date by a rolling squatter that follows the sync log.
      'search_engine: xapian',
      'defaultsearchtier: t1',
      `t1searchpartition-default: ${join(d, 'search')}`,
      // One batch per mailbox: with several, this build's squatter starts the mailbox over after
      // each batch and never finishes one larger than a batch.
      'search_batchsize: 1000000',
      ...(rolling ? ['sync_log: yes', 'sync_log_channels: squatter'] : []),
      'smtp_backend: host',
      `smtp_host: 127.0.0.1:${relay.port}/noauth`,
      'syslog_prefix: cyrus-peer',
      '',
    ].join('\n'));
    const c = `-C ${imapdConf}`;
    writeFileSync(join(d, 'cyrus.conf'), [
      'START {', `  recover cmd="${BIN}/ctl_cyrusdb ${c} -r"`, '}',
      'SERVICES {',
      `  imap cmd="${BIN}/imapd ${c}" listen="127.0.0.1:${ports.imap}" prefork=1 maxchild=100`,
      `  http cmd="${BIN}/httpd ${c}" listen="127.0.0.1:${ports.http}" prefork=1 maxchild=100`,
      `  lmtp cmd="${BIN}/lmtpd ${c} -a" listen="127.0.0.1:${ports.lmtp}" prefork=1 maxchild=20`,
      '}',
      ...(rolling ? ['DAEMON {', `  squatter cmd="${BIN}/squatter ${c} -R"`, '}'] : []),
      'EVENTS {', `  checkpoint cmd="${BIN}/ctl_cyrusdb ${c} -c" period=30`, '}',
      '',
    ].join('\n'));
    for (const u of opts.users) {
      const [local, domain = 'localhost'] = u.username.split('@');
      run(join(CYRUS_ROOT, 'usr', 'sbin', 'saslpasswd2'), ['-p', '-c', '-f', join(d, 'sasldb2'), '-u', domain, local], { input: u.password });
    }
    run('chown', ['-R', `${uid}:${gid}`, d]);
    chownSync(d, uid, gid);
    // master runs as cyrus: every folder above dir must let it through (mkdtemp makes 0700 ones).
    if (spawnSync('runuser', ['-u', 'cyrus', '--', 'test', '-w', d]).status !== 0) {
      throw new Error(`the cyrus user cannot write ${d}: a folder above it is not searchable (chmod 755 it)`);
    }
    run(join(BIN, 'master'), ['-C', imapdConf, '-M', join(d, 'cyrus.conf'), '-p', pidFile, '-d']);
  } catch (e) {
    await relay.close();
    throw e;
  }
  const stop = async (): Promise<void> => {
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0;
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGTERM');
        // master takes its children down with it; wait until it is gone before the folder goes.
        for (let i = 0; i < 100; i++) {
          process.kill(pid, 0);
          await new Promise((r) => setTimeout(r, 100));
        }
      } catch {
        /* gone */
      }
    }
    await relay.close();
    rmSync(d, { recursive: true, force: true });
  };
  try {
    await waitForListener(ports.http, 10_000);
    await waitForListener(ports.imap, 10_000);
    for (const u of opts.users) await imapLogin(ports.imap, u);
  } catch (e) {
    await stop();
    throw e;
  }
  const indexUser = (username: string): void => {
    // squatter reports every batch on stderr: far more than a pipe buffer for a large mailbox.
    const r = spawnSync(join(BIN, 'squatter'), ['-C', imapdConf, '-u', username], { stdio: 'ignore', env: { ...process.env, LD_LIBRARY_PATH: LIBS } });
    if (r.status !== 0) throw new Error(`squatter -u ${username}: exit ${r.status ?? r.signal}`);
  };
  return { version: cyrusVersion(), ports, indexUser, stop };
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  const users: CyrusUser[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--user') {
      const [username, ...rest] = argv[++i].split(':');
      users.push({ username, password: rest.join(':') });
    }
  }
  if (users.length === 0) users.push({ username: 'testuser@example.com', password: 'pass' });
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const parent = mkdtempSync(join(tmpdir(), 'posthorn-cyrus-'));
  const { chmodSync } = await import('node:fs');
  chmodSync(parent, 0o755);
  const cyrus = await startCyrus({ dir: join(parent, 'cyrus'), users });
  console.log(`Cyrus ${cyrus.version}: JMAP http://127.0.0.1:${cyrus.ports.http}/.well-known/jmap, IMAP 127.0.0.1:${cyrus.ports.imap}, LMTP 127.0.0.1:${cyrus.ports.lmtp}`);
  console.log(`users: ${users.map((u) => `${u.username} / ${u.password}`).join(', ')}; press Enter (or Ctrl-C) to stop`);
  const done = async () => {
    await cyrus.stop();
    rmSync(parent, { recursive: true, force: true });
    process.exit(0);
  };
  process.once('SIGINT', done);
  process.stdin.once('data', done);
}
