// `posthorn serve`: opens the store, starts every configured listener, answers /healthz once all
// are up, and shuts down cleanly on SIGTERM/SIGINT.
//
// Implementation notes:
// - A listener whose port is 0 is disabled (DESIGN.md §5).
// - The configuration is read once and never written: the port each listener is bound to is
//   recorded in `ports` (the runtime record autoconfig reads), which matters with port 0.
// - Shutdown order: stop accepting and let running commands finish (bounded by
//   limits.shutdown_grace), then close the store, so no command loses its store mid-way.
// - The outbound queue runner starts once every listener is up and stops (after its current
//   pass, giving back what it claimed) before the store closes.

import type { Config } from './config.ts';
import { createLogger } from './log.ts';
import type { Logger } from '../observe/log.ts';
import { Metrics } from './metrics.ts';
import { loadTls } from './tls.ts';
import { openConfiguredStore } from './open-store.ts';
import type { ServerDeps } from './deps.ts';
import { Authenticator } from '../auth/authenticator.ts';
import { LocalDelivery } from '../delivery/local-delivery.ts';
import { inboxRules, type DeliveryRules } from '../delivery/rules.ts';
import { VacationResponder } from '../delivery/vacation.ts';
import { parseMessage } from '../wire/mime/parse.ts';
import { collectGarbage, sweepTemporary } from '../store/blob-gc.ts';
import { serverSecureContext } from '../net/tls.ts';
import type { Listener } from '../net/listener.ts';
import { protocolListeners, smtpDepsFrom, smtpOptionsFrom } from './protocols.ts';
import { authLimitsFrom } from './auth-limits.ts';
import { OutboundQueue, type OutboundOptions } from './outbound.ts';

export interface RunningServer {
  deps: ServerDeps;
  outbound: OutboundQueue;
  /**
   * Bound port of each running listener by name (useful with port 0 in tests); what autoconfig
   * reports. Written only by whoever starts listeners.
   */
  ports: Record<string, number>;
  /** The start-up sweep of blob temp files left by a crash; resolves when it has run. */
  startSweep: Promise<void>;
  stop(): Promise<void>;
}

const BLOB_GC_INTERVAL_MS = 60 * 60_000;
const BLOB_GC_GRACE_MS = 60 * 60_000;
/** At start, a blob temp file this old cannot be a put still running in another process. */
const START_SWEEP_AGE_MS = 60_000;

export interface StartOptions {
  log?: Logger;
  /** Bind every enabled listener to a free port (tests); see ServerDeps.ephemeralPorts. */
  ephemeralPorts?: boolean;
  /** Where local deliveries are filed; every message into INBOX by default. */
  deliveryRules?: DeliveryRules;
  /** Over the configured outbound settings (tests: a fixed resolver, a peer's port, a short schedule). */
  outbound?: OutboundOptions;
}

export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const log = opts.log ?? createLogger(config.log.level);
  const metrics = new Metrics();
  const tlsMaterial = await loadTls(config, log);
  const { store, blobs, bus, coordination, carriedQueueMessages, close: closeStore } = await openConfiguredStore(config);
  if (carriedQueueMessages > 0) log.info({ event: 'queue-carried-in', protocol: 'smtp-out', messages: carriedQueueMessages, from: 'queue.db' });
  const limits = {
    maxDepth: config.limits.mimeMaxDepth,
    maxParts: config.limits.mimeMaxParts,
    maxHeaderBytes: config.limits.mimeMaxHeaderBytes,
  };
  const parse = (raw: Uint8Array) => parseMessage(raw, limits);
  // The vacation reply goes out through the router, which is built on local delivery: bound late.
  const vacation = new VacationResponder({ store, hostname: config.hostname, log, send: (sender, recipients, raw) => outbound.router.route(sender, recipients, raw) });
  const deps: ServerDeps = {
    config,
    log,
    metrics,
    store,
    blobs,
    bus,
    coordination,
    auth: new Authenticator({ store, coordination, limits: authLimitsFrom(config) }),
    secureContext: serverSecureContext(tlsMaterial),
    tlsKeyPair: { key: tlsMaterial.key, cert: tlsMaterial.cert },
    parse,
    delivery: new LocalDelivery({ store, blobs, parse, log, rules: opts.deliveryRules ?? inboxRules, afterStored: (input) => vacation.afterStored(input) }),
    ephemeralPorts: opts.ephemeralPorts ?? false,
  };

  let ready = false;
  const ports: Record<string, number> = {};
  const outbound = new OutboundQueue(smtpDepsFrom(deps), { ...smtpOptionsFrom(config), ...opts.outbound });
  const services: Listener[] = protocolListeners(deps, { ports, isReady: () => ready }, outbound);

  metrics.collectedGauge('posthorn_connections', 'Open client connections, by listener', () =>
    services.filter((s) => s.connectionCount !== undefined).map((s) => ({ labels: { listener: s.name }, value: s.connectionCount ?? 0 })),
  );
  metrics.collectedGauge('posthorn_up', '1 while every listener is up', () => [{ labels: {}, value: ready ? 1 : 0 }]);

  try {
    for (const service of services) {
      ports[service.name] = await service.listen();
      log.info({ event: 'listening', protocol: service.name, bind: config.bind, port: ports[service.name] });
    }
  } catch (err) {
    await Promise.allSettled(services.map((s) => s.close(0)));
    await closeStore();
    throw err;
  }

  const gcTimer = setInterval(() => {
    // Expired uploads first, so that their blobs are unreferenced for the collection that follows.
    store
      .pruneUploads(Date.now())
      .then((uploads) => collectGarbage(store, blobs, { graceMs: BLOB_GC_GRACE_MS }).then((result) => ({ ...result, expiredUploads: uploads })))
      .then((result) => log.info({ event: 'blob-gc', ...result }))
      .catch((err: unknown) => log.error({ event: 'blob-gc-failed', err: (err as Error).message }));
  }, BLOB_GC_INTERVAL_MS);
  gcTimer.unref();
  // Temp files of puts a crash interrupted; in the background, since a large store has many
  // fan-out directories to read.
  const swept = sweepTemporary(blobs, { olderThanMs: START_SWEEP_AGE_MS })
    .then((removed) => {
      if (removed > 0) log.info({ event: 'blob-temp-swept', removed });
    })
    .catch((err: unknown) => log.error({ event: 'blob-temp-sweep-failed', err: (err as Error).message }));

  outbound.start();
  ready = true;
  log.info({ event: 'ready', hostname: config.hostname, dataDir: config.dataDir, ports, selfSignedTls: tlsMaterial.selfSigned });

  let stopping: Promise<void> | null = null;
  return {
    deps,
    outbound,
    ports,
    startSweep: swept,
    stop() {
      stopping ??= (async () => {
        ready = false;
        clearInterval(gcTimer);
        await swept;
        const graceMs = config.limits.shutdownGraceSeconds * 1000;
        await Promise.allSettled(services.map((s) => s.close(graceMs)));
        await outbound.stop();
        await closeStore();
        log.info({ event: 'stopped' });
      })();
      return stopping;
    },
  };
}
