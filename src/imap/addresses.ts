// Text forms of ENVELOPE address lists for SEARCH (RFC 9051 §6.4.4 FROM/TO/CC/BCC) and SORT
// (RFC 5256 §3 FROM/TO/CC, RFC 5957 DISPLAYFROM/DISPLAYTO). They read the envelope, not the
// flattened mailbox lists of the summary, because RFC 5322 §3.4 groups matter to both: a group's
// name is searchable ("To: undisclosed-recipients:;" has a To field that matches ""), and a
// group first in the list sorts by its name.

import { decodeHeaderValue, MISSING_HOST } from '../wire/mime/index.ts';
import type { EnvelopeAddress } from '../wire/mime/types.ts';

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
