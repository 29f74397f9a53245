// Runs a request's method calls in order (RFC 8620 §3.4): resolves result references, checks the
// account, keeps the request's creation ids, and turns a method's failure into an "error"
// response so that one bad call never stops the others.

import { StoreError, type Account } from '../store/types.ts';
import { MethodError, type Invocation, type JmapDeps, type Method, type MethodContext, type MethodSet } from './types.ts';
import { resolveReferences } from './result-reference.ts';
import { fromAccountId } from './ids.ts';
import type { JmapRequest } from './request.ts';
import { CORE_CAPABILITY } from './core-methods.ts';

export interface JmapResponse {
  methodResponses: Invocation[];
  createdIds?: Record<string, string>;
  sessionState: string;
}

export class Dispatcher {
  private readonly deps: JmapDeps;
  private readonly byName = new Map<string, { capability: string; method: Method }>();
  readonly capabilities: ReadonlySet<string>;

  constructor(deps: JmapDeps, sets: readonly MethodSet[]) {
    this.deps = deps;
    const caps = new Set<string>();
    for (const set of sets) {
      caps.add(set.capability);
      for (const [name, method] of Object.entries(set.methods)) this.byName.set(name, { capability: set.capability, method });
    }
    this.capabilities = caps;
  }

  async run(request: JmapRequest, account: Account, sessionState: string): Promise<JmapResponse> {
    const using = new Set(request.using);
    const created = new Map<string, string>(Object.entries(request.createdIds ?? {}));
    const responses: Invocation[] = [];
    for (const [name, rawArgs, callId] of request.methodCalls) {
      const extra: Invocation[] = [];
      try {
        const args = resolveReferences(rawArgs, responses);
        const result = await this.invoke(name, args, account, using, created, (n, a) => extra.push([n, a, callId]));
        responses.push([name, result, callId], ...extra);
        for (const [n, r] of [[name, result], ...extra] as [string, Record<string, unknown>][]) this.announceNewState(account, n, r);
      } catch (err) {
        responses.push(['error', this.errorArguments(err, name), callId]);
      }
    }
    return {
      methodResponses: responses,
      ...(request.createdIds !== null ? { createdIds: Object.fromEntries(created) } : {}),
      sessionState,
    };
  }

  private async invoke(
    name: string,
    args: Record<string, unknown>,
    account: Account,
    using: ReadonlySet<string>,
    created: Map<string, string>,
    addResponse: (name: string, args: Record<string, unknown>) => void,
  ): Promise<Record<string, unknown>> {
    const entry = this.byName.get(name);
    // RFC 8620 §3.6.2: a method of a capability the request did not declare is unknown too.
    if (!entry || !using.has(entry.capability)) throw new MethodError('unknownMethod', `unknown method "${name}"`);
    let accountId = account.id;
    // Every method outside the core names its account (RFC 8620 §3.3, §5); core's (Core/echo,
    // PushSubscription) take none.
    if (!('accountId' in args) && entry.capability !== CORE_CAPABILITY) {
      throw new MethodError('invalidArguments', '"accountId" is required', { arguments: ['accountId'] });
    }
    if ('accountId' in args) {
      const asked = fromAccountId(args.accountId);
      if (typeof args.accountId !== 'string') throw new MethodError('invalidArguments', '"accountId" must be a string', { arguments: ['accountId'] });
      if (asked !== account.id) throw new MethodError('accountNotFound');
      accountId = asked;
    }
    const ctx: MethodContext = {
      deps: this.deps,
      account,
      accountId,
      using,
      resolveId: (id) => created.get(id) ?? null,
      recordCreated: (creationId, id) => void created.set(creationId, id),
      addResponse,
      call: (other, otherArgs) => this.invoke(other, otherArgs, account, using, created, addResponse),
    };
    return entry.method(args, ctx);
  }

  /**
   * RFC 8620 §7: a /set, /copy or /import that moved its type's state is announced to push, so
   * the types outside the mail change log (Identity, EmailSubmission, VacationResponse …) reach
   * EventSource, WebSocket and push subscriptions too; for the mail types the bus already did.
   */
  private announceNewState(account: Account, name: string, result: Record<string, unknown>): void {
    const slash = name.indexOf('/');
    if (slash <= 0 || !/^(set|copy|import)$/.test(name.slice(slash + 1))) return;
    if (typeof result.newState !== 'string' || result.newState === result.oldState) return;
    this.deps.push.hub.announce(account.id, { [name.slice(0, slash)]: result.newState });
  }

  private errorArguments(err: unknown, name: string): Record<string, unknown> {
    if (err instanceof MethodError) return err.toArguments();
    // A temporary store failure (locked database, full disk): the client may retry (RFC 8620 §3.6.2).
    if (err instanceof StoreError && err.code === 'UNAVAILABLE') return { type: 'serverUnavailable', description: err.message };
    this.deps.log.error({ event: 'jmap-method-failed', method: name, err: (err as Error).message, stack: (err as Error).stack });
    return { type: 'serverFail', description: 'The server could not complete this call; it has been logged.' };
  }
}
