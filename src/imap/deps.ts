// What the IMAP listeners are given by src/server: the store and the services around it, and
// the part of the configuration IMAP reads. Nothing here knows which backend is behind `store`.

import type tls from 'node:tls';
import type { Logger } from '../observe/log.ts';
import type { MetricsRegistry } from '../observe/metrics.ts';
import type { ListenerPorts } from '../net/listener.ts';
import type { MailStore, BlobStore, ChangeBus } from '../store/types.ts';
import type { Authenticator } from '../auth/authenticator.ts';
import type { Coordination } from '../store/coordination-types.ts';
import type { ParsedMessage } from '../wire/mime/types.ts';

/** The settings IMAP reads; the same names as in the server configuration. */
export interface ImapConfig {
  hostname: string;
  auth: {
    /** Plaintext LOGIN/AUTHENTICATE without TLS from a loopback address. */
    allowPlaintextOnLoopback: boolean;
  };
  limits: {
    maxMessageBytes: number;
    maxLineBytes: number;
    maxLiteralBytes: number;
    maxConnectionsPerAccount: number;
    appendMemoryBytes: number;
    appendWaitSeconds: number;
    idleTimeoutSeconds: number;
    /** "* OK Still here" this often during IDLE; 0: never. */
    idleKeepaliveSeconds: number;
    preAuthTimeoutSeconds: number;
  };
}

export type ImapListenerName = 'imap' | 'imaps';

export interface ImapDeps {
  config: ImapConfig;
  log: Logger;
  metrics: MetricsRegistry;
  store: MailStore;
  blobs: BlobStore;
  bus: ChangeBus;
  auth: Authenticator;
  /** Shared per-account session slots (sessions per account across nodes). */
  coordination: Coordination;
  /** For STARTTLS and the implicit-TLS listener. */
  secureContext: tls.SecureContext;
  /** The parse-once MIME parser (APPEND), with the configured limits applied. */
  parse: (raw: Uint8Array) => ParsedMessage;
  /** `imap`: plaintext with STARTTLS (RFC 9051 §6.2.1); `imaps`: implicit TLS (RFC 8314). */
  ports: ListenerPorts<ImapListenerName>;
}
