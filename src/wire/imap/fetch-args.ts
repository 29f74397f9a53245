// FETCH and STORE arguments (RFC 9051 §6.4.5, §6.4.6; RFC 3516 BINARY; RFC 7162 CONDSTORE/QRESYNC).

import { Args, bad } from './args.ts';
import { quote } from './encode.ts';
import type { SequenceSet } from './sequence.ts';
import type { SectionToken } from './tokenizer.ts';

export type SectionText = 'HEADER' | 'HEADER.FIELDS' | 'HEADER.FIELDS.NOT' | 'TEXT' | 'MIME';

/** section-spec (RFC 9051 §6.4.5): a part path ([] = the whole message) and an optional text part. */
export interface BodySection {
  part: number[];
  text: SectionText | null;
  /** Header field names for HEADER.FIELDS[.NOT], as the client spelt them. */
  fields: string[];
}

/** partial = "<" number "." nz-number ">": `length` octets from `offset`. */
export interface Partial {
  offset: number;
  length: number;
}

export type SimpleFetchItem =
  | 'ENVELOPE'
  | 'FLAGS'
  | 'INTERNALDATE'
  | 'RFC822'
  | 'RFC822.HEADER'
  | 'RFC822.TEXT'
  | 'RFC822.SIZE'
  | 'UID'
  | 'BODYSTRUCTURE'
  /** BODY without a section: BODYSTRUCTURE without extension data (RFC 9051 §7.5.2). */
  | 'BODY'
  /** RFC 7162 §3.1.4.1. */
  | 'MODSEQ'
  /** RFC 8474 §5 (OBJECTID). */
  | 'EMAILID'
  | 'THREADID'
  /** RFC 8970 §3 (PREVIEW; the LAZY modifier is accepted and changes nothing: ours is stored). */
  | 'PREVIEW';

export type FetchItem =
  | { type: SimpleFetchItem }
  | { type: 'BODY[]'; peek: boolean; section: BodySection; partial: Partial | null }
  | { type: 'BINARY[]'; peek: boolean; part: number[]; partial: Partial | null }
  | { type: 'BINARY.SIZE'; part: number[] };

export interface FetchArgs {
  sequence: SequenceSet;
  items: FetchItem[];
  /** CHANGEDSINCE modifier (RFC 7162 §3.1.4.1): only messages with a greater mod-sequence. */
  changedSince: number | null;
  /** VANISHED modifier (RFC 7162 §3.2.6): UID FETCH only, with CHANGEDSINCE. */
  vanished: boolean;
}

export type StoreOperation = 'replace' | 'add' | 'remove';

export interface StoreArgs {
  sequence: SequenceSet;
  operation: StoreOperation;
  /** .SILENT: no untagged FETCH for the changed flags (RFC 9051 §6.4.6). */
  silent: boolean;
  flags: string[];
  /** UNCHANGEDSINCE modifier (RFC 7162 §3.1.3). */
  unchangedSince: number | null;
}

const SIMPLE = new Set<string>([
  'ENVELOPE', 'FLAGS', 'INTERNALDATE', 'RFC822', 'RFC822.HEADER', 'RFC822.TEXT', 'RFC822.SIZE', 'UID',
  'BODYSTRUCTURE', 'BODY', 'MODSEQ', 'EMAILID', 'THREADID', 'PREVIEW',
]);

// RFC 9051 §6.4.5 macros; each is only valid alone, never inside a list.
const MACROS: Record<string, SimpleFetchItem[]> = {
  ALL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'],
  FAST: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
  FULL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'],
};

// RFC 5322 §3.6.8 field-name = 1*ftext, printable US-ASCII except ":".
const FIELD_NAME = /^[!-9;-~]+$/;
const MAX_PART_DEPTH = 100;
const ATOM = /^[!#$&'+,\-./0-9:;<=>?@A-Z[^_`a-z|}~]+$/;

export function parseFetch(args: Args, uid: boolean): FetchArgs {
  const sequence = args.sequenceSet();
  const items: FetchItem[] = [];
  const first = args.next('fetch attributes');
  if (first.type === 'list') {
    const list = new Args(first.items, args.options);
    if (list.done) bad('Empty fetch attribute list');
    while (!list.done) items.push(fetchAtt(list));
  } else if (first.type === 'atom' && MACROS[first.value.toUpperCase()]) {
    for (const type of MACROS[first.value.toUpperCase()]) items.push({ type });
  } else {
    const single = new Args([first], args.options);
    items.push(fetchAtt(single));
    // RFC 8970 §3: "PREVIEW (LAZY)" alone; the list is the item's, not the command's modifiers.
    const next = args.peek();
    if (items[0].type === 'PREVIEW' && next && next.type === 'list' && next.items.length > 0 && next.items.every((i) => i.type === 'atom' && i.value.toUpperCase() === 'LAZY')) args.next('preview modifiers');
  }
  let changedSince: number | null = null;
  let vanished = false;
  const mods = args.optionalList();
  if (mods) {
    if (mods.done) bad('Empty fetch modifier list');
    while (!mods.done) {
      const name = mods.keyword('fetch modifier');
      if (name === 'CHANGEDSINCE' && changedSince === null) changedSince = mods.modseq('CHANGEDSINCE value', true);
      else if (name === 'VANISHED' && !vanished) vanished = true;
      else bad(`Unknown or repeated fetch modifier ${name}`);
    }
  }
  args.end();
  // RFC 7162 §3.2.6: VANISHED is only for UID FETCH and only together with CHANGEDSINCE.
  if (vanished && (!uid || changedSince === null)) bad('VANISHED requires UID FETCH with CHANGEDSINCE');
  return { sequence, items, changedSince, vanished };
}

function fetchAtt(list: Args): FetchItem {
  const t = list.next('fetch attribute');
  if (t.type === 'atom') {
    const name = t.value.toUpperCase();
    if (!SIMPLE.has(name)) bad(`Unknown fetch attribute ${name.slice(0, 40)}`);
    // RFC 8970 §3: preview-mod list after PREVIEW inside the attribute list; LAZY is the one defined.
    if (name === 'PREVIEW') {
      const mods = list.optionalList();
      if (mods) {
        if (mods.done) bad('Empty PREVIEW modifier list');
        while (!mods.done) if (mods.keyword('preview modifier') !== 'LAZY') bad('Unknown PREVIEW modifier');
      }
    }
    return { type: name as SimpleFetchItem };
  }
  if (t.type !== 'section') bad('Invalid fetch attribute');
  return sectionAtt(t, list);
}

function partialOf(t: SectionToken): Partial | null {
  if (!t.partial) return null;
  // RFC 9051 §9: partial = "<" number64 "." nz-number64 ">": the length is required and non-zero.
  if (t.partial.length === null || t.partial.length === 0) bad('Invalid partial range');
  return { offset: t.partial.offset, length: t.partial.length };
}

function sectionAtt(t: SectionToken, list: Args): FetchItem {
  const inner = new Args(t.items, list.options);
  if (t.name === 'BODY' || t.name === 'BODY.PEEK') {
    return { type: 'BODY[]', peek: t.name === 'BODY.PEEK', section: bodySection(inner), partial: partialOf(t) };
  }
  // section-binary = "[" [section-part] "]" (RFC 3516 §4.2 / RFC 9051 §9).
  let part: number[] = [];
  if (!inner.done) {
    const spec = inner.atom('section part');
    const parsed = splitSection(spec);
    if (parsed.text !== '') bad('BINARY takes a part number only');
    part = parsed.part;
  }
  inner.end();
  if (t.name === 'BINARY.SIZE') {
    if (t.partial) bad('BINARY.SIZE takes no partial range');
    return { type: 'BINARY.SIZE', part };
  }
  return { type: 'BINARY[]', peek: t.name === 'BINARY.PEEK', part, partial: partialOf(t) };
}

function splitSection(spec: string): { part: number[]; text: string } {
  const pieces = spec.split('.');
  const part: number[] = [];
  let k = 0;
  while (k < pieces.length && /^[0-9]+$/.test(pieces[k])) {
    if (!/^[1-9][0-9]{0,9}$/.test(pieces[k]) || Number(pieces[k]) > 4294967295) bad('Invalid section part number');
    part.push(Number(pieces[k]));
    k++;
  }
  if (part.length > MAX_PART_DEPTH) bad('Section part too deep');
  return { part, text: pieces.slice(k).join('.').toUpperCase() };
}

function bodySection(inner: Args): BodySection {
  if (inner.done) return { part: [], text: null, fields: [] };
  const { part, text } = splitSection(inner.atom('section'));
  const section: BodySection = { part, text: null, fields: [] };
  if (text === '') {
    if (part.length === 0) bad('Invalid section');
  } else if (text === 'HEADER' || text === 'TEXT' || text === 'MIME') {
    // RFC 9051 §6.4.5: MIME only follows a part number.
    if (text === 'MIME' && part.length === 0) bad('MIME requires a part number');
    section.text = text;
  } else if (text === 'HEADER.FIELDS' || text === 'HEADER.FIELDS.NOT') {
    section.text = text;
    const names = inner.list('header field names');
    if (names.done) bad('Empty header field list');
    while (!names.done) {
      const name = names.astring('header field name');
      if (!FIELD_NAME.test(name)) bad('Invalid header field name');
      section.fields.push(name);
    }
  } else {
    bad('Invalid section');
  }
  inner.end();
  return section;
}

/** Whether a FETCH sets \Seen implicitly (RFC 9051 §6.4.5: BODY[], BINARY[], RFC822, RFC822.TEXT). */
export function fetchSetsSeen(items: FetchItem[]): boolean {
  return items.some(
    (i) => ((i.type === 'BODY[]' || i.type === 'BINARY[]') && !i.peek) || i.type === 'RFC822' || i.type === 'RFC822.TEXT',
  );
}

/** The section spec as it appears between the brackets ("1.2.HEADER.FIELDS (From To)"). */
export function sectionSpec(section: BodySection): string {
  let out = section.part.join('.');
  if (section.text) out += (out ? '.' : '') + section.text;
  // header-fld-name = astring: names that are not atoms go back quoted.
  if (section.fields.length > 0) out += ' (' + section.fields.map((f) => (ATOM.test(f) ? f : quote(f))).join(' ') + ')';
  return out;
}

/**
 * The name a FETCH response uses for an item (RFC 9051 §7.5.2): BODY.PEEK answers as BODY,
 * a partial answers with its origin only ("BODY[]<0>").
 */
export function fetchItemLabel(item: FetchItem): string {
  switch (item.type) {
    case 'BODY[]':
      return `BODY[${sectionSpec(item.section)}]` + (item.partial ? `<${item.partial.offset}>` : '');
    case 'BINARY[]':
      return `BINARY[${item.part.join('.')}]` + (item.partial ? `<${item.partial.offset}>` : '');
    case 'BINARY.SIZE':
      return `BINARY.SIZE[${item.part.join('.')}]`;
    default:
      return item.type;
  }
}

export function parseStore(args: Args): StoreArgs {
  const sequence = args.sequenceSet();
  let unchangedSince: number | null = null;
  const mods = args.optionalList();
  if (mods) {
    if (mods.keyword('store modifier') !== 'UNCHANGEDSINCE') bad('Unknown store modifier');
    unchangedSince = mods.modseq('UNCHANGEDSINCE value', true);
    mods.end();
  }
  const att = args.keyword('store data item');
  const m = /^([+-]?)FLAGS(\.SILENT)?$/.exec(att);
  if (!m) bad('Invalid store data item');
  const operation: StoreOperation = m[1] === '+' ? 'add' : m[1] === '-' ? 'remove' : 'replace';
  let flags: string[];
  const next = args.peek();
  if (next && next.type === 'list') {
    flags = args.flagList();
  } else {
    // store-att-flags also allows the flags without parentheses: flag *(SP flag).
    flags = [args.flag()];
    while (!args.done) flags.push(args.flag());
  }
  args.end();
  return { sequence, operation, silent: m[2] !== undefined, flags, unchangedSince };
}
