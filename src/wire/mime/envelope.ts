// ENVELOPE (RFC 9051 §7.5.2) and the other message-level header facts: Date (RFC 5322 §3.3),
// Message-ID / In-Reply-To / References (RFC 5322 §3.6.4).
import type { Envelope } from './types.ts';
import type { RawField } from './headers.ts';
import { binaryToText } from './charset.ts';
import { parseAddressList, toEnvelopeAddresses, type ParsedAddress } from './address.ts';

/** The header fields a message-level summary needs, first occurrence of each. */
export interface MessageFields {
  date: string | null;
  subject: string | null;
  from: string | null;
  sender: string | null;
  replyTo: string | null;
  to: string | null;
  cc: string | null;
  bcc: string | null;
  inReplyTo: string | null;
  messageId: string | null;
  references: string | null;
  /** Names of the fields above whose value was cut by the header size limit. */
  cut: Set<FieldKey>;
}

type FieldKey = Exclude<keyof MessageFields, 'cut'>;

/** One pass over the fields; values converted to text (raw 8-bit as UTF-8, RFC 6532). */
export function messageFields(fields: readonly RawField[]): MessageFields {
  const m: MessageFields = { date: null, subject: null, from: null, sender: null, replyTo: null, to: null, cc: null, bcc: null, inReplyTo: null, messageId: null, references: null, cut: new Set() };
  for (const f of fields) {
    let key: FieldKey;
    switch (f.lname) {
      case 'date': key = 'date'; break;
      case 'subject': key = 'subject'; break;
      case 'from': key = 'from'; break;
      case 'sender': key = 'sender'; break;
      case 'reply-to': key = 'replyTo'; break;
      case 'to': key = 'to'; break;
      case 'cc': key = 'cc'; break;
      case 'bcc': key = 'bcc'; break;
      case 'in-reply-to': key = 'inReplyTo'; break;
      case 'message-id': key = 'messageId'; break;
      case 'references': key = 'references'; break;
      default: continue;
    }
    if (m[key] === null) {
      m[key] = binaryToText(f.value);
      if (f.cut) m.cut.add(key);
    }
  }
  return m;
}

export interface ParsedAddressFields {
  from: ParsedAddress[];
  sender: ParsedAddress[];
  replyTo: ParsedAddress[];
  to: ParsedAddress[];
  cc: ParsedAddress[];
  bcc: ParsedAddress[];
}

export function parseAddressFields(m: MessageFields): ParsedAddressFields {
  const p = (key: 'from' | 'sender' | 'replyTo' | 'to' | 'cc' | 'bcc'): ParsedAddress[] => {
    let v = m[key];
    if (v === null) return [];
    // A list cut by the header limit keeps only its complete addresses, up to the last comma:
    // the address the limit fell in would be wrong, not just short.
    if (m.cut.has(key)) v = v.slice(0, Math.max(0, v.lastIndexOf(',')));
    return parseAddressList(v);
  };
  return { from: p('from'), sender: p('sender'), replyTo: p('replyTo'), to: p('to'), cc: p('cc'), bcc: p('bcc') };
}

export function buildEnvelope(m: MessageFields, a: ParsedAddressFields): Envelope {
  const from = toEnvelopeAddresses(a.from);
  return {
    date: m.date,
    subject: m.subject,
    from,
    // RFC 9051 §7.5.2: "If the Sender or Reply-To lines are absent in the [RFC-5322] header,
    // or are present but empty, the server sets the corresponding member of the envelope to be
    // the same value as the from member."
    sender: toEnvelopeAddresses(a.sender) ?? from,
    replyTo: toEnvelopeAddresses(a.replyTo) ?? from,
    to: toEnvelopeAddresses(a.to),
    cc: toEnvelopeAddresses(a.cc),
    bcc: toEnvelopeAddresses(a.bcc),
    inReplyTo: m.inReplyTo,
    messageId: m.messageId,
  };
}

/**
 * Message identifiers in a Message-ID / In-Reply-To / References value, without the angle
 * brackets (the JMAP form, RFC 8621 §4.1.2.5). Phrases and comments between ids (seen in
 * obsolete In-Reply-To) are skipped. A value with no "<…>" but a single bare word is taken
 * as that id, because some software omits the brackets.
 */
export function messageIds(value: string | null, max = 1000): string[] {
  if (value === null) return [];
  const out: string[] = [];
  let i = 0;
  while (out.length < max) {
    const lt = value.indexOf('<', i);
    if (lt < 0) break;
    const gt = value.indexOf('>', lt + 1);
    if (gt < 0) break;
    const id = value.slice(lt + 1, gt).replace(/[\s]+/g, '');
    if (id.length > 0) out.push(id);
    i = gt + 1;
  }
  if (out.length === 0) {
    const bare = value.trim();
    if (bare.length > 0 && !/\s/.test(bare)) out.push(bare);
  }
  return out;
}

const MONTHS: Record<string, number> = { jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11 };
// RFC 5322 §4.3 obsolete zones; military single letters are "-0000" (unknown) per the same section.
const ZONES: Record<string, number> = { ut: 0, utc: 0, gmt: 0, z: 0, est: -300, edt: -240, cst: -360, cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420 };
// Anchored, each quantifier bounded by a different character class: no catastrophic backtracking.
const DATE_RE = /^(?:[a-z]+,?\s*)?(\d{1,2})[\s-]+([a-z]{3})[a-z]*\.?[\s-]+(\d{2,4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*([+-]\d{4}|[a-z]+)?/i;

/** RFC 5322 §3.3 date-time → ms since epoch, lenient; null when unparsable. */
export function parseDate(value: string | null): number | null {
  if (value === null) return null;
  // Comments ("(CEST)") carry nothing the zone offset does not; the length cap bounds work.
  const s = value.slice(0, 200).replace(/\([^()]*\)/g, ' ').trim();
  const m = DATE_RE.exec(s);
  if (m !== null) {
    const day = Number(m[1]);
    const month = MONTHS[m[2].toLowerCase()];
    let year = Number(m[3]);
    // RFC 5322 §4.3: two-digit years 00–49 are 20xx, 50–99 are 19xx; three digits add 1900.
    if (m[3].length === 2) year += year < 50 ? 2000 : 1900;
    else if (m[3].length === 3) year += 1900;
    const hour = Number(m[4]);
    const minute = Number(m[5]);
    const second = m[6] === undefined ? 0 : Number(m[6]);
    let offset = 0;
    const zone = m[7];
    if (zone !== undefined) {
      if (zone[0] === '+' || zone[0] === '-') {
        const sign = zone[0] === '-' ? -1 : 1;
        offset = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5)));
      } else offset = ZONES[zone.toLowerCase()] ?? 0;
    }
    if (month !== undefined && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 60) {
      return Date.UTC(year, month, day, hour, minute, second) - offset * 60000;
    }
  }
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}
