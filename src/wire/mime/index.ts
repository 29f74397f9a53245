// Public surface of the MIME parser. Everything under wire/ is pure: bytes in, values out.
export type { Envelope, EnvelopeAddress, MessageSummary, MimeLimits, MimePart, ParsedMessage } from './types.ts';
export { parseMessage, DEFAULT_MIME_LIMITS } from './parse.ts';
export { parseHeaderBlock, findHeaderEnd, type HeaderField } from './headers.ts';
export { decodeHeaderValue } from './encoded-words.ts';
export { parseAddressList, flattenMailboxes, toEnvelopeAddresses, MISSING_HOST, type ParsedAddress, type ParsedMailbox, type ParsedGroup } from './address.ts';
export { parseStructured, type StructuredValue } from './params.ts';
export { decodeCharset } from './charset.ts';
export { transferDecode, decodeQuotedPrintable, decodeBase64 } from './decode.ts';
export { baseSubject } from './subject.ts';
export { parseDate, messageIds } from './envelope.ts';
export { findPart } from './section.ts';
