// bench/smtp-ingest: concurrent SMTP sessions delivering 10 KB messages to local accounts through
// Posthorn's MX listener, durable (250 only after the blob and the row are durable). Prints, in
// the same run: the disk's own fsync rate, Posthorn's messages/s and p50/p99 time-to-250
// (end-of-data sent → 250 received), the same client speaking LMTP to a private Dovecot that
// delivers durably into Maildir (runs interleaved with Posthorn's), and the ratio. Then, when
// Postfix's tools are installed, the same client against smtp-sink (accepts and discards: the
// client/network ceiling) and Postfix's C load generator smtp-source against both.
//
//   node_modules/.bin/node bench/smtp-ingest.ts [--sessions 50] [--messages 10000] [--size 10240] [--runs 3]
//                                               [--no-reference]
//
// Dovecot: Debian's dovecot-lmtpd (bench/dovecot-lmtp.ts starts its own instance). Postfix's
// smtp-sink/smtp-source: Debian's postfix package (only the binaries; no daemon is configured).
// Without either, its rows say so and the Posthorn rows stay.

import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { fsyncRate } from './disk-fsync.ts';
import { startDovecotLmtp, dovecotBinary, waitPort, type DovecotLmtp } from './dovecot-lmtp.ts';

interface ClientJob {
  port: number;
  sessions: number;
  messages: number;
  size: number;
  recipients: string[];
  /** Speak LMTP (RFC 2033: LHLO, one reply per recipient after the data) instead of SMTP. */
  lmtp?: boolean;
}

interface ClientResult {
  seconds: number;
  latenciesMs: number[];
  failures: string[];
}

// ---------------------------------------------------------------- load client (worker thread)

function body(size: number, n: number): string {
  const head = `From: bench@load.test\r\nTo: rcpt@posthorn.test\r\nSubject: bench ${n}\r\nMessage-ID: <${n}.${Date.now()}@load.test>\r\nDate: ${new Date().toUTCString()}\r\n\r\n`;
  const line = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdef\r\n';
  let text = head;
  while (text.length < size - line.length) text += line;
  return text + '.\r\n';
}

async function runClient(job: ClientJob): Promise<ClientResult> {
  const latencies: number[] = [];
  const failures: string[] = [];
  let next = 0;
  const payload = body(job.size, 0);
  const session = async (id: number): Promise<void> => {
    const socket = net.connect({ port: job.port, host: '127.0.0.1' });
    socket.setNoDelay(true);
    await once(socket, 'connect');
    let buffer = '';
    let waiting: { n: number; got: string[]; resolve: (r: string[]) => void } | null = null;
    const pending: string[] = [];
    socket.on('data', (d: Buffer) => {
      buffer += d.toString('latin1');
      let i;
      while ((i = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        if (line[3] === '-') continue;
        pending.push(line);
      }
      if (waiting && pending.length >= waiting.n) {
        const w = waiting;
        waiting = null;
        w.resolve(pending.splice(0, w.n));
      }
    });
    const replies = (n: number): Promise<string[]> =>
      pending.length >= n ? Promise.resolve(pending.splice(0, n)) : new Promise((resolve) => (waiting = { n, got: [], resolve }));
    await replies(1);
    socket.write(job.lmtp ? 'LHLO load.test\r\n' : 'EHLO load.test\r\n');
    await replies(1);
    while (next < job.messages) {
      const n = next++;
      const rcpt = job.recipients[(n + id) % job.recipients.length];
      // RFC 2920: the envelope pipelined, then the data after 354.
      socket.write(`MAIL FROM:<bench@load.test>\r\nRCPT TO:<${rcpt}>\r\nDATA\r\n`);
      const env = await replies(3);
      if (!env[2].startsWith('354')) {
        failures.push(env.join(' | '));
        continue;
      }
      const t0 = performance.now();
      socket.write(payload);
      const [done] = await replies(1);
      latencies.push(performance.now() - t0);
      if (!done.startsWith('250')) failures.push(done);
    }
    socket.write('QUIT\r\n');
    await replies(1).catch(() => undefined);
    socket.destroy();
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: job.sessions }, (_, i) => session(i)));
  return { seconds: (performance.now() - started) / 1000, latenciesMs: latencies, failures };
}

if (!isMainThread) {
  runClient(workerData as ClientJob).then((r) => parentPort!.postMessage(r));
}

// ---------------------------------------------------------------- driver (main thread)

function clientInWorker(job: ClientJob): Promise<ClientResult> {
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: job });
  return new Promise((resolve, reject) => {
    worker.once('message', (r: ClientResult) => {
      void worker.terminate();
      resolve(r);
    });
    worker.once('error', reject);
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function which(cmd: string): string | null {
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/bin']) if (existsSync(join(dir, cmd))) return join(dir, cmd);
  return null;
}

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Postfix's C load generator; asynchronous, because the Posthorn under test runs in this process. */
async function smtpSource(port: number, sessions: number, messages: number, size: number, rcpt: string): Promise<number> {
  const bin = which('smtp-source')!;
  const t0 = performance.now();
  const child = spawn(bin, ['-d', '-s', String(sessions), '-m', String(messages), '-l', String(size), '-M', 'load.test', '-f', 'bench@load.test', '-t', rcpt, '-S', 'bench', `127.0.0.1:${port}`], { stdio: 'ignore' });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`smtp-source exited with ${code}`);
  return messages / ((performance.now() - t0) / 1000);
}

/** fsyncs the blob store has issued, where it counts them (blob-tiered.ts syncCount). */
function blobSyncs(blobs: unknown): number | null {
  const counted = blobs as { syncCount?: () => number };
  return typeof counted.syncCount === 'function' ? counted.syncCount() : null;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { sessions: { type: 'string' }, messages: { type: 'string' }, size: { type: 'string' }, runs: { type: 'string' }, 'no-reference': { type: 'boolean' } } });
  const sessions = Number(values.sessions ?? 50);
  const messages = Number(values.messages ?? 10_000);
  const size = Number(values.size ?? 10 * 1024);
  const runs = Number(values.runs ?? 3);

  const { loadConfig } = await import('../src/server/config.ts');
  const { silentLogger } = await import('../src/server/log.ts');
  const { Metrics } = await import('../src/server/metrics.ts');
  const { openConfiguredStore } = await import('../src/server/open-store.ts');
  const { Authenticator } = await import('../src/auth/authenticator.ts');
  const { parseMessage } = await import('../src/wire/mime/parse.ts');
  const { smtpServices } = await import('../src/smtp/services.ts');
  const { OutboundQueue } = await import('../src/server/outbound.ts');
  const { smtpDepsFrom } = await import('../src/server/protocols.ts');
  const { staticResolver } = await import('../src/net/dns.ts');
  const { LocalDelivery } = await import('../src/delivery/local-delivery.ts');
  const { inboxRules } = await import('../src/delivery/rules.ts');

  const dir = mkdtempSync(join(tmpdir(), 'posthorn-bench-smtp-'));
  const children: ChildProcess[] = [];
  const cleanups: (() => void)[] = [];
  try {
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=bench.test', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
    const config = loadConfig({ env: { POSTHORN_DATA_DIR: dir, POSTHORN_BIND: '127.0.0.1', POSTHORN_HOSTNAME: 'mx.posthorn.test', POSTHORN_TLS_CERT: certFile, POSTHORN_TLS_KEY: keyFile, POSTHORN_SUBMISSION_PORT: '0', POSTHORN_SUBMISSIONS_PORT: '0' } });
    config.limits.maxConnectionsPerIp = sessions + 10;
    const { readFileSync } = await import('node:fs');
    const { store, blobs, bus, coordination } = await openConfiguredStore(config);
    const log = silentLogger();
    const parse = (raw: Uint8Array) => parseMessage(raw);
    const deps = {
      config,
      log,
      metrics: new Metrics(),
      store,
      blobs,
      bus,
      coordination,
      auth: new Authenticator({ store, coordination }),
      secureContext: tls.createSecureContext({ key: readFileSync(keyFile), cert: readFileSync(certFile) }),
      tlsKeyPair: { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') },
      parse,
      delivery: new LocalDelivery({ store, blobs, parse, log, rules: inboxRules }),
      ephemeralPorts: true,
    };
    await store.addDomain('posthorn.test');
    const recipients: string[] = [];
    for (let i = 0; i < sessions; i++) {
      const address = `user${i}@posthorn.test`;
      await store.createAccount({ address, passwordHash: 'x' });
      recipients.push(address);
    }
    // No DNS in benchmarks: SPF/DKIM/DMARC lookups get NXDOMAIN at once.
    const smtpDeps = smtpDepsFrom(deps);
    const [service] = smtpServices(smtpDeps, new OutboundQueue(smtpDeps, { resolver: staticResolver({}) }));
    const port = await service.listen();

    console.log(`smtp-ingest: ${sessions} sessions, ${messages} messages of ${size} bytes per run, ${runs} runs, persistent sessions, PIPELINING`);
    const diskFsyncs = fsyncRate(dir, 2);
    console.log(`  disk: ${diskFsyncs.toFixed(0)} fsync/s (append 4 KB + fsync, in the data folder)`);
    let dovecot: DovecotLmtp | null = null;
    if (values['no-reference']) console.log('  dovecot LMTP skipped (--no-reference)');
    else if (!dovecotBinary()) console.log('  dovecot not found (apt-get install -y dovecot-lmtpd): no LMTP reference');
    else {
      // A folder of its own: Dovecot delivers as an unprivileged user, who cannot enter `dir`.
      const dovecotDir = mkdtempSync(join(tmpdir(), 'posthorn-bench-dovecot-'));
      cleanups.push(() => rmSync(dovecotDir, { recursive: true, force: true }));
      dovecot = await startDovecotLmtp(dovecotDir, await freePort(), recipients.map((r) => r.split('@')[0]));
    }
    const syncsBefore = blobSyncs(blobs);
    const rates: number[] = [];
    const p50s: number[] = [];
    const p99s: number[] = [];
    const lmtpRates: number[] = [];
    const line = (who: string, run: number, r: ClientResult): number => {
      const sorted = [...r.latenciesMs].sort((a, b) => a - b);
      const rate = (messages - r.failures.length) / r.seconds;
      console.log(`  ${who.padEnd(13)} run ${run}: ${rate.toFixed(0).padStart(6)} msg/s  p50 ${percentile(sorted, 50).toFixed(1)} ms  p99 ${percentile(sorted, 99).toFixed(1)} ms  failures ${r.failures.length}${r.failures.length ? ` (${r.failures[0]})` : ''}`);
      return rate;
    };
    try {
      for (let run = 1; run <= runs; run++) {
        const r = await clientInWorker({ port, sessions, messages, size, recipients });
        const sorted = [...r.latenciesMs].sort((a, b) => a - b);
        rates.push(line('posthorn', run, r));
        p50s.push(percentile(sorted, 50));
        p99s.push(percentile(sorted, 99));
        if (dovecot) lmtpRates.push(line('dovecot lmtp', run, await clientInWorker({ port: dovecot.port, sessions, messages, size, recipients, lmtp: true })));
      }
      if (dovecot) console.log(`  dovecot delivered: ${dovecot.delivered()} (expected ${messages * runs})`);
    } finally {
      await dovecot?.stop();
    }
    // Durable and complete: every 250 is a stored message.
    let stored = 0;
    for (const a of recipients) stored += (await store.getAccountByAddress(a))!.messageCount;
    console.log(`  stored messages: ${stored} (expected ${messages * runs})`);
    if (syncsBefore !== null) console.log(`  blob store fsyncs per message: ${((blobSyncs(blobs)! - syncsBefore) / (messages * runs)).toFixed(3)} (the mail database's COMMITs add one per batch)`);
    if (stored !== messages * runs) process.exitCode = 1;
    const lmtp = lmtpRates.length ? median(lmtpRates) : NaN;
    console.log('');
    console.log(`disk fsync/s ${diskFsyncs.toFixed(0)} | posthorn ingest msg/s ${median(rates).toFixed(0)} | dovecot lmtp msg/s ${lmtp.toFixed(0)} | posthorn/dovecot ${(median(rates) / lmtp).toFixed(2)} (medians of ${runs})`);
    console.log('');

    const sink = which('smtp-sink');
    let sinkRate = NaN;
    let sinkP50 = NaN;
    let sinkP99 = NaN;
    let sourceSink = NaN;
    let sourcePosthorn = NaN;
    if (values['no-reference']) {
      console.log('  reference figures skipped (--no-reference)');
    } else if (sink && which('smtp-source')) {
      const sinkPort = await freePort();
      const child = spawn(sink, ['-u', 'nobody', '-h', 'sink.test', `127.0.0.1:${sinkPort}`, '1024'], { stdio: 'ignore' });
      children.push(child);
      await waitPort(sinkPort, 'smtp-sink');
      const sinkRates: number[] = [];
      const s50: number[] = [];
      const s99: number[] = [];
      for (let run = 1; run <= runs; run++) {
        const r = await clientInWorker({ port: sinkPort, sessions, messages, size, recipients });
        const sorted = [...r.latenciesMs].sort((a, b) => a - b);
        sinkRates.push(messages / r.seconds);
        s50.push(percentile(sorted, 50));
        s99.push(percentile(sorted, 99));
        console.log(`  smtp-sink  run ${run}: ${(messages / r.seconds).toFixed(0).padStart(6)} msg/s  p50 ${percentile(sorted, 50).toFixed(1)} ms  p99 ${percentile(sorted, 99).toFixed(1)} ms  (same client, no disk)`);
      }
      sinkRate = median(sinkRates);
      sinkP50 = median(s50);
      sinkP99 = median(s99);
      const srcSink: number[] = [];
      const srcPosthorn: number[] = [];
      for (let run = 1; run <= runs; run++) {
        srcSink.push(await smtpSource(sinkPort, sessions, messages, size, 'rcpt@posthorn.test'));
        srcPosthorn.push(await smtpSource(port, sessions, messages, size, recipients[run % recipients.length]));
      }
      sourceSink = median(srcSink);
      sourcePosthorn = median(srcPosthorn);
      console.log(`  smtp-source → smtp-sink runs: ${srcSink.map((x) => x.toFixed(0)).join(' ')} msg/s`);
      console.log(`  smtp-source → posthorn  runs: ${srcPosthorn.map((x) => x.toFixed(0)).join(' ')} msg/s`);
    } else {
      console.log('  smtp-sink/smtp-source not found (apt-get install -y postfix): no reference figures');
    }
    console.log('');
    console.log('median of runs                      msg/s    p50 ms   p99 ms');
    console.log(`posthorn (durable)               ${median(rates).toFixed(0).padStart(8)} ${median(p50s).toFixed(1).padStart(9)} ${median(p99s).toFixed(1).padStart(8)}`);
    console.log(`smtp-sink (no disk), same client ${sinkRate.toFixed(0).padStart(8)} ${sinkP50.toFixed(1).padStart(9)} ${sinkP99.toFixed(1).padStart(8)}`);
    console.log(`smtp-source → smtp-sink          ${sourceSink.toFixed(0).padStart(8)}`);
    console.log(`smtp-source → posthorn (durable) ${sourcePosthorn.toFixed(0).padStart(8)}`);
    console.log(`posthorn / smtp-sink (same client): ${(median(rates) / sinkRate).toFixed(2)}`);
    await service.close(1000);
    await store.close();
  } finally {
    for (const c of children) c.kill();
    for (const f of cleanups) f();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMainThread) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
