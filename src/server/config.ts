// Configuration: defaults ← config file (TOML) ← environment (DESIGN.md §5, operating contract).
// Unknown or invalid settings stop the server at start with a message naming the setting.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { hostname as osHostname } from 'node:os';
import { isIP } from 'node:net';
import { parse as parseToml } from 'smol-toml';
import { parseSize } from '../mail/size.ts';
import { ENV_SETTINGS, FILE_KEYS, KINDS, type Kind } from './config-keys.ts';

export interface PortsConfig {
  smtp: number;
  submission: number;
  submissions: number;
  imap: number;
  imaps: number;
  pop3: number;
  pop3s: number;
  http: number;
  https: number;
}

export interface Config {
  /** Where the database, blobs and generated TLS material live. */
  dataDir: string;
  /** The name this server announces (SMTP greeting, autoconfig, certificates). */
  hostname: string;
  /** Address every listener binds to. */
  bind: string;
  ports: PortsConfig;
  http: {
    /**
     * Origins whose browser scripts may call the JMAP endpoints (CORS, Fetch standard §3.2);
     * serialized origins such as "https://app.example", or "*" for any. Empty: no CORS.
     */
    corsOrigins: string[];
  };
  tls: { certFile: string | null; keyFile: string | null };
  auth: {
    /** Allow plaintext passwords without TLS when the client is on a loopback address. */
    allowPlaintextOnLoopback: boolean;
  };
  limits: {
    maxMessageBytes: number;
    maxRecipients: number;
    maxConnectionsPerIp: number;
    /** Logged-in IMAP sessions of one account at once (desktop, phone and webmail together). */
    maxConnectionsPerAccount: number;
    maxLineBytes: number;
    maxLiteralBytes: number;
    /**
     * Message data all IMAP APPENDs together may hold in memory while it arrives; an APPEND
     * that does not fit waits for room (at most appendWaitSeconds), then gets NO [UNAVAILABLE].
     */
    appendMemoryBytes: number;
    appendWaitSeconds: number;
    mimeMaxDepth: number;
    mimeMaxParts: number;
    mimeMaxHeaderBytes: number;
    /** Seconds a logged-in connection may stay silent (RFC 9051 §5.4: at least 30 minutes). */
    idleTimeoutSeconds: number;
    /**
     * An IMAP session in IDLE is sent "* OK Still here" this often (0: never), so NAT gateways
     * and mobile networks do not drop a connection that only waits for news (Dovecot: 2 minutes).
     */
    idleKeepaliveSeconds: number;
    /** Failed logins are counted over this window (seconds). */
    loginWindowSeconds: number;
    /** Failures from one address, over all accounts, before the address is refused. */
    loginFailuresPerAddress: number;
    /** Failures from one address for one account before the address is refused for it. */
    loginFailuresPerAccountAddress: number;
    /** Failures for one account from all addresses before strangers' attempts are slowed (never refused). */
    loginFailuresPerAccount: number;
    /** The longest such delay, seconds (0: no delays). */
    loginMaxDelaySeconds: number;
    /** Seconds a connection may stay silent before login. */
    preAuthTimeoutSeconds: number;
    /** Seconds running commands get to finish at shutdown. */
    shutdownGraceSeconds: number;
  };
  pop3: {
    /** Default server-side retention of POP-retrieved mail, days; null = until the client deletes. */
    retentionDays: number | null;
  };
  queue: {
    /** Waits between delivery attempts; the last repeats (RFC 5321 §4.5.4.1). */
    retryDelaysSeconds: number[];
    /** Bounce what is still undelivered after this long (RFC 5321 §4.5.4.1: at least 4–5 days). */
    maxAgeSeconds: number;
    /** Tell the sender once that delivery is delayed, after this long (RFC 3464 action=delayed). */
    delayNoticeAfterSeconds: number;
    /** Smarthost: send all outbound mail through this host instead of the recipients' MX. */
    relayHost: string | null;
    relayPort: number;
    /** Implicit TLS to the relay (port 465) instead of STARTTLS. */
    relaySecure: boolean;
    /** Refuse to send to the relay without a verified TLS session. */
    relayRequireTls: boolean;
    relayUser: string | null;
    /** File holding the relay password (kept out of the config file). */
    relayPasswordFile: string | null;
  };
  dns: {
    /** Resolvers for MX/SPF/DKIM/DMARC lookups; empty = the system's (/etc/resolv.conf). */
    servers: string[];
  };
  log: { level: 'debug' | 'info' | 'warn' | 'error' };
  /** JMAP push: EventSource, WebSocket and push subscriptions (RFC 8620 §7, RFC 8887). */
  jmap: {
    /** Open EventSource and WebSocket connections of one account at once. */
    maxPushConnectionsPerAccount: number;
    /** … and of the whole server. */
    maxPushConnections: number;
    /** The shortest EventSource ping interval granted (RFC 8620 §7.3 lets the server clamp it). */
    pushMinPingSeconds: number;
    /**
     * Push subscription URLs are https only; this also allows http to loopback hosts (for local
     * push gateways and tests). Never needed for a real push service.
     */
    pushAllowHttpLoopback: boolean;
  };
}

export const DEFAULT_PORTS: PortsConfig = {
  smtp: 2525,
  submission: 2587,
  submissions: 2465,
  imap: 2143,
  imaps: 2993,
  pop3: 2110,
  pop3s: 2995,
  http: 8080,
  https: 8443,
};

export function defaultConfig(): Config {
  return {
    dataDir: './data',
    hostname: osHostname() || 'localhost',
    bind: '0.0.0.0',
    ports: { ...DEFAULT_PORTS },
    http: { corsOrigins: [] },
    tls: { certFile: null, keyFile: null },
    auth: { allowPlaintextOnLoopback: false },
    limits: {
      maxMessageBytes: 50 * 1024 * 1024,
      maxRecipients: 100,
      maxConnectionsPerIp: 50,
      maxConnectionsPerAccount: 50,
      maxLineBytes: 64 * 1024,
      maxLiteralBytes: 64 * 1024 * 1024,
      appendMemoryBytes: 512 * 1024 * 1024,
      appendWaitSeconds: 30,
      mimeMaxDepth: 50,
      mimeMaxParts: 1000,
      mimeMaxHeaderBytes: 256 * 1024,
      idleTimeoutSeconds: 30 * 60,
      idleKeepaliveSeconds: 120,
      loginWindowSeconds: 5 * 60,
      loginFailuresPerAddress: 10,
      loginFailuresPerAccountAddress: 5,
      loginFailuresPerAccount: 30,
      loginMaxDelaySeconds: 15,
      preAuthTimeoutSeconds: 60,
      shutdownGraceSeconds: 10,
    },
    pop3: { retentionDays: null },
    queue: {
      retryDelaysSeconds: [5, 10, 30, 60, 120, 240].map((m) => m * 60),
      maxAgeSeconds: 5 * 86_400,
      delayNoticeAfterSeconds: 4 * 3600,
      relayHost: null,
      relayPort: 587,
      relaySecure: false,
      relayRequireTls: true,
      relayUser: null,
      relayPasswordFile: null,
    },
    dns: { servers: [] },
    log: { level: 'info' },
    jmap: { maxPushConnectionsPerAccount: 50, maxPushConnections: 10_000, pushMinPingSeconds: 5, pushAllowHttpLoopback: false },
  };
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** "90s", "5m", "4h", "5d", or a number of seconds. */
function parseDuration(raw: unknown): number {
  if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw > 0) return raw;
  const m = typeof raw === 'string' ? /^\s*(\d+)\s*([smhd]?)\s*$/.exec(raw) : null;
  if (!m || Number(m[1]) === 0) throw new RangeError('not a duration');
  return Number(m[1]) * DURATION_UNITS[m[2] || 's'];
}

function convert(kind: Kind, raw: unknown, where: string): unknown {
  const fail = (why: string): never => {
    throw new ConfigError(`${where}: ${why} (got ${JSON.stringify(raw)})`);
  };
  const asInteger = (): number => {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n) || n < 0) fail('must be a non-negative whole number');
    return n;
  };
  switch (kind) {
    case 'string':
    case 'path':
      if (typeof raw !== 'string' || raw.trim() === '') fail('must be a non-empty string');
      return raw;
    case 'port': {
      const n = asInteger();
      if (n > 65535) fail('must be a port number from 0 (disabled) to 65535');
      return n;
    }
    case 'interval':
      return asInteger();
    case 'count':
    case 'seconds': {
      const n = asInteger();
      if (n === 0) fail('must be at least 1');
      return n;
    }
    case 'days':
      if (raw === 'never' || raw === 'NEVER' || raw === '') return null;
      return asInteger();
    case 'size': {
      let n: number;
      try {
        n = typeof raw === 'number' ? raw : parseSize(String(raw));
      } catch {
        return fail('must be a size such as 52428800, 50MB or 2GiB');
      }
      if (!Number.isSafeInteger(n) || n <= 0) fail('must be a positive size');
      return n;
    }
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1' || raw === 'yes') return true;
      if (raw === 'false' || raw === '0' || raw === 'no') return false;
      return fail('must be true or false');
    case 'duration':
      try {
        return parseDuration(raw);
      } catch {
        return fail('must be a duration such as 90s, 5m, 4h or 5d');
      }
    case 'durations': {
      const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : null;
      if (!list || list.length === 0) return fail('must be a list of durations such as ["5m", "30m", "2h"]');
      try {
        return list.map(parseDuration);
      } catch {
        return fail('must be a list of durations such as ["5m", "30m", "2h"]');
      }
    }
    case 'addresses': {
      const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',').map((x) => x.trim()).filter(Boolean) : null;
      if (!list || !list.every((a) => typeof a === 'string' && isIP(a) !== 0)) return fail('must be a list of IP addresses');
      return list;
    }
    case 'origins': {
      const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',').map((x) => x.trim()).filter(Boolean) : null;
      const origins = list?.map(serializedOrigin);
      if (!origins || origins.includes(null)) return fail('must be a list of origins such as ["https://app.example.com"], or ["*"] for any');
      return origins;
    }
    case 'loglevel':
      if (raw === 'debug' || raw === 'info' || raw === 'warn' || raw === 'error') return raw;
      return fail('must be one of debug, info, warn, error');
  }
}

/**
 * "*", or an origin in the form browsers send in the Origin header (RFC 6454 §6.2: scheme, host,
 * and the port unless it is the default); null for anything else, such as a URL with a path.
 */
function serializedOrigin(raw: unknown): string | null {
  if (raw === '*') return raw;
  if (typeof raw !== 'string') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) return null;
  return url.origin;
}

function setPath(target: Config, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target as unknown as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) node = node[k] as Record<string, unknown>;
  node[keys[keys.length - 1]] = value;
}

/** Flattens a parsed TOML document into dotted keys: { ports: { imap: 1 } } → "ports.imap". */
function flatten(doc: Record<string, unknown>, prefix = ''): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [k, v] of Object.entries(doc)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)) out.push(...flatten(v as Record<string, unknown>, key));
    else out.push([key, v]);
  }
  return out;
}

export interface LoadOptions {
  /** Path of a TOML config file; when omitted, POSTHORN_CONFIG, else none. */
  file?: string;
  env?: NodeJS.ProcessEnv;
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const config = defaultConfig();
  const file = opts.file ?? env.POSTHORN_CONFIG;
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`config file ${file}: ${(err as Error).message}`);
    }
    let doc: Record<string, unknown>;
    try {
      doc = parseToml(text) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`config file ${file}: ${(err as Error).message}`);
    }
    for (const [key, raw] of flatten(doc)) {
      const setting = FILE_KEYS[key];
      if (!setting) throw new ConfigError(`config file ${file}: unknown setting "${key}"`);
      setPath(config, setting, convert(KINDS[setting], raw, `config file ${file}: setting "${key}"`));
    }
  }
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('POSTHORN_') || name === 'POSTHORN_CONFIG' || raw === undefined) continue;
    const setting = ENV_SETTINGS[name];
    if (!setting) throw new ConfigError(`environment: unknown setting ${name}`);
    setPath(config, setting, convert(KINDS[setting], raw, `environment: ${name}`));
  }
  if ((config.tls.certFile === null) !== (config.tls.keyFile === null)) {
    throw new ConfigError('tls.cert_file and tls.key_file must be set together');
  }
  if (config.queue.relayUser !== null && config.queue.relayPasswordFile === null) {
    throw new ConfigError('queue.relay_user needs queue.relay_password_file');
  }
  config.dataDir = resolve(config.dataDir);
  config.hostname = config.hostname.toLowerCase();
  return config;
}
