// What the composition root holds: everything the protocols are built from. Only src/server/
// knows which backend is behind `store`; each protocol is given its own narrow slice of this
// (ImapDeps, Pop3Deps, SmtpDeps), made in protocols.ts.

import type tls from 'node:tls';
import type { Config } from './config.ts';
import type { KeyPair } from '../net/tls.ts';
import type { Logger } from '../observe/log.ts';
import type { Metrics } from './metrics.ts';
import type { MailStore, BlobStore, ChangeBus } from '../store/types.ts';
import type { Authenticator } from '../auth/authenticator.ts';
import type { Coordination } from '../store/coordination-types.ts';
import type { ParsedMessage } from '../wire/mime/types.ts';
import type { LocalDelivery } from '../delivery/local-delivery.ts';

export interface ServerDeps {
  /** Read once at start; never written at run time (bound ports are in RunningServer.ports). */
  readonly config: Config;
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
  /** The PEM key and certificate behind secureContext, for servers that build their own context (node:https). */
  tlsKeyPair: KeyPair;
  /** The parse-once MIME parser, with the configured limits applied. */
  parse: (raw: Uint8Array) => ParsedMessage;
  /** Mail addressed to hosted accounts: ingest, the configured rules, then the mailboxes. */
  delivery: LocalDelivery;
  /**
   * Tests: bind every enabled listener to an ephemeral port. The bound ports are reported in
   * RunningServer.ports (and to autoconfig), never written back into the configuration.
   */
  ephemeralPorts: boolean;
}
