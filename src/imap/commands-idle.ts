// IDLE (RFC 2177 / RFC 9051 §6.3.13): "+ idling", then every change to the selected mailbox is
// pushed as soon as the bus reports it, until the client sends DONE. Pushes are serialised on
// their own chain (the command itself holds the session's), so untagged responses never
// interleave. While nothing happens the server says "* OK Still here" every few minutes: a
// connection that carries nothing for long is what NAT gateways and mobile networks drop
// silently, and then the client never learns that push has died (RFC 2177 §3 lets the server
// send any untagged response during IDLE).

import { continuation, isIdleDone, untaggedStatus } from '../wire/imap/index.ts';
import { command } from './descriptor.ts';
import { ImapBad } from './errors.ts';
import { AUTHENTICATED } from './state.ts';
import { syncView } from './sync.ts';

const idle = command({
  name: 'IDLE',
  states: AUTHENTICATED,
  run: async (s) => {
    s.write(continuation('idling'));
    let pushing: Promise<void> = Promise.resolve();
    const push = (): void => {
      pushing = pushing
        .then(async () => {
          if (s.state.kind === 'selected' && !s.io.closed) await syncView(s, s.state.view, true);
        })
        .catch((err: unknown) => s.logError('imap-idle-sync-error', err));
    };
    s.idleListener = push;
    // Whatever changed before IDLE started is reported at once.
    push();
    const keepaliveMs = s.ctx.deps.config.limits.idleKeepaliveSeconds * 1000;
    const keepalive =
      keepaliveMs > 0
        ? setInterval(() => {
            pushing = pushing.then(async () => {
              // An idling session of a removed, disabled or re-passworded account ends here at
              // the latest (any command ends it at once).
              if (!s.io.closed && (await s.accountInGoodStanding())) s.write(untaggedStatus('OK', 'Still here'));
            });
          }, keepaliveMs)
        : null;
    const line = await s.io.readLine();
    if (keepalive) clearInterval(keepalive);
    s.idleListener = null;
    await pushing;
    if (line === null) return { responded: true };
    if (!isIdleDone(line)) throw new ImapBad('Expected DONE');
    return { text: 'IDLE terminated' };
  },
});

export const idleCommands = [idle];
