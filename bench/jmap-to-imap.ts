// JMAP change → IMAP push latency: an IMAP client idles on INBOX (imapflow), a JMAP client
// toggles $flagged on one Email with Email/set, and we time from sending the request to the
// idling session's "* n FETCH (FLAGS …)". Also the other way round as a check: IMAP STORE in a
// second session → the EventSource "state" event. One process (server and clients share the
// event loop, which only adds to the figures).
//
//   node_modules/.bin/node bench/jmap-to-imap.ts [--messages 1000] [--changes 200]

import { performance } from 'node:perf_hooks';
import { startJmapServer } from '../test/helpers/jmap.ts';
import { deliverTo, eventSourceUrl, imapClient, openEventStream } from '../test/helpers/jmap-push.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const MESSAGES = opt('--messages', 1000);
const CHANGES = opt('--changes', 200);

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const fmt = (xs: number[]): string => `p50 ${pct(xs, 50).toFixed(2)} ms  p99 ${pct(xs, 99).toFixed(2)} ms  (n=${xs.length})`;

const jmap = await startJmapServer({ enable: ['imap'] });
try {
  for (let i = 0; i < MESSAGES; i++) await deliverTo(jmap, `message ${i}`);
  const q = await jmap.call([['Email/query', { accountId: jmap.accountId, sort: [{ property: 'receivedAt', isAscending: false }], limit: 1 }, 'q']]);
  const emailId = q[0][1].ids[0] as string;

  // JMAP Email/set → "* n FETCH" at the idling session.
  const idler = await imapClient(jmap);
  await idler.mailboxOpen('INBOX');
  let onFlags: (() => void) | null = null;
  idler.on('flags', () => onFlags?.());
  void idler.idle();
  const toImap: number[] = [];
  for (let i = 0; i < CHANGES; i++) {
    const heard = new Promise<void>((resolve) => (onFlags = resolve));
    const t = performance.now();
    await Promise.all([jmap.call([['Email/set', { accountId: jmap.accountId, update: { [emailId]: { 'keywords/$flagged': i % 2 === 0 ? true : null } } }, 's']]), heard]);
    toImap.push(performance.now() - t);
  }
  await idler.logout();

  // IMAP STORE → EventSource "state".
  const events = await openEventStream(eventSourceUrl(jmap, { types: 'Email' }), jmap.authorization);
  const storer = await imapClient(jmap);
  await storer.mailboxOpen('INBOX');
  const toJmap: number[] = [];
  for (let i = 0; i < CHANGES; i++) {
    const t = performance.now();
    const heard = events.next('state');
    await storer.messageFlagsAdd(String(MESSAGES), [`$k${i}`], { uid: true });
    await heard;
    toJmap.push(performance.now() - t);
  }
  events.close();
  await storer.logout();

  console.log(`jmap-to-imap: ${MESSAGES} messages in INBOX, ${CHANGES} changes each way`);
  console.log(`  JMAP Email/set → * n FETCH at an idling IMAP session   ${fmt(toImap)}`);
  console.log(`  IMAP UID STORE → EventSource state event               ${fmt(toJmap)}`);
} finally {
  await jmap.stop();
}
