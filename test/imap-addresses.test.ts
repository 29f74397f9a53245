// SEARCH and SORT keys (src/mail/message-keys.ts) and address fields (RFC 9051 §6.4.4, RFC 5256
// §3, RFC 5957 §3) with RFC 5322 §3.4 groups, display names in encoded words and addresses
// without a domain: the keys on their own, then over a raw IMAP session.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { addressListText, firstDisplay, firstMailbox, messageKeys } from '../src/mail/message-keys.ts';
import { parseAddressList, parseMessage, toEnvelopeAddresses } from '../src/wire/mime/index.ts';
import { startImapServer, RawImap, type ImapTestServer } from './helpers/imap.ts';

const envelope = (value: string) => toEnvelopeAddresses(parseAddressList(value));

test('address lists as text: groups keep their names, encoded names are decoded, a missing domain stays missing', () => {
  assert.equal(addressListText(envelope('Team: ann@example.org, "Bo B" <bo@example.org>;, carl@example.net')), 'Team:, ann@example.org, Bo B <bo@example.org>, ;, carl@example.net');
  assert.equal(addressListText(envelope('undisclosed-recipients:;')), 'undisclosed-recipients:, ;');
  assert.equal(addressListText(envelope('=?utf-8?q?J=C3=BCrgen?= <j@example.de>')), 'Jürgen <j@example.de>');
  assert.equal(addressListText(envelope('localonly')), 'localonly');
  assert.equal(addressListText(null), null);
});

test('message keys: casemapped sort keys, lower-cased search texts, null for absent fields', () => {
  const raw = Buffer.from('From: =?utf-8?q?J=C3=BCrgen?= <j@example.de>\r\nTo: Team: ann@example.org;\r\nSubject: Re: [list] Ärger\r\nDate: Tue, 24 Nov 2026 10:00:00 +0100\r\n\r\nbody\r\n');
  const keys = messageKeys(parseMessage(raw).summary);
  assert.equal(keys.sentDate, Date.UTC(2026, 10, 24, 9));
  assert.equal(keys.sortFrom, 'J');
  assert.equal(keys.displayFrom, 'JüRGEN', 'i;ascii-casemap leaves non-ASCII letters alone');
  assert.equal(keys.sortTo, 'TEAM');
  assert.equal(keys.searchSubject, 're: [list] ärger');
  assert.equal(keys.searchFrom, 'jürgen <j@example.de>');
  assert.equal(keys.searchCc, null);
  assert.equal(keys.searchBcc, null);
});

test('sort keys: the first address, or the group that comes first', () => {
  assert.equal(firstMailbox(envelope('Team: ann@example.org;')), 'Team');
  assert.equal(firstMailbox(envelope('Ann <ann@example.org>, bo@example.org')), 'ann');
  assert.equal(firstMailbox(null), '');
  assert.equal(firstDisplay(envelope('=?iso-8859-1?q?Zo=E9?= <z@example.org>')), 'Zoé');
  assert.equal(firstDisplay(envelope('bare@example.org')), 'bare@example.org');
  assert.equal(firstDisplay(envelope('Empty:;')), 'Empty');
  assert.equal(firstDisplay(envelope('Team: Ann <ann@example.org>;')), 'Team');
});

let srv: ImapTestServer;

before(async () => {
  srv = await startImapServer({ POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' });
});

after(async () => {
  await srv.stop();
});

test('SEARCH TO finds group names and empty groups; SORT (CC) and (DISPLAYTO) order by a leading group\'s name', async () => {
  const acc = await srv.addAccount('groups@example.com', 'pw');
  const headers = [
    ['Mia <mia@example.org>', 'kim@example.org'],
    ['Planning: nora@example.org, omar@example.org;', 'Board: lee@example.org;'],
    ['Friends:;', 'adam@example.org'],
    ['=?utf-8?q?=C3=89mile?= <e@example.org>', 'zed@example.org'],
  ];
  for (const [to, cc] of headers) await srv.deliver(acc, `From: x@example.org\r\nTo: ${to}\r\nCc: ${cc}\r\nSubject: s\r\n\r\nbody\r\n`);
  await srv.deliver(acc, 'From: x@example.org\r\nSubject: no recipients\r\n\r\nbody\r\n');
  const c = await RawImap.login(srv.imap, 'groups@example.com', 'pw');
  await c.command('S', 'SELECT INBOX');
  // RFC 9051 §6.4.4: HEADER TO "" matches every message that has a To field, an empty group too.
  assert.equal((await c.command('a', 'SEARCH HEADER TO ""'))[0], '* SEARCH 1 2 3 4');
  assert.equal((await c.command('b', 'SEARCH TO planning'))[0], '* SEARCH 2');
  assert.equal((await c.command('c', 'SEARCH TO friends'))[0], '* SEARCH 3');
  assert.equal((await c.command('d', 'SEARCH TO omar'))[0], '* SEARCH 2');
  assert.equal((await c.command('e', 'SEARCH CC board'))[0], '* SEARCH 2');
  // CC keys: kim, Board, adam, zed, "" (none) → "" < adam < Board < kim < zed (i;ascii-casemap).
  assert.equal((await c.command('f', 'SORT (CC) UTF-8 ALL'))[0], '* SORT 5 3 2 1 4');
  // DISPLAYTO keys: Mia, Planning, Friends, Émile, "" → "" < Friends < Mia < Planning < Émile
  // (casemap leaves non-ASCII as is, and "É" sorts after ASCII letters).
  assert.equal((await c.command('g', 'SORT (DISPLAYTO) UTF-8 ALL'))[0], '* SORT 5 3 1 2 4');
  c.close();
});
