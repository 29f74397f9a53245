// The IMAP wire layer: bytes in, typed commands out; typed responses in, bytes out.
// Pure: no sockets, no store, no clock, no imports from outside src/wire/ (DESIGN.md §2).
//
// ── How a session uses it ─────────────────────────────────────────────────────────────────────
//
//   const reader = new CommandReader({ maxLiteralBytes: 8 * 1024 });   // small before login
//   socket.on('data', (chunk) => { reader.push(chunk); pump(); });
//
//   function pump() {                       // call again after every command finishes
//     for (let ev = reader.next(); ev; ev = reader.next()) {
//       switch (ev.kind) {
//         case 'continue': write(continuation()); break;   // or answer NO and reader.refuseLiteral()
//         case 'literal': break;                          // {N+}: take it, or answer and refuseLiteral()
//         case 'error':   write(ev.tag ? taggedResponse(ev.tag, 'BAD', ev.text, ev.code)
//                                       : untaggedStatus('BAD', ev.text, ev.code));
//                         if (ev.fatal) close();            // reader is dead after a fatal error
//                         break;
//         case 'command': {
//           const parsed = parseCommand(ev.command, { utf8Accept });
//           if (!parsed.ok) { write(taggedResponse(parsed.tag, parsed.error.kind === 'bad' ? 'BAD' : 'NO',
//                                                  parsed.error.text, parsed.error.code)); break; }
//           socket.pause(); run(parsed.tag, parsed.command).then(() => { socket.resume(); pump(); });
//           return;                                 // one command at a time; the rest stays buffered
//         }
//         case 'line': …                            // only after expectLine()
//       }
//     }
//   }
//
// Rules the session must keep:
//  - Pull, do not buffer: after a 'command' event stop pulling until the command is done, so
//    mode switches apply to exactly the bytes that follow it. Pause the socket meanwhile;
//    reader.bufferedBytes tells how much is waiting.
//  - STARTTLS: after the tagged OK, reader.takeBuffered() and throw the bytes away: anything
//    sent before the handshake is plaintext injection (SECURITY-CASES.md, CVE-2011-0411 class).
//  - COMPRESS DEFLATE: after the OK, reader.takeBuffered() is already compressed: inflate it and
//    push the output back, followed by every later (inflated) chunk.
//  - AUTHENTICATE and IDLE: call reader.expectLine() before pulling; the next line comes back as
//    a 'line' event (parseSaslResponse() for AUTHENTICATE; isIdleDone() for IDLE, RFC 9051
//    §6.3.13 — Dovecot ends IDLE with a tagged BAD on any other line).
//  - Literals: 'continue' means the client waits for "+". To refuse (quota, APPENDLIMIT,
//    not logged in) answer the tagged NO/BAD instead and call reader.refuseLiteral().
//    'literal' announces a non-synchronising one the client is already sending: refusing it
//    the same way makes the reader skip its payload and the rest of the command unbuffered.
//    Both carry the arguments before the literal (APPEND's mailbox), so the refusal can be
//    TRYCREATE or OVERQUOTA. Non-synchronising literals are checked against
//    maxNonSyncLiteralBytes, which must be 4096 if the server advertises LITERAL- instead of
//    LITERAL+ (RFC 7888).
//  - Raise limits after login with reader.setLimits({ maxLiteralBytes, maxCommandBytes }).
//  - A MailboxArg with ok: false is not BAD: answer NO [CANNOT] (or NO [NONEXISTENT] for a
//    lookup). A decoded name still goes through normaliseMailboxName (src/mail/mailbox-name.ts).
//  - UID FETCH must include UID in every FETCH response (RFC 9051 §6.4.9); fetchSetsSeen()
//    says whether the FETCH sets \Seen; fetchItemLabel() gives the response name of an item.
//  - SearchKey 'flag' with "\\Recent": RFC 9051 has no \Recent; treat as never set (rev2) or
//    answer from session state (rev1). SequenceSet 'saved' ("$") needs a saved SEARCHRES result.
//  - Mailbox names in responses: ResponseBuilder.mailbox() encodes modified UTF-7 unless the
//    builder was made with { utf8: true } (after ENABLE UTF8=ACCEPT / IMAP4rev2).
//
// ── Modules ──────────────────────────────────────────────────────────────────────────────────
//   tokenizer.ts   token tree (atom, string, list, section) from one line, explicit stack
//   reader.ts      CommandReader: lines, literals, limits, resynchronisation, raw-line mode
//   args.ts        Args cursor, WireError, MailboxArg, GrammarOptions
//   commands.ts    parseCommand(): Command union for every command
//   fetch-args.ts  FETCH items and modifiers, STORE         search-args.ts  SEARCH, SORT, THREAD
//   list-args.ts   LIST, LSUB, STATUS, SELECT/EXAMINE params, CREATE params
//   sequence.ts    sequence sets: parse, resolve to intervals, compress
//   encode.ts      ResponseBuilder (string/literal choice), tagged/untagged status lines, continuation
//   responses.ts   LIST, STATUS, SEARCH, ESEARCH, SORT, THREAD, VANISHED, ID, NAMESPACE, QUOTA, QUOTAROOT
//   bodystructure.ts  ENVELOPE, BODY, BODYSTRUCTURE    fetch-response.ts  "* n FETCH (…)"
//   utf7.ts        modified UTF-7    datetime.ts  dates and date-times    sasl.ts  base64, PLAIN

export { CommandReader, DEFAULT_READER_LIMITS, isIdleDone, type RawCommand, type ReaderEvent, type ReaderLimits } from './reader.ts';
export type { Token, AtomToken, StringToken, ListToken, SectionToken } from './tokenizer.ts';
export { tokenText } from './tokenizer.ts';
export { Args, ArgError, decodeMailbox, type GrammarOptions, type MailboxArg, type WireError } from './args.ts';
export { parseCommand, COMMAND_NAMES } from './commands.ts';
export type {
  Command, CommandName, ParseResult, NoArgCommand, NoArgCommandName, LoginCommand, AuthenticateCommand,
  EnableCommand, SelectCommand, CreateCommand, MailboxCommand, RenameCommand, ListCommand, LsubCommand,
  StatusCommand, AppendCommand, AppendMessage, FetchCommand, StoreCommand, CopyMoveCommand, ExpungeCommand,
  SearchCommand, SortCommand, ThreadCommand, IdCommand, GetQuotaCommand, SetQuotaCommand, CompressCommand,
} from './commands.ts';
export { fetchItemLabel, fetchSetsSeen, sectionSpec } from './fetch-args.ts';
export type { BodySection, FetchArgs, FetchItem, Partial, SectionText, SimpleFetchItem, StoreArgs, StoreOperation } from './fetch-args.ts';
export { MAX_SEARCH_DEPTH, usesSavedResult } from './search-args.ts';
export type { DateOp, SearchArgs, SearchKey, SearchReturn, SortArgs, SortKey, ThreadAlgorithm, ThreadArgs } from './search-args.ts';
export type { CreateArgs, ListArgs, LsubArgs, QresyncParams, SelectArgs, StatusArgs, StatusItem } from './list-args.ts';
export {
  compressSequence, formatIntervals, formatSequenceSet, intervalsContain, MAX_NUMBER, mergeIntervals,
  parseSequenceSet, resolveSequenceSet,
} from './sequence.ts';
export type { Interval, SeqNumber, SeqRange, SequenceSet } from './sequence.ts';
export { continuation, MAX_QUOTED_BYTES, quote, ResponseBuilder, safeText, taggedResponse, untagged, untaggedStatus } from './encode.ts';
export {
  esearchResponse, idResponse, listResponse, namespaceResponse, quotaResponse, quotaRootResponse, searchResponse,
  sortResponse, statusResponse, threadResponse, vanishedResponse, type Namespace, type ThreadNode,
} from './responses.ts';
export type { EncodeOptions, Status } from './encode.ts';
export { writeBodyStructure, writeEnvelope } from './bodystructure.ts';
export { fetchResponse, type FetchResponseItem } from './fetch-response.ts';
export { decodeMailboxUtf7, encodeMailboxUtf7, type Utf7Result } from './utf7.ts';
export { compareDates, dayOf, formatDate, formatDateTime, parseDateTime, parseSearchDate } from './datetime.ts';
export type { ImapDate, ImapDateTime } from './datetime.ts';
export { decodeBase64Strict, decodeInitialResponse, decodePlain, parseSaslResponse } from './sasl.ts';
export type { PlainCredentials, SaslResponse } from './sasl.ts';
