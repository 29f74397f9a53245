// The JMAP core's contract with its methods (RFC 8620 §3). A method is a plain async function
// from its arguments to its response arguments; the dispatcher (dispatch.ts) parses the
// request, resolves result references (§3.7), checks the account, runs methods one after
// another and turns a thrown MethodError into an "error" invocation (§3.6.2).

import type { Account, AccountId, BlobStore, ChangeBus, MailStore } from '../store/types.ts';
import type { Logger } from '../observe/log.ts';
import type { ParsedMessage } from '../wire/mime/types.ts';
import type { JmapLimits } from './limits.ts';
import type { JmapPush } from './push/index.ts';
import type { MailRouter } from '../delivery/router.ts';

/** One method call or response: [name, arguments, method call id] (RFC 8620 §3.2). */
export type Invocation = [string, Record<string, unknown>, string];

/**
 * What the JMAP methods are built from; src/server/ fills it in. Method families add the
 * services they need here (delivery for Email/import, submission for EmailSubmission …).
 */
export interface JmapDeps {
  store: MailStore;
  blobs: BlobStore;
  bus: ChangeBus;
  log: Logger;
  /** The parse-once MIME parser, with the configured limits applied. */
  parse: (raw: Uint8Array) => ParsedMessage;
  limits: JmapLimits;
  /** The name clients use to reach this server (URLs in the session object). */
  hostname: string;
  /** Where submitted mail goes (RFC 8621 §7): SMTP submission's router and limits. */
  outbound: JmapOutbound;
  /**
   * Push (RFC 8620 §7), one per server. The dispatcher announces every /set, /copy and /import
   * that moved its type's state; a change of a type outside the mail change log made elsewhere
   * announces itself after its commit — `deps.push.hub.announce(accountId, { EmailSubmission:
   * newState })` — and every EventSource, WebSocket and push subscription of the account hears.
   */
  push: JmapPush;
}

export interface JmapOutbound {
  /** Remote recipients into the outbound queue, hosted ones through local delivery (src/delivery/router.ts). */
  router: Pick<MailRouter, 'route'>;
  maxRecipients: number;
  maxMessageBytes: number;
}

export interface MethodContext {
  deps: JmapDeps;
  /** The authenticated user; in this server a user has exactly one account, its own. */
  account: Account;
  /**
   * The account the call names in `accountId`, already checked: it is the user's own (else the
   * dispatcher answered accountNotFound). Methods use this, never a number from the arguments.
   */
  accountId: AccountId;
  /** The capabilities the request declared in `using` (RFC 8620 §3.3). */
  using: ReadonlySet<string>;
  /**
   * Creation ids of this request (RFC 8620 §3.3, §5.3): "#name" in an id argument resolves
   * through resolveId; a successful create records its new id with recordCreated.
   */
  resolveId(id: string): string | null;
  recordCreated(creationId: string, id: string): void;
  /**
   * Adds a response after this method's own (RFC 8621 §4.7 and §7.5: Email/copy's and
   * EmailSubmission/set's implicit Email/set call), under the same method call id.
   */
  addResponse(name: string, args: Record<string, unknown>): void;
  /** Runs another method of this request as an implicit call (same context). */
  call(name: string, args: Record<string, unknown>): Promise<Record<string, unknown>>;
}

export type Method = (args: Record<string, unknown>, ctx: MethodContext) => Promise<Record<string, unknown>>;

/** A method family: the capability that must be in `using` and its methods by name. */
export interface MethodSet {
  capability: string;
  methods: Record<string, Method>;
  /** The capability's value in the session object's `capabilities` (RFC 8620 §2); {} when absent. */
  sessionCapability?: Record<string, unknown>;
  /** Its value in the account's `accountCapabilities`; absent: the capability is not per account (core). */
  accountCapability?: (account: Account) => Record<string, unknown>;
}

/** RFC 8620 §3.6.2 method-level errors (and those RFC 8621 adds). */
export type MethodErrorType =
  | 'serverUnavailable'
  | 'serverFail'
  | 'serverPartialFail'
  | 'unknownMethod'
  | 'invalidArguments'
  | 'invalidResultReference'
  | 'forbidden'
  | 'accountNotFound'
  | 'accountNotSupportedByMethod'
  | 'accountReadOnly'
  | 'requestTooLarge'
  | 'cannotCalculateChanges'
  | 'stateMismatch'
  | 'anchorNotFound'
  | 'unsupportedSort'
  | 'unsupportedFilter'
  | 'tooManyChanges'
  | 'fromAccountNotFound'
  | 'fromAccountNotSupportedByMethod'
  | 'unknownDataType'; // RFC 9404 §4.3

export class MethodError extends Error {
  readonly type: MethodErrorType;
  readonly extra: Record<string, unknown>;
  constructor(type: MethodErrorType, description?: string, extra: Record<string, unknown> = {}) {
    super(description ?? type);
    this.type = type;
    this.extra = extra;
  }
  toArguments(): Record<string, unknown> {
    return { type: this.type, ...(this.message !== this.type ? { description: this.message } : {}), ...this.extra };
  }
}

/** RFC 8620 §5.3 SetError (per object in /set, /copy, /import). */
export interface SetError {
  type: string;
  description?: string;
  properties?: string[];
  [extra: string]: unknown;
}
