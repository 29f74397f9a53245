// urn:ietf:params:jmap:mail (RFC 8621 §1.3.1): the capability every mail method family (Mailbox,
// Thread, Email, SearchSnippet, Identity …) registers under, and its values. The session value
// is empty; the account value states this server's limits. Each family's MethodSet carries the
// same capability; the session object merges their values (src/jmap/session.ts), so only this
// file states them.

import { MAX_MAILBOX_DEPTH, MAX_MAILBOX_NAME_BYTES } from '../../mail/mailbox-name.ts';

export const MAIL_CAPABILITY = 'urn:ietf:params:jmap:mail';

/** RFC 8621 §4.4.2 sort properties Email/query accepts. */
export const EMAIL_QUERY_SORT_OPTIONS = [
  'receivedAt', 'sentAt', 'size', 'from', 'to', 'subject', 'hasKeyword', 'allInThreadHaveKeyword', 'someInThreadHaveKeyword',
] as const;

/**
 * The attachments of an Email travel base64-encoded (RFC 2045 §6.8: 4 octets per 3, and a CRLF
 * per 76 characters), so the unencoded total a user sees (RFC 8621 §1.3.1) is about 3/4 × 76/78
 * of the largest message the server accepts.
 */
export function maxSizeAttachmentsPerEmail(maxMessageBytes: number): number {
  return Math.floor(((maxMessageBytes * 3) / 4) * (76 / 78));
}

export function mailAccountCapability(maxMessageBytes: number): Record<string, unknown> {
  return {
    // An Email may be in any number of mailboxes (the store keeps a set per Email).
    maxMailboxesPerEmail: null,
    maxMailboxDepth: MAX_MAILBOX_DEPTH,
    // The store's limit is on the full hierarchical name; a top-level name may use all of it.
    maxSizeMailboxName: MAX_MAILBOX_NAME_BYTES,
    maxSizeAttachmentsPerEmail: maxSizeAttachmentsPerEmail(maxMessageBytes),
    emailQuerySortOptions: [...EMAIL_QUERY_SORT_OPTIONS],
    mayCreateTopLevelMailbox: true,
  };
}
