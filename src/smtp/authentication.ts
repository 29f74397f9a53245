// Message authentication with mailauth: verification of SPF (RFC 7208), DKIM (RFC 6376) and
// DMARC (RFC 7489) on inbound mail, recorded in Authentication-Results (RFC 8601). DKIM signing
// of submitted mail is src/delivery/submission.ts's.
// Every DNS query goes through the DnsResolver given, never straight to node:dns.

import { authenticate, spf } from 'mailauth';
import { splitHeader } from '../mail/header-fields.ts';
import type { DnsResolver } from '../net/dns.ts';

export interface VerifyInput {
  message: Buffer;
  ip: string;
  helo: string;
  /** Envelope sender ('' for <>). */
  sender: string;
  /** Our authserv-id (RFC 8601 §2.5): the host name. */
  hostname: string;
  resolver: DnsResolver;
}

export interface VerifyResult {
  /** Received-SPF and Authentication-Results fields, each ending in CRLF. */
  header: string;
  spf: string;
  dkim: string;
  dmarc: string;
}

/**
 * mailauth's header handling is superlinear in the size of the header (100,000 addresses in a
 * folded To: take it ~30 s, stalling every session): past these bounds only SPF, which does not
 * read the message, is evaluated, and DKIM/DMARC are recorded as not checked.
 */
const MAX_VERIFIED_HEADER_BYTES = 128 * 1024;
const MAX_VERIFIED_HEADER_FIELDS = 1000;

export async function verifyMessage(input: VerifyInput): Promise<VerifyResult> {
  const { fields, headerEnd } = splitHeader(input.message);
  if (headerEnd > MAX_VERIFIED_HEADER_BYTES || fields.length > MAX_VERIFIED_HEADER_FIELDS) return spfOnly(input);
  const result = await authenticate(input.message, {
    ip: input.ip,
    helo: input.helo,
    sender: input.sender,
    mta: input.hostname,
    resolver: input.resolver as never,
    disableArc: true,
    disableBimi: true,
  });
  const r = result as unknown as {
    headers: string;
    spf?: { status?: { result?: string } } | false;
    dkim?: { results?: { status?: { result?: string } }[] };
    dmarc?: { status?: { result?: string } } | false;
  };
  return {
    header: r.headers,
    spf: (r.spf && r.spf.status?.result) || 'none',
    dkim: r.dkim?.results?.[0]?.status?.result ?? 'none',
    dmarc: (r.dmarc && r.dmarc.status?.result) || 'none',
  };
}

async function spfOnly(input: VerifyInput): Promise<VerifyResult> {
  const helo = /^[0-9.:]+$/.test(input.helo) || input.helo === '' ? `[${input.ip}]` : input.helo;
  const result = (await spf({ sender: input.sender, ip: input.ip, helo, mta: input.hostname, resolver: input.resolver as never } as never)) as {
    status?: { result?: string };
    header?: string;
    info?: string;
  };
  const verdict = result.status?.result ?? 'none';
  const lines = [
    result.header ? `${result.header.replace(/\r?\n$/, '')}\r\n` : '',
    `Authentication-Results: ${input.hostname};\r\n dkim=none (header too large to verify);\r\n ${result.info ?? `spf=${verdict}`};\r\n dmarc=none (header too large to verify)\r\n`,
  ];
  return { header: lines.join(''), spf: verdict, dkim: 'none', dmarc: 'none' };
}
