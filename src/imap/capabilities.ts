// CAPABILITY (RFC 9051 §6.1.1, §7.2.2). Every extension listed here is complete; what is not
// finished is not advertised.

/** Advertised once logged in (and in the greeting's CAPABILITY code after login). */
const AUTHENTICATED_CAPABILITIES = [
  'IMAP4rev1', 'IMAP4rev2', 'LITERAL+', 'SASL-IR', 'ENABLE', 'ID', 'NAMESPACE', 'IDLE', 'UNSELECT',
  'UIDPLUS', 'MULTIAPPEND', 'MOVE', 'CHILDREN', 'SPECIAL-USE', 'CREATE-SPECIAL-USE', 'LIST-EXTENDED', 'LIST-STATUS',
  'STATUS=SIZE', 'QUOTA', 'QUOTA=RES-STORAGE', 'CONDSTORE', 'QRESYNC', 'ESEARCH',
  'SEARCHRES', 'BINARY', 'UTF8=ACCEPT', 'SORT', 'SORT=DISPLAY', 'THREAD=ORDEREDSUBJECT', 'THREAD=REFERENCES', 'COMPRESS=DEFLATE', 'OBJECTID', 'PREVIEW',
];

export interface CapabilityContext {
  authenticated: boolean;
  secure: boolean;
  /** Plaintext passwords allowed without TLS here (loopback with allowPlaintextOnLoopback). */
  plaintextAllowed: boolean;
  maxMessageBytes: number;
}

export function capabilities(c: CapabilityContext): string[] {
  if (c.authenticated) return [...AUTHENTICATED_CAPABILITIES, `APPENDLIMIT=${c.maxMessageBytes}`];
  const caps = ['IMAP4rev1', 'IMAP4rev2', 'LITERAL+', 'SASL-IR', 'ENABLE', 'ID', 'IDLE', 'NAMESPACE'];
  if (!c.secure) caps.push('STARTTLS');
  // RFC 9051 §6.2.3, §7.2.2: LOGINDISABLED while plaintext passwords are refused.
  if (c.secure || c.plaintextAllowed) caps.push('AUTH=PLAIN');
  else caps.push('LOGINDISABLED');
  return caps;
}
