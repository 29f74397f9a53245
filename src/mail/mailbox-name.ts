// Mailbox names as the store keeps them: UTF-8 (NFC), hierarchy separator '/', INBOX in upper
// case. Every protocol decodes its own wire form first (IMAP modified UTF-7, RFC 9051 §5.1.3)
// and then passes the result through normaliseMailboxName, so a name that could escape the
// account, confuse LIST or break the hierarchy is refused in one place (SECURITY-CASES.md).

import { StoreError } from './errors.ts';

export const MAILBOX_SEPARATOR = '/';
export const MAX_MAILBOX_NAME_BYTES = 255;
export const MAX_MAILBOX_DEPTH = 32;

/** C0 controls, DEL and C1 controls: never part of a name (NUL: CVE-2019-11500 class of bugs). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
/** LIST wildcards (RFC 9051 §6.3.9): a name containing them could never be listed unambiguously. */
const WILDCARD = /[%*]/u;

function invalid(why: string): never {
  throw new StoreError('INVALID', `invalid mailbox name: ${why}`);
}

/**
 * Validates a mailbox name and returns its canonical spelling.
 * INBOX is case-insensitive, also as the first component (RFC 9051 §5.1: "INBOX" is a special
 * name; "inbox/x" names a child of INBOX); every other component is case-sensitive.
 * Throws StoreError('INVALID') when the name is not acceptable.
 */
export function normaliseMailboxName(name: string): string {
  if (typeof name !== 'string' || name.length === 0) invalid('empty');
  if (!name.isWellFormed()) invalid('not valid Unicode');
  // RFC 9051 §5.1 requires Net-Unicode (RFC 5198), which is NFC: two spellings of "é" must be
  // one mailbox, not two that look the same.
  const nfc = name.normalize('NFC');
  if (CONTROL.test(nfc)) invalid('control character');
  if (WILDCARD.test(nfc)) invalid('wildcard character');
  // '~' at the start means "home directory" to file-based servers (SECURITY-CASES.md: ~root/x).
  if (nfc.startsWith('~')) invalid('leading ~');
  if (Buffer.byteLength(nfc, 'utf8') > MAX_MAILBOX_NAME_BYTES) invalid('too long');
  const parts = nfc.split(MAILBOX_SEPARATOR);
  if (parts.length > MAX_MAILBOX_DEPTH) invalid('too deep');
  for (const part of parts) {
    // Empty components come from a leading, trailing or doubled separator ("/etc", "a//b").
    if (part === '') invalid('empty component');
    if (part === '.' || part === '..') invalid('dot component');
  }
  if (parts[0].toUpperCase() === 'INBOX') parts[0] = 'INBOX';
  return parts.join(MAILBOX_SEPARATOR);
}

/** Names of all ancestors, outermost first: "a/b/c" → ["a", "a/b"]. The name must be normalised. */
export function mailboxAncestors(name: string): string[] {
  const parts = name.split(MAILBOX_SEPARATOR);
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join(MAILBOX_SEPARATOR));
  return out;
}

/** True when `name` lies strictly below `parent` in the hierarchy. */
export function isMailboxDescendant(name: string, parent: string): boolean {
  return name.length > parent.length + 1 && name.startsWith(parent + MAILBOX_SEPARATOR);
}
