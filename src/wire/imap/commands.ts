// Command grammar: RawCommand (token tree from the reader) → typed Command.
//
// One parser per command, each citing its section. parseCommand() is the only entry point and
// the only place ArgError is caught: it never throws on client input. Which commands are legal
// in which session state is the session's dispatch table, not this file's business.

import { ArgError, Args, bad, type GrammarOptions, type MailboxArg, type WireError } from './args.ts';
import { parseDateTime, type ImapDateTime } from './datetime.ts';
import { parseFetch, parseStore, type FetchArgs, type StoreArgs } from './fetch-args.ts';
import { parseCreate, parseList, parseLsub, parseSelect, parseStatus } from './list-args.ts';
import type { CreateArgs, ListArgs, LsubArgs, SelectArgs, StatusArgs } from './list-args.ts';
import type { RawCommand } from './reader.ts';
import { decodeInitialResponse } from './sasl.ts';
import { parseSearch, parseSort, parseThread, type SearchArgs, type SortArgs, type ThreadArgs } from './search-args.ts';
import type { SequenceSet } from './sequence.ts';

export type NoArgCommandName = 'CAPABILITY' | 'NOOP' | 'LOGOUT' | 'STARTTLS' | 'CHECK' | 'CLOSE' | 'UNSELECT' | 'IDLE' | 'NAMESPACE';

export interface NoArgCommand {
  name: NoArgCommandName;
}
export interface LoginCommand {
  name: 'LOGIN';
  user: string;
  password: string;
}
export interface AuthenticateCommand {
  name: 'AUTHENTICATE';
  /** Upper case ("PLAIN"). */
  mechanism: string;
  /** SASL-IR initial response (RFC 4959), decoded; null when absent. */
  initialResponse: Buffer | null;
}
export interface EnableCommand {
  name: 'ENABLE';
  /** Upper case, in the order given. */
  capabilities: string[];
}
export interface SelectCommand extends SelectArgs {
  name: 'SELECT' | 'EXAMINE';
}
export interface CreateCommand extends CreateArgs {
  name: 'CREATE';
}
export interface MailboxCommand {
  name: 'DELETE' | 'SUBSCRIBE' | 'UNSUBSCRIBE' | 'GETQUOTAROOT';
  mailbox: MailboxArg;
}
export interface RenameCommand {
  name: 'RENAME';
  from: MailboxArg;
  to: MailboxArg;
}
export interface ListCommand extends ListArgs {
  name: 'LIST';
}
export interface LsubCommand extends LsubArgs {
  name: 'LSUB';
}
export interface StatusCommand extends StatusArgs {
  name: 'STATUS';
}
export interface AppendMessage {
  flags: string[];
  internalDate: ImapDateTime | null;
  data: Buffer;
  /** Sent as literal8 (RFC 3516 §4.3): may contain NUL and bare CR/LF. */
  binary: boolean;
  /** Wrapped in UTF8 (…) (RFC 6855 §4): a message with UTF-8 headers. */
  utf8: boolean;
}
export interface AppendCommand {
  name: 'APPEND';
  mailbox: MailboxArg;
  /** One message, or several with MULTIAPPEND (RFC 3502 §6.3.11). */
  messages: AppendMessage[];
}
export interface FetchCommand extends FetchArgs {
  name: 'FETCH';
  uid: boolean;
}
export interface StoreCommand extends StoreArgs {
  name: 'STORE';
  uid: boolean;
}
export interface CopyMoveCommand {
  name: 'COPY' | 'MOVE';
  uid: boolean;
  sequence: SequenceSet;
  mailbox: MailboxArg;
}
export interface ExpungeCommand {
  name: 'EXPUNGE';
  /** UID EXPUNGE (RFC 4315 §2.1 / RFC 9051 §6.4.9) carries the UIDs to expunge. */
  uid: boolean;
  sequence: SequenceSet | null;
}
export interface SearchCommand extends SearchArgs {
  name: 'SEARCH';
  uid: boolean;
}
export interface SortCommand extends SortArgs {
  name: 'SORT';
  uid: boolean;
}
export interface ThreadCommand extends ThreadArgs {
  name: 'THREAD';
  uid: boolean;
}
export interface IdCommand {
  name: 'ID';
  /** Field/value pairs in order; null for "ID NIL". */
  params: [string, string | null][] | null;
}
export interface GetQuotaCommand {
  name: 'GETQUOTA';
  root: string;
}
export interface SetQuotaCommand {
  name: 'SETQUOTA';
  root: string;
  limits: { resource: string; limit: number }[];
}
export interface CompressCommand {
  name: 'COMPRESS';
  mechanism: string;
}

export type Command =
  | NoArgCommand | LoginCommand | AuthenticateCommand | EnableCommand | SelectCommand | CreateCommand
  | MailboxCommand | RenameCommand | ListCommand | LsubCommand | StatusCommand | AppendCommand
  | FetchCommand | StoreCommand | CopyMoveCommand | ExpungeCommand | SearchCommand | SortCommand
  | ThreadCommand | IdCommand | GetQuotaCommand | SetQuotaCommand | CompressCommand;

export type CommandName = Command['name'];

export type ParseResult = { ok: true; tag: string; command: Command } | { ok: false; tag: string; error: WireError };

const NO_ARGS = new Set<string>(['CAPABILITY', 'NOOP', 'LOGOUT', 'STARTTLS', 'CHECK', 'CLOSE', 'UNSELECT', 'IDLE', 'NAMESPACE']);
/** Commands that take a UID prefix (RFC 9051 §6.4.9, RFC 6851, RFC 5256). */
const UID_COMMANDS = new Set<string>(['FETCH', 'STORE', 'SEARCH', 'COPY', 'MOVE', 'EXPUNGE', 'SORT', 'THREAD']);

/** Parses one command. Never throws on client input. */
export function parseCommand(raw: RawCommand, options: GrammarOptions = {}): ParseResult {
  try {
    return { ok: true, tag: raw.tag, command: grammar(raw, options) };
  } catch (e) {
    if (e instanceof ArgError) return { ok: false, tag: raw.tag, error: { kind: e.kind, code: e.code, text: e.message } };
    throw e;
  }
}

function grammar(raw: RawCommand, options: GrammarOptions): Command {
  const args = new Args(raw.args, options);
  let name = raw.name;
  let uid = false;
  if (name === 'UID') {
    name = args.keyword('UID command');
    if (!UID_COMMANDS.has(name)) bad(`UID ${name.slice(0, 20)} is not a UID command`);
    uid = true;
  }
  if (NO_ARGS.has(name)) {
    args.end();
    return { name: name as NoArgCommandName };
  }
  switch (name) {
    case 'LOGIN':
      return login(args);
    case 'AUTHENTICATE':
      return authenticate(args);
    case 'ENABLE':
      return enable(args);
    case 'SELECT':
    case 'EXAMINE':
      return { name, ...parseSelect(args) };
    case 'CREATE':
      return { name, ...parseCreate(args) };
    case 'DELETE':
    case 'SUBSCRIBE':
    case 'UNSUBSCRIBE':
    case 'GETQUOTAROOT': {
      const mailbox = args.mailbox();
      args.end();
      return { name, mailbox };
    }
    case 'RENAME': {
      const from = args.mailbox('existing mailbox name');
      const to = args.mailbox('new mailbox name');
      args.end();
      return { name, from, to };
    }
    case 'LIST':
      return { name, ...parseList(args) };
    case 'LSUB':
      return { name, ...parseLsub(args) };
    case 'STATUS':
      return { name, ...parseStatus(args) };
    case 'APPEND':
      return append(args);
    case 'FETCH':
      return { name, uid, ...parseFetch(args, uid) };
    case 'STORE':
      return { name, uid, ...parseStore(args) };
    case 'COPY':
    case 'MOVE': {
      const sequence = args.sequenceSet();
      const mailbox = args.mailbox();
      args.end();
      return { name, uid, sequence, mailbox };
    }
    case 'EXPUNGE': {
      const sequence = uid ? args.sequenceSet('UID set') : null;
      args.end();
      return { name, uid, sequence };
    }
    case 'SEARCH':
      return { name, uid, ...parseSearch(args) };
    case 'SORT':
      return { name, uid, ...parseSort(args) };
    case 'THREAD':
      return { name, uid, ...parseThread(args) };
    case 'ID':
      return id(args);
    case 'GETQUOTA': {
      const root = args.astring('quota root');
      args.end();
      return { name, root };
    }
    case 'SETQUOTA':
      return setQuota(args);
    case 'COMPRESS': {
      const mechanism = args.keyword('compression mechanism');
      args.end();
      return { name, mechanism };
    }
  }
  bad(`Unknown command ${name.slice(0, 20)}`);
}

// RFC 9051 §6.2.3: LOGIN SP userid SP password (both astring).
function login(args: Args): LoginCommand {
  const user = args.astring('user name');
  const password = args.astring('password');
  args.end();
  return { name: 'LOGIN', user, password };
}

// RFC 9051 §6.2.2: AUTHENTICATE SP auth-type [SP initial-resp]; initial-resp = base64 / "=".
function authenticate(args: Args): AuthenticateCommand {
  const mechanism = args.keyword('mechanism');
  if (!/^[A-Z0-9_-]{1,20}$/.test(mechanism)) bad('Invalid SASL mechanism name');
  let initialResponse: Buffer | null = null;
  if (!args.done) {
    const text = args.atom('initial response');
    initialResponse = decodeInitialResponse(text);
    if (!initialResponse) bad('Invalid base64 in initial response');
  }
  args.end();
  return { name: 'AUTHENTICATE', mechanism, initialResponse };
}

// RFC 5161 §3.1: ENABLE 1*(SP capability).
function enable(args: Args): EnableCommand {
  const capabilities: string[] = [];
  do capabilities.push(args.keyword('capability'));
  while (!args.done);
  return { name: 'ENABLE', capabilities };
}

// RFC 9051 §6.3.12 (and RFC 3502 §6.3.11 MULTIAPPEND, RFC 3516 §4.3, RFC 6855 §4):
//   append = "APPEND" SP mailbox 1*append-message
//   append-message = [SP flag-list] [SP date-time] SP (literal / literal8 / "UTF8" SP "(" literal8 ")")
function append(args: Args): AppendCommand {
  const mailbox = args.mailbox();
  const messages: AppendMessage[] = [];
  do {
    let flags: string[] = [];
    let internalDate: ImapDateTime | null = null;
    if (args.peek()?.type === 'list') flags = args.flagList();
    const t = args.peek();
    if (t && t.type === 'string' && t.form === 'quoted') {
      const text = args.string('date-time').toString('latin1');
      internalDate = parseDateTime(text);
      if (!internalDate) bad('Invalid date-time');
    }
    let utf8 = false;
    let data = args.peek();
    let holder = args;
    if (data && data.type === 'atom' && data.value.toUpperCase() === 'UTF8') {
      args.next('UTF8');
      holder = args.list('UTF8 message');
      data = holder.peek();
      utf8 = true;
    }
    if (!data || data.type !== 'string' || data.form === 'quoted' || (utf8 && data.form !== 'literal8')) {
      bad('Expected the message as a literal');
    }
    holder.next('message');
    if (utf8) holder.end();
    messages.push({ flags, internalDate, data: data.value, binary: data.form === 'literal8', utf8 });
  } while (!args.done);
  return { name: 'APPEND', mailbox, messages };
}

// RFC 2971 §3.1: ID ("field" "value" …) / NIL; at most 30 pairs, fields ≤ 30 octets,
// values ≤ 1024 octets.
function id(args: Args): IdCommand {
  const t = args.peek();
  if (t && t.type === 'atom' && t.value.toUpperCase() === 'NIL') {
    args.next('NIL');
    args.end();
    return { name: 'ID', params: null };
  }
  const list = args.list('ID parameters');
  args.end();
  const params: [string, string | null][] = [];
  while (!list.done) {
    const field = list.string('ID field').toString('utf8');
    const value = list.nstring('ID value');
    if (Buffer.byteLength(field) > 30) bad('ID field name too long');
    if (value !== null && Buffer.byteLength(value) > 1024) bad('ID value too long');
    params.push([field, value]);
    if (params.length > 30) bad('Too many ID parameters');
  }
  return { name: 'ID', params };
}

// RFC 9208 §4.1.3: SETQUOTA quota-root "(" [setquota-resource *(SP setquota-resource)] ")".
function setQuota(args: Args): SetQuotaCommand {
  const root = args.astring('quota root');
  const list = args.list('quota limits');
  args.end();
  const limits: { resource: string; limit: number }[] = [];
  while (!list.done) {
    const resource = list.keyword('resource name');
    limits.push({ resource, limit: list.modseq('resource limit', true) });
  }
  return { name: 'SETQUOTA', root, limits };
}

/** Every command name parseCommand understands (UID variants are "UID" + one of UID_COMMANDS). */
export const COMMAND_NAMES: readonly string[] = [
  ...NO_ARGS, 'LOGIN', 'AUTHENTICATE', 'ENABLE', 'SELECT', 'EXAMINE', 'CREATE', 'DELETE', 'RENAME',
  'SUBSCRIBE', 'UNSUBSCRIBE', 'LIST', 'LSUB', 'STATUS', 'APPEND', 'FETCH', 'STORE', 'COPY', 'MOVE',
  'EXPUNGE', 'SEARCH', 'SORT', 'THREAD', 'ID', 'GETQUOTA', 'GETQUOTAROOT', 'SETQUOTA', 'COMPRESS', 'UID',
];
