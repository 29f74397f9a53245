// Untagged FETCH responses (RFC 9051 §7.5.2; RFC 3516 §4.2 BINARY; RFC 7162 §3.1.4.1 MODSEQ).
//
//   "* " nz-number SP "FETCH" SP "(" msg-att-item *(SP msg-att-item) ")" CRLF
//
// The session decides which items to send and in which order (UID first for UID FETCH is
// customary); this file only spells them.

import type { Envelope, MimePart } from '../mime/types.ts';
import { writeBodyStructure, writeEnvelope } from './bodystructure.ts';
import { ResponseBuilder, type EncodeOptions } from './encode.ts';

export type FetchResponseItem =
  | { name: 'UID'; uid: number }
  | { name: 'FLAGS'; flags: readonly string[] }
  | { name: 'INTERNALDATE'; ms: number; offsetMinutes?: number }
  | { name: 'RFC822.SIZE'; size: number }
  | { name: 'MODSEQ'; modseq: number }
  /** RFC 8474 §5: "EMAILID" SP "(" objectid ")", "THREADID" SP ( "(" objectid ")" / nil ). */
  | { name: 'EMAILID' | 'THREADID'; id: string | null }
  /** RFC 8970 §3: "PREVIEW" SP nstring, at most 256 characters of plain text. */
  | { name: 'PREVIEW'; text: string | null }
  | { name: 'ENVELOPE'; envelope: Envelope }
  | { name: 'BODYSTRUCTURE' | 'BODY'; part: MimePart }
  | { name: 'RFC822' | 'RFC822.HEADER' | 'RFC822.TEXT'; data: Buffer | null }
  /** label: fetchItemLabel() of the request ("BODY[1.2]<0>"); data null for a missing part (NIL). */
  | { name: 'BODY[]'; label: string; data: Buffer | null }
  | { name: 'BINARY[]'; label: string; data: Buffer | null }
  | { name: 'BINARY.SIZE'; label: string; size: number };

function writeItem(b: ResponseBuilder, item: FetchResponseItem): void {
  switch (item.name) {
    case 'UID':
      b.raw('UID ').number(item.uid);
      return;
    case 'FLAGS':
      b.raw('FLAGS ').flags(item.flags);
      return;
    case 'INTERNALDATE':
      b.raw('INTERNALDATE ').dateTime(item.ms, item.offsetMinutes ?? 0);
      return;
    case 'RFC822.SIZE':
      b.raw('RFC822.SIZE ').number(item.size);
      return;
    case 'MODSEQ':
      // RFC 7162 §3.1.4.1: fetch-mod-resp = "MODSEQ" SP "(" permsg-modsequence ")".
      b.raw(`MODSEQ (${item.modseq})`);
      return;
    case 'EMAILID':
    case 'THREADID':
      b.raw(item.id === null ? `${item.name} NIL` : `${item.name} (${item.id})`);
      return;
    case 'PREVIEW':
      b.raw('PREVIEW ').nstring(item.text);
      return;
    case 'ENVELOPE':
      b.raw('ENVELOPE ');
      writeEnvelope(b, item.envelope);
      return;
    case 'BODYSTRUCTURE':
    case 'BODY':
      b.raw(item.name + ' ');
      writeBodyStructure(b, item.part, item.name === 'BODYSTRUCTURE');
      return;
    case 'RFC822':
    case 'RFC822.HEADER':
    case 'RFC822.TEXT':
      b.raw(item.name + ' ');
      bodyData(b, item.data);
      return;
    case 'BODY[]':
      b.raw(item.label + ' ');
      bodyData(b, item.data);
      return;
    case 'BINARY[]':
      b.raw(item.label + ' ');
      // RFC 3516 §4.2: literal8 when the decoded content has NUL; a plain literal otherwise.
      if (item.data === null) b.nil();
      else if (item.data.includes(0)) b.literal8(item.data);
      else b.literal(item.data);
      return;
    case 'BINARY.SIZE':
      b.raw(item.label + ' ').number(item.size);
      return;
  }
}

/** Message content is always a literal (it has CRLFs, and clients expect it), NIL when absent. */
function bodyData(b: ResponseBuilder, data: Buffer | null): void {
  if (data === null) b.nil();
  else b.literal(data);
}

/** Encodes "* <seq> FETCH (…)\r\n". */
export function fetchResponse(seq: number, items: readonly FetchResponseItem[], options: EncodeOptions = {}): Buffer {
  const b = new ResponseBuilder(options);
  b.raw(`* ${seq} FETCH (`);
  items.forEach((item, i) => {
    if (i > 0) b.sp();
    writeItem(b, item);
  });
  return b.raw(')').line();
}
