// The protocol listeners, one entry per configured port. Each protocol module contributes its
// services here; a port of 0 disables that listener (DESIGN.md §5).

import type { ServerDeps, Service } from './deps.ts';
import { imapServices } from '../imap/services.ts';
import { pop3Services } from '../pop3/services.ts';
import { smtpServices } from '../smtp/services.ts';

export function protocolServices(deps: ServerDeps): Service[] {
  return [...smtpServices(deps), ...pop3Services(deps), ...imapServices(deps)];
}
