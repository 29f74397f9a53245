// Push settings (config `[jmap]`, src/server/config.ts) as the JMAP layer gets them.

export interface PushOptions {
  /** Open EventSource and WebSocket connections of one account at once. */
  maxConnectionsPerAccount: number;
  /** … and of the whole server. */
  maxConnections: number;
  /** EventSource pings asked for more often are sent at this interval (RFC 8620 §7.3). */
  minPingSeconds: number;
  /** Push subscription URLs: https only, unless this also allows http to loopback hosts. */
  allowHttpLoopback: boolean;
}

export const DEFAULT_PUSH_OPTIONS: PushOptions = {
  maxConnectionsPerAccount: 50,
  maxConnections: 10_000,
  minPingSeconds: 5,
  allowHttpLoopback: false,
};

/** The longest ping interval granted: a client asking for less often still hears from us hourly. */
export const MAX_PING_SECONDS = 3600;
