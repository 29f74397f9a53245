// MIME parse-once throughput (DESIGN.md §3): parses generated messages many times and prints
// messages/s and MB/s per shape, median of several rounds. When python3 is on this machine the
// same messages go through Python's email package (BytesParser + walk over the parts) as a
// reference point; that parser does less (no envelope, preview, search text, offsets).
//
//   node bench/mime-parse.ts [--rounds N] [--seconds S]
import { Buffer } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMessage } from '../src/wire/mime/index.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const ROUNDS = opt('--rounds', 5);
const SECONDS = opt('--seconds', 1);

// Deterministic pseudo-random bytes so every run parses the same messages.
function bytes(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

const base64Lines = (b: Buffer): string => b.toString('base64').replace(/.{76}/g, '$&\r\n');

const HEADER = [
  'Return-Path: <alice@example.org>',
  'Received: from mx.example.org (mx.example.org [192.0.2.1])',
  '\tby mail.example.com with ESMTPS id 4Xyz123; Tue, 01 Jul 2025 10:52:40 +0200',
  `DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=sel; h=from:to:subject:date;`,
  ` bh=${'A'.repeat(44)};`,
  ` b=${'B'.repeat(172)}`,
  'From: "Alice Example" <alice@example.org>',
  'To: Bob <bob@example.com>, "Carol, C." <carol@example.net>',
  'Cc: dave@example.com',
  'Subject: =?UTF-8?Q?Re:_Quarterly_r=C3=A9sum=C3=A9?=',
  'Date: Tue, 01 Jul 2025 10:52:37 +0200',
  'Message-ID: <1234.5678@example.org>',
  'In-Reply-To: <aaa@example.com>',
  'References: <zzz@example.com> <aaa@example.com>',
  'MIME-Version: 1.0',
].join('\r\n');

const prose = (n: number): string => {
  let s = '';
  while (s.length < n) s += 'The quick brown fox jumps over the lazy dog, again and again and again.\r\n';
  return s.slice(0, n);
};

function text10k(): Buffer {
  const head = `${HEADER}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n`;
  return Buffer.from(head + prose(10 * 1024 - head.length));
}

function multipartWithAttachments(): Buffer {
  const plain = prose(4000);
  return Buffer.from(
    `${HEADER}\r\nContent-Type: multipart/mixed; boundary="mixed"\r\n\r\n` +
      `--mixed\r\nContent-Type: multipart/alternative; boundary="alt"\r\n\r\n` +
      `--alt\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${plain}\r\n` +
      `--alt\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<html><body><p>${plain.replace(/\r\n/g, '<br>\r\n')}</p></body></html>\r\n` +
      `--alt--\r\n` +
      `--mixed\r\nContent-Type: application/pdf; name="report.pdf"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf\r\n\r\n${base64Lines(bytes(60_000, 1))}\r\n` +
      `--mixed\r\nContent-Type: image/jpeg; name="photo.jpg"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="photo.jpg"\r\n\r\n${base64Lines(bytes(120_000, 2))}\r\n` +
      `--mixed--\r\n`,
  );
}

function bigAttachment(): Buffer {
  return Buffer.from(
    `${HEADER}\r\nContent-Type: multipart/mixed; boundary="mixed"\r\n\r\n` +
      `--mixed\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee attachment.\r\n` +
      `--mixed\r\nContent-Type: application/zip; name="archive.zip"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="archive.zip"\r\n\r\n${base64Lines(bytes(3_750_000, 3))}\r\n` +
      `--mixed--\r\n`,
  );
}

const shapes: [string, Buffer][] = [
  ['10 KB text/plain', text10k()],
  ['multipart + 2 attachments', multipartWithAttachments()],
  ['5 MB base64 attachment', bigAttachment()],
];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

console.log(`MIME parse benchmark: Node ${process.version}, ${ROUNDS} rounds × ${SECONDS}s per shape, medians`);
const results: { name: string; size: number; perSec: number }[] = [];
for (const [name, raw] of shapes) {
  // Warm up the JIT, then measure whole rounds of ~SECONDS each.
  for (let i = 0; i < 200; i++) parseMessage(raw);
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let n = 0;
    const start = performance.now();
    let now = start;
    while (now - start < SECONDS * 1000) {
      for (let k = 0; k < 10; k++) parseMessage(raw);
      n += 10;
      now = performance.now();
    }
    rates.push((n * 1000) / (now - start));
  }
  const perSec = median(rates);
  results.push({ name, size: raw.length, perSec });
  console.log(
    `${name.padEnd(28)} ${(raw.length / 1024).toFixed(1).padStart(8)} KiB  ` +
      `${perSec.toFixed(0).padStart(8)} msg/s  ${((perSec * raw.length) / 1e6).toFixed(1).padStart(8)} MB/s  ` +
      `${(1000 / perSec).toFixed(3).padStart(8)} ms/msg`,
  );
}

const mem = process.memoryUsage();
console.log(`memory: rss ${(mem.rss / 1e6).toFixed(0)} MB, heap used ${(mem.heapUsed / 1e6).toFixed(0)} MB`);

// Reference: Python's email package on the same bytes, same timing method.
const py = spawnSync('python3', ['--version'], { encoding: 'utf8' });
if (py.status === 0) {
  const dir = mkdtempSync(join(tmpdir(), 'posthorn-mime-bench-'));
  try {
    const files = shapes.map(([, raw], i) => {
      const f = join(dir, `${i}.eml`);
      writeFileSync(f, raw);
      return f;
    });
    const script = `
import sys, time, email, email.policy, statistics
from email.parser import BytesParser
rounds, seconds = int(sys.argv[1]), float(sys.argv[2])
p = BytesParser(policy=email.policy.compat32)
for f in sys.argv[3:]:
    raw = open(f, 'rb').read()
    rates = []
    for _ in range(rounds):
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            m = p.parsebytes(raw)
            for part in m.walk(): part.get_content_type()
            n += 1
        rates.append(n / (time.perf_counter() - t0))
    print(statistics.median(rates))
`;
    const out = spawnSync('python3', ['-c', script, String(ROUNDS), String(SECONDS), ...files], { encoding: 'utf8' });
    if (out.status === 0) {
      const rates = out.stdout.trim().split('\n').map(Number);
      console.log(`reference: ${py.stdout.trim()} email.parser (compat32) parse + walk`);
      results.forEach((r, i) => {
        console.log(`${r.name.padEnd(28)} ${rates[i].toFixed(0).padStart(8)} msg/s  Posthorn/Python ${(r.perSec / rates[i]).toFixed(1)}×`);
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
