// Header fields as JMAP shows them (RFC 8621 §4.1.2, §4.1.3): the `header:Name[:asForm][:all]`
// properties, which parsed forms each field may be fetched in, and the forms themselves (Raw,
// Text, Addresses, GroupedAddresses, MessageIds, Date, URLs), read from a header block of the
// message blob. Parsing reuses the MIME parser's pieces (src/wire/mime/), so IMAP and JMAP
// read an address or a date the same way.

import { Buffer } from 'node:buffer';
import { readFields } from '../../wire/mime/headers.ts';
import { binaryToText } from '../../wire/mime/charset.ts';
import { decodeHeaderValue } from '../../wire/mime/encoded-words.ts';
import { parseAddressList, type ParsedMailbox } from '../../wire/mime/address.ts';
import { messageIds, parseDate } from '../../wire/mime/envelope.ts';
import { DEFAULT_MIME_LIMITS } from '../../wire/mime/parse.ts';

export type HeaderForm = 'Raw' | 'Text' | 'Addresses' | 'GroupedAddresses' | 'MessageIds' | 'Date' | 'URLs';

export interface HeaderProperty {
  /** Lower-case field name. */
  name: string;
  form: HeaderForm;
  all: boolean;
}

const FORMS: readonly HeaderForm[] = ['Raw', 'Text', 'Addresses', 'GroupedAddresses', 'MessageIds', 'Date', 'URLs'];

// The fields RFC 5322 and RFC 2369 define, and Resent-Reply-To, which RFC 8621 §4.1.2.3 names with
// them; any other field may be fetched in every form (§4.1.2).
const MESSAGE_FIELDS = new Set([
  'date', 'from', 'sender', 'reply-to', 'to', 'cc', 'bcc', 'message-id', 'in-reply-to', 'references', 'subject', 'comments',
  'keywords', 'resent-date', 'resent-from', 'resent-sender', 'resent-reply-to', 'resent-to', 'resent-cc', 'resent-bcc', 'resent-message-id',
  'return-path', 'received',
]);
const LIST_FIELDS = new Set(['list-help', 'list-unsubscribe', 'list-subscribe', 'list-post', 'list-owner', 'list-archive']);

// RFC 8621 §4.1.2.2–§4.1.2.7: the defined fields each form is allowed for.
const ALLOWED: Record<Exclude<HeaderForm, 'Raw'>, ReadonlySet<string>> = {
  Text: new Set(['subject', 'comments', 'keywords', 'list-id']),
  Addresses: new Set(['from', 'sender', 'reply-to', 'to', 'cc', 'bcc', 'resent-from', 'resent-sender', 'resent-reply-to', 'resent-to', 'resent-cc', 'resent-bcc']),
  GroupedAddresses: new Set(['from', 'sender', 'reply-to', 'to', 'cc', 'bcc', 'resent-from', 'resent-sender', 'resent-reply-to', 'resent-to', 'resent-cc', 'resent-bcc']),
  MessageIds: new Set(['message-id', 'in-reply-to', 'references', 'resent-message-id']),
  Date: new Set(['date', 'resent-date']),
  URLs: LIST_FIELDS,
};

/** RFC 5322 §2.2 field name: printable US-ASCII except ":". */
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;

/**
 * Reads "header:Name", "header:Name:asText", "header:Name:all", "header:Name:asText:all"
 * (RFC 8621 §4.1.3); null when the property is not one, or asks a form the field may not take.
 */
export function parseHeaderProperty(property: string): HeaderProperty | null {
  if (!property.startsWith('header:')) return null;
  const parts = property.slice(7).split(':');
  if (parts.length > 3 || !FIELD_NAME.test(parts[0])) return null;
  let form: HeaderForm = 'Raw';
  let all = false;
  let k = 1;
  if (k < parts.length && parts[k].startsWith('as')) {
    const f = parts[k].slice(2) as HeaderForm;
    if (!FORMS.includes(f)) return null;
    form = f;
    k++;
  }
  if (k < parts.length && parts[k] === 'all') {
    all = true;
    k++;
  }
  if (k !== parts.length) return null;
  const name = parts[0].toLowerCase();
  if (!formAllowed(name, form)) return null;
  return { name, form, all };
}

/**
 * RFC 8621 §4.1.2: whether a field (lower-case name) may be read or written in a parsed form. A
 * field RFC 5322 or RFC 2369 defines takes only its own forms; any other field takes every form.
 */
export function formAllowed(name: string, form: HeaderForm): boolean {
  if (form === 'Raw') return true;
  const defined = MESSAGE_FIELDS.has(name) || LIST_FIELDS.has(name);
  return !defined || ALLOWED[form].has(name);
}

/** One header field of a block: its name as written and its raw value, as a binary string. */
export interface RawHeaderField {
  name: string;
  lname: string;
  /** Octets after the colon up to the field's terminating line break (folding kept), latin1. */
  raw: string;
}

/** The fields of the header block [start, end) of `buf`, in order; bounded like the parser's. */
export function headerFieldsOf(buf: Buffer, start: number, end: number): RawHeaderField[] {
  const { fields } = readFields(buf, start, end, DEFAULT_MIME_LIMITS.maxHeaderBytes);
  const out: RawHeaderField[] = [];
  for (const f of fields) {
    let raw = buf.toString('latin1', f.start, Math.min(f.end, end));
    raw = raw.slice(raw.indexOf(':') + 1);
    if (raw.endsWith('\n')) raw = raw.slice(0, raw.endsWith('\r\n') ? -2 : -1);
    out.push({ name: f.name, lname: f.lname, raw });
  }
  return out;
}

/**
 * RFC 8621 §4.1.2.1 Raw: the octets as they are; invalid UTF-8 becomes U+FFFD and NUL octets are
 * dropped (the form any JSON string can carry).
 */
function rawForm(raw: string): string {
  return Buffer.from(raw, 'latin1').toString('utf8').replace(/\0/g, '');
}

/** Unfolded (RFC 5322 §2.2.3), as text (raw 8-bit read as UTF-8, RFC 6532), NULs dropped. */
function unfolded(raw: string): string {
  return binaryToText(raw.replace(/\r?\n(?=[ \t])/g, '').replace(/[\r\n]/g, '')).replace(/\0/g, '');
}

/** RFC 8621 §4.1.2.2 Text: unfolded, leading space removed, RFC 2047 words decoded, NFC. */
export function textForm(raw: string): string {
  // Control characters other than tab only get here encoded (RFC 2047): §4.1.2.2 drops them.
  return decodeHeaderValue(unfolded(raw).replace(/^ +/, '')).replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '').normalize('NFC');
}

export interface EmailAddress {
  name: string | null;
  email: string;
}

export interface EmailAddressGroup {
  name: string | null;
  addresses: EmailAddress[];
}

/** RFC 8621 §4.1.2.3: a display name trimmed of surrounding white space; none is null. */
function displayName(name: string): string | null {
  const n = name.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '').trim().normalize('NFC');
  return n === '' ? null : n;
}

function emailAddress(m: ParsedMailbox): EmailAddress {
  return { name: displayName(m.name), email: m.address };
}

/** RFC 8621 §4.1.2.3 Addresses: every mailbox, group members included, in order. */
export function addressesForm(raw: string): EmailAddress[] {
  const out: EmailAddress[] = [];
  for (const a of parseAddressList(unfolded(raw))) {
    if (a.kind === 'mailbox') out.push(emailAddress(a));
    else for (const m of a.members) out.push(emailAddress(m));
  }
  return out;
}

/** RFC 8621 §4.1.2.4 GroupedAddresses: consecutive mailboxes outside a group form a group named null. */
export function groupedAddressesForm(raw: string): EmailAddressGroup[] {
  const out: EmailAddressGroup[] = [];
  let loose: EmailAddressGroup | null = null;
  for (const a of parseAddressList(unfolded(raw))) {
    if (a.kind === 'mailbox') {
      if (loose === null) out.push((loose = { name: null, addresses: [] }));
      loose.addresses.push(emailAddress(a));
    } else {
      loose = null;
      out.push({ name: displayName(a.name), addresses: a.members.map(emailAddress) });
    }
  }
  return out;
}

/** RFC 8621 §4.1.2.5 MessageIds: ids without angle brackets; null when there are none. */
export function messageIdsForm(raw: string): string[] | null {
  const ids = messageIds(unfolded(raw));
  return ids.length > 0 ? ids : null;
}

/** The zone of an RFC 5322 date-time in minutes east of UTC (RFC 5322 §3.3, §4.3), 0 when unknown. */
function zoneOffset(value: string): number {
  const s = value.replace(/\([^()]*\)/g, ' ').trim();
  const m = /([+-])(\d{2})(\d{2})\s*$/.exec(s);
  if (m) return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
  const zones: Record<string, number> = { est: -300, edt: -240, cst: -360, cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420 };
  return zones[/([a-z]+)\s*$/i.exec(s)?.[1].toLowerCase() ?? ''] ?? 0;
}

/**
 * RFC 8620 §1.4 Date in the zone the header was written in ("2014-10-30T14:12:00+08:00"), the
 * RFC 8621 §4.1.2.6 Date form; null when the value is no date.
 */
export function dateForm(value: string): string | null {
  const ms = parseDate(value);
  if (ms === null || !Number.isFinite(ms)) return null;
  const offset = zoneOffset(value);
  const local = new Date(ms + offset * 60_000);
  if (Number.isNaN(local.getTime()) || local.getUTCFullYear() < 0 || local.getUTCFullYear() > 9999) return null;
  const iso = local.toISOString().replace(/\.000Z$/, 'Z').replace(/\.\d{3}Z$/, 'Z');
  if (offset === 0) return iso;
  const abs = Math.abs(offset);
  return `${iso.slice(0, -1)}${offset < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** RFC 8621 §4.1.2.7 URLs: the "<…>" items of an RFC 2369 list, comments skipped; null when none. */
export function urlsForm(raw: string): string[] | null {
  const value = unfolded(raw).replace(/\([^()]*\)/g, ' ');
  const out: string[] = [];
  for (const m of value.matchAll(/<([^>]*)>/g)) {
    const url = m[1].replace(/\s+/g, '');
    if (url.length > 0) out.push(url);
  }
  return out.length > 0 ? out : null;
}

function formOf(raw: string, form: HeaderForm): unknown {
  switch (form) {
    case 'Raw': return rawForm(raw);
    case 'Text': return textForm(raw);
    case 'Addresses': return addressesForm(raw);
    case 'GroupedAddresses': return groupedAddressesForm(raw);
    case 'MessageIds': return messageIdsForm(raw);
    case 'Date': return dateForm(unfolded(raw));
    case 'URLs': return urlsForm(raw);
  }
}

/**
 * The value of a header property (RFC 8621 §4.1.3): the last field of that name (null when
 * none), or with :all every one in order ([] when none).
 */
export function headerPropertyValue(fields: readonly RawHeaderField[], prop: HeaderProperty): unknown {
  const matching = fields.filter((f) => f.lname === prop.name);
  if (prop.all) return matching.map((f) => formOf(f.raw, prop.form));
  const last = matching.at(-1);
  return last === undefined ? null : formOf(last.raw, prop.form);
}

/** RFC 8621 §4.1.3 "headers": every field, in order, name as written and value in Raw form. */
export function headersList(fields: readonly RawHeaderField[]): { name: string; value: string }[] {
  return fields.map((f) => ({ name: binaryToText(f.name), value: rawForm(f.raw) }));
}
