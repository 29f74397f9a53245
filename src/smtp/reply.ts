// Typed SMTP replies (DESIGN.md §4): policy code throws `SmtpReply(code, enhanced, text)` where a
// rule is broken; the session boundary hands it to smtp-server, which writes
// "<code> <enhanced> <text>". The enhanced code (RFC 3463) travels at the head of the message and
// is lifted out by PosthornConnection (server.ts), because smtp-server otherwise derives it from
// the basic code alone (554 would always say 5.6.0, where a refused relay must say 5.7.1).

export class SmtpReply extends Error {
  readonly responseCode: number;
  readonly enhanced: string;
  readonly text: string;
  constructor(code: number, enhanced: string, text: string) {
    super(`${enhanced} ${text}`);
    this.name = 'SmtpReply';
    this.responseCode = code;
    this.enhanced = enhanced;
    this.text = text;
  }
}

/** RFC 3463 / RFC 5248 codes used by Posthorn, named so call sites read as policy. */
export const replies = {
  relayDenied: () => new SmtpReply(554, '5.7.1', 'Relay access denied'),
  unknownUser: () => new SmtpReply(550, '5.1.1', 'No such user here'),
  badAddress: () => new SmtpReply(553, '5.1.3', 'Bad address syntax'),
  senderNotOwned: () => new SmtpReply(553, '5.7.1', 'Sender address not owned by the authenticated user'),
  quotaAtRcpt: () => new SmtpReply(452, '4.2.2', 'Mailbox full: the declared message size exceeds the quota'),
  quotaAtData: () => new SmtpReply(552, '5.2.2', 'Mailbox full: quota exceeded'),
  tooManyConnections: () => new SmtpReply(421, '4.7.0', 'Too many connections from your address, try again later'),
  bareLineBreak: () => new SmtpReply(554, '5.6.0', 'Message refused: bare CR or LF (only CRLF ends a line, RFC 5321 §2.3.8)'),
  temporaryFailure: () => new SmtpReply(451, '4.3.0', 'Temporary failure, please try again later'),
  authFailed: () => new SmtpReply(535, '5.7.8', 'Authentication credentials invalid'),
  authRateLimited: () => new SmtpReply(454, '4.7.0', 'Too many failed logins, try again later'),
  /** RFC 4954 §6 535 5.7.8; RFC 4616 §2: the server does not let one user act as another. */
  authzidRefused: () => new SmtpReply(535, '5.7.8', 'Authorization identity not allowed'),
  /** RFC 4954 §6: 454 4.7.0 Temporary authentication failure. */
  authBusy: () => new SmtpReply(454, '4.7.0', 'Temporary authentication failure, too many logins in progress'),
  plaintextRefused: () => new SmtpReply(538, '5.7.11', 'Encryption required for requested authentication mechanism'),
};
