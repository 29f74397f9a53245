// The keys IMAP SEARCH and SORT compare, derived once from a message's parsed summary and kept
// by the store beside it (message_content), so searching or sorting 100,000 messages reads a few
// short columns instead of parsing every summary:
// - SEARCH SUBJECT/FROM/TO/CC/BCC (RFC 9051 §6.4.4): the decoded field as text, lower-cased
//   (the comparison is case-insensitive); null when the field is absent.
// - SORT (RFC 5256 §3, RFC 5957 §3): the sent date, the base subject and the first address's
//   mailbox or display name, in i;ascii-casemap form (RFC 4790 §9.2: ASCII upper-cased), so a
//   sort compares them as they are.
//
// Address lists are read from the envelope, not the flattened mailbox lists of the summary,
// because RFC 5322 §3.4 groups matter to both: a group's name is searchable ("To:
// undisclosed-recipients:;" has a To field that matches ""), and a group first in the list
// sorts by its name.

import { decodeHeaderValue, MISSING_HOST } from '../wire/mime/index.ts';
import type { EnvelopeAddress, MessageSummary } from '../wire/mime/types.ts';

function decoded(raw: string): string {
  return raw.includes('=?') ? decodeHeaderValue(raw) : raw;
}

function addrSpec(a: EnvelopeAddress): string {
  const mailbox = a.mailbox ?? '';
  return a.host === null || a.host === MISSING_HOST ? mailbox : `${mailbox}@${a.host}`;
}

const isGroupStart = (a: EnvelopeAddress): boolean => a.host === null && a.mailbox !== null;
const isGroupEnd = (a: EnvelopeAddress): boolean => a.host === null && a.mailbox === null;

/**
 * The list as searchable text: `Name <local@domain>` per mailbox, `group:` … `;` around group
 * members, display names decoded (RFC 2047). Null when the field is absent.
 */
export function addressListText(list: EnvelopeAddress[] | null): string | null {
  if (list === null) return null;
  const parts: string[] = [];
  for (const a of list) {
    if (isGroupStart(a)) parts.push(`${decoded(a.mailbox!)}:`);
    else if (isGroupEnd(a)) parts.push(';');
    else parts.push(a.name ? `${decoded(a.name)} <${addrSpec(a)}>` : addrSpec(a));
  }
  return parts.join(', ');
}

/** RFC 5256 §3: the addr-mailbox of the first address; a group's start carries its name there. */
export function firstMailbox(list: EnvelopeAddress[] | null): string {
  for (const a of list ?? []) if (a.mailbox !== null) return a.mailbox;
  return '';
}

/**
 * RFC 5957 §3: the display name of the first address, decoded, or its addr-spec when it has
 * none; a group first in the list is shown by its name.
 */
export function firstDisplay(list: EnvelopeAddress[] | null): string {
  for (const a of list ?? []) {
    if (isGroupStart(a)) return decoded(a.mailbox!);
    if (isGroupEnd(a)) continue;
    return a.name ? decoded(a.name) : addrSpec(a);
  }
  return '';
}

/** i;ascii-casemap (RFC 4790 §9.2): ASCII letters upper-cased, everything else as is. */
export function casemap(s: string): string {
  return s.replace(/[a-z]/g, (c) => c.toUpperCase());
}

export interface MessageKeys {
  /** Date: header as ms since the epoch; null without one (SORT falls back to the internal date). */
  sentDate: number | null;
  sortSubject: string;
  sortFrom: string;
  sortTo: string;
  sortCc: string;
  displayFrom: string;
  displayTo: string;
  searchSubject: string | null;
  searchFrom: string | null;
  searchTo: string | null;
  searchCc: string | null;
  searchBcc: string | null;
}

export type MessageKeyName = keyof MessageKeys;

const lower = (s: string | null): string | null => (s === null ? null : s.toLowerCase());

export function messageKeys(summary: MessageSummary): MessageKeys {
  const e = summary.envelope;
  return {
    sentDate: summary.sentDate,
    sortSubject: casemap(summary.baseSubject),
    sortFrom: casemap(firstMailbox(e.from)),
    sortTo: casemap(firstMailbox(e.to)),
    sortCc: casemap(firstMailbox(e.cc)),
    displayFrom: casemap(firstDisplay(e.from)),
    displayTo: casemap(firstDisplay(e.to)),
    searchSubject: e.subject === null ? null : summary.subject.toLowerCase(),
    searchFrom: lower(addressListText(e.from)),
    searchTo: lower(addressListText(e.to)),
    searchCc: lower(addressListText(e.cc)),
    searchBcc: lower(addressListText(e.bcc)),
  };
}
