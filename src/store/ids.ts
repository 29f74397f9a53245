// Ids the store hands out. All are integers from AUTOINCREMENT sequences: a removed row's id is
// never handed out again, so an id that leaves the store (a POP3 UIDL, a JMAP id) never comes
// to mean another object.

export type AccountId = number;
export type MailboxId = number;
/**
 * One message in one mailbox (an IMAP UID's row): kept across MOVE, new on COPY. The POP3 UIDL
 * source.
 */
export type MessageId = number;
/** One Email (RFC 8621 §4.1.1 `id`): the same across every mailbox it is in and across moves. */
export type EmailId = number;
/** One conversation (RFC 8621 §3 Thread); every Email has exactly one. */
export type ThreadId = number;
