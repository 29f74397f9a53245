// JMAP push over EventSource (RFC 8620 §7.3): a text/event-stream of "state" events, each a
// StateChange (§7.1), and "ping" events when the client asked for them.
//
// Implementation notes:
// - Query: types (comma-separated type names or "*"), closeafter ("state": end the response
//   after the first state event, for long polling; "no"), ping (seconds, 0 = none; raised to
//   the configured minimum and lowered to MAX_PING_SECONDS, and the interval used is told in
//   the ping's data).
// - Backpressure: changes merge into one pending map per connection (PendingStates); while the
//   socket's buffer is full nothing more is written and pings are skipped, so a client that
//   stops reading costs the server a few bytes, and one stalled for STALL_MS is dropped.
// - Every state event carries an id, the account state it reports (toState(modseq)); a client
//   that reconnects with Last-Event-ID (as EventSource does by itself) first hears what it
//   missed, read from the change log.
// - The connection takes a slot of PushConnections; at the limit the answer is 429.

import type { ServerResponse } from 'node:http';
import type { Account, MailStore } from '../../store/types.ts';
import type { Logger } from '../../observe/log.ts';
import type { Route } from '../../web/types.ts';
import { requireAccount, sendProblem } from '../http-api.ts';
import { JMAP_PATHS } from '../session.ts';
import { toState } from '../ids.ts';
import type { PushHub } from './hub.ts';
import { catchUp } from './hub.ts';
import type { PushConnections } from './connections.ts';
import { MAX_PING_SECONDS, type PushOptions } from './options.ts';
import { filterTypes, PendingStates, stateChange, type TypeState } from './state-change.ts';

/** A client whose socket accepted nothing for this long is dropped. */
const STALL_MS = 120_000;

export interface PushServices {
  hub: PushHub;
  connections: PushConnections;
  options: PushOptions;
  store: MailStore;
  log: Logger;
}

export interface EventSourceQuery {
  /** null: every type. */
  types: ReadonlySet<string> | null;
  closeAfterState: boolean;
  /** Seconds between pings, after clamping; 0: none. */
  ping: number;
}

/** Reads the query of RFC 8620 §7.3; a string is the problem to answer with 400. */
export function readEventSourceQuery(params: URLSearchParams, minPing: number): EventSourceQuery | string {
  const rawTypes = params.get('types') ?? '*';
  const names = rawTypes.split(',').map((t) => t.trim()).filter(Boolean);
  if (names.length === 0 || names.some((n) => !/^(\*|[A-Za-z][A-Za-z0-9]{0,63})$/.test(n))) return '"types" must be "*" or a comma-separated list of type names.';
  const types = names.includes('*') ? null : new Set(names);
  const closeafter = params.get('closeafter') ?? 'no';
  if (closeafter !== 'state' && closeafter !== 'no') return '"closeafter" must be "state" or "no".';
  const rawPing = params.get('ping') ?? '0';
  if (!/^\d{1,10}$/.test(rawPing)) return '"ping" must be a non-negative whole number of seconds.';
  const asked = Number(rawPing);
  const ping = asked === 0 ? 0 : Math.min(Math.max(asked, minPing), MAX_PING_SECONDS);
  return { types, closeAfterState: closeafter === 'state', ping };
}

export function eventSourceRoute(push: PushServices): Route {
  return async (req, res, url, ctx) => {
    if (url.pathname !== JMAP_PATHS.eventSource) return false;
    if (req.method !== 'GET') {
      sendProblem(res, 405, 'about:blank', 'Use GET.', {}, { Allow: 'GET' });
      return true;
    }
    const account = await requireAccount(req, res, ctx);
    if (!account) return true;
    const query = readEventSourceQuery(url.searchParams, push.options.minPingSeconds);
    if (typeof query === 'string') {
      sendProblem(res, 400, 'about:blank', query);
      return true;
    }
    const lastEventId = req.headers['last-event-id'];
    new EventStream(push, account, query, res).start(typeof lastEventId === 'string' ? lastEventId : null);
    return true;
  };
}

export class EventStream {
  private readonly push: PushServices;
  private readonly account: Account;
  private readonly query: EventSourceQuery;
  private readonly res: ServerResponse;
  private readonly pending = new PendingStates();
  private lastModseq: number | null = null;
  private blocked = false;
  private closed = false;
  private pingTimer: NodeJS.Timeout | null = null;
  private stallTimer: NodeJS.Timeout | null = null;
  private cleanups: (() => void)[] = [];

  constructor(push: PushServices, account: Account, query: EventSourceQuery, res: ServerResponse) {
    this.push = push;
    this.account = account;
    this.query = query;
    this.res = res;
  }

  start(lastEventId: string | null): void {
    const slot = this.push.connections.open(this.account.id, () => this.close());
    if (!slot.ok) {
      const scope = slot.limit === 'account' ? 'for this account' : 'on this server';
      sendProblem(this.res, 429, 'about:blank', `Too many push connections ${scope}; close one and try again.`, {}, { 'Retry-After': '60' });
      return;
    }
    this.cleanups.push(slot.release);
    this.res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-store',
      'X-Content-Type-Options': 'nosniff',
      // Reverse proxies that buffer responses (nginx) must pass events through at once.
      'X-Accel-Buffering': 'no',
    });
    this.res.socket?.setNoDelay(true);
    // A comment line: the headers and a first byte go out now, so the client sees the stream open.
    this.res.write(': posthorn push\n\n');
    this.res.on('close', () => this.close());
    this.res.on('drain', () => this.onDrain());
    // Subscribe first, then catch up: a change committed in between is heard twice, never missed.
    this.cleanups.push(this.push.hub.subscribe(this.account.id, (changed, modseq) => this.onChange(changed, modseq)));
    this.schedulePing();
    if (lastEventId !== null) {
      catchUp(this.push.store, this.account.id, lastEventId)
        .then((missed) => {
          if (missed && Object.keys(missed.changed).length) this.onChange(missed.changed, missed.modseq);
        })
        .catch((err: unknown) => this.push.log.warn({ event: 'jmap-push-catch-up-failed', account: this.account.address, err: (err as Error).message }));
    }
  }

  private onChange(changed: TypeState, modseq: number | null): void {
    if (this.closed) return;
    const wanted = filterTypes(changed, this.query.types);
    if (modseq !== null && (this.lastModseq === null || modseq > this.lastModseq)) this.lastModseq = modseq;
    if (!wanted) return;
    this.pending.merge(wanted);
    this.flush();
  }

  private flush(): void {
    if (this.closed || this.blocked || this.pending.isEmpty) return;
    const event = stateChange(this.account.id, this.pending.take());
    const id = this.lastModseq !== null ? `id: ${toState(this.lastModseq)}\n` : '';
    this.write(`event: state\n${id}data: ${JSON.stringify(event)}\n\n`);
    if (this.query.closeAfterState) this.close();
  }

  private write(chunk: string): void {
    this.schedulePing();
    if (this.res.write(chunk)) return;
    this.blocked = true;
    this.stallTimer ??= setTimeout(() => this.res.destroy(), STALL_MS);
    this.stallTimer.unref();
  }

  private onDrain(): void {
    this.blocked = false;
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = null;
    this.flush();
  }

  /** RFC 8620 §7.3: a ping whenever `ping` seconds passed since the previous event; it has no id. */
  private schedulePing(): void {
    if (this.query.ping === 0 || this.closed) return;
    if (this.pingTimer) this.pingTimer.refresh();
    else {
      this.pingTimer = setTimeout(() => {
        this.pingTimer = null;
        if (this.closed) return;
        if (this.blocked) this.schedulePing();
        else this.write(`event: ping\ndata: ${JSON.stringify({ interval: this.query.ping })}\n\n`);
      }, this.query.ping * 1000);
    }
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.pingTimer) clearTimeout(this.pingTimer);
    if (this.stallTimer) clearTimeout(this.stallTimer);
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    if (!this.res.writableEnded) this.res.end();
  }
}
