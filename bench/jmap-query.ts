// JMAP Email/query on a large account, over HTTP: N messages in INBOX (threads of four, one
// message of each thread in Sent), then each query below is timed R times; prints p50 and p99
// in ms and the number of ids it returned.
//
//   node_modules/.bin/node bench/jmap-query.ts [--count 100000] [--runs 30] [--data DIR]
//
// --data DIR keeps the filled data directory there (and reuses it when it exists: no fill).
//
// The server runs in this process (its HTTP listener on a loopback port), so the times include
// the HTTP round trip and JSON both ways. Filling goes through the blob store, the parser and
// the store, as a delivery stores mail: every message has its own content (about 1–2 KB of
// text), so text searches read N search texts.

import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/server/config.ts';
import { startServer } from '../src/server/app.ts';
import { silentLogger } from '../src/server/log.ts';
import { hashPassword } from '../src/auth/password.ts';
import { toAccountId, toJmapId } from '../src/jmap/ids.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const COUNT = opt('--count', 100_000);
const RUNS = opt('--runs', 30);
const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
const T0 = Date.UTC(2025, 0, 1);

/** Message i: its own Message-ID and body; threads of four (same subject, replies to the first). */
function message(i: number): Buffer {
  const first = i - (i % 4);
  const t = first / 4;
  const lorem = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(10 + (t % 30));
  return Buffer.from(
    `From: ${WORDS[t % 8]} Sender ${t % 997} <s${t % 997}@example.org>\r\nTo: big@example.com\r\n` +
      `Subject: ${i === first ? '' : 'Re: '}Report ${WORDS[(t >> 3) % 8]} ${t}\r\n` +
      `Date: ${new Date(T0 + i * 60_000 - 30_000).toUTCString()}\r\nMessage-ID: <m${i}@bench>\r\n` +
      (i === first ? '' : `In-Reply-To: <m${first}@bench>\r\n`) +
      `MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n` +
      `${lorem}Ticket ${i}. ${WORDS[(i * 3) % 8]}${i % 1000 === 7 ? ' needle' : ''}\r\n`,
  );
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

async function main(): Promise<void> {
  const dataArg = args.indexOf('--data') >= 0 ? args[args.indexOf('--data') + 1] : null;
  const reuse = dataArg !== null && existsSync(join(dataArg, 'posthorn.db'));
  if (dataArg) mkdirSync(dataArg, { recursive: true });
  const dir = dataArg ?? mkdtempSync(join(tmpdir(), 'posthorn-bench-jmap-query-'));
  // JMAP over plain HTTP on loopback, as the tests use it (no TLS cost in the figures).
  const env: Record<string, string> = {
    POSTHORN_DATA_DIR: dir, POSTHORN_BIND: '127.0.0.1', POSTHORN_HOSTNAME: 'bench.test', POSTHORN_HTTP_PORT: '1', POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true',
  };
  for (const p of ['SMTP', 'SUBMISSION', 'SUBMISSIONS', 'IMAP', 'IMAPS', 'POP3', 'POP3S', 'HTTPS']) env[`POSTHORN_${p}_PORT`] = '0';
  const server = await startServer(loadConfig({ env }), { ephemeralPorts: true, log: silentLogger() });
  try {
    const { store, blobs, parse } = server.deps;
    if (!reuse) {
      await store.addDomain('example.com');
      await store.createAccount({ address: 'big@example.com', passwordHash: await hashPassword('pw') });
    }
    const account = (await store.getAccountByAddress('big@example.com'))!;
    const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
    const sent = (await store.getMailbox(account.id, 'Sent')) ?? (await store.createMailbox(account.id, 'Sent', '\\Sent'));
    const t0 = Date.now();
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < (reuse ? 0 : COUNT); i++) {
      const raw = message(i);
      const flags = i % 3 === 0 ? [] : ['\\Seen'];
      const mailboxId = i % 4 === 1 ? sent.id : inbox.id;
      pending.push(blobs.put(raw).then((blob) => {
        const parsed = parse(raw);
        return store.appendMessage(account.id, mailboxId, { blobId: blob.id, size: blob.size, summary: parsed.summary, searchText: parsed.searchText, flags, internalDate: T0 + i * 60_000 });
      }));
      if (pending.length >= 500) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    const fillSeconds = (Date.now() - t0) / 1000;

    const base = `http://127.0.0.1:${server.ports.http}`;
    const authorization = 'Basic ' + Buffer.from('big@example.com:pw').toString('base64');
    const accountId = toAccountId(account.id);
    const call = async (name: string, a: Record<string, unknown>): Promise<any> => {
      const res = await fetch(`${base}/jmap/api`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'], methodCalls: [[name, { accountId, ...a }, '0']] }),
      });
      const body = (await res.json()) as { methodResponses: [string, any, string][] };
      const [respName, result] = body.methodResponses[0];
      if (respName === 'error') throw new Error(`${name}: ${JSON.stringify(result)}`);
      return result;
    };
    const inMailbox = { inMailbox: toJmapId('mailbox', inbox.id) };
    const newest = [{ property: 'receivedAt', isAscending: false }];
    const middle = (await call('Email/query', { filter: inMailbox, sort: newest, position: Math.floor(COUNT / 3), limit: 1 })).ids[0];
    const queries: [string, string, Record<string, unknown>][] = [
      ['inMailbox, receivedAt desc, 50', 'Email/query', { filter: inMailbox, sort: newest, limit: 50 }],
      ['  + collapseThreads', 'Email/query', { filter: inMailbox, sort: newest, limit: 50, collapseThreads: true }],
      ['  + calculateTotal', 'Email/query', { filter: inMailbox, sort: newest, limit: 50, calculateTotal: true }],
      ['  + collapseThreads + calculateTotal', 'Email/query', { filter: inMailbox, sort: newest, limit: 50, collapseThreads: true, calculateTotal: true }],
      ['  position -50', 'Email/query', { filter: inMailbox, sort: newest, position: -50, limit: 50 }],
      ['  anchor at 1/3, offset -10', 'Email/query', { filter: inMailbox, sort: newest, anchor: middle, anchorOffset: -10, limit: 50 }],
      ['inMailbox + notKeyword $seen, 50', 'Email/query', { filter: { ...inMailbox, notKeyword: '$seen' }, sort: newest, limit: 50 }],
      ['inMailbox, size desc, 50', 'Email/query', { filter: inMailbox, sort: [{ property: 'size', isAscending: false }], limit: 50 }],
      ['inMailbox, subject asc, 50', 'Email/query', { filter: inMailbox, sort: [{ property: 'subject' }], limit: 50 }],
      ['inMailbox, from asc, 50', 'Email/query', { filter: inMailbox, sort: [{ property: 'from' }], limit: 50 }],
      ['whole account, receivedAt desc, 50', 'Email/query', { sort: newest, limit: 50 }],
      ['  + collapseThreads', 'Email/query', { sort: newest, limit: 50, collapseThreads: true }],
      ['text "needle" (1 in 1000), 50', 'Email/query', { filter: { text: 'needle' }, sort: newest, limit: 50 }],
      ['text "bravo" (1 in 8), 50', 'Email/query', { filter: { text: 'bravo' }, sort: newest, limit: 50 }],
      ['inMailbox + subject "golf", 50', 'Email/query', { filter: { ...inMailbox, subject: 'golf' }, sort: newest, limit: 50 }],
      ['inMailbox + body "needle", 50', 'Email/query', { filter: { ...inMailbox, body: 'needle' }, sort: newest, limit: 50 }],
      ['inMailbox + hasAttachment (none), 50', 'Email/query', { filter: { ...inMailbox, hasAttachment: true }, sort: newest, limit: 50 }],
      ['inMailbox, sentAt asc, 50', 'Email/query', { filter: inMailbox, sort: [{ property: 'sentAt' }], limit: 50 }],
    ];
    const state = (await call('Email/query', { filter: inMailbox, sort: newest, limit: 50 })).queryState;
    console.log(`JMAP Email/query on ${(await store.quota(account.id)).messageCount} messages (${reuse ? 'reused' : `filled in ${fillSeconds.toFixed(1)} s`}), ${RUNS} runs each, ms`);
    console.log(`${'query'.padEnd(40)} ${'p50'.padStart(8)} ${'p99'.padStart(8)} ${'ids'.padStart(6)}`);
    const time = async (label: string, name: string, a: Record<string, unknown>) => {
      const times: number[] = [];
      let n = 0;
      await call(name, a); // warm-up
      for (let r = 0; r < RUNS; r++) {
        const s = performance.now();
        const result = await call(name, a);
        times.push(performance.now() - s);
        n = result.ids?.length ?? result.added?.length ?? 0;
      }
      times.sort((x, y) => x - y);
      console.log(`${label.padEnd(40)} ${percentile(times, 50).toFixed(1).padStart(8)} ${percentile(times, 99).toFixed(1).padStart(8)} ${String(n).padStart(6)}`);
    };
    for (const [label, name, a] of queries) await time(label, name, a);
    // One flag change since `state`, then queryChanges of the first query.
    const last = (await store.listMessages(account.id, inbox.id)).at(-1)!;
    await store.setFlags(account.id, inbox.id, [last.uid], 'add', ['$flagged']);
    await time('queryChanges after one flag change', 'Email/queryChanges', { filter: inMailbox, sort: newest, sinceQueryState: state });
    await time('Email/changes after one flag change', 'Email/changes', { sinceState: state });
  } finally {
    await server.stop();
    if (!dataArg) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
