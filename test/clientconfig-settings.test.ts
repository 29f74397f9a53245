// The help-desk settings page (HTML) and its JSON form, served by the real routes on a loopback
// HTTP server: every row checked against the configuration (HTML read back with Python's
// html.parser), input validated and escaped.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { execFileSync } from 'node:child_process';
import { defaultConfig } from '../src/server/config.ts';
import { silentLogger } from '../src/server/log.ts';
import type { MailStore } from '../src/store/types.ts';
import type { Authenticator } from '../src/auth/authenticator.ts';
import type { HttpContext } from '../src/web/types.ts';
import { serveClientConfig } from './helpers/clientconfig.ts';
import { requirePythonFor } from './helpers/tools.ts';

let server: Server;
let base: string;
let ctx: HttpContext;

/** The bound ports the routes read, as a running server records them; tests change them between requests. */
let ports: Record<string, number>;

/** A running server's view: the configured host name, every listener bound to its default port. */
function reset(): void {
  ctx.hostname = 'mail.example.net';
  ports = { ...defaultConfig().ports };
  ctx.ports = ports;
}

before(async () => {
  const store = { getDomain: async (name: string) => (name === 'example.com' ? { id: 1, name, createdAt: 0, dkimSelector: null, dkimPrivateKeyPem: null } : null) };
  const auth = { authenticate: async () => ({ ok: false, reason: 'invalid' }) };
  ctx = { hostname: '', ports: {}, store: store as unknown as MailStore, auth: auth as unknown as Authenticator, log: silentLogger() };
  reset();
  ({ base, server } = await serveClientConfig(ctx));
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Enabled services of one protocol as [port, implicit TLS?], best first. */
function expected(config: HttpContext, protocol: 'imap' | 'pop3' | 'smtp'): [number, boolean][] {
  const pairs: Record<string, [number, boolean][]> = {
    imap: [[config.ports.imaps, true], [config.ports.imap, false]],
    pop3: [[config.ports.pop3s, true], [config.ports.pop3, false]],
    smtp: [[config.ports.submissions, true], [config.ports.submission, false]],
  };
  return pairs[protocol].filter(([port]) => port !== 0);
}

test('settings.json lists every enabled service from the live configuration', async () => {
  reset();
  ports.pop3 = 0;
  ports.imaps = 20993;
  const res = await fetch(`${base}/settings.json`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type')?.split(';')[0], 'application/json');
  const doc = (await res.json()) as { hostname: string; services: { protocol: string; host: string; port: number; security: string; authentication: string; username: string }[] };
  assert.equal(doc.hostname, ctx.hostname);
  const want = (['imap', 'pop3', 'smtp'] as const).flatMap((p) => expected(ctx, p).map(([port, tls]) => [p, port, tls ? 'SSL/TLS' : 'STARTTLS']));
  assert.deepEqual(doc.services.map((s) => [s.protocol, s.port, s.security]), want);
  for (const s of doc.services) {
    assert.equal(s.host, ctx.hostname);
    assert.equal(s.username, 'your full email address');
  }
  const personal = (await (await fetch(`${base}/settings.json?emailaddress=Eve@example.com`)).json()) as typeof doc;
  assert.ok(personal.services.every((s) => s.username === 'eve@example.com'));
});

const PY_TABLES = `
import sys, json
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.rows = []; self.cell = None; self.h2 = []; self.inh2 = False
    def handle_starttag(self, tag, a):
        if tag == 'tr': self.rows.append([])
        if tag == 'td': self.cell = ''
        if tag == 'h2': self.inh2 = True; self.h2.append('')
    def handle_endtag(self, tag):
        if tag == 'td': self.rows[-1].append(self.cell); self.cell = None
        if tag == 'h2': self.inh2 = False
    def handle_data(self, d):
        if self.cell is not None: self.cell += d
        if self.inh2: self.h2[-1] += d
p = P(); p.feed(sys.stdin.read()); p.close()
print(json.dumps({"rows": [r for r in p.rows if r], "h2": p.h2}))
`;

test('settings page: HTML for people, matching the configuration, everything escaped', async () => {
  reset();
  ports.submissions = 0;
  const res = await fetch(`${base}/settings?emailaddress=${encodeURIComponent("o'b&r@example.com")}`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type')?.split(';')[0], 'text/html');
  assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  const html = await res.text();
  assert.doesNotMatch(html, /o'b&r/, 'raw input never appears');
  assert.match(html, /o&apos;b&amp;r@example\.com/);
  const { rows, h2 } = JSON.parse(execFileSync(requirePythonFor(PY_TABLES), ['-c', PY_TABLES], { input: html }).toString()) as { rows: string[][]; h2: string[] };
  assert.deepEqual(h2, ['IMAP (incoming mail)', 'POP3 (incoming mail)', 'SMTP submission (outgoing mail)']);
  const want = (['imap', 'pop3', 'smtp'] as const).flatMap((p) => expected(ctx, p).map(([port, tls]) => [ctx.hostname, String(port), tls ? 'SSL/TLS' : 'STARTTLS', "o'b&r@example.com"]));
  assert.deepEqual(rows.map((r) => [r[1], r[2], r[3], r[5]]), want);

  for (const bad of ['<script>alert(1)</script>@example.com', '"><img src=x onerror=alert(1)>@example.com']) {
    const r = await fetch(`${base}/settings?emailaddress=${encodeURIComponent(bad)}`);
    assert.equal(r.status, 400);
    assert.doesNotMatch(await r.text(), /<script|<img/);
  }
  assert.equal((await fetch(`${base}/settings?emailaddress=eve@other.org`)).status, 404);
  assert.equal((await fetch(`${base}/settings`, { method: 'DELETE' })).status, 405);
  const head = await fetch(`${base}/settings.json`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
});
