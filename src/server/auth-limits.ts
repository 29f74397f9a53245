// The login limits from the configuration: for the server's Authenticator and for
// `posthorn auth blocked`, which compares the counters with the same limits. Light on imports,
// so the command line loads only this.

import type { Config } from './config.ts';
import { DEFAULT_AUTH_LIMITS, type AuthLimits } from '../auth/authenticator.ts';

/** The login limits of the configuration (limits.login_*), over the built-in rest. */
export function authLimitsFrom(config: Config): AuthLimits {
  const l = config.limits;
  return {
    ...DEFAULT_AUTH_LIMITS,
    windowMs: l.loginWindowSeconds * 1000,
    maxFailuresPerIp: l.loginFailuresPerAddress,
    maxFailuresPerAccountAddress: l.loginFailuresPerAccountAddress,
    maxFailuresPerAccount: l.loginFailuresPerAccount,
    maxDelayMs: l.loginMaxDelaySeconds * 1000,
  };
}
