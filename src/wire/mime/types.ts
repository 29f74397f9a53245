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

/**
 * RFC 9051 §7.5.2 ENVELOPE: header values raw (encoded words kept), null when absent.
 * Raw 8-bit header bytes are read as UTF-8 when valid (RFC 6532), else windows-1252.
 * As §7.5.2 requires, `sender` and `replyTo` are set to `from` when absent or empty.
 * Groups use IMAP group syntax: a start marker {mailbox: group name, host: null}, the members,
 * then an end marker with all fields null. An address without a domain gets the host
 * ".MISSING-HOST-NAME." (a null host would read as a group marker). Empty lists are null.
 */
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
 * bodyStart === headerEnd always. A part's body excludes the line break before the next
 * boundary delimiter (it belongs to the delimiter, RFC 2046 §5.1.1). An entity without a blank
 * line is all header (empty body); one whose first line is not a header field has an empty
 * header (headerStart === headerEnd) and is all body. Line breaks may be CRLF or bare LF.
 *
 * Section numbering (RFC 9051 §6.4.5), see findPart() in section.ts:
 * - the message's root entity has section ""; a multipart's children are "1", "2", … under
 *   their parent's section ("1.2" is the 2nd child of part "1");
 * - a non-multipart message has one part, "1", which is the root entity itself (its body);
 * - a message/rfc822 part "n" has `message.root` with section "n" as well (the encapsulated
 *   message's header is n.HEADER); that root's children are "n.1", "n.2", …, and a
 *   non-multipart encapsulated message's body is "n.1", again the root entity itself.
 *
 * Invariants the BODYSTRUCTURE encoder can rely on: type "multipart" ⇔ parts.length ≥ 1;
 * type "message" with subtype "rfc822"/"global" ⇔ message !== null. A multipart that cannot be
 * split (no boundary parameter, no delimiter line, or past the depth/part limits) is shown as
 * text/plain, the RFC 2045 §5.2 reading of an unusable Content-Type; a message/rfc822 with a
 * base64/quoted-printable transfer encoding (forbidden by RFC 2046 §5.2.1) as
 * application/octet-stream; one past the limits as text/plain.
 */
export interface MimePart {
  /** IMAP section number: "" for the whole message, "1", "1.2", "2.1.3" … (RFC 9051 §6.4.5). */
  section: string;
  headerStart: number;
  headerEnd: number;
  bodyStart: number;
  bodyEnd: number;
  /**
   * Lower-case type and subtype; defaults per RFC 2045 §5.2 (text/plain; charset=us-ascii),
   * message/rfc822 inside multipart/digest (RFC 2046 §5.1.5). text/* always has a charset
   * parameter: "us-ascii" when the header gives none (RFC 2046 §4.1.2).
   */
  type: string;
  subtype: string;
  /**
   * Content-Type parameters, names lower-case, values decoded (RFC 2231 continuations joined
   * and charset-decoded; RFC 2047 words in plain values decoded too, as clients send them in
   * file names). The first of a repeated parameter wins; at most 64 parameters are kept.
   */
  params: Record<string, string>;
  id: string | null;
  description: string | null;
  /** Content-Transfer-Encoding, upper-case as IMAP shows it ("7BIT" by default). */
  encoding: string;
  /** Body size in octets, as stored (bodyEnd - bodyStart; not decoded). */
  size: number;
  /**
   * Octets after transfer decoding, for a base64 or quoted-printable leaf (JMAP's part size,
   * RFC 8621 §4.1.4); absent for other parts, where it is `size`, and in older summaries.
   */
  decodedSize?: number;
  /**
   * Line count of the body, for text/* and message/rfc822|global (RFC 9051 §7.5.2), else null:
   * the number of LF bytes, plus one when the body does not end with LF.
   */
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
  /**
   * RFC 5256 §2.1 base subject, for SORT SUBJECT and THREAD ORDEREDSUBJECT. Case is kept (the
   * comparator folds case); subjects beyond 2048 characters are cut before it is computed.
   */
  baseSubject: string;
  from: { name: string; address: string }[];
  to: { name: string; address: string }[];
  cc: { name: string; address: string }[];
  /**
   * Sender, Reply-To and Bcc as written (no fallback to From, unlike the ENVELOPE), for JMAP's
   * fast properties (RFC 8621 §4.2). Absent in summaries stored before they were kept.
   */
  sender?: { name: string; address: string }[];
  replyTo?: { name: string; address: string }[];
  bcc?: { name: string; address: string }[];
  /** Date: header parsed, ms since epoch; null when missing or unparsable. */
  sentDate: number | null;
  /** Message identifiers without angle brackets (as JMAP shows them, RFC 8621 §4.1.2.5). */
  messageId: string | null;
  inReplyTo: string[];
  references: string[];
  /**
   * Plain-text preview of the first text/plain or text/html part that is not an attachment
   * (HTML reduced to its text), whitespace collapsed, at most 256 characters.
   */
  preview: string;
  hasAttachment: boolean;
  /** True when a parser limit (depth, parts, header size) was hit and the tree was cut. */
  truncated: boolean;
}

export interface ParsedMessage {
  summary: MessageSummary;
  /**
   * Decoded header values and text bodies, for SEARCH TEXT/BODY; bounded in size. In document
   * order: the message's header values, then for each part its file name, each text/* body
   * (HTML reduced to text), and each encapsulated message's header values; "\n" between them.
   * Attachments that are not text are never decoded.
   */
  searchText: string;
}

export interface MimeLimits {
  /** Container levels (multipart or message/rfc822) below the root that are split into parts. */
  maxDepth: number;
  /** MimePart objects in the whole tree, encapsulated roots included. */
  maxParts: number;
  /** Bytes of each header block that are read for fields; offsets stay exact beyond it. */
  maxHeaderBytes: number;
  /** Length of searchText (counted in UTF-16 code units, which is bytes for ASCII text). */
  maxSearchTextBytes: number;
}
