// The policy side of an SMTP session: smtp-server parses the wire and calls these handlers; each
// decides with one or two store calls and answers with an SmtpReply (code + RFC 3463 code).
//
// Implementation notes (rules every change must keep):
// - Never an open relay: a recipient in a domain we do not host is accepted only from an
//   authenticated submission session (RFC 6409); otherwise 554 5.7.1. smtp-server strips source
//   routes (`<@us:u@ext>` is u@ext, RFC 5321 §4.1.2 / App. C) so they hit the same rule;
//   `user%ext@us` is just a local part of ours (no %-hack routing); `"u@ext"@us` fails syntax.
// - 250 to DATA only after MailRouter.route has made the message durable for every recipient.
// - One DATA reply per transaction (SMTP has no per-recipient DATA replies, unlike LMTP): if some
//   recipients are over quota at end of data, the others are delivered, we answer 250 and send
//   the sender a DSN for the failed ones; only when all fail do we answer 552 5.2.2.

import type { SMTPServerAddress, SMTPServerAuthentication, SMTPServerAuthenticationResponse, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import type { SmtpDeps, SmtpRole } from './deps.ts';
import { isLoopback, normaliseIp } from '../net/address.ts';
import { normaliseAddress } from '../mail/address.ts';
import type { Account, RecipientTarget } from '../store/types.ts';
import { accountStanding, standingMessage } from '../auth/account-standing.ts';
import { SmtpReply, replies } from './reply.ts';
import { readData } from './data.ts';
import { receivedField } from './trace.ts';
import { withoutForgedResults } from '../mail/header-fields.ts';
import { verifyMessage } from './authentication.ts';
import { mayUseSender, prepareSubmission, SenderNotOwned } from '../delivery/submission.ts';
import type { DnsResolver } from '../net/dns.ts';
import type { MailRouter, RoutedRecipient } from '../delivery/router.ts';
import { buildDsn } from '../queue/dsn.ts';

export type { SmtpRole } from './deps.ts';

/** MAIL parameters of the extensions we advertise: SIZE (RFC 1870), BODY (RFC 6152), SMTPUTF8 (RFC 6531), AUTH (RFC 4954 §5). */
const MAIL_PARAMETERS = new Set(['SIZE', 'BODY', 'SMTPUTF8', 'AUTH']);

export interface SessionUser {
  id: number;
  address: string;
  /** The account as it was at AUTH: its standing is checked against it before every message. */
  account: Account;
}

interface Transaction {
  sender: string;
  recipients: Map<string, RoutedRecipient>;
}

export interface SessionHandlersOptions {
  deps: SmtpDeps;
  role: SmtpRole;
  resolver: DnsResolver;
  router: MailRouter;
}

function ipOf(session: SMTPServerSession): string {
  return normaliseIp(session.remoteAddress ?? 'unknown');
}

type Callback = (err?: Error | null) => void;
type Counter = (labels?: Record<string, string>, by?: number) => void;

/** Runs an async handler and hands its outcome to smtp-server's callback; unexpected errors become 451 4.3.0 and a log line. */
function settle(deps: SmtpDeps, session: SMTPServerSession, what: string, cb: Callback, fn: () => Promise<string | void>, count: Counter): void {
  fn().then(
    (message) => (cb as (err: null, message?: string) => void)(null, message ?? undefined),
    (err: unknown) => {
      count({ stage: what, code: String(err instanceof SmtpReply ? err.responseCode : 451) });
      if (err instanceof SmtpReply) {
        deps.log.info({ event: 'smtp-rejected', protocol: 'smtp', remote: ipOf(session), account: (session.user as SessionUser | undefined)?.address, stage: what, code: err.responseCode, enhanced: err.enhanced });
        return cb(err);
      }
      deps.log.error({ event: 'smtp-error', protocol: 'smtp', remote: ipOf(session), stage: what, err: (err as Error).message });
      cb(replies.temporaryFailure());
    },
  );
}

export class SessionHandlers {
  private readonly opts: SessionHandlersOptions;
  private readonly transactions = new WeakMap<SMTPServerSession, Transaction>();
  private readonly refusals: Counter;
  private readonly accepted: Counter;
  private readonly logins: Counter;

  constructor(opts: SessionHandlersOptions) {
    this.opts = opts;
    const m = opts.deps.metrics;
    this.refusals = m.counter('posthorn_smtp_refusals_total', 'SMTP commands refused, by stage (mail, rcpt, data) and reply code');
    this.accepted = m.counter('posthorn_smtp_messages_total', 'Messages accepted (250 to DATA), by listener');
    this.logins = m.counter('posthorn_smtp_logins_total', 'SMTP AUTH attempts by result');
  }

  private settle(session: SMTPServerSession, what: string, cb: Callback, fn: () => Promise<string | void>): void {
    settle(this.deps, session, what, cb, fn, (labels) => this.refusals({ listener: this.opts.role, ...labels }));
  }

  private get deps(): SmtpDeps {
    return this.opts.deps;
  }

  // RFC 4954 §4; RFC 6409 §4.3: submission needs an authenticated user.
  onAuth(auth: SMTPServerAuthentication, session: SMTPServerSession, cb: (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void): void {
    const ip = ipOf(session);
    const plaintextOk = this.deps.config.auth.allowPlaintextOnLoopback && isLoopback(ip);
    if (!session.secure && !plaintextOk) return cb(replies.plaintextRefused());
    // RFC 4616 §2: acting as someone else is not allowed. smtp-server falls back to the authzid as
    // the user when the authcid is empty (clients that put it there); both given and different
    // is a request to act as another user, refused as IMAP and POP3 refuse it.
    if (auth.method === 'PLAIN' && auth.authcid && auth.authzid && auth.authzid.toLowerCase() !== auth.authcid.toLowerCase()) {
      this.logins({ result: 'invalid' });
      this.deps.log.info({ event: 'login-failed', protocol: 'smtp', remote: ip, reason: 'authzid-mismatch' });
      return cb(replies.authzidRefused());
    }
    this.deps.auth.authenticate(auth.username ?? '', auth.password ?? '', { ip, protocol: 'smtp' }).then(
      (result) => {
        this.logins({ result: result.ok ? 'ok' : result.reason });
        if (result.ok) {
          this.deps.log.info({ event: 'login', protocol: 'smtp', remote: ip, account: result.account.address });
          const user: SessionUser = { id: result.account.id, address: result.account.address, account: result.account };
          return cb(null, { user });
        }
        this.deps.log.info({ event: 'login-failed', protocol: 'smtp', remote: ip, reason: result.reason });
        cb(result.reason === 'rate-limited' ? replies.authRateLimited() : result.reason === 'busy' ? replies.authBusy() : replies.authFailed());
      },
      (err: unknown) => {
        this.deps.log.error({ event: 'smtp-error', protocol: 'smtp', remote: ip, stage: 'auth', err: (err as Error).message });
        cb(replies.temporaryFailure());
      },
    );
  }

  onMailFrom(address: SMTPServerAddress, session: SMTPServerSession, cb: Callback): void {
    this.settle(session, 'mail', cb, async () => {
      // RFC 5321 §4.1.1.11: parameters of extensions we do not offer (DSN's RET/ENVID …) are refused.
      const unknown = Object.keys(address.args || {}).find((k) => !MAIL_PARAMETERS.has(k));
      if (unknown) throw new SmtpReply(555, '5.5.4', `Unsupported parameter ${unknown.slice(0, 20)}`);
      const user = session.user as SessionUser | undefined;
      // RFC 6409 §4.3: submission requires authentication (also while AUTH is hidden before TLS).
      if (this.opts.role !== 'smtp' && !user) throw new SmtpReply(530, '5.7.0', 'Authentication required');
      if (user) {
        // A user removed, disabled or given a new password since AUTH sends no more mail on this
        // session: 421 closes it (RFC 5321 §3.8), and the client must authenticate anew.
        const standing = await accountStanding(this.deps.store, user.account);
        if (standing !== 'valid') {
          this.deps.log.info({ event: 'session-ended', protocol: 'smtp', remote: ipOf(session), account: user.address, reason: standing });
          throw new SmtpReply(421, '4.7.0', standingMessage(standing));
        }
      }
      // RFC 6409 §6.1: the submission server may check that the sender is the user's.
      if (user && !(address.address && (await mayUseSender(this.deps.store, user, address.address)))) throw replies.senderNotOwned();
      this.transactions.set(session, { sender: address.address ?? '', recipients: new Map() });
    });
  }

  onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, cb: Callback): void {
    this.settle(session, 'rcpt', cb, async () => {
      // No RCPT parameters are offered (no DSN extension): NOTIFY=/ORCPT= are refused, not ignored.
      const unknown = Object.keys(address.args || {})[0];
      if (unknown) throw new SmtpReply(555, '5.5.4', `Unsupported parameter ${unknown.slice(0, 20)}`);
      const tx = this.transactions.get(session);
      if (!tx) throw new SmtpReply(503, '5.5.1', 'Need MAIL command');
      // RFC 5321 §4.5.1: "postmaster" without a domain is ours.
      const given = address.address.toLowerCase() === 'postmaster' ? `postmaster@${this.deps.config.hostname}` : address.address;
      const normal = normaliseAddress(given);
      if (!normal) throw replies.badAddress();
      let targets: RecipientTarget[] | null = await this.deps.store.resolveRecipient(normal);
      if (targets === null) {
        if (!session.user) throw replies.relayDenied();
        targets = [{ kind: 'external', address: normal }];
      }
      if (targets.length === 0) throw replies.unknownUser();
      // RFC 1870 §6: a declared SIZE that no local mailbox of this recipient can take is refused now.
      const mailFrom = session.envelope.mailFrom;
      const declared = Number((mailFrom && mailFrom.args && mailFrom.args.SIZE) || 0);
      if (declared > 0 && targets.every((t) => t.kind === 'local' && t.account.quotaBytes !== null && t.account.usedBytes + declared > t.account.quotaBytes)) {
        throw replies.quotaAtRcpt();
      }
      tx.recipients.set(normal, { address: normal, targets });
    });
  }

  onData(stream: SMTPServerDataStream, session: SMTPServerSession, cb: Callback): void {
    this.settle(session, 'data', cb, async () => {
      const { config, log } = this.deps;
      const data = await readData(stream, config.limits.maxMessageBytes);
      // Oversized: smtp-server answers 552 5.3.4 itself (rejectOversized) whatever we say.
      if (data.oversized) return;
      if (data.bareLineBreak) throw replies.bareLineBreak();
      const tx = this.transactions.get(session);
      if (!tx || tx.recipients.size === 0) throw new SmtpReply(503, '5.5.1', 'Need RCPT command');
      this.transactions.delete(session);
      const user = session.user as SessionUser | undefined;
      const raw = user ? await this.prepareSubmission(data.raw, session, user, tx) : await this.prepareInbound(data.raw, session, tx);
      const recipients = [...tx.recipients.values()];
      const outcome = await this.opts.router.route(tx.sender, recipients, raw);
      log.info({ event: 'smtp-accepted', protocol: this.opts.role, remote: ipOf(session), account: user?.address, from: tx.sender, delivered: outcome.delivered.length, overQuota: outcome.overQuota.length, queued: outcome.queuedId, size: raw.length });
      if (outcome.delivered.length === 0) throw replies.quotaAtData();
      if (outcome.overQuota.length > 0 && tx.sender !== '') {
        const dsn = buildDsn({
          reportingMta: config.hostname,
          to: tx.sender,
          arrivalDate: Date.now(),
          original: raw,
          recipients: outcome.overQuota.map((address) => ({ address, action: 'failed', status: '5.2.2', diagnostic: '552 5.2.2 Mailbox full: quota exceeded', remoteMta: null, lastAttemptAt: Date.now() })),
        });
        await this.opts.router.submitBounce(tx.sender, dsn);
      }
      this.accepted({ listener: this.opts.role });
      return `Ok: message accepted ${session.id}`;
    });
  }

  private receivedFor(session: SMTPServerSession, tx: Transaction): string {
    return receivedField({
      helo: session.hostNameAppearsAs || 'unknown',
      ip: ipOf(session),
      hostname: this.deps.config.hostname,
      protocol: session.transmissionType || 'ESMTP',
      id: session.id,
      recipient: tx.recipients.size === 1 ? [...tx.recipients.keys()][0] : null,
      tls: session.tlsOptions ? { version: session.tlsOptions.version, cipher: session.tlsOptions.name } : null,
    });
  }

  /** MX: our trace field and the verdicts of SPF/DKIM/DMARC (RFC 8601), forged verdicts removed. */
  private async prepareInbound(message: Buffer, session: SMTPServerSession, tx: Transaction): Promise<Buffer> {
    const hostname = this.deps.config.hostname;
    const clean = withoutForgedResults(message, hostname);
    const verdict = await verifyMessage({ message: clean, ip: ipOf(session), helo: session.hostNameAppearsAs || '', sender: tx.sender, hostname, resolver: this.opts.resolver });
    return Buffer.concat([Buffer.from(verdict.header + this.receivedFor(session, tx), 'utf8'), clean]);
  }

  /** Submission: From: must be the user's (RFC 6409 §8), Date/Message-ID added, DKIM-signed (src/delivery/submission.ts). */
  private async prepareSubmission(submitted: Buffer, session: SMTPServerSession, user: SessionUser, tx: Transaction): Promise<Buffer> {
    try {
      return await prepareSubmission({ store: this.deps.store, hostname: this.deps.config.hostname }, submitted, user, this.receivedFor(session, tx));
    } catch (err) {
      if (err instanceof SenderNotOwned) throw replies.senderNotOwned();
      throw err;
    }
  }
}
