// The JMAP Session resource (RFC 8620 §2): what the server can do, which accounts the user may
// use, and where the other endpoints are. Its state changes only when this object would.

import { createHash } from 'node:crypto';
import type { Account } from '../store/types.ts';
import type { JmapLimits } from './limits.ts';
import type { MethodSet } from './types.ts';
import { toAccountId } from './ids.ts';
import { CORE_CAPABILITY } from './core-methods.ts';

/** The endpoints' paths; the session object names them as absolute URLs (RFC 8620 §2). */
export const JMAP_PATHS = {
  session: '/.well-known/jmap',
  api: '/jmap/api',
  upload: '/jmap/upload/',
  download: '/jmap/download/',
  eventSource: '/jmap/eventsource',
  webSocket: '/jmap/ws',
} as const;

/** RFC 8887 §3: its session value names the WebSocket URL. */
export const WEBSOCKET_CAPABILITY = 'urn:ietf:params:jmap:websocket';

export function sessionObject(account: Account, sets: readonly MethodSet[], limits: JmapLimits, origin: string): Record<string, unknown> {
  const accountId = toAccountId(account.id);
  const capabilities: Record<string, unknown> = {
    [CORE_CAPABILITY]: {
      ...limits,
      // RFC 8620 §2: the collations Email/query and the other /query methods may use (RFC 4790).
      collationAlgorithms: ['i;ascii-casemap', 'i;ascii-numeric', 'i;octet', 'i;unicode-casemap'],
    },
  };
  const accountCapabilities: Record<string, unknown> = {};
  const primaryAccounts: Record<string, string> = {};
  for (const set of sets) {
    if (set.capability === CORE_CAPABILITY) continue;
    // Several method sets may share a capability (Mailbox, Email and Thread are all "mail"); their values merge.
    capabilities[set.capability] = { ...(capabilities[set.capability] as object | undefined), ...set.sessionCapability };
    if (set.accountCapability) {
      accountCapabilities[set.capability] = { ...(accountCapabilities[set.capability] as object | undefined), ...set.accountCapability(account) };
      primaryAccounts[set.capability] = accountId;
    }
  }
  const content = {
    capabilities,
    accounts: {
      [accountId]: { name: account.address, isPersonal: true, isReadOnly: false, accountCapabilities },
    },
    primaryAccounts,
    username: account.address,
  };
  return {
    ...content,
    capabilities: absoluteWebSocketUrl(capabilities, origin),
    apiUrl: origin + JMAP_PATHS.api,
    downloadUrl: origin + JMAP_PATHS.download + '{accountId}/{blobId}/{name}?accept={type}',
    uploadUrl: origin + JMAP_PATHS.upload + '{accountId}/',
    eventSourceUrl: origin + JMAP_PATHS.eventSource + '?types={types}&closeafter={closeafter}&ping={ping}',
    // Over the content only, not the URLs: a client reaching the server under another name sees the same state.
    state: sessionState(content),
  };
}

/** RFC 8887 §3: the URL is absolute, ws: or wss: as the client reached us; the state covers only the path. */
function absoluteWebSocketUrl(capabilities: Record<string, unknown>, origin: string): Record<string, unknown> {
  const ws = capabilities[WEBSOCKET_CAPABILITY] as { url?: unknown } | undefined;
  if (!ws || typeof ws.url !== 'string' || !origin) return capabilities;
  return { ...capabilities, [WEBSOCKET_CAPABILITY]: { ...ws, url: origin.replace(/^http/, 'ws') + ws.url } };
}

/** A digest of the session's content: the same object always has the same state (RFC 8620 §2 "state"). */
export function sessionState(body: unknown): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 16);
}
