// POP3 responses (RFC 1939 §3): "+OK" / "-ERR" status lines, optionally with an RFC 2449 §8
// response code in brackets, and multi-line responses terminated by "." CRLF with lines that
// begin with "." stuffed.

/** Response codes: RFC 2449 §8.1 (IN-USE, LOGIN-DELAY), RFC 3206 (SYS/TEMP, SYS/PERM, AUTH). */
export type RespCode = 'IN-USE' | 'LOGIN-DELAY' | 'SYS/TEMP' | 'SYS/PERM' | 'AUTH';

/** Status text is ours, but never let a CR or LF in it split the response. */
function clean(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

export function okLine(text = ''): string {
  return text ? `+OK ${clean(text)}\r\n` : '+OK\r\n';
}

export function errLine(code: RespCode | null, text: string): string {
  return code ? `-ERR [${code}] ${clean(text)}\r\n` : `-ERR ${clean(text)}\r\n`;
}

/** RFC 5034 §4: a server challenge; PLAIN's is empty ("+ " then CRLF). */
export function continuationLine(challengeBase64 = ''): string {
  return `+ ${challengeBase64}\r\n`;
}

/** "+OK text", then each line (dot-stuffed), then the terminating ".". */
export function multiline(text: string, lines: readonly string[]): string {
  let out = okLine(text);
  for (const line of lines) out += (line.startsWith('.') ? '.' : '') + clean(line) + '\r\n';
  return out + '.\r\n';
}
