// Messages for the Email/get, Email/parse and download suites: stored through the real ingest
// path (blob, parse-once summary, store) into an account of a JMAP test server.

import { hashPassword } from '../../src/auth/password.ts';
import { ingestMessage } from '../../src/delivery/explicit-target.ts';
import type { Account } from '../../src/store/types.ts';
import { toJmapId } from '../../src/jmap/ids.ts';
import type { JmapTestServer } from './jmap.ts';

export interface StoredEmail {
  /** JMAP Email id. */
  id: string;
  blobId: string;
  uid: number;
  raw: Buffer;
}

export async function accountOf(jmap: JmapTestServer, address = jmap.address): Promise<Account> {
  const store = jmap.server.deps.store;
  const existing = await store.getAccountByAddress(address);
  if (existing) return existing;
  const domain = address.slice(address.indexOf('@') + 1);
  if (!(await store.getDomain(domain))) await store.addDomain(domain);
  return store.createAccount({ address, passwordHash: await hashPassword('other password') });
}

/** Stores a raw message (CRLF line ends as written) in a mailbox of the account (alice's INBOX by default). */
export async function appendEmail(jmap: JmapTestServer, raw: string | Buffer, opts: { address?: string; mailbox?: string; flags?: string[]; internalDate?: number } = {}): Promise<StoredEmail> {
  const deps = jmap.server.deps;
  const account = await accountOf(jmap, opts.address);
  const mailbox = await deps.store.getMailbox(account.id, opts.mailbox ?? 'INBOX');
  if (!mailbox) throw new Error(`no mailbox ${opts.mailbox}`);
  const bytes = typeof raw === 'string' ? Buffer.from(raw.replace(/\r?\n/g, '\r\n'), 'utf8') : raw;
  const r = await ingestMessage(deps, account.id, mailbox.id, bytes, { flags: opts.flags, internalDate: opts.internalDate });
  const [email] = await deps.store.getEmails(account.id, [r.emailId]);
  return { id: toJmapId('email', r.emailId), blobId: email.blobId, uid: r.uid, raw: bytes };
}

/** The Email/get response arguments for the ids (one call). */
export async function emailGet(jmap: JmapTestServer, args: Record<string, unknown>): Promise<any> {
  const [[name, result]] = await jmap.call([['Email/get', { accountId: jmap.accountId, ...args }, 'g']]);
  if (name !== 'Email/get') throw new Error(`Email/get answered ${name}: ${JSON.stringify(result)}`);
  return result;
}

/** The method error of a single Email/get (or other) call, or null when it succeeded. */
export async function methodError(jmap: JmapTestServer, name: string, args: Record<string, unknown>): Promise<{ type: string; arguments?: string[] } | null> {
  const [[answered, result]] = await jmap.call([[name, { accountId: jmap.accountId, ...args }, 'e']]);
  return answered === 'error' ? result : null;
}

/**
 * The structure of RFC 8621 §4.1.4's example (parts A to K), each leaf's body naming it. The
 * RFC gives textBody A B C D K, htmlBody A E K and attachments C F G H J.
 */
export const RFC8621_EXAMPLE = [
  'From: Example <example@example.com>',
  'To: alice@example.com',
  'Subject: The RFC 8621 example',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="root"',
  '',
  '--root',
  'Content-Type: text/plain',
  '',
  'A',
  '--root',
  'Content-Type: multipart/mixed; boundary="m2"',
  '',
  '--m2',
  'Content-Type: multipart/alternative; boundary="alt"',
  '',
  '--alt',
  'Content-Type: multipart/mixed; boundary="m3"',
  '',
  '--m3',
  'Content-Type: text/plain',
  '',
  'B',
  '--m3',
  'Content-Type: image/jpeg',
  'Content-Transfer-Encoding: base64',
  '',
  'Qw==',
  '--m3',
  'Content-Type: text/plain',
  '',
  'D',
  '--m3--',
  '--alt',
  'Content-Type: multipart/related; boundary="rel"',
  '',
  '--rel',
  'Content-Type: text/html',
  '',
  '<p>E</p>',
  '--rel',
  'Content-Type: image/jpeg',
  'Content-Transfer-Encoding: base64',
  'Content-ID: <F@example.com>',
  '',
  'Rg==',
  '--rel--',
  '--alt--',
  '--m2',
  'Content-Type: image/jpeg',
  'Content-Disposition: attachment; filename="G.jpg"',
  'Content-Transfer-Encoding: base64',
  '',
  'Rw==',
  '--m2',
  'Content-Type: application/x-excel',
  'Content-Disposition: attachment; filename="H.xls"',
  '',
  'H',
  '--m2',
  'Content-Type: message/rfc822',
  '',
  'From: Inner <inner@example.com>',
  'Subject: J',
  '',
  'J',
  '--m2--',
  '--root',
  'Content-Type: text/plain',
  '',
  'K',
  '--root--',
  '',
].join('\r\n');
