// IMAP dates (RFC 9051 §9 date, date-time) and SASL pieces (RFC 4616 PLAIN, RFC 4959 SASL-IR).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareDates, dayOf, decodeBase64Strict, decodeInitialResponse, decodePlain, formatDate, formatDateTime,
  parseDateTime, parseSaslResponse, parseSearchDate,
} from '../src/wire/imap/index.ts';

describe('SEARCH dates', () => {
  it('accepts date-text with one- or two-digit days, any month case', () => {
    assert.deepEqual(parseSearchDate('1-Feb-1994'), { year: 1994, month: 2, day: 1 });
    assert.deepEqual(parseSearchDate('01-FEB-1994'), { year: 1994, month: 2, day: 1 });
    assert.deepEqual(parseSearchDate('29-feb-2000'), { year: 2000, month: 2, day: 29 });
    assert.deepEqual(parseSearchDate('31-Dec-0099'), { year: 99, month: 12, day: 31 });
  });
  it('rejects everything else', () => {
    for (const bad of ['', '1-Feb-94', '001-Feb-1994', '1-February-1994', '1 Feb 1994', '29-Feb-1900', '31-Apr-2020', '0-Jan-2020',
      '32-Jan-2020', '1-Feb-1994 ', ' 1-Feb-1994', '1-Feb-0000', '1-Fe-1994', '１-Feb-1994']) {
      assert.equal(parseSearchDate(bad), null, bad);
    }
  });
  it('formats, compares and takes the day of an instant in a zone', () => {
    assert.equal(formatDate({ year: 1994, month: 2, day: 1 }), '1-Feb-1994');
    assert.ok(compareDates({ year: 1994, month: 2, day: 1 }, { year: 1994, month: 1, day: 31 }) > 0);
    assert.equal(compareDates({ year: 2000, month: 3, day: 5 }, { year: 2000, month: 3, day: 5 }), 0);
    const ms = Date.UTC(1996, 6, 17, 5, 0, 0);
    assert.deepEqual(dayOf(ms, -420), { year: 1996, month: 7, day: 16 });
    assert.deepEqual(dayOf(ms), { year: 1996, month: 7, day: 17 });
  });
});

describe('date-time (APPEND, INTERNALDATE)', () => {
  it('parses the RFC example and both day spellings', () => {
    assert.deepEqual(parseDateTime('17-Jul-1996 02:44:25 -0700'), { ms: Date.UTC(1996, 6, 17, 9, 44, 25), offsetMinutes: -420 });
    assert.deepEqual(parseDateTime(' 7-Feb-1994 21:52:25 -0800'), { ms: Date.UTC(1994, 1, 8, 5, 52, 25), offsetMinutes: -480 });
    assert.deepEqual(parseDateTime('07-Feb-1994 21:52:25 +0530'), { ms: Date.UTC(1994, 1, 7, 16, 22, 25), offsetMinutes: 330 });
    assert.equal(parseDateTime('01-Jan-0050 00:00:00 +0000')?.ms, new Date('0050-01-01T00:00:00Z').getTime(), 'years below 100 are not 19xx');
  });
  it('rejects malformed date-times', () => {
    for (const bad of ['7-Feb-1994 21:52:25 -0800', '17-Jul-1996 02:44:25', '17-Jul-1996 24:00:00 +0000', '17-Jul-1996 02:60:00 +0000',
      '17-Jul-1996 02:44:61 +0000', '17-Jul-1996 02:44:25 -0760', '17-Jul-1996 02:44:25 PDT', '17-Jul-96 02:44:25 -0700',
      '31-Jun-1996 02:44:25 -0700', '17-Jul-1996  2:44:25 -0700', '17-Jul-1996 02:44:25 -07:00', '"17-Jul-1996 02:44:25 -0700"']) {
      assert.equal(parseDateTime(bad), null, bad);
    }
  });
  it('formats INTERNALDATE with a space-padded day and the zone offset', () => {
    assert.equal(formatDateTime(Date.UTC(1996, 6, 17, 9, 44, 25), -420), '17-Jul-1996 02:44:25 -0700');
    assert.equal(formatDateTime(Date.UTC(1994, 1, 8, 5, 52, 25), -480), ' 7-Feb-1994 21:52:25 -0800');
    assert.equal(formatDateTime(Date.UTC(2024, 11, 31, 23, 59, 59)), '31-Dec-2024 23:59:59 +0000');
    assert.equal(formatDateTime(Date.UTC(2024, 0, 1, 0, 0, 0), 345), ' 1-Jan-2024 05:45:00 +0545');
    const round = parseDateTime(formatDateTime(1_700_000_000_000, 60));
    assert.deepEqual(round, { ms: 1_700_000_000_000, offsetMinutes: 60 });
  });
});

describe('base64 and SASL responses', () => {
  it('decodes canonical base64 only', () => {
    assert.deepEqual(decodeBase64Strict('dGVzdA=='), Buffer.from('test'));
    assert.deepEqual(decodeBase64Strict('dGVzdDE='), Buffer.from('test1'));
    assert.deepEqual(decodeBase64Strict(''), Buffer.alloc(0));
    for (const bad of ['dGVzdA', 'dGVzdA=', 'dGVzdA===', 'dGV zdA==', 'dGVz\ndA==', 'QR==', 'QUI=x', '=', 'dGVzdA==dGVzdA==', 'dGVz_A==', 'dGVz-A==']) {
      assert.equal(decodeBase64Strict(bad), null, bad);
    }
  });
  it('continuation lines: data, empty, cancel, garbage', () => {
    assert.deepEqual(parseSaslResponse(Buffer.from('AGJvYgBzZWNyZXQ=')), { kind: 'data', data: Buffer.from('\0bob\0secret') });
    assert.deepEqual(parseSaslResponse(Buffer.from('')), { kind: 'data', data: Buffer.alloc(0) });
    assert.deepEqual(parseSaslResponse(Buffer.from('=')), { kind: 'data', data: Buffer.alloc(0) });
    assert.deepEqual(parseSaslResponse(Buffer.from('*')), { kind: 'cancel' });
    assert.deepEqual(parseSaslResponse(Buffer.from('not base64!')), { kind: 'bad', text: 'Invalid base64 in SASL response' });
  });
  it('SASL-IR initial response: "=" is empty, "" and garbage are invalid', () => {
    assert.deepEqual(decodeInitialResponse('='), Buffer.alloc(0));
    assert.equal(decodeInitialResponse(''), null);
    assert.equal(decodeInitialResponse('@@'), null);
    assert.deepEqual(decodeInitialResponse('AGEAYg=='), Buffer.from('\0a\0b'));
  });
});

describe('PLAIN (RFC 4616 §2)', () => {
  it('splits authzid, authcid and password', () => {
    assert.deepEqual(decodePlain(Buffer.from('\0tim\0tanstaaftanstaaf')), { authzid: '', authcid: 'tim', password: 'tanstaaftanstaaf' });
    assert.deepEqual(decodePlain(Buffer.from('Ursel\0Kurt\0xipj3plmq')), { authzid: 'Ursel', authcid: 'Kurt', password: 'xipj3plmq' });
    assert.deepEqual(decodePlain(Buffer.from('\0jöran@example.org\0pässword')), { authzid: '', authcid: 'jöran@example.org', password: 'pässword' });
  });
  it('refuses NUL misuse, empty fields, invalid UTF-8 and oversized fields', () => {
    const cases: [Buffer, string][] = [
      [Buffer.from('tim'), 'PLAIN response without NUL separators'],
      [Buffer.from('\0tim'), 'PLAIN response needs two NUL separators'],
      [Buffer.from('\0tim\0pw\0'), 'NUL inside a PLAIN field'],
      [Buffer.from('\0tim\0p\0w'), 'NUL inside a PLAIN field'],
      [Buffer.from('\0\0pw'), 'Empty authentication identity'],
      [Buffer.from('\0tim\0'), 'Empty password'],
      [Buffer.concat([Buffer.from('\0tim\0'), Buffer.from([0xff, 0xfe])]), 'PLAIN field is not UTF-8'],
      [Buffer.from('\0' + 'u'.repeat(256) + '\0pw'), 'PLAIN field too long'],
    ];
    for (const [data, error] of cases) assert.deepEqual(decodePlain(data), { error }, JSON.stringify(data.toString('latin1')));
  });
});
