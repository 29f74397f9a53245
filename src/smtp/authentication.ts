// Message authentication with mailauth: verification of SPF (RFC 7208), DKIM (RFC 6376) and
// DMARC (RFC 7489) on inbound mail, recorded in Authentication-Results (RFC 8601); and DKIM
// signing of outbound mail of hosted domains with the domain's key (generated on `domain add`).
// Every DNS query goes through the DnsResolver given, never straight to node:dns.

import { authenticate, dkimSign } from 'mailauth';
import type { MailStore } from '../store/types.ts';
import type { DnsResolver } from './dns.ts';

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

export async function verifyMessage(input: VerifyInput): Promise<VerifyResult> {
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

/**
 * DKIM-Signature fields for a message whose sender domain is hosted with a key, else ''.
 * relaxed/relaxed canonicalisation survives the header re-folding some relays do.
 */
export async function dkimSignatureFor(store: MailStore, domainName: string, message: Buffer): Promise<string> {
  const domain = await store.getDomain(domainName);
  if (!domain?.dkimPrivateKeyPem || !domain.dkimSelector) return '';
  const signed = await dkimSign(message, {
    canonicalization: 'relaxed/relaxed',
    signatureData: [{ signingDomain: domain.name, selector: domain.dkimSelector, privateKey: domain.dkimPrivateKeyPem }],
  } as never);
  if (signed.errors.length > 0) {
    throw new Error(`DKIM signing for ${domain.name} failed: ${signed.errors.map((e: { err?: Error }) => e.err?.message).join('; ')}`);
  }
  return signed.signatures;
}
