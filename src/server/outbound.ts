// The outbound side of one Posthorn process, wired here at the composition root: the outbox
// that SMTP (and bounces) put messages into, the router that splits local from remote
// recipients (src/delivery/router.ts), and the runner that attempts what is due (src/queue/).
// The server (app.ts) creates it with the store, starts the runner once its listeners are up
// and stops it before the store closes; the SMTP listeners get only the router and resolver.
//
// Every node that shares the store may run a runner: claims (DeliveryQueue.claimDue) keep two
// of them from attempting the same recipient.

import type { SmtpDeps } from '../smtp/deps.ts';
import type { DeliveryQueue } from '../store/queue-types.ts';
import { systemResolver, type DnsResolver } from '../net/dns.ts';
import { MailRouter } from '../delivery/router.ts';
import { QueueRunner, DEFAULT_SCHEDULE, type QueueSchedule } from '../queue/runner.ts';
import { Outbox } from '../queue/outbox.ts';
import type { RelayHost } from '../queue/client.ts';

export interface OutboundOptions {
  /** DNS for SPF/DKIM/DMARC and MX lookups; the system resolver by default. Tests give fixed answers. */
  resolver?: DnsResolver;
  /** Port of remote MX hosts (25); tests point it at a peer on loopback. */
  mxPort?: number;
  schedule?: QueueSchedule;
  /** Smarthost instead of MX delivery. */
  relay?: RelayHost | null;
  queueConcurrency?: number;
  /** Outbound connect/greeting timeout. */
  connectTimeoutMs?: number;
  /** How long a claim on a recipient lasts unless renewed (runner.ts DEFAULT_LEASE_MS). */
  leaseMs?: number;
}

/** What the outbound side uses of what SMTP is given. */
export type OutboundDeps = Pick<SmtpDeps, 'store' | 'blobs' | 'log' | 'delivery'> & { config: Pick<SmtpDeps['config'], 'hostname'> };

export class OutboundQueue {
  readonly store: DeliveryQueue;
  readonly outbox: Outbox;
  readonly router: MailRouter;
  readonly runner: QueueRunner;
  readonly resolver: DnsResolver;

  constructor(deps: OutboundDeps, opts: OutboundOptions = {}) {
    this.resolver = opts.resolver ?? systemResolver();
    this.store = deps.store.queue;
    this.outbox = new Outbox(deps.store.queue, deps.blobs);
    this.router = new MailRouter({ local: deps.delivery, recipients: deps.store, queue: this.outbox, log: deps.log, onQueued: () => this.runner.kick() });
    this.runner = new QueueRunner({
      store: this.store,
      blobs: deps.blobs,
      resolver: this.resolver,
      log: deps.log,
      hostname: deps.config.hostname,
      schedule: opts.schedule ?? DEFAULT_SCHEDULE,
      client: { connectTimeoutMs: opts.connectTimeoutMs ?? 30_000, socketTimeoutMs: 10 * 60_000, relay: opts.relay ?? null },
      mxPort: opts.mxPort ?? 25,
      submitBounce: (to, message) => this.router.submitBounce(to, message),
      concurrency: opts.queueConcurrency ?? 10,
      leaseMs: opts.leaseMs,
    });
  }

  start(): void {
    this.runner.start();
  }

  /** After the current pass; what it claimed and did not attempt is given back. */
  stop(): Promise<void> {
    return this.runner.stop();
  }
}
