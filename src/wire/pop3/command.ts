// POP3 command lines (RFC 1939 §3, RFC 2449 §3): a keyword of three or four characters,
// case-insensitive, then arguments separated by spaces. Pure: a line in (without its CRLF),
// a typed value out. Which keywords exist and in which state is the session's business.

export type ParsedLine =
  | {
      kind: 'command';
      /** Upper-case keyword. */
      keyword: string;
      /** Space-separated arguments (runs of spaces count as one separator). */
      args: string[];
      /**
       * Everything after the first space, verbatim (UTF-8). RFC 1939 §7 allows a server to take
       * spaces in the PASS argument as part of the password, so PASS reads this, not args.
       */
      rest: string;
    }
  | { kind: 'invalid'; reason: string };

/** RFC 2449 §3: keywords are printable ASCII; every keyword we know is 3-4 letters. */
const KEYWORD = /^[A-Za-z]{3,4}$/;

export function parseCommandLine(line: Uint8Array): ParsedLine {
  if (line.length === 0) return { kind: 'invalid', reason: 'empty command' };
  for (const b of line) {
    // No control characters anywhere (NUL, bare CR, TAB …): nothing legitimate sends them and
    // they are the raw material of injection attacks. Octets ≥ 0x80 may occur in passwords.
    if (b < 0x20 || b === 0x7f) return { kind: 'invalid', reason: 'control character in command' };
  }
  const text = Buffer.from(line.buffer, line.byteOffset, line.byteLength).toString('utf8');
  const space = text.indexOf(' ');
  const keyword = space < 0 ? text : text.slice(0, space);
  if (!KEYWORD.test(keyword)) return { kind: 'invalid', reason: 'invalid command keyword' };
  const rest = space < 0 ? '' : text.slice(space + 1);
  const args = rest.split(' ').filter((a) => a.length > 0);
  return { kind: 'command', keyword: keyword.toUpperCase(), args, rest };
}

/**
 * A message number (RFC 1939 §3: "msg"): decimal, from 1. At most 9 digits, so no arithmetic
 * overflows and no number past any real maildrop is accepted. null when malformed.
 */
export function parseMessageNumber(arg: string | undefined): number | null {
  if (arg === undefined || !/^[0-9]{1,9}$/.test(arg)) return null;
  const n = Number(arg);
  return n >= 1 ? n : null;
}

/** A non-negative count (TOP's line count, RFC 1939 §7). null when malformed. */
export function parseCount(arg: string | undefined): number | null {
  if (arg === undefined || !/^[0-9]{1,9}$/.test(arg)) return null;
  return Number(arg);
}

/**
 * An HTTP request line sent to the POP3 port (a browser, or a cross-protocol attack): the
 * session drops such a connection at once instead of answering each line.
 */
export function isHttpRequestLine(line: Uint8Array): boolean {
  const head = Buffer.from(line.buffer, line.byteOffset, Math.min(line.byteLength, 64)).toString('latin1');
  return /^(GET|HEAD|POST|PUT|DELETE|CONNECT|OPTIONS|TRACE|PATCH) \S+ HTTP\/\d/.test(head);
}
