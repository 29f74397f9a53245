// The mail of bench/jmap.ts, the same bytes for every server, and the small clients it is loaded
// and changed with: a JMAP client over HTTP Basic and an IMAP client that appends (MULTIAPPEND
// with LITERAL+, RFC 3502 / RFC 7888) and stores flags.

import net from 'node:net';

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
/** The word that the text search looks for: in one message of every 1,000. */
export const SEARCH_WORD = 'needle';
const BASE_DATE = Date.UTC(2025, 0, 1);

/**
 * Message i: threads of four (a root and three replies with In-Reply-To and References), 50
 * senders, a body of 0.5–2 KB, the search word in message i % 1000 === 7. Received one minute
 * apart, so receivedAt order is message order on every server.
 */
export function benchMessage(i: number): { raw: Buffer; internalDate: number; seen: boolean } {
  const root = i - (i % 4);
  const id = (n: number) => `<${n}.bench@example.org>`;
  const replyHeaders = i === root ? '' : `In-Reply-To: ${id(i - 1)}\r\nReferences: ${Array.from({ length: i - root }, (_, k) => id(root + k)).join(' ')}\r\n`;
  const date = new Date(BASE_DATE + i * 60_000);
  const raw = Buffer.from(
    `From: Sender ${i % 50} <s${i % 50}@example.org>\r\nTo: big@example.com\r\n` +
      `Subject: ${i === root ? '' : 'Re: '}Report ${WORDS[root % 8]} ${root}\r\n` +
      `Date: ${date.toUTCString()}\r\nMessage-ID: ${id(i)}\r\n${replyHeaders}` +
      `MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n` +
      `${'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(8 + (i % 25))}${WORDS[(i * 3) % 8]}` +
      `${i % 1000 === 7 ? ` ${SEARCH_WORD}` : ''}\r\n`,
  );
  return { raw, internalDate: date.getTime(), seen: i % 3 !== 0 };
}

/** RFC 3501 date-time: "01-Jan-2025 00:00:00 +0000". */
export function imapDate(ms: number): string {
  const d = new Date(ms);
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}-${mon}-${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

export class ImapClient {
  private socket: net.Socket;
  private buf = '';
  private waiter: { tag: string; resolve: (text: string) => void } | null = null;
  private greeted: Promise<void>;
  private n = 0;
  constructor(port: number) {
    this.socket = net.connect({ port, host: '127.0.0.1' });
    this.socket.setEncoding('latin1');
    let greet: () => void;
    this.greeted = new Promise((r) => (greet = r));
    let greeting = true;
    this.socket.on('data', (d: string) => {
      this.buf += d;
      if (greeting) {
        if (!this.buf.includes('\r\n')) return;
        greeting = false;
        this.buf = this.buf.slice(this.buf.indexOf('\r\n') + 2);
        greet();
      }
      const w = this.waiter;
      if (!w) return;
      const i = this.buf.startsWith(`${w.tag} `) ? 0 : this.buf.indexOf(`\r\n${w.tag} `);
      if (i === -1) return;
      const end = this.buf.indexOf('\r\n', i + 2);
      if (end === -1) return;
      const text = this.buf.slice(0, end + 2);
      this.buf = this.buf.slice(end + 2);
      this.waiter = null;
      w.resolve(text);
    });
  }
  /** Sends one command (with any literals already in it); resolves with everything up to its tagged reply. */
  async run(command: string | Buffer): Promise<string> {
    await this.greeted;
    const tag = `b${++this.n}`;
    const text = await new Promise<string>((resolve) => {
      this.waiter = { tag, resolve };
      this.socket.write(Buffer.concat([Buffer.from(`${tag} `), Buffer.isBuffer(command) ? command : Buffer.from(command), Buffer.from('\r\n')]));
    });
    const tagged = text.slice(text.lastIndexOf(`${tag} `));
    if (!tagged.startsWith(`${tag} OK`)) throw new Error(`IMAP ${String(command).slice(0, 60)}: ${tagged.trim()}`);
    return text;
  }
  async login(user: string, password: string): Promise<void> {
    await this.run(`LOGIN "${user}" "${password}"`);
  }
  close(): void {
    this.socket.destroy();
  }
}

/** Messages [from, to) appended to INBOX, `batch` per MULTIAPPEND command. */
export async function imapAppendRange(imap: ImapClient, from: number, to: number, batch = 200): Promise<void> {
  for (let start = from; start < to; start += batch) {
    const parts: Buffer[] = [Buffer.from('APPEND INBOX')];
    for (let i = start; i < Math.min(to, start + batch); i++) {
      const m = benchMessage(i);
      parts.push(Buffer.from(` (${m.seen ? '\\Seen' : ''}) "${imapDate(m.internalDate)}" {${m.raw.length}+}\r\n`), m.raw);
    }
    await imap.run(Buffer.concat(parts));
  }
}

export interface JmapResult { status: number; methodResponses?: [string, any, string][]; body: any }

export class JmapClient {
  apiUrl = '';
  accountId = '';
  capabilities: Record<string, unknown> = {};
  private auth: string;
  private sessionUrl: string;
  constructor(sessionUrl: string, user: string, password: string) {
    this.sessionUrl = sessionUrl;
    this.auth = 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
  }
  async connect(): Promise<void> {
    const res = await fetch(this.sessionUrl, { headers: { authorization: this.auth } });
    if (res.status !== 200) throw new Error(`session ${this.sessionUrl}: HTTP ${res.status}`);
    const s = (await res.json()) as { apiUrl: string; primaryAccounts: Record<string, string>; accounts: Record<string, unknown>; capabilities: Record<string, unknown> };
    // Cyrus gives its URLs as paths: relative to the session resource's own URL.
    this.apiUrl = new URL(s.apiUrl, res.url).href;
    this.accountId = s.primaryAccounts['urn:ietf:params:jmap:mail'] ?? Object.keys(s.accounts)[0];
    this.capabilities = s.capabilities;
  }
  async call(methodCalls: [string, Record<string, unknown>, string][]): Promise<JmapResult> {
    const res = await fetch(this.apiUrl, {
      method: 'POST',
      headers: { authorization: this.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'], methodCalls }),
    });
    const text = await res.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* kept as text for the report */
    }
    return { status: res.status, methodResponses: res.status === 200 ? body.methodResponses : undefined, body };
  }
}
