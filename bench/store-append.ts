// Store append benchmark (CONVENTIONS.md "Benchmarks").
//   node bench/store-append.ts [--count N] [--concurrency C] [--seconds S] [--repeat R] [--sections 1,2,3,4,5]
// Measures on the disk that holds the data (a temp dir on the same device as this checkout):
//   1. raw fsyncs/s: append 4 KB + fsync in a loop
//   2. durable file creates/s: write, fsync, rename, fsync dir (what one blob put costs)
//   3. store appends of 10 KB messages through the ingest path (blob put + appendMessage, every
//      append durable before it resolves), sequential and with C concurrent appenders, with and
//      without group commit. Figures: messages/s and p50/p99 latency.
//   4. appendMessage alone.
//   5. blob puts alone, C concurrent, by size: as files (FileBlobStore: temp file, fsync,
//      rename, fsync dir) and as rows (BlobTable: group commit, one WAL fsync per batch), with
//      fsyncs per put and the main thread's share (blob-tiered.ts quotes these figures).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { openSqliteStore } from '../src/store/sqlite/index.ts';
import { FileBlobStore } from '../src/store/blob-files.ts';
import { TieredBlobStore } from '../src/store/blob-tiered.ts';
import { BlobTable } from '../src/store/blob-table.ts';
import { blobIdOf } from '../src/store/blob-files.ts';
import { InProcessChangeBus } from '../src/store/change-bus.ts';
import { ingestMessage } from '../src/delivery/explicit-target.ts';
import { fakeParse } from '../test/helpers/store-fixtures.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '3' },
    repeat: { type: 'string', default: '3' },
    sections: { type: 'string', default: '1,2,3,4,5' },
  },
});
const COUNT = Number(values.count);
const CONCURRENCY = Number(values.concurrency);
const SECONDS = Number(values.seconds);
const REPEAT = Math.max(1, Number(values.repeat));
const MESSAGE_BYTES = 10 * 1024;
const SECTIONS = new Set(values.sections.split(','));

/** A temp dir on the same device as the repository (where ./data lives by default). */
function benchDir(): string {
  const repo = path.resolve(import.meta.dirname, '..');
  const base = fs.statSync(os.tmpdir()).dev === fs.statSync(repo).dev ? os.tmpdir() : repo;
  return fs.mkdtempSync(path.join(base, 'posthorn-bench-'));
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function report(label: string, latencies: number[], elapsedMs: number, unit: string): void {
  const sorted = [...latencies].sort((a, b) => a - b);
  const rate = (latencies.length / elapsedMs) * 1000;
  console.log(
    `${label.padEnd(44)} ${rate.toFixed(0).padStart(7)} ${unit}/s   p50 ${percentile(sorted, 50).toFixed(2).padStart(7)} ms   p99 ${percentile(sorted, 99).toFixed(2).padStart(7)} ms   (n=${latencies.length})`,
  );
}

function rawFsyncs(dir: string): void {
  const fd = fs.openSync(path.join(dir, 'fsync.dat'), 'a');
  const block = randomBytes(4096);
  const lat: number[] = [];
  const start = performance.now();
  while (performance.now() - start < SECONDS * 1000) {
    const t = performance.now();
    fs.writeSync(fd, block);
    fs.fsyncSync(fd);
    lat.push(performance.now() - t);
  }
  report('1. append 4 KB + fsync', lat, performance.now() - start, 'fsync');
  fs.closeSync(fd);
}

function durableCreates(dir: string): void {
  const target = path.join(dir, 'creates');
  fs.mkdirSync(target);
  const data = randomBytes(MESSAGE_BYTES);
  const lat: number[] = [];
  const start = performance.now();
  for (let i = 0; performance.now() - start < SECONDS * 1000; i++) {
    const t = performance.now();
    const tmp = path.join(target, `.tmp-${i}`);
    const fd = fs.openSync(tmp, 'wx');
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, path.join(target, `f${i}`));
    const dfd = fs.openSync(target, 'r');
    fs.fsyncSync(dfd);
    fs.closeSync(dfd);
    lat.push(performance.now() - t);
  }
  report('2. durable create (write,fsync,rename,fsync dir)', lat, performance.now() - start, 'file');
}

interface RunStats {
  rate: number;
  p50: number;
  p99: number;
  putP50: number;
  appendP50: number;
  busy: number;
}

async function storeAppends(dir: string, concurrency: number, groupCommit: boolean): Promise<RunStats> {
  const sub = fs.mkdtempSync(path.join(dir, 'store-'));
  const store = await openSqliteStore({ path: path.join(sub, 'posthorn.db'), bus: new InProcessChangeBus(), groupCommit });
  const blobs = new TieredBlobStore(path.join(sub, 'blobs'));
  await store.addDomain('bench.example');
  const acc = await store.createAccount({ address: 'bench@bench.example', passwordHash: 'x' });
  const inbox = (await store.getMailbox(acc.id, 'INBOX'))!;
  const messages = Array.from({ length: COUNT }, (_, i) =>
    Buffer.concat([Buffer.from(`Subject: bench ${i}\r\n\r\n`), randomBytes(MESSAGE_BYTES)]),
  );
  const lat: number[] = [];
  const putLat: number[] = [];
  const commitLat: number[] = [];
  // Time the two halves of ingest separately: the blob put (fsyncs on the thread pool) and
  // the append (one SQLite COMMIT with a WAL fsync, on the main thread, shared under group commit).
  const timedBlobs = Object.create(blobs) as TieredBlobStore;
  timedBlobs.put = async (content: Uint8Array) => {
    const t = performance.now();
    const r = await blobs.put(content);
    putLat.push(performance.now() - t);
    return r;
  };
  const timedStore = Object.create(store) as typeof store;
  timedStore.appendMessage = async (...args: Parameters<typeof store.appendMessage>) => {
    const t = performance.now();
    const r = await store.appendMessage(...args);
    commitLat.push(performance.now() - t);
    return r;
  };
  let next = 0;
  const elu0 = performance.eventLoopUtilization();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < messages.length) {
        const raw = messages[next++];
        const t = performance.now();
        await ingestMessage({ store: timedStore, blobs: timedBlobs, parse: fakeParse }, acc.id, inbox.id, raw);
        lat.push(performance.now() - t);
      }
    }),
  );
  const elapsed = performance.now() - start;
  const elu = performance.eventLoopUtilization(elu0);
  const q = await store.quota(acc.id);
  if (q.messageCount !== COUNT) throw new Error(`expected ${COUNT} messages, found ${q.messageCount}`);
  await store.close();
  await blobs.close();
  fs.rmSync(sub, { recursive: true, force: true });
  const p = (xs: number[], q: number) => percentile([...xs].sort((a, b) => a - b), q);
  return {
    rate: (lat.length / elapsed) * 1000, p50: p(lat, 50), p99: p(lat, 99),
    putP50: p(putLat, 50), appendP50: p(commitLat, 50), busy: elu.utilization,
  };
}

/**
 * appendMessage alone (the blob already stored), to separate the database's share: without
 * group commit every append is one COMMIT with a WAL fsync on the main thread.
 */
async function appendOnly(dir: string, concurrency: number, groupCommit: boolean): Promise<number> {
  const sub = fs.mkdtempSync(path.join(dir, 'db-'));
  const store = await openSqliteStore({ path: path.join(sub, 'posthorn.db'), bus: new InProcessChangeBus(), groupCommit });
  await store.addDomain('bench.example');
  const acc = await store.createAccount({ address: 'bench@bench.example', passwordHash: 'x' });
  const inbox = (await store.getMailbox(acc.id, 'INBOX'))!;
  const { summary } = fakeParse(Buffer.from('Subject: bench\r\n\r\n' + 'x'.repeat(MESSAGE_BYTES)));
  const n = COUNT * 3;
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < n) await store.appendMessage(acc.id, inbox.id, { blobId: 'a'.repeat(64), size: MESSAGE_BYTES, summary });
    }),
  );
  const rate = (n / (performance.now() - start)) * 1000;
  await store.close();
  fs.rmSync(sub, { recursive: true, force: true });
  return rate;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs every configuration REPEAT times, interleaved (after one discarded warm-up run), and prints medians. */
async function storeBenchmarks(dir: string): Promise<void> {
  const configs = [1, CONCURRENCY].flatMap((c) => [false, true].map((g) => ({ concurrency: c, groupCommit: g })));
  await storeAppends(dir, CONCURRENCY, true); // warm-up: JIT, page cache, disk
  const runs = configs.map(() => [] as RunStats[]);
  for (let r = 0; r < REPEAT; r++) {
    for (let i = 0; i < configs.length; i++) runs[i].push(await storeAppends(dir, configs[i].concurrency, configs[i].groupCommit));
  }
  console.log(`3. store append, 10 KB messages, ingest path (blob put + appendMessage), median of ${REPEAT} runs:`);
  configs.forEach((c, i) => {
    const m = (f: (s: RunStats) => number) => median(runs[i].map(f));
    console.log(
      `   ${String(c.concurrency).padStart(2)} appender(s), group commit ${c.groupCommit ? 'on ' : 'off'}: ${m((s) => s.rate).toFixed(0).padStart(5)} msg/s` +
        `   p50 ${m((s) => s.p50).toFixed(2).padStart(6)} ms   p99 ${m((s) => s.p99).toFixed(2).padStart(6)} ms` +
        `   (blob put p50 ${m((s) => s.putP50).toFixed(2)} ms, append p50 ${m((s) => s.appendP50).toFixed(2)} ms, main thread busy ${(m((s) => s.busy) * 100).toFixed(0)}%)`,
    );
  });
}

interface PutStats {
  rate: number;
  syncsPerPut: number;
  busy: number;
}

/** C concurrent putters storing COUNT blobs of `size` bytes as files or as table rows. */
async function blobPuts(dir: string, size: number, shape: 'files' | 'table'): Promise<PutStats> {
  const sub = fs.mkdtempSync(path.join(dir, 'blobs-'));
  const files = new FileBlobStore(path.join(sub, 'files'));
  fs.mkdirSync(path.join(sub, 'files'));
  const table = new BlobTable(path.join(sub, 'blobs.db'));
  const count = Math.max(50, Math.min(COUNT, Math.floor((64 * 1024 * 1024) / size)));
  const bodies = Array.from({ length: count }, () => randomBytes(size));
  const put = shape === 'files' ? (b: Buffer) => files.put(b) : (b: Buffer) => table.put(blobIdOf(b), b, Date.now());
  let next = 0;
  const elu0 = performance.eventLoopUtilization();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) await put(bodies[next++]);
    }),
  );
  const elapsed = performance.now() - start;
  const elu = performance.eventLoopUtilization(elu0);
  const syncs = shape === 'files' ? files.stats.fileSyncs + files.stats.dirSyncs : table.stats.walSyncs;
  await table.close();
  fs.rmSync(sub, { recursive: true, force: true });
  return { rate: (count / elapsed) * 1000, syncsPerPut: syncs / count, busy: elu.utilization };
}

async function blobBenchmarks(dir: string): Promise<void> {
  console.log(`5. blob puts only, ${CONCURRENCY} concurrent, median of ${REPEAT} runs (files: temp, fsync, rename, fsync dir; table: one WAL fsync per batch):`);
  for (const size of [10 * 1024, 64 * 1024, 128 * 1024, 256 * 1024, 1024 * 1024]) {
    for (const shape of ['files', 'table'] as const) {
      const runs: PutStats[] = [];
      for (let r = 0; r < REPEAT; r++) runs.push(await blobPuts(dir, size, shape));
      const m = (f: (s: PutStats) => number) => median(runs.map(f));
      console.log(
        `   ${String(size / 1024).padStart(5)} KB as ${shape.padEnd(5)}: ${m((s) => s.rate).toFixed(0).padStart(6)} puts/s   ${m((s) => s.syncsPerPut).toFixed(2)} fsyncs/put   main thread busy ${(m((s) => s.busy) * 100).toFixed(0)}%`,
      );
    }
  }
}

const dir = benchDir();
try {
  console.log(`posthorn store-append benchmark — node ${process.version}, ${os.cpus().length} CPUs, dir ${dir}, ${COUNT} messages per store run`);
  if (SECTIONS.has('1')) rawFsyncs(dir);
  if (SECTIONS.has('2')) durableCreates(dir);
  if (SECTIONS.has('3')) await storeBenchmarks(dir);
  if (SECTIONS.has('4')) console.log(`4. appendMessage only (blob already stored), median of ${REPEAT} runs:`);
  for (const concurrency of SECTIONS.has('4') ? [1, CONCURRENCY] : []) {
    for (const groupCommit of [false, true]) {
      const rates: number[] = [];
      for (let r = 0; r < REPEAT; r++) rates.push(await appendOnly(dir, concurrency, groupCommit));
      console.log(`   ${String(concurrency).padStart(2)} appender(s), group commit ${groupCommit ? 'on ' : 'off'}: ${median(rates).toFixed(0).padStart(6)} appends/s`);
    }
  }
  if (SECTIONS.has('5')) await blobBenchmarks(dir);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
