// DNS records for `posthorn domain dns`: every record checked against the configuration, and the
// zone-file text read back with a small RFC 1035 §5.1 tokenizer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { defaultConfig, type Config } from '../src/server/config.ts';
import { dnsRecords, formatDnsRecords, type DnsRecord } from '../src/admin/dns-records.ts';

function config(): Config {
  const c = defaultConfig();
  c.hostname = 'mail.example.net';
  c.ports = { smtp: 25, submission: 587, submissions: 465, imap: 143, imaps: 993, pop3: 110, pop3s: 995, http: 8080, https: 8443 };
  return c;
}

const dkimKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

function only(records: DnsRecord[], name: string, type: DnsRecord['type']): DnsRecord {
  const found = records.filter((r) => r.name === name && r.type === type);
  assert.equal(found.length, 1, `one ${type} at ${name}`);
  return found[0];
}

test('dns: MX, SPF, DKIM and DMARC for the domain', () => {
  const records = dnsRecords('Example.COM', config(), { selector: 'ph202611', publicKeyBase64: dkimKey });
  assert.equal(only(records, 'example.com.', 'MX').value, '10 mail.example.net.');
  assert.equal(only(records, 'example.com.', 'TXT').value, 'v=spf1 mx -all');
  assert.equal(only(records, 'ph202611._domainkey.example.com.', 'TXT').value, `v=DKIM1; k=rsa; p=${dkimKey}`);
  assert.equal(only(records, '_dmarc.example.com.', 'TXT').value, 'v=DMARC1; p=quarantine; rua=mailto:postmaster@example.com');
  for (const r of records) {
    assert.ok(r.name.endsWith('.'), r.name);
    assert.ok(r.comment.length > 0);
    assert.equal(r.ttl, 3600);
  }
  assert.equal(dnsRecords('example.com', config()).filter((r) => r.name.includes('_domainkey')).length, 0, 'no DKIM record without a key');
  assert.equal(only(dnsRecords('example.com', config(), { selector: 's', publicKeyBase64: 'AAAA', keyType: 'ed25519' }), 's._domainkey.example.com.', 'TXT').value, 'v=DKIM1; k=ed25519; p=AAAA');
  assert.throws(() => dnsRecords('not a domain', config()), /not a valid domain/);
});

test('dns: RFC 6186 SRV records follow the configuration, implicit TLS preferred, disabled ones "."', () => {
  const c = config();
  c.ports.pop3 = 0;
  c.ports.imaps = 10993;
  const records = dnsRecords('example.com', c);
  const srv = records.filter((r) => r.type === 'SRV' && !r.name.startsWith('_autodiscover'));
  assert.deepEqual(
    srv.map((r) => r.name),
    ['_submissions', '_submission', '_imaps', '_imap', '_pop3s', '_pop3'].map((s) => `${s}._tcp.example.com.`),
  );
  const parsed = Object.fromEntries(srv.map((r) => [r.name.split('.')[0].slice(1), r.value.split(' ')]));
  assert.deepEqual(parsed.submissions.slice(2), ['465', 'mail.example.net.']);
  assert.deepEqual(parsed.submission.slice(2), ['587', 'mail.example.net.']);
  assert.deepEqual(parsed.imaps.slice(2), ['10993', 'mail.example.net.']);
  assert.deepEqual(parsed.imap.slice(2), ['143', 'mail.example.net.']);
  assert.deepEqual(parsed.pop3s.slice(2), ['995', 'mail.example.net.']);
  assert.deepEqual(parsed.pop3, ['0', '0', '0', '.'], 'RFC 6186 §4: not supported');
  const prio = (s: string): number => Number(parsed[s][0]);
  assert.ok(prio('submissions') < prio('submission'), 'RFC 8314 §3: implicit TLS preferred');
  assert.ok(prio('imaps') < prio('imap') && prio('imap') < prio('pop3s'));
});

test('dns: autoconfig and autodiscover names only while the HTTP listener runs', () => {
  const records = dnsRecords('example.com', config());
  assert.equal(only(records, 'autoconfig.example.com.', 'CNAME').value, 'mail.example.net.');
  assert.equal(only(records, 'autodiscover.example.com.', 'CNAME').value, 'mail.example.net.');
  assert.equal(only(records, '_autodiscover._tcp.example.com.', 'SRV').value, '0 1 443 mail.example.net.');
  const c = config();
  c.ports.http = 0;
  assert.equal(dnsRecords('example.com', c).filter((r) => /autoconfig|autodiscover/.test(r.name)).length, 0);
  // A host named autoconfig.DOMAIN itself gets no CNAME pointing at itself.
  c.ports.http = 8080;
  c.hostname = 'autoconfig.example.com';
  assert.equal(dnsRecords('example.com', c).filter((r) => r.name === 'autoconfig.example.com.').length, 0);
});

test('dns: the MX comment warns when inbound SMTP is not on port 25 or is disabled', () => {
  const c = config();
  c.ports.smtp = 2525;
  assert.match(only(dnsRecords('example.com', c), 'example.com.', 'MX').comment, /port 25.*2525/);
  c.ports.smtp = 0;
  assert.match(only(dnsRecords('example.com', c), 'example.com.', 'MX').comment, /disabled/);
  c.hostname = 'localhost';
  assert.match(only(dnsRecords('example.com', c), 'example.com.', 'MX').comment, /not a fully qualified/);
});

/** RFC 1035 §5.1 tokens: bare words and quoted strings with \X and \DDD escapes. */
function tokens(line: string): { text: string; quoted: boolean; bytes: number }[] {
  const out: { text: string; quoted: boolean; bytes: number }[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const m of line.matchAll(re)) {
    if (m[2] !== undefined) {
      out.push({ text: m[2], quoted: false, bytes: m[2].length });
      continue;
    }
    const bytes: number[] = [];
    const raw = m[1];
    for (let i = 0; i < raw.length; i++) {
      if (raw[i] !== '\\') bytes.push(raw.charCodeAt(i));
      else if (/^\d{3}$/.test(raw.slice(i + 1, i + 4))) {
        bytes.push(Number(raw.slice(i + 1, i + 4)));
        i += 3;
      } else bytes.push(raw.charCodeAt(++i));
    }
    out.push({ text: Buffer.from(bytes).toString('utf8'), quoted: true, bytes: bytes.length });
  }
  return out;
}

test('dns: zone-file text reads back to the same records; TXT split into ≤255-byte strings', () => {
  const records = dnsRecords('example.com', config(), { selector: 'ph202611', publicKeyBase64: dkimKey });
  records.push({ name: 'odd.example.com.', type: 'TXT', value: 'say "hi" \\ bye é', ttl: 60, comment: 'two\nlines' });
  const text = formatDnsRecords(records);
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const data = lines.filter((l) => !l.startsWith(';'));
  assert.equal(data.length, records.length);
  assert.ok(lines.some((l) => l === '; lines'), 'multi-line comments stay comments');
  data.forEach((line, i) => {
    const r = records[i];
    const [name, ttl, cls, type, ...rest] = tokens(line);
    assert.equal(name.text, r.name);
    assert.equal(Number(ttl.text), r.ttl);
    assert.equal(cls.text, 'IN');
    assert.equal(type.text, r.type);
    if (r.type === 'TXT') {
      assert.ok(rest.every((t) => t.quoted && t.bytes <= 255), line.slice(0, 60));
      assert.equal(rest.map((t) => t.text).join(''), r.value);
    } else {
      assert.equal(rest.map((t) => t.text).join(' '), r.value);
    }
  });
  const dkimLine = data.find((l) => l.startsWith('ph202611._domainkey'))!;
  assert.ok(tokens(dkimLine).length >= 6, 'a 2048-bit key needs more than one string');
});
