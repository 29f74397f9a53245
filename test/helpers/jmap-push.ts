// Push clients for the JMAP push suites and the benchmark: an EventSource reader over fetch's
// body stream (text/event-stream parsed here, W3C HTML "server-sent events" rules), and helpers
// to make a change through IMAP or the store.

import { ImapFlow } from 'imapflow';
import WebSocket from 'ws';
import type { JmapTestServer } from './jmap.ts';
import { ingestMessage } from '../../src/delivery/explicit-target.ts';

export interface ServerSentEvent {
  event: string;
  data: string;
  id: string | null;
}

export interface EventStreamClient {
  status: number;
  headers: Headers;
  /** The next event (of this name, if given); rejects when the stream ends first. */
  next(name?: string): Promise<ServerSentEvent>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

export async function openEventStream(url: string, authorization: string | null, headers: Record<string, string> = {}): Promise<EventStreamClient> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...(authorization ? { authorization } : {}), ...headers }, signal: abort.signal });
  const queue: ServerSentEvent[] = [];
  const waiters: { name?: string; resolve: (e: ServerSentEvent) => void; reject: (e: Error) => void }[] = [];
  let done = false;
  const deliver = (): void => {
    for (let i = 0; i < waiters.length; ) {
      const w = waiters[i];
      const at = queue.findIndex((e) => w.name === undefined || e.event === w.name);
      if (at >= 0) {
        const [e] = queue.splice(0, at + 1).slice(-1);
        waiters.splice(i, 1);
        w.resolve(e);
      } else if (done) {
        waiters.splice(i, 1);
        w.reject(new Error('the event stream ended'));
      } else i++;
    }
  };
  const ended = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buf = '';
    let event = { event: '', data: [] as string[], id: null as string | null };
    try {
      for await (const chunk of res.body) {
        buf += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buf.search(/\r\n|\n|\r/)) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + (buf.startsWith('\r\n', nl) ? 2 : 1));
          if (line === '') {
            if (event.data.length) queue.push({ event: event.event || 'message', data: event.data.join('\n'), id: event.id });
            event = { event: '', data: [], id: null };
            deliver();
            continue;
          }
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') event.event = value;
          else if (field === 'data') event.data.push(value);
          else if (field === 'id') event.id = value;
        }
      }
    } catch {
      // Aborted by close(), or the connection dropped: the stream has ended either way.
    } finally {
      done = true;
      deliver();
    }
  })();
  return {
    status: res.status,
    headers: res.headers,
    next: (name) => new Promise((resolve, reject) => {
      waiters.push({ name, resolve, reject });
      deliver();
    }),
    ended,
    close: () => abort.abort(),
  };
}

export function eventSourceUrl(srv: JmapTestServer, query: { types?: string; closeafter?: string; ping?: number | string }): string {
  const p = new URLSearchParams({ types: query.types ?? '*', closeafter: query.closeafter ?? 'no', ping: String(query.ping ?? 0) });
  return `${srv.base}/jmap/eventsource?${p}`;
}

export async function imapClient(srv: JmapTestServer): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: '127.0.0.1', port: srv.server.ports.imap!, secure: false,
    auth: { user: srv.address, pass: srv.password }, tls: { rejectUnauthorized: false }, logger: false,
  });
  await client.connect();
  return client;
}

export async function deliverTo(srv: JmapTestServer, subject: string): Promise<{ modseq: number }> {
  const deps = srv.server.deps;
  const account = (await deps.store.getAccountByAddress(srv.address))!;
  const inbox = (await deps.store.getMailbox(account.id, 'INBOX'))!;
  const raw = `From: Bob <bob@example.org>\r\nTo: ${srv.address}\r\nSubject: ${subject}\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\nMessage-ID: <${Math.random().toString(36).slice(2)}@example.org>\r\n\r\nHello.\r\n`;
  return ingestMessage(deps, account.id, inbox.id, Buffer.from(raw), {});
}

/** A WebSocket upgrade the server must refuse: its HTTP status and challenge (fails if the upgrade is accepted). */
export function refusedUpgrade(url: string, protocols: string[], headers: Record<string, string>): Promise<{ status: number; challenge?: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers });
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, challenge: res.headers['www-authenticate'] as string | undefined });
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => reject(new Error('the upgrade was accepted')));
    ws.on('error', () => {});
  });
}
