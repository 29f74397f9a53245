// ENVELOPE and BODY/BODYSTRUCTURE encoders (RFC 9051 §7.5.2, §9 body, envelope; RFC 3501 §7.4.2
// for the IMAP4rev1 spellings) from the parse-once MIME summary (src/wire/mime/types.ts).
//
// Decisions every FETCH relies on:
// - Types, subtypes, parameter names and the disposition type are sent in upper case, as in the
//   RFC's examples; parameter values, ids, descriptions and header text as stored.
// - A parameter list with no entries is NIL (body-fld-param allows NIL, not "()").
// - ENVELOPE sender and reply-to fall back to from when absent or empty (RFC 9051 §7.5.2).
// - A multipart without children (cut by a parser limit) still needs 1*body: it gets one empty
//   text/plain part, as Dovecot sends.
// - BODY (non-extensible) omits all extension data; BODYSTRUCTURE sends md5, disposition,
//   language and location for every part (and the parameters for multiparts).
// - The walk uses an explicit stack, so even a tree the parser failed to cut (10,000 nested
//   multiparts, SECURITY-CASES.md) cannot overflow the call stack.

import type { Envelope, EnvelopeAddress, MimePart } from '../mime/types.ts';
import type { ResponseBuilder } from './encode.ts';

function addresses(b: ResponseBuilder, list: EnvelopeAddress[] | null): void {
  if (!list || list.length === 0) {
    b.nil();
    return;
  }
  b.raw('(');
  for (const a of list) {
    // address = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")"; no SP between them.
    b.raw('(').nstring(a.name).sp().nstring(a.adl).sp().nstring(a.mailbox).sp().nstring(a.host).raw(')');
  }
  b.raw(')');
}

/** envelope = "(" date SP subject SP from SP sender SP reply-to SP to SP cc SP bcc SP in-reply-to SP message-id ")" */
export function writeEnvelope(b: ResponseBuilder, env: Envelope): void {
  const from = env.from && env.from.length > 0 ? env.from : null;
  b.raw('(').nstring(env.date).sp().nstring(env.subject).sp();
  addresses(b, from);
  b.sp();
  addresses(b, env.sender && env.sender.length > 0 ? env.sender : from);
  b.sp();
  addresses(b, env.replyTo && env.replyTo.length > 0 ? env.replyTo : from);
  b.sp();
  addresses(b, env.to);
  b.sp();
  addresses(b, env.cc);
  b.sp();
  addresses(b, env.bcc);
  b.sp().nstring(env.inReplyTo).sp().nstring(env.messageId).raw(')');
}

/** body-fld-param = "(" string SP string *(SP string SP string) ")" / nil */
function params(b: ResponseBuilder, p: Record<string, string>): void {
  const keys = Object.keys(p);
  if (keys.length === 0) {
    b.nil();
    return;
  }
  b.raw('(');
  keys.forEach((k, i) => {
    if (i > 0) b.sp();
    b.string(k.toUpperCase()).sp().string(p[k]);
  });
  b.raw(')');
}

/** body-fld-dsp SP body-fld-lang SP body-fld-loc: the extension data common to both kinds. */
function dspLangLoc(b: ResponseBuilder, part: MimePart): void {
  if (part.disposition) {
    b.raw('(').string(part.disposition.type.toUpperCase()).sp();
    params(b, part.disposition.params);
    b.raw(')');
  } else {
    b.nil();
  }
  b.sp();
  // body-fld-lang = nstring / "(" string *(SP string) ")"
  const lang = part.language ?? [];
  if (lang.length === 0) b.nil();
  else if (lang.length === 1) b.string(lang[0]);
  else b.stringList(lang);
  b.sp().nstring(part.location);
}

/** media type SP subtype SP body-fields (params, id, description, encoding, octets). */
function bodyFields(b: ResponseBuilder, part: MimePart): void {
  b.string(part.type.toUpperCase()).sp().string(part.subtype.toUpperCase()).sp();
  params(b, part.params);
  b.sp().nstring(part.id).sp().nstring(part.description).sp().string(part.encoding.toUpperCase()).sp().number(part.size);
}

const EMPTY_TEXT: MimePart = {
  section: '', headerStart: 0, headerEnd: 0, bodyStart: 0, bodyEnd: 0, type: 'text', subtype: 'plain',
  params: { charset: 'us-ascii' }, id: null, description: null, encoding: '7BIT', size: 0, lines: 0,
  md5: null, disposition: null, language: null, location: null, parts: [], message: null,
};

type Task = MimePart | (() => void);

/**
 * Writes a part as BODYSTRUCTURE (extended = true) or BODY (extended = false):
 *   body = "(" (body-type-1part / body-type-mpart) ")"
 *   body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
 *   body-type-1part = (body-type-basic / body-type-msg / body-type-text) [SP body-ext-1part]
 */
export function writeBodyStructure(b: ResponseBuilder, root: MimePart, extended: boolean): void {
  const stack: Task[] = [root];
  while (stack.length > 0) {
    const task = stack.pop()!;
    if (typeof task === 'function') {
      task();
      continue;
    }
    const part = task;
    const tasks: Task[] = [];
    if (part.type === 'multipart') {
      b.raw('(');
      // Children follow each other without a separator (1*body).
      tasks.push(...(part.parts.length > 0 ? part.parts : [EMPTY_TEXT]));
      tasks.push(() => {
        b.sp().string(part.subtype.toUpperCase());
        if (extended) {
          b.sp();
          params(b, part.params);
          b.sp();
          dspLangLoc(b, part);
        }
        b.raw(')');
      });
    } else {
      b.raw('(');
      bodyFields(b, part);
      const tail = (): void => {
        if (part.type === 'text' || part.message) b.sp().number(part.lines ?? 0);
        if (extended) {
          b.sp().nstring(part.md5).sp();
          dspLangLoc(b, part);
        }
        b.raw(')');
      };
      if (part.message) {
        // body-type-msg = media-message SP body-fields SP envelope SP body SP body-fld-lines
        b.sp();
        writeEnvelope(b, part.message.envelope);
        b.sp();
        tasks.push(part.message.root, tail);
      } else {
        tasks.push(tail);
      }
    }
    for (let i = tasks.length - 1; i >= 0; i--) stack.push(tasks[i]);
  }
}
