// The header fields of an Email (or body part) being created (RFC 8621 §4.6), from its
// convenience properties (subject, from, messageId …) and its "header:Name:asForm:all"
// properties (§4.1.3), each in the parsed forms §4.1.2 allows for that field. Values become
// header text here: RFC 2047 encoded words for non-ASCII text and display names, angle
// brackets for message ids and URLs, RFC 5322 §3.3 dates. No value may carry CR, LF or NUL
// (a Raw value only as folding, CRLF followed by white space): header injection is refused as
// invalidProperties, never written.

import MimeNode from 'nodemailer/lib/mime-node';
import { quoteString } from 'nodemailer/lib/mime-funcs';
import { isPlainObject } from '../args.ts';
import type { OutField } from './mime-build.ts';
import { formAllowed, type HeaderForm } from './header-forms.ts';

/** A property the client got wrong; the create fails with invalidProperties naming it. */
export class InvalidProperty extends Error {
  readonly property: string;
  constructor(property: string, description: string) {
    super(description);
    this.property = property;
  }
}

/** RFC 8621 §4.1.3 convenience properties: the header field and form each stands for. */
export const CONVENIENCE_HEADERS: Record<string, { name: string; form: HeaderForm }> = {
  messageId: { name: 'Message-ID', form: 'MessageIds' },
  inReplyTo: { name: 'In-Reply-To', form: 'MessageIds' },
  references: { name: 'References', form: 'MessageIds' },
  sender: { name: 'Sender', form: 'Addresses' },
  from: { name: 'From', form: 'Addresses' },
  to: { name: 'To', form: 'Addresses' },
  cc: { name: 'Cc', form: 'Addresses' },
  bcc: { name: 'Bcc', form: 'Addresses' },
  replyTo: { name: 'Reply-To', form: 'Addresses' },
  subject: { name: 'Subject', form: 'Text' },
  sentAt: { name: 'Date', form: 'Date' },
};

const HEADER_PROPERTY = /^header:([\x21-\x39\x3b-\x7e]+)(?::as(Raw|Text|Addresses|GroupedAddresses|MessageIds|Date|URLs))?(:all)?$/;

export function isHeaderProperty(property: string): boolean {
  return property.startsWith('header:');
}

/** Characters that would end a header line or are never allowed in one. */
const LINE_BREAKING = /[\r\n\0]/;
/** Characters that would break an address or id out of its syntax. */
const UNSAFE_TOKEN = /[\x00-\x20\x7f<>,;"()\\]/;

function text(property: string, v: unknown, what = 'a string'): string {
  if (typeof v !== 'string') throw new InvalidProperty(property, `must be ${what}`);
  if (LINE_BREAKING.test(v)) throw new InvalidProperty(property, 'must not contain CR, LF or NUL');
  return v;
}

function list(property: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new InvalidProperty(property, 'must be a list');
  return v;
}

function token(property: string, v: unknown, what: string): string {
  const s = text(property, v, what);
  if (s.length === 0 || UNSAFE_TOKEN.test(s)) throw new InvalidProperty(property, `is not a usable ${what}`);
  return s;
}

interface MailboxInput {
  name?: string;
  address: string;
}

function emailAddress(property: string, v: unknown): MailboxInput {
  if (!isPlainObject(v) || Object.keys(v).some((k) => k !== 'name' && k !== 'email')) throw new InvalidProperty(property, 'an EmailAddress is {name, email}');
  const address = token(property, v.email, 'email address');
  const name = v.name === undefined || v.name === null ? null : text(property, v.name);
  return name ? { name, address } : { address };
}

/** An RFC 5322 §3.2.5 phrase: encoded words when not ASCII (RFC 2047 §5), quoted when it has specials. */
function phrase(name: string): string {
  if (/[^\x20-\x7e]/.test(name)) return MimeNode.encodeHeaderValue('X-Phrase', name);
  return /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]+$/.test(name) ? name : quoteString(name);
}

/** RFC 5322 §3.3 date-time from a JMAP Date (RFC 3339), keeping the sender's offset. */
export function rfc5322Date(property: string, v: unknown): string {
  const s = text(property, v, 'a Date');
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.exec(s);
  if (!m) throw new InvalidProperty(property, 'must be a Date (RFC 3339)');
  const [, y, mo, d, h, mi, sec, zone] = m;
  const local = new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +sec));
  if (local.getUTCDate() !== +d || +h > 23 || +mi > 59 || +sec > 60) throw new InvalidProperty(property, 'is not a valid date');
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][local.getUTCDay()];
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][+mo - 1];
  const offset = zone.toUpperCase() === 'Z' ? '+0000' : zone.replace(':', '');
  return `${day}, ${+d} ${month} ${y} ${h}:${mi}:${sec} ${offset}`;
}

/** The header text of one value in one form. */
function encode(property: string, form: HeaderForm, v: unknown): string {
  switch (form) {
    case 'Raw':
      return rawValue(property, v);
    case 'Text':
      return MimeNode.encodeHeaderValue('X-Text', text(property, v));
    case 'Addresses':
      return MimeNode.encodeHeaderValue('To', list(property, v).map((a) => emailAddress(property, a)));
    case 'GroupedAddresses': {
      const groups = list(property, v).map((g) => {
        if (!isPlainObject(g) || !Array.isArray(g.addresses) || Object.keys(g).some((k) => k !== 'name' && k !== 'addresses')) {
          throw new InvalidProperty(property, 'an EmailAddressGroup is {name, addresses}');
        }
        const members = MimeNode.encodeHeaderValue('To', g.addresses.map((a) => emailAddress(property, a)));
        // RFC 5322 §3.4 group: display-name ":" [group-list] ";"
        return g.name === null || g.name === undefined ? members : `${phrase(text(property, g.name))}:${members ? ' ' + members : ''};`;
      });
      return groups.filter((g) => g !== '').join(', ');
    }
    case 'MessageIds':
      return list(property, v)
        .map((id) => `<${token(property, id, 'message id')}>`)
        .join(' ');
    case 'Date':
      return rfc5322Date(property, v);
    case 'URLs':
      // RFC 2369 §3: each URL in angle brackets, separated by commas.
      return list(property, v)
        .map((u) => `<${token(property, u, 'URL')}>`)
        .join(', ');
  }
}

/** A Raw value (RFC 8621 §4.1.2.1): as given, but a line break only as folding. */
function rawValue(property: string, v: unknown): string {
  if (typeof v !== 'string') throw new InvalidProperty(property, 'must be a string');
  if (v.includes('\0') || /\r(?!\n[ \t])|(?<!\r)\n/.test(v)) throw new InvalidProperty(property, 'CR and LF may only appear as folding (CRLF followed by white space)');
  return v.replace(/^[ \t]/, '');
}

function fieldsOf(property: string, name: string, form: HeaderForm, all: boolean, v: unknown): OutField[] {
  if (v === null || v === undefined) return [];
  const values = all ? list(property, v) : [v];
  return values.map((one) => (form === 'Raw' ? { name, value: rawValue(property, one), raw: true } : { name, value: encode(property, form, one) }));
}

/**
 * The header fields an object's properties give, in property order. `forPart`: an EmailBodyPart
 * (Content-* fields allowed, except those its own properties write); else the Email, where
 * Content-* fields are forbidden (RFC 8621 §4.6). `taken` collects lower-case field names, so a
 * field given twice (header:from and from) is refused.
 */
export function readHeaderFields(obj: Record<string, unknown>, forPart: boolean, taken: Set<string> = new Set()): OutField[] {
  const out: OutField[] = [];
  const claim = (property: string, lower: string): void => {
    if (taken.has(lower)) throw new InvalidProperty(property, `the ${lower} header field is given twice`);
    taken.add(lower);
  };
  for (const [property, value] of Object.entries(obj)) {
    // null: no such field (so a server-set field, Date or Message-ID, is still set).
    if (value === null || value === undefined) {
      if (isHeaderProperty(property) && !HEADER_PROPERTY.test(property)) throw new InvalidProperty(property, 'not a header property (header:Name[:asForm][:all])');
      continue;
    }
    const convenience = forPart ? undefined : CONVENIENCE_HEADERS[property];
    if (convenience) {
      claim(property, convenience.name.toLowerCase());
      out.push(...fieldsOf(property, convenience.name, convenience.form, false, value));
      continue;
    }
    if (!isHeaderProperty(property)) continue;
    const m = HEADER_PROPERTY.exec(property);
    if (!m) throw new InvalidProperty(property, 'not a header property (header:Name[:asForm][:all])');
    const name = m[1];
    const lower = name.toLowerCase();
    const form = (m[2] ?? 'Raw') as HeaderForm;
    if (!formAllowed(lower, form)) throw new InvalidProperty(property, `${name} cannot be given as ${form}`);
    if (lower.startsWith('content-')) {
      if (!forPart) throw new InvalidProperty(property, 'Content-* header fields belong on body parts, not the Email');
      if (['content-type', 'content-disposition', 'content-transfer-encoding'].includes(lower)) {
        throw new InvalidProperty(property, `${name} is written from the part's type, disposition and name properties`);
      }
    }
    claim(property, lower);
    out.push(...fieldsOf(property, name, form, m[3] !== undefined, value));
  }
  return out;
}
