// What the POP3 listeners are given by src/server: the store and the services around it, and
// the part of the configuration POP3 reads. Nothing here knows which backend is behind `store`.

import type tls from 'node:tls';
import type { Logger } from '../observe/log.ts';
import type { MetricsRegistry } from '../observe/metrics.ts';
import type { ListenerPorts } from '../net/listener.ts';
import type { MailStore, BlobStore } from '../store/types.ts';
import type { Authenticator } from '../auth/authenticator.ts';
import type { Coordination } from '../store/coordination-types.ts';

/** The settings POP3 reads; the same names as in the server configuration. */
export interface Pop3Config {
  hostname: string;
  auth: {
    /** USER/PASS and AUTH without TLS from a loopback address. */
    allowPlaintextOnLoopback: boolean;
  };
  limits: {
    preAuthTimeoutSeconds: number;
  };
  pop3: {
    /** Default server-side retention of POP-retrieved mail, days; null = until the client deletes. */
    retentionDays: number | null;
  };
}

export type Pop3ListenerName = 'pop3' | 'pop3s';

export interface Pop3Deps {
  config: Pop3Config;
  log: Logger;
  metrics: MetricsRegistry;
  store: MailStore;
  blobs: BlobStore;
  auth: Authenticator;
  /** Shared leases: the maildrop lock (RFC 1939 §4) across nodes. */
  coordination: Coordination;
  /** For STLS and the implicit-TLS listener. */
  secureContext: tls.SecureContext;
  /** `pop3`: plaintext with STLS (RFC 2595); `pop3s`: implicit TLS (RFC 8314). */
  ports: ListenerPorts<Pop3ListenerName>;
}
