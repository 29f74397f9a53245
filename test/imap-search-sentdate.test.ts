// SEARCH SENTBEFORE/SENTON/SENTSINCE compare the Date: header's day as the sender wrote it
// (RFC 9051 §6.4.4 "disregarding time and timezone"), not that instant's day in UTC. The
// messages straddle midnight in +0200/+0300, as imaptest's search-date group does.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startImapServer, RawImap, type ImapTestServer } from './helpers/imap.ts';
import { dateHeaderOffset } from '../src/imap/search.ts';

let srv: ImapTestServer;

before(async () => {
  srv = await startImapServer({ POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' });
});

after(async () => {
  await srv.stop();
});

const DATES = [
  'Sat, 24 Mar 2007 23:00:00 +0200', // 21:00 UTC on the 24th
  'Sun, 25 Mar 2007 00:00:00 +0200', // 22:00 UTC on the 24th
  'Sun, 25 Mar 2007 01:00:00 +0200 (EET)', // 23:00 UTC on the 24th, trailing comment
  'Sun, 25 Mar 2007 23:00:00 -0300', // 02:00 UTC on the 26th
  'Mon, 26 Mar 2007 00:30:00 EDT', // 04:30 UTC on the 26th (obsolete zone, RFC 5322 §4.3)
];

test('SENT* keys use the Date: header\'s own day, whatever its zone', async () => {
  const account = await srv.addAccount('sent@example.com', 'pw');
  for (const [i, date] of DATES.entries()) {
    await srv.deliver(account, `From: a@example.org\r\nSubject: d${i}\r\nDate: ${date}\r\n\r\nbody\r\n`);
  }
  const c = await RawImap.connect(srv.imap);
  await c.line();
  assert.match((await c.command('L', 'LOGIN sent@example.com pw')).at(-1)!, /^L OK/);
  assert.match((await c.command('S', 'SELECT INBOX')).at(-1)!, /^S OK/);
  const search = async (criteria: string): Promise<string> => {
    const lines = await c.command('Q', `SEARCH ${criteria}`);
    assert.match(lines.at(-1)!, /^Q OK/);
    return lines.find((l) => l.startsWith('* SEARCH'))!;
  };
  assert.equal(await search('SENTON 24-Mar-2007'), '* SEARCH 1');
  assert.equal(await search('SENTON 25-Mar-2007'), '* SEARCH 2 3 4');
  assert.equal(await search('SENTON 26-Mar-2007'), '* SEARCH 5');
  assert.equal(await search('SENTBEFORE 25-Mar-2007'), '* SEARCH 1');
  assert.equal(await search('SENTSINCE 26-Mar-2007'), '* SEARCH 5');
  assert.equal(await search('NOT SENTSINCE 25-Mar-2007'), '* SEARCH 1');
  c.close();
});

test('dateHeaderOffset reads numeric and obsolete zones, ignoring comments', () => {
  assert.equal(dateHeaderOffset('Sun, 25 Mar 2007 04:00:00 +0300'), 180);
  assert.equal(dateHeaderOffset('Sun, 25 Mar 2007 04:00:00 -0930 (somewhere)'), -570);
  assert.equal(dateHeaderOffset('25 Mar 2007 04:00 PST'), -480);
  assert.equal(dateHeaderOffset('25 Mar 2007 04:00 GMT'), 0);
  assert.equal(dateHeaderOffset('25 Mar 2007 04:00'), 0);
  assert.equal(dateHeaderOffset(null), 0);
});
