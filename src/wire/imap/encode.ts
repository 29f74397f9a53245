// Response encoding (RFC 9051 §4, §7, §9).
//
// ResponseBuilder collects one response as text plus literal payloads, and joins them once in
// toBuffer(). Strings pick their own form: quoted when every byte may appear in a quoted string
// and the value is short, a literal otherwise (CR, LF, 8-bit without UTF-8 enabled, long
// values), literal8 for binary data (RFC 3516). Response text never carries CR or LF: any that
// sneak into a message text are replaced, so nothing can inject a second response line.

import { isUtf8 } from 'node:buffer';
import { formatDateTime } from './datetime.ts';
import { encodeMailboxUtf7 } from './utf7.ts';

/** Longest value sent as a quoted string; longer values go as literals, which need no escaping. */
export const MAX_QUOTED_BYTES = 1024;

export interface EncodeOptions {
  /** UTF8=ACCEPT / IMAP4rev2: valid UTF-8 may go in quoted strings (RFC 9051 §4.3, RFC 6855 §3). */
  utf8?: boolean;
}

// ATOM-CHAR without "]" and the list wildcards: safe unquoted anywhere an astring may stand.
const ATOM = /^[!#$&'+,\-./0-9:;<=>?@A-Z[^_`a-z|}~]+$/;

type QuoteClass = 'quoted' | 'quoted-utf8' | 'literal' | 'literal8';

function classify(bytes: Buffer): QuoteClass {
  let cls: QuoteClass = bytes.length > MAX_QUOTED_BYTES ? 'literal' : 'quoted';
  let high = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0) return 'literal8';
    if (b === 0x0d || b === 0x0a) cls = 'literal';
    else if (b >= 0x80) high = true;
  }
  if (cls === 'quoted' && high) cls = 'quoted-utf8';
  return cls;
}

export class ResponseBuilder {
  private parts: Buffer[] = [];
  private text = '';
  private readonly options: EncodeOptions;

  constructor(options: EncodeOptions = {}) {
    this.options = options;
  }

  /** Appends protocol text as is (the caller guarantees it is valid at this point). */
  raw(text: string): this {
    this.text += text;
    return this;
  }

  sp(): this {
    this.text += ' ';
    return this;
  }

  number(n: number): this {
    this.text += String(n);
    return this;
  }

  nil(): this {
    this.text += 'NIL';
    return this;
  }

  /** string = quoted / literal: quoted when valid and short, else a literal. */
  string(value: string | Buffer): this {
    // Fast path for the common case: short 7-bit text without CR, LF or NUL, no Buffer needed.
    if (typeof value === 'string' && value.length <= MAX_QUOTED_BYTES && isPlainAscii(value)) {
      this.text += quote(value);
      return this;
    }
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    const cls = classify(bytes);
    if (cls === 'quoted') {
      this.text += quote(bytes.toString('latin1'));
      return this;
    }
    if (cls === 'quoted-utf8' && this.options.utf8 && isUtf8(bytes)) {
      this.text += quote(bytes.toString('utf8'));
      return this;
    }
    return this.literal(bytes);
  }

  nstring(value: string | Buffer | null): this {
    return value === null ? this.nil() : this.string(value);
  }

  /** astring: a bare atom when safe (and not NIL, which would read as nothing), else a string. */
  astring(value: string): this {
    if (ATOM.test(value) && value.toUpperCase() !== 'NIL') {
      this.text += value;
      return this;
    }
    return this.string(value);
  }

  /**
   * literal = "{" number "}" CRLF *CHAR8. CHAR8 excludes NUL (RFC 9051 §4.3): NULs in a plain
   * literal are sent as 0x80, as Dovecot does; clients that want the bytes ask for BINARY[].
   */
  literal(bytes: Buffer): this {
    let data = bytes;
    if (bytes.includes(0)) {
      data = Buffer.from(bytes);
      for (let i = data.indexOf(0); i !== -1; i = data.indexOf(0, i + 1)) data[i] = 0x80;
    }
    this.text += `{${data.length}}\r\n`;
    return this.payload(data);
  }

  /** literal8 = "~{" number "}" CRLF *OCTET (RFC 3516 §6): any bytes, for BINARY[] only. */
  literal8(bytes: Buffer): this {
    this.text += `~{${bytes.length}}\r\n`;
    return this.payload(bytes);
  }

  private payload(bytes: Buffer): this {
    this.flushText();
    if (bytes.length > 0) this.parts.push(bytes);
    return this;
  }

  private flushText(): void {
    if (this.text) {
      this.parts.push(Buffer.from(this.text, 'utf8'));
      this.text = '';
    }
  }

  /** flag-list "(" flag *(SP flag) ")"; flags are atoms (RFC 9051 §9), checked by the store. */
  flags(flags: readonly string[]): this {
    this.text += '(' + flags.join(' ') + ')';
    return this;
  }

  /** A parenthesised list of strings, or NIL when empty and nilIfEmpty. */
  stringList(values: readonly string[], nilIfEmpty = false): this {
    if (values.length === 0 && nilIfEmpty) return this.nil();
    this.text += '(';
    values.forEach((v, i) => {
      if (i > 0) this.text += ' ';
      this.string(v);
    });
    this.text += ')';
    return this;
  }

  /** date-time in quotes: "17-Jul-1996 02:44:25 -0700" (RFC 9051 §9). */
  dateTime(ms: number, offsetMinutes = 0): this {
    this.text += '"' + formatDateTime(ms, offsetMinutes) + '"';
    return this;
  }

  /** A mailbox name in wire form: modified UTF-7 unless UTF-8 is enabled (RFC 9051 §5.1.3). */
  mailbox(name: string): this {
    return this.astring(this.options.utf8 ? name : encodeMailboxUtf7(name));
  }

  /** Ends the response with CRLF and returns its bytes. */
  line(): Buffer {
    this.text += '\r\n';
    return this.toBuffer();
  }

  /**
   * The response as separate buffers (text pieces and literal payloads, uncopied), for
   * socket.writev / cork-write when the payload is large. Call instead of toBuffer().
   */
  toChunks(): Buffer[] {
    this.flushText();
    return this.parts;
  }

  toBuffer(): Buffer {
    if (this.parts.length === 0) return Buffer.from(this.text, 'utf8');
    this.flushText();
    return this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
  }
}

/** quoted = DQUOTE *QUOTED-CHAR DQUOTE; escapes DQUOTE and "\" (RFC 9051 §9). */
export function quote(value: string): string {
  if (value.indexOf('"') === -1 && value.indexOf('\\') === -1) return '"' + value + '"';
  return '"' + value.replace(/["\\]/g, '\\$&') + '"';
}

/** Only %x01-7F without CR and LF: valid inside a quoted string as it is. */
function isPlainAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c === 0x0d || c === 0x0a || c >= 0x80) return false;
  }
  return true;
}

/** Human-readable text for the end of a response line: no CR, LF or NUL (RFC 9051 §9 text). */
export function safeText(text: string): string {
  return text.replace(/[\r\n\0]+/g, ' ');
}

export type Status = 'OK' | 'NO' | 'BAD' | 'PREAUTH' | 'BYE';

/** "tag OK [CODE] text\r\n" (RFC 9051 §7.1). code is the bracket content without brackets. */
export function taggedResponse(tag: string, status: 'OK' | 'NO' | 'BAD', text: string, code: string | null = null): Buffer {
  return Buffer.from(`${tag} ${status} ${code ? `[${code}] ` : ''}${safeText(text)}\r\n`, 'utf8');
}

/** "* OK [CODE] text\r\n" and the other status responses (RFC 9051 §7.1). */
export function untaggedStatus(status: Status, text: string, code: string | null = null): Buffer {
  return Buffer.from(`* ${status} ${code ? `[${code}] ` : ''}${safeText(text)}\r\n`, 'utf8');
}

/** "+ text\r\n": continuation request (RFC 9051 §7.6); text may be base64 for AUTHENTICATE. */
export function continuation(text = 'Ready for literal data'): Buffer {
  return Buffer.from(`+ ${safeText(text)}\r\n`, 'utf8');
}

/** "* <line>\r\n" for untagged data made of plain protocol text (CAPABILITY, EXISTS …). */
export function untagged(text: string): Buffer {
  return Buffer.from(`* ${text}\r\n`, 'utf8');
}
