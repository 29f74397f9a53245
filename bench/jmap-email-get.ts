// Email/get benchmark (CONVENTIONS.md "Benchmarks").
//   node bench/jmap-email-get.ts [--emails 50] [--rounds 200]
// A real server over HTTP; N Emails (multipart/alternative, ~12 KB each) stored through ingest.
// Figures, median and p99 of one Email/get of all N:
//   1. a list view: subject, from, preview, keywords, receivedAt, hasAttachment (summary only);
//   2. the same plus a header:… property (one header-block range read per Email);
//   3. the default properties (RFC 8621 §4.2): body part lists from the summary;
//   4. a reading view: the default properties with fetchHTMLBodyValues (whole blobs).

import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startJmapServer } from '../test/helpers/jmap.ts';
import { appendEmail } from '../test/helpers/jmap-email-fixtures.ts';

const { values } = parseArgs({ options: { emails: { type: 'string', default: '50' }, rounds: { type: 'string', default: '200' } } });
const EMAILS = Number(values.emails);
const ROUNDS = Number(values.rounds);

function message(i: number): string {
  const para = `Paragraph ${i}: ${'lorem ipsum dolor sit amet '.repeat(20)}\r\n`;
  return [
    `From: Sender ${i} <sender${i}@example.org>`,
    'To: alice@example.com',
    `Subject: Message number ${i}`,
    'Date: Wed, 25 Nov 2026 10:00:00 +0000',
    `Message-ID: <m${i}@example.org>`,
    'Content-Type: multipart/alternative; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    para.repeat(10),
    '--b',
    'Content-Type: text/html; charset=utf-8',
    '',
    `<html><body>${`<p>${para}</p>`.repeat(10)}</body></html>`,
    '--b--',
    '',
  ].join('\r\n');
}

const jmap = await startJmapServer();
try {
  const ids: string[] = [];
  for (let i = 0; i < EMAILS; i++) ids.push((await appendEmail(jmap, message(i))).id);
  const run = async (label: string, args: Record<string, unknown>) => {
    const times: number[] = [];
    let bytes = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const t = performance.now();
      const { status, body } = await jmap.post({ using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'], methodCalls: [['Email/get', { accountId: jmap.accountId, ids, ...args }, 'g']] });
      times.push(performance.now() - t);
      if (status !== 200 || body.methodResponses[0][0] !== 'Email/get' || body.methodResponses[0][1].list.length !== EMAILS) throw new Error(`bad answer: ${JSON.stringify(body).slice(0, 300)}`);
      bytes = JSON.stringify(body).length;
    }
    times.sort((a, b) => a - b);
    const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(2);
    console.log(`${label.padEnd(44)} median ${q(0.5)} ms  p99 ${q(0.99)} ms  (${(bytes / 1024).toFixed(0)} KB JSON)`);
  };
  console.log(`Email/get of ${EMAILS} Emails over HTTP, ${ROUNDS} rounds each`);
  const list = ['subject', 'from', 'preview', 'keywords', 'receivedAt', 'hasAttachment'];
  await run('list view (summary only)', { properties: list });
  await run('list view + header:X-Mailer (header reads)', { properties: [...list, 'header:X-Mailer'] });
  await run('default properties', {});
  await run('reading view (defaults + HTML body values)', { fetchHTMLBodyValues: true });
} finally {
  await jmap.stop();
}
