// The protocol listeners, one entry per configured port. Each protocol module contributes its
// services here; a port of 0 disables that listener (DESIGN.md §5).

import { readFileSync } from 'node:fs';
import type { Config } from './config.ts';
import type { ServerDeps, Service } from './deps.ts';
import { ConfigError } from './config.ts';
import { imapServices } from '../imap/services.ts';
import { pop3Services } from '../pop3/services.ts';
import { smtpServices, type SmtpOptions } from '../smtp/services.ts';
import { systemResolver } from '../smtp/dns.ts';

/** Outbound delivery settings from the configuration (queue.*, dns.*). */
export function smtpOptionsFrom(config: Config): SmtpOptions {
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

export function protocolServices(deps: ServerDeps): Service[] {
  return [...smtpServices(deps, smtpOptionsFrom(deps.config)), ...pop3Services(deps), ...imapServices(deps)];
}
