// Mailbox name arguments: the wire layer decoded modified UTF-7 (or UTF-8 after ENABLE); the
// domain rule (src/mail/mailbox-name.ts) then decides. A name that fails either — traversal,
// NUL, "&Jjo" unterminated, UTF-7 that decodes to "/" or ".." — is NO [CANNOT], never a path.

import { normaliseMailboxName } from '../mail/mailbox-name.ts';
import type { Mailbox } from '../store/types.ts';
import type { MailboxArg } from '../wire/imap/index.ts';
import { ImapNo } from './errors.ts';
import type { ImapSession } from './session.ts';

export function mailboxName(arg: MailboxArg): string {
  if (!arg.ok) throw new ImapNo('CANNOT', 'Invalid mailbox name');
  try {
    return normaliseMailboxName(arg.name);
  } catch {
    throw new ImapNo('CANNOT', 'Invalid mailbox name');
  }
}

/** The mailbox an argument names, or NO [NONEXISTENT] (RFC 5530). */
export async function existingMailbox(s: ImapSession, arg: MailboxArg, code = 'NONEXISTENT'): Promise<Mailbox> {
  const name = mailboxName(arg);
  const mailbox = await s.ctx.deps.store.getMailbox(s.accountId(), name);
  if (!mailbox) throw new ImapNo(code, 'No such mailbox');
  return mailbox;
}
