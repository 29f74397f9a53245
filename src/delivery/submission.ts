// Mail a user submits, by SMTP submission (src/smtp/session.ts) or JMAP EmailSubmission
// (src/jmap/mail/submission-set.ts): one sender rule and one way of making the message ready to
// go out, so both protocols let the same user send exactly the same mail.
//
// Implementation notes (rules every change must keep):
// - A user may send as its own address and as the aliases that point at its account (RFC 6409
//   §6.1, §8: the submission server checks the sender): the envelope sender and every From:
//   address. A catch-all does not count: it receives for a whole domain, it does not make every
//   address of the domain the user's.
// - What goes out is the message as submitted with Authentication-Results claiming our name
//   removed (RFC 8601 §5), Date and Message-ID added when missing (RFC 6409 §8.2, §8.3), a trace
//   field, and a DKIM signature of the From: domain when it is hosted with a key (RFC 6376;
//   DMARC, RFC 7489 §3.1, aligns DKIM with the From: domain).

import addressparser from 'nodemailer/lib/addressparser';
import { dkimSign } from 'mailauth';
import type { DirectoryStore } from '../store/types.ts';
import { domainOf, normaliseAddress } from '../mail/address.ts';
import { fieldValue, missingSubmissionFields, splitHeader, withoutForgedResults } from '../mail/header-fields.ts';

export type SenderDirectory = Pick<DirectoryStore, 'listAliases'>;

/** True when `address` is the account's own or an alias whose target is the account. */
export async function mayUseSender(directory: SenderDirectory, account: { address: string }, address: string): Promise<boolean> {
  const normal = normaliseAddress(address);
  if (!normal) return false;
  if (normal === account.address) return true;
  const aliases = await directory.listAliases(domainOf(normal));
  return aliases.some((a) => a.source === normal && a.target === account.address);
}

/** The addresses of the named fields (lower-case names), in order; '' for a mailbox without one. */
export function addressesOf(message: Buffer, names: readonly string[]): string[] {
  const fields = splitHeader(message).fields.filter((f) => names.includes(f.name));
  return fields.flatMap((f) => (addressparser(fieldValue(f), { flatten: true }) as { address?: string }[]).map((a) => a.address ?? ''));
}

/** The addresses of the From: fields. */
export function authorsOf(message: Buffer): string[] {
  return addressesOf(message, ['from']);
}

/** A From: address the user may not send as (or no From: at all). */
export class SenderNotOwned extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SenderNotOwned';
  }
}

export interface SubmissionDeps {
  store: SenderDirectory & Pick<DirectoryStore, 'getDomain'>;
  /** Our host name: Message-IDs we add, the authserv-id whose results we remove. */
  hostname: string;
}

/**
 * The submitted message as it goes out: checked (SenderNotOwned), completed, traced and signed.
 * `trace` is the protocol's trace field (a Received: line with its CRLF), or ''.
 */
export async function prepareSubmission(deps: SubmissionDeps, submitted: Buffer, account: { address: string }, trace: string): Promise<Buffer> {
  const message = withoutForgedResults(submitted, deps.hostname);
  const authors = authorsOf(message);
  if (authors.length === 0) throw new SenderNotOwned('the message has no From: address');
  for (const a of authors) {
    if (!a || !(await mayUseSender(deps.store, account, a))) throw new SenderNotOwned(`${a || 'a From: mailbox'} is not the user's`);
  }
  const completed = Buffer.concat([Buffer.from(missingSubmissionFields(message, deps.hostname), 'utf8'), message]);
  const author = normaliseAddress(authors[0]) ?? authors[0];
  const signature = await dkimSignatureFor(deps.store, domainOf(author), completed);
  return Buffer.concat([Buffer.from(signature + trace, 'utf8'), completed]);
}

/**
 * DKIM-Signature fields for a message whose sender domain is hosted with a key, else ''.
 * relaxed/relaxed canonicalisation survives the header re-folding some relays do.
 */
export async function dkimSignatureFor(store: Pick<DirectoryStore, 'getDomain'>, domainName: string, message: Buffer): Promise<string> {
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
