// For the JMAP mail-writing suites: mailbox ids as JMAP shows them, uploads over real HTTP, a
// message read back over IMAP (FETCH BODY[]), and Python's email package as an independent
// MIME parser.

import { execFileSync } from 'node:child_process';
import { ImapFlow } from 'imapflow';
import { toJmapId } from '../../src/jmap/ids.ts';
import type { Account } from '../../src/store/types.ts';
import type { JmapTestServer } from './jmap.ts';
import { requirePythonFor } from './tools.ts';

export async function aliceAccount(jmap: JmapTestServer): Promise<Account> {
  const account = await jmap.server.deps.store.getAccountByAddress(jmap.address);
  if (!account) throw new Error('no test account');
  return account;
}

/** The JMAP id of a mailbox of the account, created when missing. */
export async function mailboxId(jmap: JmapTestServer, name: string, account?: Account): Promise<string> {
  const acc = account ?? (await aliceAccount(jmap));
  const store = jmap.server.deps.store;
  const m = (await store.getMailbox(acc.id, name)) ?? (await store.createMailbox(acc.id, name));
  return toJmapId('mailbox', m.id);
}

export async function upload(jmap: JmapTestServer, body: Uint8Array | string, type = 'application/octet-stream', accountId = jmap.accountId): Promise<{ status: number; body: any }> {
  const res = await fetch(`${jmap.base}/jmap/upload/${accountId}/`, {
    method: 'POST',
    headers: { authorization: jmap.authorization, 'content-type': type },
    body: typeof body === 'string' ? body : Buffer.from(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* left as text for the assertion */
  }
  return { status: res.status, body: parsed };
}

export function imapClient(jmap: JmapTestServer): ImapFlow {
  return new ImapFlow({
    host: '127.0.0.1',
    port: jmap.server.ports.imap ?? 0,
    secure: false,
    auth: { user: jmap.address, pass: jmap.password },
    tls: { rejectUnauthorized: false },
    logger: false,
  });
}

/** The stored message of the newest message in `mailbox`, as an IMAP client reads it. */
export async function fetchLastMessage(jmap: JmapTestServer, mailbox = 'INBOX'): Promise<{ uid: number; raw: Buffer; flags: Set<string> }> {
  const c = imapClient(jmap);
  await c.connect();
  try {
    await c.mailboxOpen(mailbox);
    const msg = await c.fetchOne('*', { uid: true, source: true, flags: true });
    if (!msg || !msg.source) throw new Error(`no message in ${mailbox}`);
    return { uid: msg.uid, raw: msg.source, flags: msg.flags ?? new Set() };
  } finally {
    await c.logout();
  }
}

const PY_MIME = `
import sys, json, base64, email, email.policy
msg = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)
def part(p):
    d = {'type': p.get_content_type(), 'filename': p.get_filename(), 'charset': p.get_content_charset(),
         'disposition': p.get_content_disposition(), 'cte': p.get('Content-Transfer-Encoding'), 'cid': p.get('Content-ID')}
    if p.is_multipart():
        d['parts'] = [part(s) for s in p.iter_parts()]
    elif p.get_content_maintype() == 'text':
        d['text'] = p.get_content()
    else:
        d['base64'] = base64.b64encode(p.get_payload(decode=True) or b'').decode()
    return d
out = part(msg)
out['headers'] = {k.lower(): str(v) for k, v in msg.items()}
out['defects'] = [type(x).__name__ for x in msg.defects]
print(json.dumps(out))
`;

export interface PyPart {
  type: string;
  filename: string | null;
  charset: string | null;
  disposition: string | null;
  cte: string | null;
  cid: string | null;
  parts?: PyPart[];
  text?: string;
  base64?: string;
}

/** Python's email package (policy default: RFC 2047 and 2231 decoded) reading a message. */
export function pythonParse(raw: Buffer): PyPart & { headers: Record<string, string>; defects: string[] } {
  return JSON.parse(execFileSync(requirePythonFor(PY_MIME), ['-c', PY_MIME], { input: raw }).toString());
}
