// JMAP over WebSocket (RFC 8887): the same Requests and Responses as the HTTP API, run by the
// same JmapApi, as JSON text messages (RFC 6455 §5.6) on a connection opened at /jmap/ws with the "jmap"
// subprotocol; and push (WebSocketPushEnable/Disable, StateChange with pushState).
//
// Implementation notes:
// - The opening handshake is authenticated like any HTTP request (RFC 8887 §4.1: Basic through
//   the shared Authenticator); a refusal is an HTTP answer (401 with a challenge, 403, 429) on
//   the raw socket before any upgrade. A browser sends an Origin: one of another site is refused
//   (cross-site WebSocket hijacking with cached credentials). An upgrade bypasses the route list,
//   so it asks the plain HTTP listener's rule itself (plaintext-guard.ts): in the clear only from
//   loopback when that is allowed, else 403 and the client is told the wss: URL.
// - Messages: "@type" says what each is (§4.3.1). A message that is not JSON, not an object or
//   of an unknown type gets a RequestError (§4.3.4, problem details) and the connection stays
//   open; a Request's "id" comes back as "requestId" (§4.3.2, §4.3.3).
// - Requests of one connection run one after another; while MAX_QUEUED wait, the socket is not
//   read, and the next runs only once the previous response left, so a client that sends without
//   reading holds at most one response in memory.
// - Push: at most one StateChange in flight; changes meanwhile merge (PendingStates).
// - pushState (§4.3.5.1) is the account state the last StateChange reported; a client that
//   enables push again with it first hears what it missed (catchUp, read from the change log).
// - A WebSocket-level ping every HEARTBEAT_MS; a connection that has not answered the previous
//   one (dead peer, or a client that stopped reading) is dropped and its slot freed.

import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Account } from '../../store/types.ts';
import type { HttpContext } from '../../web/types.ts';
import { authenticateRequest, BASIC_CHALLENGE } from '../../web/http-auth.ts';
import { plaintextDecision, plaintextRequest, type PlaintextPolicy } from '../../web/plaintext-guard.ts';
import { isPlainObject } from '../args.ts';
import type { JmapApi } from '../http-api.ts';
import { toState } from '../ids.ts';
import type { JmapLimits } from '../limits.ts';
import type { MethodSet } from '../types.ts';
import { RequestError } from '../request.ts';
import { JMAP_PATHS, WEBSOCKET_CAPABILITY } from '../session.ts';
import type { PushServices } from './event-source.ts';
import { catchUp } from './hub.ts';
import { filterTypes, PendingStates, stateChange, type TypeState } from './state-change.ts';

/** RFC 8887 §4.2: the subprotocol name. */
const SUBPROTOCOL = 'jmap';
const MAX_QUEUED = 4;
const HEARTBEAT_MS = 60_000;

/** RFC 8887 §3: WebSocket, with push, offered to every user. */
export const webSocketCapability: MethodSet = {
  capability: WEBSOCKET_CAPABILITY,
  methods: {},
  sessionCapability: { url: JMAP_PATHS.webSocket, supportsPush: true },
};

export class JmapWebSocket {
  private readonly api: JmapApi;
  private readonly push: PushServices;
  private readonly wss: WebSocketServer;
  private readonly plaintext: PlaintextPolicy;

  constructor(api: JmapApi, push: PushServices, limits: JmapLimits, plaintext: PlaintextPolicy) {
    this.api = api;
    this.push = push;
    this.plaintext = plaintext;
    this.wss = new WebSocketServer({
      noServer: true,
      // A message is a Request: the same bound as an HTTP body (RFC 8620 §2 maxSizeRequest); ws closes with 1009 above it.
      maxPayload: limits.maxSizeRequest,
      perMessageDeflate: false,
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, ctx: HttpContext): void {
    socket.on('error', () => {});
    this.handshake(req, socket, head, ctx).catch((err: unknown) => {
      this.push.log.error({ event: 'jmap-websocket-upgrade-failed', err: (err as Error).message });
      refuse(socket, 500, 'The connection could not be set up.');
    });
  }

  private async handshake(req: IncomingMessage, socket: Duplex, head: Buffer, ctx: HttpContext): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== JMAP_PATHS.webSocket) return refuse(socket, 404, 'Nothing to upgrade here.');
    const plain = plaintextDecision(plaintextRequest(req), url, this.plaintext, ctx);
    if (plain.kind === 'redirect') return refuse(socket, 403, `Use ${plain.location.replace(/^https:/, 'wss:')}`);
    if (plain.kind === 'refuse') return refuse(socket, 403, plain.message);
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return refuse(socket, 400, 'Only WebSocket upgrades are offered.');
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (!offered.includes(SUBPROTOCOL)) return refuse(socket, 400, 'Ask for the "jmap" subprotocol (RFC 8887 §4.2).');
    const origin = req.headers.origin;
    if (typeof origin === 'string' && !sameHost(origin, req.headers.host)) return refuse(socket, 403, 'WebSocket connections from other sites are not accepted.');
    const auth = await authenticateRequest(req, ctx);
    if (!auth.ok) {
      const headers: Record<string, string> = auth.status === 401 ? { 'WWW-Authenticate': BASIC_CHALLENGE } : auth.status === 403 ? {} : { 'Retry-After': '30' };
      return refuse(socket, auth.status, auth.message, headers);
    }
    if (socket.destroyed) return;
    let session: WebSocketSession | null = null;
    const slot = this.push.connections.open(auth.account.id, () => session?.shutdown());
    if (!slot.ok) return refuse(socket, 429, `Too many push connections ${slot.limit === 'account' ? 'for this account' : 'on this server'}.`, { 'Retry-After': '60' });
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      session = new WebSocketSession(ws, auth.account, this.api, this.push, slot.release);
    });
  }
}

function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** An HTTP answer on a socket that was not upgraded. */
function refuse(socket: Duplex, status: number, detail: string, headers: Record<string, string> = {}): void {
  if (socket.destroyed || !socket.writable) return;
  const body = JSON.stringify({ type: 'about:blank', status, detail });
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Content-Type: application/problem+json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

function requestErrorMessage(requestId: string | null, err: RequestError): Record<string, unknown> {
  return { '@type': 'RequestError', ...(requestId !== null ? { requestId } : {}), ...err.toProblem() };
}

class WebSocketSession {
  private readonly ws: WebSocket;
  private readonly account: Account;
  private readonly api: JmapApi;
  private readonly push: PushServices;
  private readonly release: () => void;
  private readonly queue: { id: string | null; value: Record<string, unknown> }[] = [];
  private running = false;
  private closed = false;
  /** undefined: push is off; null: every type (RFC 8887 §4.3.5.2 dataTypes null). */
  private pushTypes: ReadonlySet<string> | null | undefined = undefined;
  private unsubscribe: (() => void) | null = null;
  private readonly pending = new PendingStates();
  private pushInFlight = false;
  private lastModseq: number;
  private alive = true;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(ws: WebSocket, account: Account, api: JmapApi, push: PushServices, release: () => void) {
    this.ws = ws;
    this.account = account;
    this.api = api;
    this.push = push;
    this.release = release;
    this.lastModseq = account.modseq;
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('pong', () => (this.alive = true));
    ws.on('error', (err) => push.log.info({ event: 'jmap-websocket-error', account: account.address, err: err.message }));
    ws.on('close', () => this.onClose());
    this.heartbeat = setInterval(() => {
      if (!this.alive) return void ws.terminate();
      this.alive = false;
      ws.ping();
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  shutdown(): void {
    this.ws.close(1001, 'server shutting down');
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.release();
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (isBinary) return this.sendError(null, new RequestError('notRequest', 'JMAP messages are JSON in text frames (RFC 8887 §4.2).'));
    let value: unknown;
    try {
      value = JSON.parse(rawText(data));
    } catch {
      return this.sendError(null, new RequestError('notJSON', 'The message is not valid JSON (RFC 8259).'));
    }
    if (!isPlainObject(value)) return this.sendError(null, new RequestError('notRequest', 'A message must be a JSON object with "@type".'));
    switch (value['@type']) {
      case 'Request': {
        const id = value.id;
        if (id !== undefined && typeof id !== 'string') return this.sendError(null, new RequestError('notRequest', '"id" must be a string.'));
        this.queue.push({ id: id ?? null, value });
        if (this.queue.length >= MAX_QUEUED) this.ws.pause();
        void this.pump();
        return;
      }
      case 'WebSocketPushEnable':
        return this.enablePush(value);
      case 'WebSocketPushDisable':
        this.pushTypes = undefined;
        this.unsubscribe?.();
        this.unsubscribe = null;
        return;
      default:
        return this.sendError(null, new RequestError('notRequest', '"@type" must be Request, WebSocketPushEnable or WebSocketPushDisable (RFC 8887 §4.3).'));
    }
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const next = this.queue.shift()!;
        if (this.ws.isPaused && this.queue.length < MAX_QUEUED) this.ws.resume();
        await this.sendAndWait(await this.answer(next.id, next.value));
      }
    } finally {
      this.running = false;
    }
  }

  private async answer(id: string | null, value: Record<string, unknown>): Promise<Record<string, unknown>> {
    try {
      const response = await this.api.execute(this.account, value);
      return { '@type': 'Response', ...(id !== null ? { requestId: id } : {}), ...response };
    } catch (err) {
      if (err instanceof RequestError) return requestErrorMessage(id, err);
      this.push.log.error({ event: 'jmap-websocket-request-failed', account: this.account.address, err: (err as Error).message, stack: (err as Error).stack });
      return { '@type': 'RequestError', ...(id !== null ? { requestId: id } : {}), type: 'about:blank', status: 500, detail: 'The server could not complete this request; it has been logged.' };
    }
  }

  private sendAndWait(message: Record<string, unknown>): Promise<void> {
    if (this.closed) return Promise.resolve();
    // The callback runs once the frame is handed to the socket: until then the next request waits.
    return new Promise((resolve) => this.ws.send(JSON.stringify(message), () => resolve()));
  }

  private sendError(requestId: string | null, err: RequestError): void {
    if (!this.closed) this.ws.send(JSON.stringify(requestErrorMessage(requestId, err)));
  }

  /** RFC 8887 §4.3.5.2. */
  private enablePush(msg: Record<string, unknown>): void {
    const { dataTypes, pushState } = msg;
    if (dataTypes !== null && dataTypes !== undefined && (!Array.isArray(dataTypes) || dataTypes.some((t) => typeof t !== 'string'))) {
      return this.sendError(null, new RequestError('notRequest', '"dataTypes" must be null or a list of type names.'));
    }
    if (pushState !== undefined && pushState !== null && typeof pushState !== 'string') return this.sendError(null, new RequestError('notRequest', '"pushState" must be a string.'));
    this.pushTypes = Array.isArray(dataTypes) ? new Set(dataTypes as string[]) : null;
    this.unsubscribe ??= this.push.hub.subscribe(this.account.id, (changed, modseq) => this.onChange(changed, modseq));
    if (typeof pushState === 'string') {
      catchUp(this.push.store, this.account.id, pushState)
        .then((missed) => {
          if (missed && Object.keys(missed.changed).length) this.onChange(missed.changed, missed.modseq);
        })
        .catch((err: unknown) => this.push.log.warn({ event: 'jmap-push-catch-up-failed', account: this.account.address, err: (err as Error).message }));
    }
  }

  private onChange(changed: TypeState, modseq: number | null): void {
    if (this.closed || this.pushTypes === undefined) return;
    if (modseq !== null && modseq > this.lastModseq) this.lastModseq = modseq;
    const wanted = filterTypes(changed, this.pushTypes);
    if (!wanted) return;
    this.pending.merge(wanted);
    this.flushPush();
  }

  private flushPush(): void {
    if (this.closed || this.pushInFlight || this.pending.isEmpty) return;
    this.pushInFlight = true;
    const message = stateChange(this.account.id, this.pending.take(), toState(this.lastModseq));
    this.ws.send(JSON.stringify(message), () => {
      this.pushInFlight = false;
      this.flushPush();
    });
  }
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
