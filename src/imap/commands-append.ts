// APPEND (RFC 9051 §6.3.12; RFC 3502 MULTIAPPEND; RFC 4315 APPENDUID; RFC 3516 literal8; RFC 6855 UTF8). The OK is
// sent only after ingestMessages (the delivery pipeline's ingest and mailbox stages, without
// rules: the client chose the mailbox) has made the blobs durable and committed the rows
// (DESIGN.md: nothing accepted is ever lost). Size, mailbox and quota are checked before the literal is
// read (refuseAppendLiteral, through session.refuseLiteral) and again here, where they count.

import { ingestMessages } from '../delivery/explicit-target.ts';
import { normaliseFlags } from '../mail/flags.ts';
import { compressSequence, decodeMailbox, type Token } from '../wire/imap/index.ts';
import { normaliseMailboxName } from '../mail/mailbox-name.ts';
import { command } from './descriptor.ts';
import { ImapBad, ImapNo, storeCall } from './errors.ts';
import { existingMailbox } from './names.ts';
import type { ImapSession } from './session.ts';
import { AUTHENTICATED } from './state.ts';

/**
 * Why an APPEND literal of `size` bytes should not even be read, from the arguments before it
 * (mailbox, flags, date): too large (RFC 7889 / RFC 5530 TOOBIG), no such mailbox (RFC 9051
 * §6.3.12 TRYCREATE), over quota (RFC 9208 §4.3 OVERQUOTA). Null when it may come; anything
 * this cannot tell (a malformed name, a store error) is left to the command itself.
 */
export async function refuseAppendLiteral(s: ImapSession, size: number, args: readonly Token[]): Promise<ImapNo | null> {
  const deps = s.ctx.deps;
  if (size > deps.config.limits.maxMessageBytes) return new ImapNo('TOOBIG', 'Message too large');
  const first = args[0];
  if (!first || (first.type !== 'string' && first.type !== 'atom')) return null;
  const arg = decodeMailbox(first.type === 'atom' ? Buffer.from(first.value, 'latin1') : first.value, s.grammar());
  if (!arg.ok) return null;
  try {
    const mailbox = await deps.store.getMailbox(s.accountId(), normaliseMailboxName(arg.name));
    if (!mailbox) return new ImapNo('TRYCREATE', 'No such mailbox');
    // Messages of the same command already received (MULTIAPPEND-style lists) count too.
    let pending = size;
    for (const t of args.slice(1)) if (t.type === 'string' && t.form !== 'quoted') pending += t.value.length;
    const q = await deps.store.quota(s.accountId());
    if (q.limitBytes !== null && q.usedBytes + pending > q.limitBytes) return new ImapNo('OVERQUOTA', 'Quota exceeded');
  } catch {
    return null;
  }
  return null;
}

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
    const deps = s.ctx.deps;
    // RFC 3502 §6.3.11 MULTIAPPEND: every message of the command is appended, or none.
    const results = await storeCall(
      () => ingestMessages(deps, s.accountId(), mailbox.id, cmd.messages.map((m, i) => ({ raw: m.data, flags: flagLists[i], internalDate: m.internalDate?.ms }))),
      { NOT_FOUND: new ImapNo('TRYCREATE', 'No such mailbox') },
    );
    const uids = results.map((r) => r.uid);
    const uidValidity = results[0].uidValidity;
    deps.log.info({ event: 'imap-append', protocol: 'imap', remote: s.io.remote, account: s.accountAddress(), mailbox: mailbox.name, count: uids.length });
    return { code: `APPENDUID ${uidValidity} ${compressSequence(uids)}`, text: 'APPEND completed' };
  },
});

export const appendCommands = [append];
