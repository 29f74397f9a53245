// Mail for JMAP tests: messages built from a few fields and stored through the ingest path
// (parse once, blob, append), as delivery and IMAP APPEND store them.

import { ingestMessage } from '../../src/delivery/explicit-target.ts';
import { toJmapId } from '../../src/jmap/ids.ts';
import type { Account, Mailbox } from '../../src/store/types.ts';
import type { JmapTestServer } from './jmap.ts';

export interface TestMessage {
  subject?: string;
  from?: string;
  to?: string;
  cc?: string;
  bcc?: string;
  date?: string;
  messageId?: string;
  inReplyTo?: string;
  body?: string;
  headers?: string[];
  /** A PDF attachment after the body (multipart/mixed). */
  attachment?: boolean;
}

export function buildMessage(m: TestMessage): Buffer {
  const lines = [
    ...(m.from !== undefined ? [`From: ${m.from}`] : []),
    ...(m.to !== undefined ? [`To: ${m.to}`] : []),
    ...(m.cc !== undefined ? [`Cc: ${m.cc}`] : []),
    ...(m.bcc !== undefined ? [`Bcc: ${m.bcc}`] : []),
    ...(m.subject !== undefined ? [`Subject: ${m.subject}`] : []),
    ...(m.date !== undefined ? [`Date: ${m.date}`] : []),
    ...(m.messageId !== undefined ? [`Message-ID: <${m.messageId}>`] : []),
    ...(m.inReplyTo !== undefined ? [`In-Reply-To: <${m.inReplyTo}>`] : []),
    ...(m.headers ?? []),
    'MIME-Version: 1.0',
  ];
  const body = m.body ?? 'Hello.';
  if (!m.attachment) return Buffer.from([...lines, 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n'));
  return Buffer.from([
    ...lines, 'Content-Type: multipart/mixed; boundary="b"', '',
    '--b', 'Content-Type: text/plain; charset=utf-8', '', body,
    '--b', 'Content-Type: application/pdf; name="a.pdf"', 'Content-Disposition: attachment; filename="a.pdf"', 'Content-Transfer-Encoding: base64', '', 'JVBERi0xLjQK',
    '--b--', '',
  ].join('\r\n'));
}

export interface MailFixture {
  account: Account;
  mailbox(name: string): Promise<Mailbox>;
  /** Stores a message in a mailbox (created when missing); returns its JMAP ids and UID. */
  add(mailbox: string, m: TestMessage, opts?: { flags?: string[]; receivedAt?: number }): Promise<{ id: string; threadId: string; uid: number; emailId: number; mailboxId: number }>;
  mailboxJmapId(name: string): Promise<string>;
}

export async function mailFixture(jmap: JmapTestServer): Promise<MailFixture> {
  const { store, blobs, parse } = jmap.server.deps;
  const account = (await store.getAccountByAddress(jmap.address))!;
  const mailbox = async (name: string): Promise<Mailbox> => (await store.getMailbox(account.id, name)) ?? store.createMailbox(account.id, name);
  return {
    account,
    mailbox,
    async add(name, m, opts = {}) {
      const box = await mailbox(name);
      const r = await ingestMessage({ store, blobs, parse }, account.id, box.id, buildMessage(m), { flags: opts.flags, internalDate: opts.receivedAt });
      return { id: toJmapId('email', r.emailId), threadId: toJmapId('thread', r.threadId), uid: r.uid, emailId: r.emailId, mailboxId: box.id };
    },
    mailboxJmapId: async (name) => toJmapId('mailbox', (await mailbox(name)).id),
  };
}
