// Commands valid in any state (RFC 9051 §6.1) and the small authenticated-state ones that only
// talk about the session: CAPABILITY, NOOP, CHECK, LOGOUT, ID, ENABLE, NAMESPACE, COMPRESS.

import { idResponse, namespaceResponse, taggedResponse, untagged, untaggedStatus } from '../wire/imap/index.ts';
import { command } from './descriptor.ts';
import { ImapBad, ImapNo } from './errors.ts';
import { ANY_STATE, AUTHENTICATED } from './state.ts';

// RFC 9051 §6.1.1
const capability = command({
  name: 'CAPABILITY',
  states: ANY_STATE,
  run: async (s) => {
    s.write(untagged(`CAPABILITY ${s.capabilities().join(' ')}`));
  },
});

// RFC 9051 §6.1.2: does nothing itself; the session's sync after every command reports changes.
const noop = command({ name: 'NOOP', states: ANY_STATE, run: async () => {} });

// RFC 3501 §6.4.1 (removed in RFC 9051, still sent by IMAP4rev1 clients): a NOOP for us,
// because every change is already durable when its command completes.
const check = command({ name: 'CHECK', states: ['selected'], run: async () => {} });

// RFC 9051 §6.1.3: BYE first, then the tagged OK, then the connection closes.
const logout = command({
  name: 'LOGOUT',
  states: ANY_STATE,
  run: async (s) => {
    s.write(untaggedStatus('BYE', 'Logging out'));
    await s.releaseAccountSession();
    s.state = { kind: 'logout' };
  },
});

// RFC 2971 §3.1: the client's identification goes to the log; we answer with ours.
const id = command({
  name: 'ID',
  states: ANY_STATE,
  run: async (s, _tag, cmd) => {
    if (cmd.params) {
      s.ctx.deps.log.info({ event: 'imap-client-id', protocol: 'imap', remote: s.io.remote, account: s.accountAddress(), client: Object.fromEntries(cmd.params) });
    }
    s.write(idResponse([['name', 'Posthorn'], ['vendor', 'Posthorn']]));
  },
});

// RFC 5161 §3.1 (and RFC 9051 §6.3.1): only in the authenticated state, before any SELECT.
// CONDSTORE (RFC 7162 §3.1), QRESYNC (§3.2.3, implies CONDSTORE), UTF8=ACCEPT (RFC 6855 §3),
// IMAP4rev2 (RFC 9051 §6.3.1: names and strings are UTF-8 from then on).
const enable = command({
  name: 'ENABLE',
  states: ['authenticated'],
  run: async (s, _tag, cmd) => {
    const enabled: string[] = [];
    for (const cap of cmd.capabilities) {
      if (cap === 'CONDSTORE' && !s.enabled.condstore) {
        s.enabled.condstore = true;
        enabled.push(cap);
      } else if (cap === 'QRESYNC' && !s.enabled.qresync) {
        s.enabled.qresync = true;
        s.enabled.condstore = true;
        enabled.push(cap);
      } else if (cap === 'UTF8=ACCEPT' && !s.enabled.utf8) {
        s.enabled.utf8 = true;
        enabled.push(cap);
      } else if (cap === 'IMAP4REV2' && !s.enabled.rev2) {
        s.enabled.rev2 = true;
        s.enabled.utf8 = true;
        enabled.push('IMAP4rev2');
      }
    }
    s.write(untagged(`ENABLED${enabled.map((c) => ' ' + c).join('')}`));
  },
});

// RFC 2342 §5 / RFC 9051 §6.3.10: one personal namespace, no prefix, "/" as separator.
const namespace = command({
  name: 'NAMESPACE',
  states: AUTHENTICATED,
  run: async (s) => {
    s.write(namespaceResponse([{ prefix: '', delimiter: '/' }], [], [], s.encodeOptions()));
  },
});


// RFC 4978: COMPRESS DEFLATE; the OK is the last uncompressed response.
const compress = command({
  name: 'COMPRESS',
  states: AUTHENTICATED,
  run: async (s, tag, cmd) => {
    if (s.io.compressed) throw new ImapNo('COMPRESSIONACTIVE', 'Compression is already active');
    if (cmd.mechanism !== 'DEFLATE') throw new ImapBad(`Unknown compression mechanism ${cmd.mechanism.slice(0, 20)}`);
    s.io.startCompression(taggedResponse(tag, 'OK', 'DEFLATE active'));
    return { responded: true };
  },
});

export const anyStateCommands = [capability, noop, check, logout, id, enable, namespace, compress];
