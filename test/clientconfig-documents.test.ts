// Thunderbird autoconfig and Outlook autodiscover, served by the real routes
// on a loopback HTTP server. Every document is parsed by Python's XML parser (expat, an
// independent implementation) and checked field by field against the configuration, also after
// ports change and listeners are switched off.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request, type Server } from 'node:http';
import { execFileSync } from 'node:child_process';
import { defaultConfig } from '../src/server/config.ts';
import { silentLogger } from '../src/server/log.ts';
import type { MailStore } from '../src/store/types.ts';
import type { Authenticator } from '../src/auth/authenticator.ts';
import type { HttpContext } from '../src/web/types.ts';
import { serveClientConfig } from './helpers/clientconfig.ts';
import { requirePythonFor } from './helpers/tools.ts';

// ---- harness: the routes behind a tiny dispatcher, a store that knows one domain

const HOSTED = 'example.com';
let server: Server;
let base: string;
let ctx: HttpContext;

/** The bound ports the routes read, as a running server records them; tests change them between requests. */
let ports: Record<string, number>;

/** A running server's view: the configured host name, every listener bound to its default port (the standard ones for clients). */
function reset(): void {
  ctx.hostname = 'mail.example.net';
  ports = { ...defaultConfig().ports, imaps: 993, imap: 143, pop3s: 995, pop3: 110, submissions: 465, submission: 587 };
  ctx.ports = ports;
}

before(async () => {
  const store = { getDomain: async (name: string) => (name === HOSTED ? { id: 1, name, createdAt: 0, dkimSelector: null, dkimPrivateKeyPem: null } : null) };
  const auth = { authenticate: async () => ({ ok: false, reason: 'invalid' }) };
  ctx = { hostname: '', ports: {}, store: store as unknown as MailStore, auth: auth as unknown as Authenticator, log: silentLogger() };
  reset();
  ({ base, server } = await serveClientConfig(ctx));
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

// ---- an independent XML parser: Python's ElementTree, tags as {namespace}local

interface Node { tag: string; attrib: Record<string, string>; text: string; children: Node[] }

const PY_XML = `
import sys, json, xml.etree.ElementTree as ET
def conv(e):
    return {"tag": e.tag, "attrib": e.attrib, "text": (e.text or "").strip(), "children": [conv(c) for c in e]}
print(json.dumps(conv(ET.fromstring(sys.stdin.buffer.read()))))
`;

function parseXml(doc: string): Node {
  return JSON.parse(execFileSync(requirePythonFor(PY_XML), ['-c', PY_XML], { input: doc }).toString()) as Node;
}
const local = (n: Node): string => n.tag.replace(/^\{[^}]*\}/, '');
const kids = (n: Node, name: string): Node[] => n.children.filter((c) => local(c) === name);
function one(n: Node, name: string): Node {
  const found = kids(n, name);
  assert.equal(found.length, 1, `exactly one <${name}> in <${local(n)}>`);
  return found[0];
}
const textOf = (n: Node, name: string): string => one(n, name).text;

function rawGet(path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The services the configuration enables, as [protocol, port, implicit TLS?], best first. */
function expected(config: HttpContext, protocol: 'imap' | 'pop3' | 'smtp'): [number, boolean][] {
  const pairs: Record<string, [number, boolean][]> = {
    imap: [[config.ports.imaps, true], [config.ports.imap, false]],
    pop3: [[config.ports.pop3s, true], [config.ports.pop3, false]],
    smtp: [[config.ports.submissions, true], [config.ports.submission, false]],
  };
  return pairs[protocol].filter(([port]) => port !== 0);
}

// ---- Thunderbird autoconfig

const TB_AUTH = new Set(['password-cleartext', 'plain', 'password-encrypted', 'secure', 'GSSAPI', 'NTLM', 'OAuth2']);

/** Thunderbird's own rules (readFromXML): what makes it accept or reject a server entry. */
function checkThunderbird(doc: string, config: HttpContext): void {
  const root = parseXml(doc);
  assert.equal(root.tag, 'clientConfig');
  assert.equal(root.attrib.version, '1.1');
  const provider = one(root, 'emailProvider');
  assert.equal(provider.attrib.id, HOSTED);
  assert.deepEqual(kids(provider, 'domain').map((d) => d.text), [HOSTED]);
  assert.ok(textOf(provider, 'displayName').length > 0);
  const incoming = kids(provider, 'incomingServer');
  const outgoing = kids(provider, 'outgoingServer');
  for (const s of [...incoming, ...outgoing]) {
    assert.match(textOf(s, 'hostname'), /^[a-z0-9.-]+$/, 'Sanitizer.hostname');
    const port = Number(textOf(s, 'port'));
    assert.ok(Number.isInteger(port) && port >= 1 && port <= 65535, 'port in 1..65535');
    assert.ok(['SSL', 'STARTTLS'].includes(textOf(s, 'socketType')), 'never plain');
    assert.ok(TB_AUTH.has(textOf(s, 'authentication')));
    assert.equal(textOf(s, 'authentication'), 'password-cleartext');
    assert.equal(textOf(s, 'username'), '%EMAILADDRESS%');
    assert.equal(textOf(s, 'hostname'), config.hostname);
  }
  assert.ok(incoming.length > 0 && outgoing.length > 0, 'Thunderbird needs one of each');
  const servers = (list: Node[], type: string): [number, boolean][] =>
    list.filter((s) => s.attrib.type === type).map((s) => [Number(textOf(s, 'port')), textOf(s, 'socketType') === 'SSL']);
  assert.deepEqual(incoming.map((s) => s.attrib.type), [...expected(config, 'imap').map(() => 'imap'), ...expected(config, 'pop3').map(() => 'pop3')], 'IMAP first, then POP3');
  assert.deepEqual(servers(incoming, 'imap'), expected(config, 'imap'));
  assert.deepEqual(servers(incoming, 'pop3'), expected(config, 'pop3'));
  assert.deepEqual(outgoing.map((s) => s.attrib.type), expected(config, 'smtp').map(() => 'smtp'));
  assert.deepEqual(servers(outgoing, 'smtp'), expected(config, 'smtp'));
}

test('autoconfig: both Thunderbird URLs return clientConfig v1.1 matching the configuration', async () => {
  reset();
  for (const path of ['/.well-known/autoconfig/mail/config-v1.1.xml', '/mail/config-v1.1.xml']) {
    const res = await fetch(`${base}${path}?emailaddress=${encodeURIComponent('Alice@Example.COM')}`);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get('content-type')?.split(';')[0], 'application/xml', 'FetchHTTP parses only XML media types');
    const doc = await res.text();
    assert.doesNotMatch(doc, /alice/i, 'the address is never echoed; %EMAILADDRESS% is used');
    checkThunderbird(doc, ctx);
  }
});

test('autoconfig: follows a port change and a disabled listener at once', async () => {
  reset();
  ports.imaps = 10993;
  ports.pop3 = 0;
  ports.submissions = 0;
  ctx.hostname = 'mx2.example.org';
  const doc = await (await fetch(`${base}/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=bob@example.com`)).text();
  checkThunderbird(doc, ctx);
  assert.match(doc, /<port>10993<\/port>/);
  assert.doesNotMatch(doc, /<port>110<\/port>|<port>465<\/port>/);
});

test('autoconfig: no incoming or no outgoing service → 404 (Thunderbird would reject the document)', async () => {
  reset();
  Object.assign(ports, { imaps: 0, imap: 0, pop3s: 0, pop3: 0 });
  assert.equal((await fetch(`${base}/mail/config-v1.1.xml?emailaddress=bob@example.com`)).status, 404);
  reset();
  Object.assign(ports, { submissions: 0, submission: 0 });
  assert.equal((await fetch(`${base}/mail/config-v1.1.xml?emailaddress=bob@example.com`)).status, 404);
});

test('autoconfig: without emailaddress the Host header names the domain', async () => {
  reset();
  const viaSubdomain = await rawGet('/mail/config-v1.1.xml', 'autoconfig.example.com');
  assert.equal(viaSubdomain.status, 200);
  checkThunderbird(viaSubdomain.body, ctx);
  const viaWellKnown = await rawGet('/.well-known/autoconfig/mail/config-v1.1.xml', 'example.com:8080');
  assert.equal(viaWellKnown.status, 200);
  assert.equal((await rawGet('/mail/config-v1.1.xml', 'autoconfig.other.org')).status, 404);
  assert.equal((await rawGet('/mail/config-v1.1.xml', '[::1]:8080')).status, 400);
});

test('autoconfig: unknown domain 404, malformed address 400, injection never echoed, POST 405', async () => {
  reset();
  const url = (a: string): string => `${base}/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=${encodeURIComponent(a)}`;
  assert.equal((await fetch(url('alice@other.org'))).status, 404);
  for (const bad of ['', 'no-at-sign', '@example.com', 'a@', 'a b@example.com', '<script>alert(1)</script>@example.com', 'x@exa<mple.com', 'a"@example.com']) {
    const res = await fetch(url(bad));
    assert.equal(res.status, 400, JSON.stringify(bad));
    const body = await res.text();
    assert.doesNotMatch(body, /<script|exa<mple/);
  }
  // Legal but XML-special characters in the local part: the document stays well-formed.
  const res = await fetch(url("o'b&r{x}@example.com"));
  assert.equal(res.status, 200);
  checkThunderbird(await res.text(), ctx);
  assert.equal((await fetch(url('bob@example.com'), { method: 'POST' })).status, 405);
});

// ---- Outlook autodiscover (POX)

const OUTLOOK_REQUEST = (address: string): string =>
  '<?xml version="1.0" encoding="utf-8"?>\r\n' +
  '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">\r\n' +
  '  <Request>\r\n' +
  `    <EMailAddress>${address}</EMailAddress>\r\n` +
  '    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>\r\n' +
  '  </Request>\r\n' +
  '</Autodiscover>\r\n';

const RESPONSE_NS = '{http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006}';
const OUTLOOK_NS = '{http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a}';

async function autodiscover(body: string | Uint8Array<ArrayBuffer>, path = '/autodiscover/autodiscover.xml'): Promise<{ status: number; type: string | null; root: Node }> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body });
  return { status: res.status, type: res.headers.get('content-type'), root: parseXml(await res.text()) };
}

function errorCode(root: Node): string {
  assert.equal(root.tag, `${RESPONSE_NS}Autodiscover`);
  return textOf(one(one(root, 'Response'), 'Error'), 'ErrorCode');
}

function checkAutodiscover(root: Node, config: HttpContext, address: string): void {
  assert.equal(root.tag, `${RESPONSE_NS}Autodiscover`);
  const response = one(root, 'Response');
  assert.equal(response.tag, `${OUTLOOK_NS}Response`);
  const account = one(response, 'Account');
  assert.equal(textOf(account, 'AccountType'), 'email');
  assert.equal(textOf(account, 'Action'), 'settings');
  const protocols = kids(account, 'Protocol');
  const want = (['imap', 'smtp', 'pop3'] as const).flatMap((p) => expected(config, p).map(([port, tls]) => [p.toUpperCase(), port, tls] as const));
  assert.deepEqual(
    protocols.map((p) => [textOf(p, 'Type'), Number(textOf(p, 'Port')), textOf(p, 'Encryption') === 'SSL']),
    want.map(([t, port, tls]) => [t, port, tls]),
  );
  for (const p of protocols) {
    assert.equal(textOf(p, 'Server'), config.hostname);
    assert.equal(textOf(p, 'LoginName'), address);
    assert.equal(textOf(p, 'SPA'), 'off');
    assert.equal(textOf(p, 'AuthRequired'), 'on');
    const implicit = textOf(p, 'Encryption') === 'SSL';
    assert.equal(textOf(p, 'Encryption'), implicit ? 'SSL' : 'TLS');
    assert.equal(textOf(p, 'SSL'), implicit ? 'on' : 'off');
  }
}

test('autodiscover: an Outlook request gets IMAP, SMTP and POP3 settings from the configuration', async () => {
  reset();
  for (const path of ['/autodiscover/autodiscover.xml', '/Autodiscover/Autodiscover.xml']) {
    const { status, type, root } = await autodiscover(OUTLOOK_REQUEST('Carol@Example.com'), path);
    assert.equal(status, 200);
    assert.equal(type?.split(';')[0], 'application/xml');
    checkAutodiscover(root, ctx, 'carol@example.com');
  }
  ports.imaps = 0;
  ports.submission = 15587;
  ports.pop3s = 0;
  ports.pop3 = 0;
  const changed = await autodiscover(OUTLOOK_REQUEST('carol@example.com'));
  checkAutodiscover(changed.root, ctx, 'carol@example.com');
});

test('autodiscover: XML-special characters in the address are escaped, not echoed raw', async () => {
  reset();
  const { status, root } = await autodiscover(OUTLOOK_REQUEST("o'b&amp;r@example.com"));
  assert.equal(status, 200);
  checkAutodiscover(root, ctx, "o'b&r@example.com");
  const injected = await autodiscover(OUTLOOK_REQUEST('x&lt;/LoginName&gt;&lt;Evil/&gt;@example.com'));
  assert.equal(injected.status, 400);
  assert.equal(errorCode(injected.root), '600');
});

test('autodiscover: malformed XML gets an Error response (600), never a crash', async () => {
  reset();
  const cases = [
    '',
    'not xml at all',
    '<Autodiscover><Request><EMailAddress>a@example.com</EMailAddress></Request>',
    '<Autodiscover><Request><EMailAddress>a@example.com</Request></EMailAddress></Autodiscover>',
    '<Autodiscover><Request><EMailAddress>a@example.com & b</EMailAddress></Request></Autodiscover>',
    '<Autodiscover a="1" a="2"><Request/></Autodiscover>',
    '<Autodiscover><Request/></Autodiscover><Second/>',
    '<x:Autodiscover><Request/></x:Autodiscover>',
    '<Other><Request><EMailAddress>a@example.com</EMailAddress></Request></Other>',
    '<Autodiscover><Request></Request></Autodiscover>',
    '<Autodiscover><Request><EMailAddress><![CDATA[a@example.com]]></EMailAddress></Request></Autodiscover>',
    '<Autodiscover>' + '<a>'.repeat(100) + '</a>'.repeat(100) + '</Autodiscover>',
  ];
  for (const body of cases) {
    const { status, root } = await autodiscover(body);
    assert.equal(status, 400, body.slice(0, 80));
    assert.equal(errorCode(root), '600', body.slice(0, 80));
  }
  const notUtf8 = await autodiscover(new Uint8Array([0x3c, 0x41, 0xff, 0xfe, 0x3e]));
  assert.equal(notUtf8.status, 400);
});

test('autodiscover: DOCTYPE and ENTITY declarations are refused (no XXE, no entity expansion)', async () => {
  reset();
  const xxe =
    '<?xml version="1.0"?>\n<!DOCTYPE Autodiscover [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>\n' +
    OUTLOOK_REQUEST('&xxe;@example.com').replace(/^<\?xml[^>]*>\r\n/, '');
  const laughs = '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>' + OUTLOOK_REQUEST('&lol2;@example.com').replace(/^<\?xml[^>]*>\r\n/, '');
  for (const body of [xxe, laughs, OUTLOOK_REQUEST('&xxe;@example.com')]) {
    const res = await fetch(`${base}/autodiscover/autodiscover.xml`, { method: 'POST', body });
    const text = await res.text();
    assert.equal(res.status, 400);
    assert.doesNotMatch(text, /root:/);
    assert.equal(errorCode(parseXml(text)), '600');
  }
});

test('autodiscover: oversized bodies get 413, declared or streamed', async () => {
  reset();
  const big = OUTLOOK_REQUEST('a@example.com').replace('<Request>', `<Request><!--${'x'.repeat(100 * 1024)}-->`);
  const declared = await fetch(`${base}/autodiscover/autodiscover.xml`, { method: 'POST', body: big });
  assert.equal(declared.status, 413);
  const chunk = new TextEncoder().encode('<!--' + 'y'.repeat(16 * 1024));
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ < 8) controller.enqueue(chunk);
      else controller.close();
    },
  });
  const streamed = await fetch(`${base}/autodiscover/autodiscover.xml`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
  assert.equal(streamed.status, 413);
  assert.equal(errorCode(parseXml(await streamed.text())), '600');
  // Far past the limit: reading stops at once, the answer is still a clean 413.
  const huge = await fetch(`${base}/autodiscover/autodiscover.xml`, { method: 'POST', body: 'z'.repeat(8 * 1024 * 1024) });
  assert.equal(huge.status, 413);
  let flood = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (flood++ < 512) controller.enqueue(chunk);
      else controller.close();
    },
  });
  const cut = await fetch(`${base}/autodiscover/autodiscover.xml`, { method: 'POST', body: endless, duplex: 'half' } as RequestInit);
  assert.equal(cut.status, 413);
});

test('autodiscover: unknown domain 404 (500), invalid address 400, other schema 601, GET 405', async () => {
  reset();
  const unknown = await autodiscover(OUTLOOK_REQUEST('dave@other.org'));
  assert.equal(unknown.status, 404);
  assert.equal(errorCode(unknown.root), '500');
  const invalid = await autodiscover(OUTLOOK_REQUEST('not an address'));
  assert.equal(invalid.status, 400);
  assert.equal(errorCode(invalid.root), '600');
  const mobilesync = await autodiscover(OUTLOOK_REQUEST('a@example.com').replace('outlook/responseschema/2006a', 'mobilesync/responseschema/2006'));
  assert.equal(errorCode(mobilesync.root), '601');
  const get = await fetch(`${base}/autodiscover/autodiscover.xml`);
  assert.equal(get.status, 405);
  assert.equal(get.headers.get('allow'), 'POST');
});
