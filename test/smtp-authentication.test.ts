// Inbound SPF, DKIM and DMARC verdicts (mailauth) recorded in Authentication-Results (RFC 8601),
// with every DNS answer coming from the test's resolver.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { dkimSign } from 'mailauth';
import { startHarness, RawSmtp, sendRaw, message, codes, type Harness } from './smtp-harness.ts';
import { staticResolver } from '../src/net/dns.ts';

const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
const p = key.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
let h: Harness;

before(async () => {
  h = await startHarness({
    roles: ['smtp'],
    smtp: {
      resolver: staticResolver({
        'good.test': { TXT: [['v=spf1 ip4:127.0.0.1 -all']] },
        'sel._domainkey.good.test': { TXT: [[`v=DKIM1; k=rsa; p=${p}`]] },
        '_dmarc.good.test': { TXT: [['v=DMARC1; p=reject']] },
        'bad.test': { TXT: [['v=spf1 ip4:192.0.2.1 -all']] },
        '_dmarc.bad.test': { TXT: [['v=DMARC1; p=reject']] },
      }),
    },
  });
  await h.addAccount('alice@posthorn.test');
});

after(async () => {
  await h.stop();
});

async function deliver(from: string, raw: string): Promise<string> {
  const c = await RawSmtp.connect(h.ports.smtp);
  await c.reply();
  await c.cmd('EHLO mail.sender.test');
  const r = await sendRaw(c, from, ['alice@posthorn.test'], raw);
  c.end();
  assert.equal(codes(r.data), '250 2.6.0');
  // The Subject field itself, not the "Subject:" inside a DKIM-Signature's h= list.
  const subject = /^Subject: (.*)$/m.exec(raw)![1];
  const got = (await h.inbox('alice@posthorn.test')).find((m) => m.includes(`Subject: ${subject}\r\n`));
  assert.ok(got);
  return got.slice(0, got.indexOf('\r\nReceived: '));
}

test('aligned SPF and DKIM pass: spf=pass, dkim=pass, dmarc=pass', async () => {
  const raw = message({ from: 'news@good.test', subject: 'signed and allowed' });
  const signed = await dkimSign(raw, { signatureData: [{ signingDomain: 'good.test', selector: 'sel', privateKey: key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string }] } as never);
  const results = await deliver('news@good.test', signed.signatures + raw);
  assert.match(results, /Authentication-Results: mx\.posthorn\.test;/);
  assert.match(results, /dkim=pass header\.i=@good\.test header\.s=sel/);
  assert.match(results, /spf=pass \(mx\.posthorn\.test: domain of news@good\.test designates 127\.0\.0\.1 as permitted sender\) smtp\.mailfrom=news@good\.test/);
  assert.match(results, /dmarc=pass \(p=REJECT/);
});

test('a sender whose SPF excludes us, unsigned, with DMARC p=reject: spf=fail, dkim=none, dmarc=fail (recorded, not refused)', async () => {
  const results = await deliver('ceo@bad.test', message({ from: 'ceo@bad.test', subject: 'spoofed' }));
  assert.match(results, /spf=fail/);
  assert.match(results, /dkim=none/);
  assert.match(results, /dmarc=fail \(p=REJECT/);
});

test('a signature broken in transit is not a pass: mailauth reports dkim=neutral (body hash did not verify)', async () => {
  const raw = message({ from: 'news@good.test', subject: 'tampered', body: 'original body' });
  const signed = await dkimSign(raw, { signatureData: [{ signingDomain: 'good.test', selector: 'sel', privateKey: key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string }] } as never);
  const results = await deliver('news@good.test', signed.signatures + raw.replace('original body', 'changed body'));
  assert.match(results, /dkim=neutral \(body hash did not verify\)/);
  assert.match(results, /dmarc=pass/, 'SPF still aligns');
});
