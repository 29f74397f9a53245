// Mailbox-level arguments: LIST (RFC 9051 §6.3.9, RFC 5258 LIST-EXTENDED, RFC 5819 LIST-STATUS,
// RFC 6154 SPECIAL-USE), LSUB (RFC 3501 §6.3.9), STATUS (RFC 9051 §6.3.11, RFC 8438 SIZE,
// RFC 7162 HIGHESTMODSEQ), SELECT/EXAMINE parameters (RFC 7162 §3.1.8, §3.2.5) and CREATE
// parameters (RFC 6154 §3).

import { Args, bad, type MailboxArg } from './args.ts';
import type { SequenceSet } from './sequence.ts';

/** MAILBOXID: RFC 8474 §4.2. */
export type StatusItem = 'MESSAGES' | 'UIDNEXT' | 'UIDVALIDITY' | 'UNSEEN' | 'DELETED' | 'SIZE' | 'RECENT' | 'HIGHESTMODSEQ' | 'MAILBOXID';
const STATUS_ITEMS = new Set<string>(['MESSAGES', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'DELETED', 'SIZE', 'RECENT', 'HIGHESTMODSEQ', 'MAILBOXID']);

export interface ListArgs {
  /** RFC 5258 §3: extended syntax used (selection options, several patterns or RETURN). */
  extended: boolean;
  selection: { subscribed: boolean; remote: boolean; recursiveMatch: boolean; specialUse: boolean };
  reference: MailboxArg;
  patterns: MailboxArg[];
  returns: { subscribed: boolean; children: boolean; specialUse: boolean; status: StatusItem[] | null };
}

export interface LsubArgs {
  reference: MailboxArg;
  pattern: MailboxArg;
}

export interface StatusArgs {
  mailbox: MailboxArg;
  items: StatusItem[];
}

/** QRESYNC select parameter (RFC 7162 §3.2.5). */
export interface QresyncParams {
  uidValidity: number;
  modseq: number;
  knownUids: SequenceSet | null;
  /** seq-match-data: message sequence numbers and the UIDs the client believes they have. */
  seqMatch: { sequences: SequenceSet; uids: SequenceSet } | null;
}

export interface SelectArgs {
  mailbox: MailboxArg;
  condstore: boolean;
  qresync: QresyncParams | null;
}

export interface CreateArgs {
  mailbox: MailboxArg;
  /** RFC 6154 §3 "USE (\Drafts …)": requested special-use attributes, as spelt. */
  specialUse: string[];
}

export function parseList(args: Args): ListArgs {
  const selection = { subscribed: false, remote: false, recursiveMatch: false, specialUse: false };
  let extended = false;
  const sel = args.optionalList();
  if (sel) {
    extended = true;
    while (!sel.done) {
      const opt = sel.keyword('selection option');
      if (opt === 'SUBSCRIBED') selection.subscribed = true;
      else if (opt === 'REMOTE') selection.remote = true;
      else if (opt === 'RECURSIVEMATCH') selection.recursiveMatch = true;
      else if (opt === 'SPECIAL-USE') selection.specialUse = true;
      // RFC 5258 §3: an unrecognised selection option is a BAD.
      else bad(`Unknown LIST selection option ${opt.slice(0, 40)}`);
    }
    // RFC 5258 §3.1: RECURSIVEMATCH alone (or with only REMOTE) is a BAD.
    if (selection.recursiveMatch && !selection.subscribed && !selection.specialUse) {
      bad('RECURSIVEMATCH requires another selection option');
    }
  }
  const reference = args.mailbox('reference name');
  const patterns: MailboxArg[] = [];
  const pats = args.optionalList();
  if (pats) {
    extended = true;
    if (pats.done) bad('Empty pattern list');
    while (!pats.done) patterns.push(pats.listPattern('mailbox pattern'));
  } else {
    patterns.push(args.listPattern('mailbox pattern'));
  }
  const returns = { subscribed: false, children: false, specialUse: false, status: null as StatusItem[] | null };
  if (args.accept('RETURN')) {
    extended = true;
    const ret = args.list('return options');
    while (!ret.done) {
      const opt = ret.keyword('return option');
      if (opt === 'SUBSCRIBED') returns.subscribed = true;
      else if (opt === 'CHILDREN') returns.children = true;
      else if (opt === 'SPECIAL-USE') returns.specialUse = true;
      else if (opt === 'STATUS' && returns.status === null) returns.status = statusItems(ret);
      else bad(`Unknown or repeated LIST return option ${opt.slice(0, 40)}`);
    }
  }
  args.end();
  return { extended, selection, reference, patterns, returns };
}

export function parseLsub(args: Args): LsubArgs {
  const reference = args.mailbox('reference name');
  const pattern = args.listPattern('mailbox pattern');
  args.end();
  return { reference, pattern };
}

function statusItems(args: Args): StatusItem[] {
  const list = args.list('status items');
  const items: StatusItem[] = [];
  while (!list.done) {
    const item = list.keyword('status item');
    if (!STATUS_ITEMS.has(item)) bad(`Unknown status item ${item.slice(0, 40)}`);
    if (!items.includes(item as StatusItem)) items.push(item as StatusItem);
  }
  if (items.length === 0) bad('Empty status item list');
  return items;
}

export function parseStatus(args: Args): StatusArgs {
  const mailbox = args.mailbox();
  const items = statusItems(args);
  args.end();
  return { mailbox, items };
}

export function parseSelect(args: Args): SelectArgs {
  const mailbox = args.mailbox();
  let condstore = false;
  let qresync: QresyncParams | null = null;
  const params = args.optionalList();
  if (params) {
    while (!params.done) {
      const name = params.keyword('select parameter');
      if (name === 'CONDSTORE' && !condstore) condstore = true;
      else if (name === 'QRESYNC' && qresync === null) qresync = qresyncParams(params.list('QRESYNC parameters'));
      else bad(`Unknown or repeated select parameter ${name.slice(0, 40)}`);
    }
  }
  args.end();
  return { mailbox, condstore, qresync };
}

// RFC 7162 §3.2.5: "(" uidvalidity SP mod-sequence-value [SP known-uids]
//                      [SP seq-match-data] ")";  seq-match-data = "(" known-sequence-set SP known-uid-set ")"
function qresyncParams(p: Args): QresyncParams {
  const uidValidity = p.nzNumber('UIDVALIDITY');
  const modseq = p.modseq('mod-sequence');
  let knownUids: SequenceSet | null = null;
  let seqMatch: QresyncParams['seqMatch'] = null;
  const t = p.peek();
  if (t && t.type === 'atom') knownUids = p.sequenceSet('known UIDs', false);
  const match = p.optionalList();
  if (match) {
    const sequences = match.sequenceSet('known sequence set', false);
    const uids = match.sequenceSet('known UID set', false);
    match.end();
    seqMatch = { sequences, uids };
  }
  p.end();
  return { uidValidity, modseq, knownUids, seqMatch };
}

export function parseCreate(args: Args): CreateArgs {
  const mailbox = args.mailbox();
  const specialUse: string[] = [];
  const params = args.optionalList();
  if (params) {
    while (!params.done) {
      const name = params.keyword('create parameter');
      if (name !== 'USE') bad(`Unknown create parameter ${name.slice(0, 40)}`);
      const use = params.list('USE attributes');
      while (!use.done) {
        const attr = use.flag('special-use attribute');
        if (!attr.startsWith('\\')) bad('Invalid special-use attribute');
        specialUse.push(attr);
      }
    }
  }
  args.end();
  return { mailbox, specialUse };
}
