// IMAP wire layer throughput (DESIGN.md §4): how many client commands per second the reader and
// the grammar turn into typed commands, and how many FETCH responses per second the encoder
// writes. Median of several rounds; no sockets, no store: this is the ceiling the wire layer
// puts on a session.
//
//   node bench/imap-wire.ts [--rounds N] [--seconds S]
//
// Command mix: what a desktop client sends while syncing and reading (UID FETCH of flags with
// CHANGEDSINCE, header fetches, body fetches, STORE, UID SEARCH, a 4 KB APPEND with LITERAL+,
// NOOP, IDLE/DONE is left out because it is one line each way). Input arrives in 16 KB chunks,
// as socket reads do. FETCH responses: a header-list answer (UID FLAGS INTERNALDATE
// RFC822.SIZE ENVELOPE BODYSTRUCTURE of a multipart/alternative with an attachment) and a
// BODY[] answer with a 4 KB literal.
//
// Reference: imapflow's line parser (a dev dependency; the IMAP tokenizer Node clients use) on
// the literal-free lines of the same mix. It only tokenizes — no limits per command, no typed
// grammar — so it is a floor to beat, not a like-for-like.

import { CommandReader, fetchResponse, parseCommand, type FetchResponseItem } from '../src/wire/imap/index.ts';
import type { Envelope, MimePart } from '../src/wire/mime/types.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const ROUNDS = opt('--rounds', 5);
const SECONDS = opt('--seconds', 1);

const message = 'From: a@example.com\r\nTo: b@example.com\r\nSubject: hello\r\n\r\n' + 'lorem ipsum dolor sit amet '.repeat(150) + '\r\n';
const mix = [
  (i: number) => `a${i} UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${1000 + i})\r\n`,
  (i: number) => `a${i} UID FETCH ${i}:${i + 50} (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])\r\n`,
  (i: number) => `a${i} UID FETCH ${i} (UID BODY.PEEK[] BODYSTRUCTURE)\r\n`,
  (i: number) => `a${i} UID STORE ${i},${i + 2}:${i + 4} +FLAGS.SILENT (\\Seen $Forwarded)\r\n`,
  (i: number) => `a${i} UID SEARCH RETURN (ALL) CHARSET UTF-8 OR SUBJECT "invoice ${i}" FROM "billing" SINCE 1-Feb-2024 UNDELETED\r\n`,
  (i: number) => `a${i} APPEND "Sent Items" (\\Seen) "17-Jul-2024 02:44:25 -0700" {${Buffer.byteLength(message)}+}\r\n${message}\r\n`,
  (i: number) => `a${i} NOOP\r\n`,
  (i: number) => `a${i} SELECT "INBOX" (CONDSTORE)\r\n`,
  (i: number) => `a${i} STATUS "Entw&APw-rfe" (MESSAGES UIDNEXT UNSEEN HIGHESTMODSEQ)\r\n`,
  (i: number) => `a${i} UID MOVE ${i}:${i + 3} "Archive/2024"\r\n`,
];
const COMMANDS = 2000;
const transcript = Buffer.from(Array.from({ length: COMMANDS }, (_, i) => mix[i % mix.length](i)).join(''), 'utf8');
const CHUNK = 16 * 1024;

function parseAll(): number {
  const reader = new CommandReader();
  let parsed = 0;
  for (let off = 0; off < transcript.length; off += CHUNK) {
    reader.push(transcript.subarray(off, off + CHUNK));
    for (let ev = reader.next(); ev; ev = reader.next()) {
      if (ev.kind !== 'command') continue;
      const res = parseCommand(ev.command);
      if (!res.ok) throw new Error(`bench command refused: ${res.error.text}`);
      parsed++;
    }
  }
  return parsed;
}

const addr = (name: string | null, mailbox: string, host: string) => ({ name, adl: null, mailbox, host });
const envelope: Envelope = {
  date: 'Wed, 17 Jul 2024 02:23:25 -0700', subject: '=?UTF-8?Q?Quartalsbericht_f=C3=BCr_Q2?=',
  from: [addr('Terry Gray', 'gray', 'example.com')], sender: null, replyTo: null,
  to: [addr(null, 'team', 'example.com'), addr('John Klensin', 'klensin', 'example.org')], cc: [addr('Ops', 'ops', 'example.net')],
  bcc: null, inReplyTo: '<B27397-0100000@example.com>', messageId: '<C38408-0200000@example.com>',
};
const leaf = (p: Partial<MimePart>): MimePart => ({
  section: '1', headerStart: 0, headerEnd: 0, bodyStart: 0, bodyEnd: 0, type: 'text', subtype: 'plain', params: { charset: 'utf-8' },
  id: null, description: null, encoding: 'QUOTED-PRINTABLE', size: 2310, lines: 48, md5: null, disposition: null, language: null,
  location: null, parts: [], message: null, ...p,
});
const structure = leaf({
  type: 'multipart', subtype: 'mixed', params: { boundary: '----=_Part_1234_5678.1700000000000' },
  parts: [
    leaf({ type: 'multipart', subtype: 'alternative', params: { boundary: '----=_Part_alt' }, parts: [leaf({}), leaf({ subtype: 'html', size: 8120, lines: 160 })] }),
    leaf({ type: 'application', subtype: 'pdf', params: { name: 'report-q2.pdf' }, encoding: 'BASE64', size: 182_004, lines: null, disposition: { type: 'attachment', params: { filename: 'report-q2.pdf' } } }),
  ],
});
const headerItems = (i: number): FetchResponseItem[] => [
  { name: 'UID', uid: 40_000 + i },
  { name: 'FLAGS', flags: ['\\Seen', '$Forwarded'] },
  { name: 'INTERNALDATE', ms: 1_721_208_265_000 + i * 1000, offsetMinutes: -420 },
  { name: 'RFC822.SIZE', size: 194_512 },
  { name: 'ENVELOPE', envelope },
  { name: 'BODYSTRUCTURE', part: structure },
];
const body = Buffer.from(message);
const bodyItems = (i: number): FetchResponseItem[] => [{ name: 'UID', uid: 40_000 + i }, { name: 'BODY[]', label: 'BODY[]', data: body }];

function rate(fn: () => number): number {
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let n = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < SECONDS * 1e9) {
      n += fn();
      elapsed = Number(process.hrtime.bigint() - start);
    }
    rates.push(n / (elapsed / 1e9));
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)];
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

parseAll(); // warm up
const commandsPerSecond = rate(parseAll);
console.log(`commands: ${fmt(commandsPerSecond)} commands/s (${(commandsPerSecond * transcript.length / COMMANDS / 1e6).toFixed(1)} MB/s; reader + grammar, 16 KB chunks, ${mix.length}-command mix)`);

let bytesOut = 0;
const headerRound = (): number => {
  for (let i = 0; i < 1000; i++) bytesOut += fetchResponse(i + 1, headerItems(i)).length;
  return 1000;
};
const sample = fetchResponse(1, headerItems(0));
const headerRate = rate(headerRound);
console.log(`FETCH (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE): ${fmt(headerRate)} responses/s (${sample.length} bytes each)`);
const bodyRound = (): number => {
  for (let i = 0; i < 1000; i++) bytesOut += fetchResponse(i + 1, bodyItems(i)).length;
  return 1000;
};
const bodyRate = rate(bodyRound);
console.log(`FETCH (UID BODY[]) with a ${body.length}-byte literal: ${fmt(bodyRate)} responses/s`);
if (bytesOut === 0) throw new Error('nothing encoded');

// Reference on literal-free lines: ours (reader + grammar) against imapflow's tokenizer.
const lines = Array.from({ length: COMMANDS }, (_, i) => mix[i % mix.length](i)).filter((l) => !l.includes('{'));
const linesBuf = Buffer.from(lines.join(''), 'utf8');
const oursOnLines = (): number => {
  const reader = new CommandReader();
  reader.push(linesBuf);
  let n = 0;
  for (let ev = reader.next(); ev; ev = reader.next()) if (ev.kind === 'command' && parseCommand(ev.command).ok) n++;
  return n;
};
let imapflowParser: ((line: Buffer) => Promise<unknown>) | null = null;
try {
  const mod = (await import('imapflow/lib/handler/imap-parser.js')) as { default: (line: Buffer) => Promise<unknown> };
  imapflowParser = mod.default;
} catch {
  console.log('reference: imapflow not installed, skipped');
}
if (imapflowParser) {
  const parseLine = imapflowParser;
  const bare = lines.map((l) => Buffer.from(l.slice(0, -2), 'utf8'));
  const theirs = async (): Promise<number> => {
    for (const line of bare) await parseLine(line);
    return bare.length;
  };
  const theirRates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let n = 0;
    const start = process.hrtime.bigint();
    while (Number(process.hrtime.bigint() - start) < SECONDS * 1e9) n += await theirs();
    theirRates.push(n / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  theirRates.sort((a, b) => a - b);
  const theirRate = theirRates[Math.floor(theirRates.length / 2)];
  const ourRate = rate(oursOnLines);
  console.log(`literal-free lines: Posthorn ${fmt(ourRate)} commands/s (tokenize + typed grammar), imapflow parser ${fmt(theirRate)} lines/s (tokenize only): ×${(ourRate / theirRate).toFixed(1)}`);
}
