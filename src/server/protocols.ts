// The listeners, one entry per enabled port. Each protocol contributes its own (SMTP, POP3,
// IMAP, HTTP and HTTPS) from dependencies of its own, which are made here and only here; a port of 0
// disables that listener (DESIGN.md §5). Adding a listener is one more entry in
// `protocolListeners`, not a new case of a closed type.

import { readFileSync } from 'node:fs';
import type { Config } from './config.ts';
import type { ServerDeps } from './deps.ts';
import { ConfigError } from './config.ts';
import type { Listener, BoundPorts } from '../net/listener.ts';
import { TcpListener, type TcpService } from '../net/tcp-listener.ts';
import { imapServices } from '../imap/services.ts';
import type { ImapDeps } from '../imap/deps.ts';
import { pop3Services } from '../pop3/services.ts';
import type { Pop3Deps } from '../pop3/deps.ts';
import { smtpServices } from '../smtp/services.ts';
import type { OutboundOptions } from './outbound.ts';
import type { OutboundQueue } from './outbound.ts';
import type { SmtpDeps } from '../smtp/deps.ts';
import { systemResolver } from '../net/dns.ts';
import { HttpListener } from '../web/server.ts';
import { clientConfigRoutes, mobileconfigRoute } from '../web/clientconfig/index.ts';
import { jmapEndpoints, type JmapEndpoints } from '../jmap/routes.ts';
import { createJmapPush } from '../jmap/push/index.ts';
import { JMAP_PATHS } from '../jmap/session.ts';
import { plaintextGuard } from '../web/plaintext-guard.ts';
import { corsRoute } from '../web/cors.ts';
import type { HttpContext, Route } from '../web/types.ts';
import type { JmapDeps } from '../jmap/types.ts';
import { DEFAULT_JMAP_LIMITS } from '../jmap/limits.ts';

/** Outbound delivery settings from the configuration (queue.*, dns.*). */
export function smtpOptionsFrom(config: Config): OutboundOptions {
  const q = config.queue;
  let password: string | undefined;
  if (q.relayPasswordFile) {
    try {
      password = readFileSync(q.relayPasswordFile, 'utf8').split(/\r?\n/)[0];
    } catch (err) {
      throw new ConfigError(`queue.relay_password_file ${q.relayPasswordFile}: ${(err as Error).message}`);
    }
  }
  return {
    resolver: systemResolver(5000, config.dns.servers),
    schedule: {
      retryDelaysMs: q.retryDelaysSeconds.map((s) => s * 1000),
      maxAgeMs: q.maxAgeSeconds * 1000,
      delayNoticeAfterMs: q.delayNoticeAfterSeconds * 1000,
    },
    relay: q.relayHost
      ? { host: q.relayHost, port: q.relayPort, secure: q.relaySecure, requireTls: q.relayRequireTls, user: q.relayUser ?? undefined, password }
      : null,
  };
}

/** The port a listener binds to: null when its configured port is 0 (disabled); 0 (any free port) in ephemeral mode. */
export function listenPort(deps: ServerDeps, configured: number): number | null {
  if (configured === 0) return null;
  return deps.ephemeralPorts ? 0 : configured;
}

/** What every protocol is given as it is. */
function shared(deps: ServerDeps): Pick<ServerDeps, 'log' | 'metrics' | 'store' | 'blobs' | 'auth' | 'secureContext'> {
  const { log, metrics, store, blobs, auth, secureContext } = deps;
  return { log, metrics, store, blobs, auth, secureContext };
}

export function imapDepsFrom(deps: ServerDeps): ImapDeps {
  const { config } = deps;
  const l = config.limits;
  return {
    config: {
      hostname: config.hostname,
      auth: { allowPlaintextOnLoopback: config.auth.allowPlaintextOnLoopback },
      limits: {
        maxMessageBytes: l.maxMessageBytes,
        maxLineBytes: l.maxLineBytes,
        maxLiteralBytes: l.maxLiteralBytes,
        maxConnectionsPerAccount: l.maxConnectionsPerAccount,
        appendMemoryBytes: l.appendMemoryBytes,
        appendWaitSeconds: l.appendWaitSeconds,
        idleTimeoutSeconds: l.idleTimeoutSeconds,
        idleKeepaliveSeconds: l.idleKeepaliveSeconds,
        preAuthTimeoutSeconds: l.preAuthTimeoutSeconds,
      },
    },
    ...shared(deps),
    bus: deps.bus,
    coordination: deps.coordination,
    parse: deps.parse,
    ports: { imap: listenPort(deps, config.ports.imap), imaps: listenPort(deps, config.ports.imaps) },
  };
}

export function pop3DepsFrom(deps: ServerDeps): Pop3Deps {
  const { config } = deps;
  return {
    config: {
      hostname: config.hostname,
      auth: { allowPlaintextOnLoopback: config.auth.allowPlaintextOnLoopback },
      limits: { preAuthTimeoutSeconds: config.limits.preAuthTimeoutSeconds },
      pop3: { retentionDays: config.pop3.retentionDays },
    },
    ...shared(deps),
    coordination: deps.coordination,
    ports: { pop3: listenPort(deps, config.ports.pop3), pop3s: listenPort(deps, config.ports.pop3s) },
  };
}

export function smtpDepsFrom(deps: ServerDeps): SmtpDeps {
  const { config } = deps;
  const l = config.limits;
  return {
    config: {
      hostname: config.hostname,
      bind: config.bind,
      auth: { allowPlaintextOnLoopback: config.auth.allowPlaintextOnLoopback },
      limits: {
        maxMessageBytes: l.maxMessageBytes,
        maxRecipients: l.maxRecipients,
        maxLineBytes: l.maxLineBytes,
        maxConnectionsPerIp: l.maxConnectionsPerIp,
        idleTimeoutSeconds: l.idleTimeoutSeconds,
        shutdownGraceSeconds: l.shutdownGraceSeconds,
      },
    },
    ...shared(deps),
    parse: deps.parse,
    delivery: deps.delivery,
    ports: {
      smtp: listenPort(deps, config.ports.smtp),
      submission: listenPort(deps, config.ports.submission),
      submissions: listenPort(deps, config.ports.submissions),
    },
  };
}

/** Binds the services of a protocol whose sessions we write ourselves (IMAP, POP3): address, per-IP limit, TLS. */
export function tcpListeners(deps: ServerDeps, services: readonly TcpService[]): TcpListener[] {
  return services.map(
    (service) =>
      new TcpListener({
        name: service.name,
        bind: deps.config.bind,
        port: service.port,
        maxConnectionsPerIp: deps.config.limits.maxConnectionsPerIp,
        secureContext: service.implicitTls ? deps.secureContext : undefined,
        handshakeTimeoutMs: service.handshakeTimeoutMs,
        log: deps.log,
        handler: service.handler,
      }),
  );
}

/** What the HTTP listener reports besides the configuration: bound ports, and whether the server is up. */
export interface HttpRuntime {
  ports: BoundPorts;
  isReady: () => boolean;
}

export function jmapDepsFrom(deps: ServerDeps, outbound: OutboundQueue): JmapDeps {
  return {
    store: deps.store,
    blobs: deps.blobs,
    bus: deps.bus,
    log: deps.log,
    parse: deps.parse,
    limits: DEFAULT_JMAP_LIMITS,
    hostname: deps.config.hostname,
    outbound: { router: outbound.router, maxRecipients: deps.config.limits.maxRecipients, maxMessageBytes: deps.config.limits.maxMessageBytes },
    push: createJmapPush(deps.store, deps.bus, deps.log, {
      maxConnectionsPerAccount: deps.config.jmap.maxPushConnectionsPerAccount,
      maxConnections: deps.config.jmap.maxPushConnections,
      minPingSeconds: deps.config.jmap.pushMinPingSeconds,
      allowHttpLoopback: deps.config.jmap.pushAllowHttpLoopback,
    }),
  };
}

/** JMAP's endpoints (RFC 8620 §2): the session resource and everything under /jmap/. */
function isJmapPath(pathname: string): boolean {
  return pathname === JMAP_PATHS.session || pathname.startsWith('/jmap/');
}

/**
 * The routes of both web listeners, in the order they are tried: what every listener serves
 * to everyone (client set-up without secrets; ACME challenges belong here too), then the
 * plaintext guard, then CORS for the JMAP endpoints, then the routes that take a password or
 * serve mail (the Apple profile, JMAP; the webmail and the REST API to come), which the guard and
 * CORS thus cover without knowing about them.
 */
export function webRoutes(deps: ServerDeps, jmap: JmapEndpoints): Route[] {
  const { config } = deps;
  return [
    ...clientConfigRoutes,
    plaintextGuard({ allowPlaintextOnLoopback: config.auth.allowPlaintextOnLoopback }),
    corsRoute({ origins: config.http.corsOrigins, appliesTo: isJmapPath }),
    mobileconfigRoute,
    ...jmap.routes,
  ];
}

/** HTTPS first, so that the plain listener's redirects name its bound port from the start. */
export function httpListeners(deps: ServerDeps, runtime: HttpRuntime, outbound: OutboundQueue): HttpListener[] {
  const ctx: HttpContext = { hostname: deps.config.hostname, ports: runtime.ports, store: deps.store, auth: deps.auth, log: deps.log };
  const ports = ([[deps.config.ports.https, deps.tlsKeyPair], [deps.config.ports.http, undefined]] as const)
    .map(([configured, tls]) => ({ port: listenPort(deps, configured), tls }))
    .filter((p): p is { port: number; tls: typeof p.tls } => p.port !== null);
  if (ports.length === 0) return [];
  // One JMAP and one route list for both: JMAP's per-account request limits, the push hub and
  // the push connection limits then hold across the two listeners.
  const jmap = jmapEndpoints(jmapDepsFrom(deps, outbound), { allowPlaintextOnLoopback: deps.config.auth.allowPlaintextOnLoopback });
  const routes = webRoutes(deps, jmap);
  return ports.map(({ port, tls }) => new HttpListener({ bind: deps.config.bind, port, ctx, routes, upgrade: jmap.upgrade, metrics: deps.metrics, isReady: runtime.isReady, tls }));
}

/** Every listener of the server, in the order they start: HTTP last, so autoconfig never names a port not yet bound. */
export function protocolListeners(deps: ServerDeps, runtime: HttpRuntime, outbound: OutboundQueue): Listener[] {
  return [
    ...smtpServices(smtpDepsFrom(deps), outbound),
    ...tcpListeners(deps, pop3Services(pop3DepsFrom(deps))),
    ...tcpListeners(deps, imapServices(imapDepsFrom(deps))),
    ...httpListeners(deps, runtime, outbound),
  ];
}
