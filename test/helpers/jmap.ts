// A real Posthorn with its HTTP listener and one account, and a JMAP client over real HTTP
// (plain, from loopback).

import { hashPassword } from '../../src/auth/password.ts';
import type { RunningServer } from '../../src/server/app.ts';
import type { OutboundOptions } from '../../src/server/outbound.ts';
import { startTestServer, tempDir } from './server.ts';

export const JMAP_USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'];

export interface JmapTestServer {
  server: RunningServer;
  base: string;
  address: string;
  password: string;
  accountId: string;
  authorization: string;
  /** POSTs a request to the API; returns the HTTP status and the parsed body. */
  post(body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  /** Runs method calls and returns methodResponses (throws unless HTTP 200). */
  call(methodCalls: unknown[], using?: string[]): Promise<any[]>;
  stop(): Promise<void>;
}

export async function startJmapServer(opts: { enable?: string[]; env?: Record<string, string>; outbound?: OutboundOptions } = {}): Promise<JmapTestServer> {
  const dir = tempDir('jmap');
  // Plain HTTP serves JMAP only to loopback clients with plaintext allowed there (src/web/plaintext-guard.ts).
  const server = await startTestServer(dir.path, ['http', ...(opts.enable ?? [])], { POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true', ...opts.env }, { outbound: opts.outbound });
  const address = 'alice@example.com';
  const password = 'correct horse battery staple';
  await server.deps.store.addDomain('example.com');
  const account = await server.deps.store.createAccount({ address, passwordHash: await hashPassword(password) });
  const base = `http://127.0.0.1:${server.ports.http}`;
  const authorization = 'Basic ' + Buffer.from(`${address}:${password}`).toString('base64');
  const session = (await (await fetch(`${base}/.well-known/jmap`, { headers: { authorization } })).json()) as { primaryAccounts: Record<string, string>; accounts: Record<string, unknown> };
  const accountId = Object.keys(session.accounts)[0];
  if (!accountId || account.id <= 0) throw new Error('no JMAP account in the session object');
  const post = async (body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}/jmap/api`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : body instanceof Uint8Array ? Buffer.from(body) : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* left as text for the assertion to show */
    }
    return { status: res.status, body: parsed as any, headers: res.headers };
  };
  return {
    server,
    base,
    address,
    password,
    accountId,
    authorization,
    post,
    async call(methodCalls, using = JMAP_USING) {
      const { status, body } = await post({ using, methodCalls });
      if (status !== 200) throw new Error(`JMAP API answered ${status}: ${JSON.stringify(body)}`);
      return body.methodResponses;
    },
    async stop() {
      await server.stop();
      dir.remove();
    },
  };
}
