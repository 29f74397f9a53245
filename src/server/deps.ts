// What every protocol service is given. Only src/server/ knows which backend is behind `store`.

import type tls from 'node:tls';
import type { Config, PortsConfig } from './config.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import type { MailStore, BlobStore, ChangeBus } from '../store/types.ts';
import type { Authenticator } from '../mail/auth.ts';
import type { Coordination } from '../store/coordination-types.ts';
import type { ParsedMessage } from '../wire/mime/types.ts';
import type { LocalDelivery } from '../mail/delivery/local-delivery.ts';

export interface ServerDeps {
  config: Config;
  log: Logger;
  metrics: Metrics;
  store: MailStore;
  blobs: BlobStore;
  bus: ChangeBus;
  /** Leases, counters and slots shared by every node (coordination-types.ts). */
  coordination: Coordination;
  auth: Authenticator;
  /** For STARTTLS and implicit-TLS listeners. */
  secureContext: tls.SecureContext;
  /** The parse-once MIME parser, with the configured limits applied. */
  parse: (raw: Uint8Array) => ParsedMessage;
  /** Mail addressed to hosted accounts: ingest, the configured rules, then the mailboxes. */
  delivery: LocalDelivery;
  /**
   * Tests: bind every enabled listener to an ephemeral port; the bound port is then written
   * back into config.ports so everything that reports ports (autoconfig …) tells the truth.
   */
  ephemeralPorts: boolean;
}

export type ListenerName = keyof PortsConfig;

/** The port a listener binds to: its configured port, or 0 (any free port) in ephemeral mode. */
export function bindPort(deps: ServerDeps, name: ListenerName): number {
  return deps.ephemeralPorts ? 0 : deps.config.ports[name];
}

/** A running listener of any protocol. */
export interface Service {
  /** Also the key of its port in config.ports. */
  readonly name: ListenerName;
  readonly port: number;
  /** Open connections, for the posthorn_connections gauge (when the service tracks them). */
  readonly connectionCount?: number;
  listen(): Promise<number>;
  close(graceMs: number): Promise<void>;
}
