// JMAP on a large account: N messages in INBOX (threads of four), then one client times
//   Email/query  inMailbox INBOX, sort receivedAt descending, limit 50
//   Email/query  the same with collapseThreads
//   Email/get    those 50 ids: preview, subject, from, receivedAt, keywords and headers
//   Email/changes since the state before 1,000 flag changes made over IMAP (one UID STORE each)
//   Email/query  filter { text: "needle" } (the word is in one message of every 1,000)
// and prints p50 and p99 of each (after one warm-up request), on Posthorn and, in the same run
// and on the same messages, on Cyrus IMAP 3.6 (bench/peers/cyrus.ts), with the ratio.
//
//   node_modules/.bin/node bench/jmap.ts [--count 100000] [--samples 50] [--no-cyrus | --only-cyrus]
//
// A method a server does not implement (unknownMethod, or the mail capability not advertised)
// is reported as "not implemented" and the other operations still run.
// Loading: Posthorn through its store (parse, blob, appendMessages in batches, as
// bench/imap-mailbox.ts does; each message its own bytes, since threading reads the headers);
// Cyrus through IMAP MULTIAPPEND with the same bytes, flags and internal dates, then its
// Xapian index is built (squatter) before the timings, as its rolling squatter would in time.
// Posthorn runs in a child process (this file with --serve), Cyrus as its own daemon; each is
// stopped before the other starts.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { benchMessage, imapAppendRange, ImapClient, JmapClient, SEARCH_WORD } from './jmap-mail.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const COUNT = opt('--count', 100_000);
const SAMPLES = opt('--samples', 50);
/** Slower operations get fewer samples: the text search, and /changes, whose every sample needs its 1,000 STOREs first. */
const FEW = Math.max(3, Math.round(SAMPLES / 5));
const CHANGE_SAMPLES = Math.max(3, Math.round(SAMPLES / 10));
const ONLY_CYRUS = args.includes('--only-cyrus');
const WITH_CYRUS = !args.includes('--no-cyrus');
const USER = 'big@example.com';
const PASSWORD = 'bench-pass';
const FLAG_CHANGES = Math.min(1_000, COUNT);

// ---- Posthorn (child process)

async function serve(): Promise<void> {
  const { loadConfig } = await import('../src/server/config.ts');
  const { startServer } = await import('../src/server/app.ts');
  const { silentLogger } = await import('../src/server/log.ts');
  const { hashPassword } = await import('../src/auth/password.ts');
  const dir = mkdtempSync(join(tmpdir(), 'posthorn-bench-jmap-'));
  const env: Record<string, string> = { POSTHORN_DATA_DIR: dir, POSTHORN_BIND: '127.0.0.1', POSTHORN_HOSTNAME: 'bench.test', POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' };
  for (const name of ['SMTP', 'SUBMISSION', 'SUBMISSIONS', 'IMAPS', 'POP3', 'POP3S']) env[`POSTHORN_${name}_PORT`] = '0';
  env.POSTHORN_IMAP_PORT = '1';
  env.POSTHORN_HTTP_PORT = '1';
  const server = await startServer(loadConfig({ env }), { ephemeralPorts: true, log: silentLogger() });
  const { store, blobs, parse } = server.deps;
  await store.addDomain('example.com');
  const account = await store.createAccount({ address: USER, passwordHash: await hashPassword(PASSWORD) });
  const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
  const t0 = Date.now();
  for (let start = 0; start < COUNT; start += 500) {
    const batch = [];
    for (let i = start; i < Math.min(COUNT, start + 500); i++) {
      const m = benchMessage(i);
      const parsed = parse(m.raw);
      // The blob writes of a batch overlap (each is durable on its own); the rows go in in order.
      batch.push(blobs.put(m.raw).then((blob) => ({ blobId: blob.id, size: blob.size, summary: parsed.summary, searchText: parsed.searchText, internalDate: m.internalDate, flags: m.seen ? ['\\Seen'] : [] })));
    }
    await store.appendMessages(account.id, inbox.id, await Promise.all(batch));
  }
  process.stdout.write(JSON.stringify({ http: server.ports.http, imap: server.ports.imap, fillSeconds: (Date.now() - t0) / 1000 }) + '\n');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'stop') {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    }
  }
}

// ---- the timings (the same client code for both servers)

interface OpResult { name: string; ms: number[]; outcome: string; notImplemented?: string }

const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

/** Why a response is not a result: a method-level or request-level error, as text. */
function failure(r: Awaited<ReturnType<JmapClient['call']>>): { unimplemented: boolean; text: string } | null {
  if (r.status !== 200) {
    const type = typeof r.body === 'object' ? String(r.body.type ?? '') : '';
    return { unimplemented: type.endsWith(':unknownCapability'), text: `HTTP ${r.status} ${type || String(r.body).slice(0, 80)}` };
  }
  const [name, resArgs] = r.methodResponses![r.methodResponses!.length - 1];
  if (name !== 'error') return null;
  return { unimplemented: resArgs.type === 'unknownMethod', text: `${resArgs.type}${resArgs.description ? `: ${resArgs.description}` : ''}` };
}

async function timeOp(name: string, samples: number, request: () => [string, Record<string, unknown>, string][], jmap: JmapClient, before?: () => Promise<void>): Promise<OpResult & { last?: any }> {
  const ms: number[] = [];
  let last: any;
  for (let k = 0; k <= samples; k++) {
    if (before) await before();
    const t = performance.now();
    const r = await jmap.call(request());
    const elapsed = performance.now() - t;
    const bad = failure(r);
    if (bad) return bad.unimplemented ? { name, ms, outcome: '', notImplemented: bad.text } : { name, ms, outcome: `ERROR ${bad.text}` };
    last = r.methodResponses![r.methodResponses!.length - 1][1];
    if (k > 0) ms.push(elapsed); // k = 0 is the warm-up
  }
  return { name, ms, outcome: '', last };
}

async function timeServer(label: string, sessionUrl: string, imapPort: number): Promise<OpResult[]> {
  const jmap = new JmapClient(sessionUrl, USER, PASSWORD);
  await jmap.connect();
  const results: OpResult[] = [];
  const notMail = 'urn:ietf:params:jmap:mail' in jmap.capabilities ? null : 'urn:ietf:params:jmap:mail not advertised';
  const names = ['Email/query INBOX receivedAt desc, limit 50', '… the same with collapseThreads', 'Email/get 50 (preview subject from receivedAt keywords headers)', `Email/changes after ${FLAG_CHANGES} IMAP flag changes`, `Email/query text "${SEARCH_WORD}"`];
  if (notMail) {
    const none = names.map((name) => ({ name, ms: [], outcome: '', notImplemented: notMail }));
    console.log(label);
    printResults(none);
    return none;
  }
  const acct = jmap.accountId;

  const mb = await jmap.call([['Mailbox/query', { accountId: acct, filter: { role: 'inbox' } }, 'm']]);
  const mbBad = failure(mb);
  const inboxId: string | undefined = mbBad ? undefined : mb.methodResponses![0][1].ids[0];
  const sortDesc = [{ property: 'receivedAt', isAscending: false }];
  const query = (collapseThreads: boolean) => (): [string, Record<string, unknown>, string][] => [['Email/query', { accountId: acct, filter: { inMailbox: inboxId }, sort: sortDesc, limit: 50, collapseThreads, calculateTotal: true }, 'q']];

  let ids: string[] = [];
  for (const collapse of [false, true]) {
    const name = names[collapse ? 1 : 0];
    if (!inboxId) {
      results.push({ name, ms: [], outcome: '', notImplemented: `Mailbox/query for the inbox: ${mbBad!.text}` });
      continue;
    }
    const r = await timeOp(name, SAMPLES, query(collapse), jmap);
    if (r.last) {
      r.outcome = `${r.last.ids.length} ids of ${r.last.total ?? '?'}`;
      if (!collapse) ids = r.last.ids;
    }
    results.push(r);
  }

  const getName = names[2];
  if (ids.length === 0) results.push({ name: getName, ms: [], outcome: '', notImplemented: 'no ids from Email/query' });
  else {
    const r = await timeOp(getName, SAMPLES, () => [['Email/get', { accountId: acct, ids, properties: ['preview', 'subject', 'from', 'receivedAt', 'keywords', 'headers'] }, 'g']], jmap);
    if (r.last) r.outcome = `${r.last.list.length} emails, ${r.last.list.reduce((n: number, e: any) => n + (e.headers?.length ?? 0), 0)} header fields`;
    results.push(r);
  }

  // Email/changes: before each sample, read the state, then change \Flagged on FLAG_CHANGES
  // messages over IMAP, one UID STORE each (alternately set and cleared, so every run changes).
  const imap = new ImapClient(imapPort);
  await imap.login(USER, PASSWORD);
  await imap.run('SELECT INBOX');
  let since = '';
  let round = 0;
  const storeMs: number[] = [];
  const stateOf = async (): Promise<string> => {
    const r = await jmap.call([['Email/get', { accountId: acct, ids: [], properties: ['id'] }, 's']]);
    return failure(r) ? '' : r.methodResponses![0][1].state;
  };
  const changeFlags = async (): Promise<void> => {
    since = await stateOf();
    const sign = round++ % 2 === 0 ? '+' : '-';
    const t = performance.now();
    for (let uid = 1; uid <= FLAG_CHANGES; uid++) await imap.run(`UID STORE ${uid * Math.floor(COUNT / FLAG_CHANGES)} ${sign}FLAGS.SILENT (\\Flagged)`);
    storeMs.push(performance.now() - t);
  };
  const ch = await timeOp(names[3], CHANGE_SAMPLES, () => [['Email/changes', { accountId: acct, sinceState: since }, 'c']], jmap, changeFlags);
  if (ch.last) ch.outcome = `${ch.last.updated.length} updated, ${ch.last.created.length} created; ${FLAG_CHANGES} STOREs p50 ${percentile(storeMs, 50).toFixed(0)} ms`;
  if (ch.notImplemented && !since) ch.notImplemented += '; no state from Email/get either';
  results.push(ch);
  imap.close();

  const s = await timeOp(names[4], FEW, () => [['Email/query', { accountId: acct, filter: { text: SEARCH_WORD }, sort: sortDesc, limit: 50, calculateTotal: true }, 't']], jmap);
  if (s.last) s.outcome = `${s.last.ids.length} ids of ${s.last.total ?? '?'}`;
  results.push(s);

  console.log(label);
  printResults(results);
  return results;
}

const fmt = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));

function printResults(results: OpResult[]): void {
  for (const r of results) {
    const line = r.notImplemented
      ? `not implemented (${r.notImplemented})`
      : r.ms.length === 0
        ? r.outcome
        : `p50 ${fmt(percentile(r.ms, 50)).padStart(7)} ms  p99 ${fmt(percentile(r.ms, 99)).padStart(7)} ms  (n=${r.ms.length})  ${r.outcome}`;
    console.log(`  ${r.name.padEnd(64)} ${line}`);
  }
}

// ---- the servers

async function posthorn(): Promise<OpResult[]> {
  const child = spawn(process.execPath, [import.meta.filename, '--serve', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const { http, imap, fillSeconds } = JSON.parse((await lines.next()).value as string) as { http: number; imap: number; fillSeconds: number };
  try {
    return await timeServer(`Posthorn: ${COUNT} messages in INBOX (filled through the store in ${fillSeconds.toFixed(1)} s)`, `http://127.0.0.1:${http}/.well-known/jmap`, imap);
  } finally {
    const exited = once(child, 'exit');
    child.stdin!.write('stop\n');
    await exited;
  }
}

async function cyrus(): Promise<OpResult[] | null> {
  let peer: typeof import('./peers/cyrus.ts');
  let running: Awaited<ReturnType<typeof peer.startCyrus>> | undefined;
  const parent = mkdtempSync(join(tmpdir(), 'posthorn-bench-jmap-cyrus-'));
  // Cyrus's processes run as the cyrus user and must reach their folder inside this one.
  chmodSync(parent, 0o755);
  try {
    peer = await import('./peers/cyrus.ts');
    // No rolling squatter: it holds the conversations lock while it indexes and slows the
    // appends down; the index is built once, after loading.
    running = await peer.startCyrus({ dir: join(parent, 'cyrus'), users: [{ username: USER, password: PASSWORD }], rollingSquatter: false });
    const stopOnInterrupt = (): void => void running!.stop().then(() => process.exit(130));
    process.once('SIGINT', stopOnInterrupt);
    const t0 = Date.now();
    // Four connections at once: Cyrus appends about twice as fast so (UIDs then interleave,
    // receivedAt order is still message order).
    const LOADERS = 4;
    const per = Math.ceil(COUNT / LOADERS);
    await Promise.all(Array.from({ length: LOADERS }, async (_, k) => {
      const imap = new ImapClient(running!.ports.imap);
      await imap.login(USER, PASSWORD);
      await imapAppendRange(imap, k * per, Math.min(COUNT, (k + 1) * per), 50);
      imap.close();
    }));
    const filled = (Date.now() - t0) / 1000;
    const t1 = Date.now();
    running.indexUser(USER);
    const label = `Cyrus ${running.version} (same run, Xapian search): ${COUNT} messages in INBOX (IMAP MULTIAPPEND in ${filled.toFixed(1)} s, squatter ${((Date.now() - t1) / 1000).toFixed(1)} s)`;
    const result = await timeServer(label, `http://127.0.0.1:${running.ports.http}/.well-known/jmap`, running.ports.imap);
    process.removeListener('SIGINT', stopOnInterrupt);
    return result;
  } catch (e) {
    console.log(`cyrus: not measured: ${(e as Error).message}`);
    return null;
  } finally {
    await running?.stop();
    rmSync(parent, { recursive: true, force: true });
  }
}

function printComparison(p: OpResult[], c: OpResult[]): void {
  console.log(`\nPosthorn vs Cyrus, ${COUNT} messages; ratio = Posthorn p50 / Cyrus p50 (> 1: Posthorn slower)`);
  console.log(`  ${'operation'.padEnd(64)}${'Posthorn p50'.padStart(14)}${'Cyrus p50'.padStart(12)}${'ratio'.padStart(8)}`);
  for (let i = 0; i < p.length; i++) {
    const cell = (r: OpResult) => (r.notImplemented ? 'n/i' : r.ms.length ? fmt(percentile(r.ms, 50)) : 'error');
    const ratio = !p[i].notImplemented && !c[i].notImplemented && p[i].ms.length && c[i].ms.length ? (percentile(p[i].ms, 50) / percentile(c[i].ms, 50)).toFixed(2) : '–';
    console.log(`  ${p[i].name.padEnd(64)}${cell(p[i]).padStart(14)}${cell(c[i]).padStart(12)}${ratio.padStart(8)}`);
  }
  console.log('  (n/i: not implemented)');
}

async function main(): Promise<void> {
  console.log(`jmap bench: ${COUNT} messages; samples: ${SAMPLES} per query and get, ${FEW} per text search, ${CHANGE_SAMPLES} per /changes`);
  const p = ONLY_CYRUS ? null : await posthorn();
  if (!WITH_CYRUS) return;
  const c = await cyrus();
  if (p && c) printComparison(p, c);
}

if (args.includes('--serve')) await serve();
else await main();
