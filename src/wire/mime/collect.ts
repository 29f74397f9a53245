// Everything the summary reads from content rather than structure: the preview, whether the
// message has attachments, and the bounded search text (RFC 9051 §6.4.4 SEARCH TEXT/BODY look
// at decoded header values and text bodies). One document-order walk, no recursion.
import type { Buffer } from 'node:buffer';
import type { MimePart } from './types.ts';
import { readFields, type RawField } from './headers.ts';
import { binaryToText } from './charset.ts';
import { decodeHeaderValue } from './encoded-words.ts';
import { partText } from './decode.ts';
import { htmlToText, previewOf } from './text.ts';

const PREVIEW_CHARS = 256;
// Enough decoded text to find 256 visible characters in a typical HTML body.
const PREVIEW_SOURCE_CHARS = 64 * 1024;

export interface CollectedText {
  preview: string;
  hasAttachment: boolean;
  searchText: string;
}

function filenameOf(part: MimePart): string | null {
  return part.disposition?.params.filename ?? part.params.name ?? null;
}

/**
 * Attachment, as mail clients show it: declared so (Content-Disposition: attachment, RFC 2183),
 * a forwarded message, or a named or non-text leaf that is not declared inline and is not a
 * resource of a multipart/related body (RFC 2387).
 */
function isAttachment(part: MimePart, parentSubtype: string | null): boolean {
  const disp = part.disposition?.type ?? null;
  if (disp === 'attachment') return true;
  if (part.type === 'message' && part.message !== null) return true;
  if (disp === 'inline') return false;
  if (filenameOf(part) !== null) return parentSubtype !== 'related';
  return part.type !== 'text' && part.type !== 'multipart' && part.type !== 'message' && parentSubtype !== 'related';
}

function isBodyText(part: MimePart): boolean {
  return part.type === 'text' && (part.subtype === 'plain' || part.subtype === 'html') && part.disposition?.type !== 'attachment';
}

function visibleText(part: MimePart, text: string): string {
  return part.subtype === 'html' ? htmlToText(text) : text;
}

export function collectText(buf: Buffer, root: MimePart, rootFields: RawField[], maxChars: number): CollectedText {
  const chunks: string[] = [];
  let left = maxChars;
  const add = (s: string) => {
    if (left <= 0 || s.length === 0) return;
    const t = s.length > left ? s.slice(0, left) : s;
    chunks.push(t);
    left -= t.length + 1;
  };
  const addFields = (fields: RawField[]) => {
    for (const f of fields) {
      if (left <= 0) break;
      add(decodeHeaderValue(binaryToText(f.value)));
    }
  };
  addFields(rootFields);
  let preview: string | null = null;
  let hasAttachment = false;
  // Walk: [part, subtype of its parent multipart].
  const stack: [MimePart, string | null][] = [[root, null]];
  while (stack.length > 0) {
    const [part, parentSubtype] = stack.pop()!;
    // The root counts too: a message that is only a PDF has an attachment and no text.
    if (isAttachment(part, parentSubtype)) hasAttachment = true;
    if (part.parts.length > 0) {
      for (let k = part.parts.length - 1; k >= 0; k--) stack.push([part.parts[k], part.subtype]);
      continue;
    }
    if (part.message !== null) {
      const inner = part.message.root;
      if (left > 0) addFields(readFields(buf, inner.headerStart, inner.headerEnd, left).fields);
      stack.push([inner, null]);
      continue;
    }
    const name = filenameOf(part);
    if (name !== null) add(name);
    if (part.type !== 'text') continue;
    const wantPreview = preview === null && isBodyText(part);
    if (left <= 0 && !wantPreview) continue;
    const text = visibleText(part, partText(buf, part, Math.max(left, wantPreview ? PREVIEW_SOURCE_CHARS : 0)));
    add(text);
    if (wantPreview) {
      const p = previewOf(text, PREVIEW_CHARS);
      if (p.length > 0) preview = p;
    }
  }
  return { preview: preview ?? '', hasAttachment, searchText: chunks.join('\n') };
}
