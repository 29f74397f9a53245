// What the SMTP listeners (and the delivery behind them) are given by src/server: the store and
// the services around it, and the part of the configuration SMTP reads.

import type tls from 'node:tls';
import type { Logger } from '../observe/log.ts';
import type { MetricsRegistry } from '../observe/metrics.ts';
import type { ListenerPorts } from '../net/listener.ts';
import type { MailStore, BlobStore } from '../store/types.ts';
import type { Authenticator } from '../auth/authenticator.ts';
import type { LocalDelivery } from '../delivery/local-delivery.ts';
import type { ParsedMessage } from '../wire/mime/types.ts';

/** The settings SMTP reads; the same names as in the server configuration. */
export interface SmtpConfig {
  /** Announced in the greeting and EHLO, written into Received fields. */
  hostname: string;
  /** Address the listeners bind to. */
  bind: string;
  auth: {
    /** AUTH without TLS on submission from a loopback address. */
    allowPlaintextOnLoopback: boolean;
  };
  limits: {
    maxMessageBytes: number;
    maxRecipients: number;
    maxLineBytes: number;
    maxConnectionsPerIp: number;
    idleTimeoutSeconds: number;
    shutdownGraceSeconds: number;
  };
}

/** The three SMTP listeners: MX (RFC 5321), submission with STARTTLS and with implicit TLS (RFC 8314). */
export type SmtpRole = 'smtp' | 'submission' | 'submissions';

export interface SmtpDeps {
  config: SmtpConfig;
  log: Logger;
  metrics: MetricsRegistry;
  store: MailStore;
  blobs: BlobStore;
  auth: Authenticator;
  /** The local-delivery pipeline hosted recipients go through. */
  delivery: LocalDelivery;
  /** For STARTTLS and the implicit-TLS listener. */
  secureContext: tls.SecureContext;
  /** The parse-once MIME parser, with the configured limits applied. */
  parse: (raw: Uint8Array) => ParsedMessage;
  /** `smtp` (MX), `submission` (STARTTLS), `submissions` (implicit TLS, RFC 8314). */
  ports: ListenerPorts<SmtpRole>;
}
