// APPEND (RFC 9051 §6.3.12; RFC 4315 APPENDUID; RFC 3516 literal8; RFC 6855 UTF8). The OK is
// sent only after ingestMessage has made the blob durable and committed the row (DESIGN.md:
// nothing accepted is ever lost). Size was already checked before the literal was accepted
// (session.refuseLiteral), and is checked again here for non-synchronising literals.

import { ingestMessage } from '../mail/ingest.ts';
import { normaliseFlags } from '../mail/flags.ts';
import { compressSequence } from '../wire/imap/index.ts';
import { command } from './descriptor.ts';
import { ImapBad, ImapNo, storeCall } from './errors.ts';
import { existingMailbox } from './names.ts';
import { AUTHENTICATED } from './state.ts';

const append = command({
  name: 'APPEND',
  states: AUTHENTICATED,
  run: async (s, _tag, cmd) => {
    // RFC 9051 §6.3.12: a missing mailbox is NO [TRYCREATE].
    const mailbox = await existingMailbox(s, cmd.mailbox, 'TRYCREATE');
    const max = s.ctx.deps.config.limits.maxMessageBytes;
    const flagLists = cmd.messages.map((m) => {
      if (m.data.length > max) throw new ImapNo('TOOBIG', 'Message too large');
      if (m.data.length === 0) throw new ImapBad('Empty message');
      try {
        return normaliseFlags(m.flags);
      } catch {
        throw new ImapBad('Invalid flag');
      }
    });
    const uids: number[] = [];
    let uidValidity = mailbox.uidValidity;
    const deps = s.ctx.deps;
    for (let i = 0; i < cmd.messages.length; i++) {
      const m = cmd.messages[i];
      const result = await storeCall(() =>
        ingestMessage({ store: deps.store, blobs: deps.blobs, parse: deps.parse }, s.accountId(), mailbox.id, m.data, {
          flags: flagLists[i],
          internalDate: m.internalDate?.ms,
        }),
        { NOT_FOUND: new ImapNo('TRYCREATE', 'No such mailbox') },
      );
      uids.push(result.uid);
      uidValidity = result.uidValidity;
    }
    deps.log.info({ event: 'imap-append', protocol: 'imap', remote: s.io.remote, account: s.accountAddress(), mailbox: mailbox.name, count: uids.length });
    return { code: `APPENDUID ${uidValidity} ${compressSequence(uids)}`, text: 'APPEND completed' };
  },
});

export const appendCommands = [append];
