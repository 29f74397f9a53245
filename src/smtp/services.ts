// The SMTP listeners (DESIGN.md §5): `smtp` (MX, port 25's role: no AUTH, STARTTLS offered),
// `submission` (STARTTLS, AUTH required) and `submissions` (implicit TLS, AUTH required), each
// only when its port is non-zero. They hand accepted mail to the router the server gives them
// (src/delivery/router.ts: hosted recipients through local delivery, the rest into the queue).
//
// Implementation notes:
// - Per-IP connection limit (limits.max_connections_per_ip) is counted per listener in
//   onConnect, before the greeting; the refusal is "421 4.7.0".
// - Shutdown: stop accepting, give sessions limits.shutdown_grace to finish (smtp-server's
//   closeTimeout, then 421).

import type { SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import { isLoopback, normaliseIp } from '../net/address.ts';
import { listenOn, boundPort, type Listener } from '../net/listener.ts';
import type { SmtpDeps } from './deps.ts';
import { PosthornSmtpServer } from './wire-server.ts';
import { SessionHandlers, type SmtpRole } from './session.ts';
import { replies } from './reply.ts';
import type { DnsResolver } from '../net/dns.ts';
import type { MailRouter } from '../delivery/router.ts';

/** Where accepted mail goes, and the resolver shared by the inbound checks and the MX lookups. */
export interface SmtpOutbound {
  router: MailRouter;
  resolver: DnsResolver;
}

export class SmtpService implements Listener {
  readonly name: SmtpRole;
  private readonly deps: SmtpDeps;
  private readonly bindPort: number;
  private readonly server: PosthornSmtpServer;
  private readonly perIp = new Map<string, number>();
  private readonly counted = new WeakSet<SMTPServerSession>();

  constructor(deps: SmtpDeps, role: SmtpRole, port: number, outbound: SmtpOutbound) {
    this.name = role;
    this.deps = deps;
    this.bindPort = port;
    const { config } = deps;
    const handlers = new SessionHandlers({ deps, role, resolver: outbound.resolver, router: outbound.router });
    const options: SMTPServerOptions = {
      name: config.hostname,
      banner: 'Posthorn',
      logger: false,
      secure: role === 'submissions',
      // RFC 1870 SIZE advertised; over it 552 5.3.4 at MAIL (declared) and at end of data.
      size: config.limits.maxMessageBytes,
      rejectOversized: true,
      hideENHANCEDSTATUSCODES: false,
      hidePIPELINING: false,
      hide8BITMIME: false,
      hideSMTPUTF8: false,
      maxRecipients: config.limits.maxRecipients,
      maxCommandLength: config.limits.maxLineBytes,
      socketTimeout: config.limits.idleTimeoutSeconds * 1000,
      closeTimeout: config.limits.shutdownGraceSeconds * 1000,
      disableReverseLookup: true,
      authMethods: ['PLAIN', 'LOGIN'],
      authRequiredMessage: 'Authentication required',
      // The MX takes no logins (RFC 6409: users submit on 587/465). On submission, smtp-server may
      // let AUTH through without TLS only when loopback plaintext is configured; onAuth then
      // refuses it from anywhere but loopback.
      disabledCommands: role === 'smtp' ? ['AUTH'] : [],
      allowInsecureAuth: role !== 'smtp' && config.auth.allowPlaintextOnLoopback,
      onConnect: (session, cb) => this.admit(session, cb),
      // RFC 3207 §4.2: after STARTTLS the session starts over, now with AUTH available.
      onSecure: (_socket, session, cb) => {
        session.disabledCommands = undefined;
        cb();
      },
      onClose: (session) => this.leave(session),
      onAuth: (auth, session, cb) => handlers.onAuth(auth, session, cb),
      onMailFrom: (address, session, cb) => handlers.onMailFrom(address, session, cb),
      onRcptTo: (address, session, cb) => handlers.onRcptTo(address, session, cb),
      onData: (stream, session, cb) => handlers.onData(stream, session, cb),
    };
    this.server = new PosthornSmtpServer(options, deps.secureContext);
    this.server.on('error', (err: Error & { remoteAddress?: string }) => {
      deps.log.debug({ event: 'connection-error', protocol: role, remote: err.remoteAddress, err: err.message });
    });
  }

  private admit(session: SMTPServerSession, cb: (err?: Error | null) => void): void {
    const ip = normaliseIp(session.remoteAddress);
    const count = this.perIp.get(ip) ?? 0;
    if (count >= this.deps.config.limits.maxConnectionsPerIp) {
      this.deps.log.warn({ event: 'connection-refused', protocol: this.name, remote: ip, reason: 'too-many-connections' });
      return cb(replies.tooManyConnections());
    }
    this.perIp.set(ip, count + 1);
    this.counted.add(session);
    // RFC 4954 §4: no AUTH advertised (or accepted) where it may not be used: on submission
    // before TLS, except on loopback when plaintext is configured there.
    const plaintextOk = this.deps.config.auth.allowPlaintextOnLoopback && isLoopback(ip);
    if (this.name === 'submission' && !plaintextOk) session.disabledCommands = ['AUTH'];
    cb();
  }

  private leave(session: SMTPServerSession): void {
    if (!this.counted.has(session)) return;
    this.counted.delete(session);
    const ip = normaliseIp(session.remoteAddress);
    const left = (this.perIp.get(ip) ?? 1) - 1;
    if (left <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, left);
  }

  get port(): number {
    return boundPort(this.server.server);
  }

  async listen(): Promise<number> {
    return listenOn(this.server.server, this.bindPort, this.deps.config.bind);
  }

  async close(graceMs: number): Promise<void> {
    this.server.options.closeTimeout = Math.max(1, graceMs);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The enabled SMTP listeners, all handing mail to one router with one resolver. */
export function smtpServices(deps: SmtpDeps, outbound: SmtpOutbound): SmtpService[] {
  const enabled = SMTP_ROLES.flatMap((role) => {
    const port = deps.ports[role];
    return port === null ? [] : [{ role, port }];
  });
  return enabled.map(({ role, port }) => new SmtpService(deps, role, port, outbound));
}

const SMTP_ROLES: readonly SmtpRole[] = ['smtp', 'submission', 'submissions'];
