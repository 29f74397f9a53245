// What the MIME parser produces once, at ingest, and the store caches with each message
// (DESIGN.md §3 "Parse once"). Everything IMAP FETCH, SEARCH, SORT, THREAD, POP3 TOP and JMAP
// need is here or is a byte slice of the blob located by these offsets: nothing re-parses.

/** RFC 9051 §7.5.2 ENVELOPE address: fields as they appear on the wire (not decoded). */
export interface EnvelopeAddress {
  name: string | null;
  adl: string | null;
  mailbox: string | null;
  host: string | null;
}

/** RFC 9051 §7.5.2 ENVELOPE: header values raw (encoded words kept), null when absent. */
export interface Envelope {
  date: string | null;
  subject: string | null;
  from: EnvelopeAddress[] | null;
  sender: EnvelopeAddress[] | null;
  replyTo: EnvelopeAddress[] | null;
  to: EnvelopeAddress[] | null;
  cc: EnvelopeAddress[] | null;
  bcc: EnvelopeAddress[] | null;
  inReplyTo: string | null;
  messageId: string | null;
}

/**
 * One MIME entity. Offsets are byte offsets into the raw message; [headerStart, headerEnd)
 * is the header block including its terminating blank line, [bodyStart, bodyEnd) the body.
 */
export interface MimePart {
  /** IMAP section number: "" for the whole message, "1", "1.2", "2.1.3" … (RFC 9051 §6.4.5). */
  section: string;
  headerStart: number;
  headerEnd: number;
  bodyStart: number;
  bodyEnd: number;
  /** Lower-case type and subtype; defaults per RFC 2045 §5.2 (text/plain; charset=us-ascii). */
  type: string;
  subtype: string;
  /** Content-Type parameters, names lower-case, values decoded (RFC 2231 continuations joined). */
  params: Record<string, string>;
  id: string | null;
  description: string | null;
  /** Content-Transfer-Encoding, upper-case as IMAP shows it ("7BIT" by default). */
  encoding: string;
  /** Body size in octets. */
  size: number;
  /** Line count of the body, for text/* and message/rfc822 (RFC 9051 §7.5.2). */
  lines: number | null;
  md5: string | null;
  disposition: { type: string; params: Record<string, string> } | null;
  language: string[] | null;
  location: string | null;
  /** Children of a multipart. */
  parts: MimePart[];
  /** For message/rfc822 (and message/global): the embedded message's envelope and root entity. */
  message: { envelope: Envelope; root: MimePart } | null;
}

export interface MessageSummary {
  envelope: Envelope;
  root: MimePart;
  /** Decoded (RFC 2047) header values for display, sorting and JMAP. */
  subject: string;
  /** RFC 5256 §2.1 base subject, for SORT SUBJECT and THREAD ORDEREDSUBJECT. */
  baseSubject: string;
  from: { name: string; address: string }[];
  to: { name: string; address: string }[];
  cc: { name: string; address: string }[];
  /** Date: header parsed, ms since epoch; null when missing or unparsable. */
  sentDate: number | null;
  messageId: string | null;
  inReplyTo: string[];
  references: string[];
  /** Plain-text preview of the first text part, whitespace collapsed, at most 256 characters. */
  preview: string;
  hasAttachment: boolean;
  /** True when a parser limit (depth, parts, header size) was hit and the tree was cut. */
  truncated: boolean;
}

export interface ParsedMessage {
  summary: MessageSummary;
  /** Decoded header values and text bodies, for SEARCH TEXT/BODY; bounded in size. */
  searchText: string;
}

export interface MimeLimits {
  maxDepth: number;
  maxParts: number;
  maxHeaderBytes: number;
  maxSearchTextBytes: number;
}
