// Per-recipient rules: for one account and one message, where the message goes. The pipeline
// asks once per account (not per RCPT: an account reached directly and through aliases is asked
// once and gets one copy). Sieve (RFC 5228) implements this interface; until then the default
// rule keeps every message in INBOX, which is Sieve's implicit keep (RFC 5228 §2.10.2).

import type { Account, SpecialUse } from '../store/types.ts';
import type { ParsedMessage } from '../wire/mime/types.ts';

/** The SMTP envelope as it concerns one account. */
export interface DeliveryEnvelope {
  /** The reverse-path (MAIL FROM); "" for the null sender of bounces (RFC 5321 §4.5.5). */
  sender: string;
  /**
   * The RCPT TO address that reached this account, as the client gave it (normalised): the
   * account's own address, or an alias of it. The first one when several reached it.
   */
  recipient: string;
  /** Every RCPT TO address of the transaction that reached this account, in RCPT order. */
  originalRecipients: readonly string[];
}

/** What a rule may look at: the message is parsed once for all accounts and shared, read-only. */
export interface DeliveryRuleInput {
  account: Account;
  envelope: DeliveryEnvelope;
  message: { raw: Uint8Array; parsed: ParsedMessage; size: number };
}

/** A mailbox of the account, by its name or by its RFC 6154 special-use role. */
export type MailboxChoice = { name: string } | { role: SpecialUse };

export interface Placement {
  mailbox: MailboxChoice;
  /** System flags and keywords to set (RFC 5232 imap4flags); invalid ones are left out. */
  flags?: readonly string[];
}

export type DeliveryDecision =
  /** One copy per distinct mailbox (RFC 5228 §2.10.3: the same fileinto twice stores once). */
  | { action: 'store'; placements: readonly Placement[] }
  /** Accepted and dropped on purpose (RFC 5228 §4.4): a success for the sender, nothing stored. */
  | { action: 'discard'; reason: string };

export interface DeliveryRules {
  decide(input: DeliveryRuleInput): DeliveryDecision | Promise<DeliveryDecision>;
}

export const INBOX: MailboxChoice = Object.freeze({ name: 'INBOX' });

/** The decision when no rule says otherwise, and when a rule fails (RFC 5228 §2.10.6). */
export const KEEP_IN_INBOX: DeliveryDecision = Object.freeze({ action: 'store', placements: Object.freeze([Object.freeze({ mailbox: INBOX })]) });

/** Every message into INBOX, without flags. */
export const inboxRules: DeliveryRules = Object.freeze({ decide: () => KEEP_IN_INBOX });

export function describeChoice(choice: MailboxChoice): string {
  return 'name' in choice ? choice.name : choice.role;
}
