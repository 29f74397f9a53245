// Whether a logged-in session may go on: the account it logged in to still exists, is not
// disabled, and still has the password the session proved. An administrator who removes a user,
// disables it or changes its password expects every open session of that user to end (a stolen
// password stops working at once, not at the next login), so IMAP, POP3 and SMTP ask this
// before every command (one primary-key read) and end the session with the protocol's goodbye
// when it is not 'valid'.

import type { Account, MailStore } from '../store/types.ts';

export type AccountStanding = 'valid' | 'removed' | 'disabled' | 'credentials-changed';

export async function accountStanding(store: Pick<MailStore, 'getAccount'>, loggedIn: Account): Promise<AccountStanding> {
  const now = await store.getAccount(loggedIn.id);
  if (!now) return 'removed';
  if (now.disabled) return 'disabled';
  if (now.passwordHash !== loggedIn.passwordHash) return 'credentials-changed';
  return 'valid';
}

/** What the goodbye says, in words for the user. */
export function standingMessage(standing: Exclude<AccountStanding, 'valid'>): string {
  switch (standing) {
    case 'removed':
      return 'This account no longer exists';
    case 'disabled':
      return 'This account has been disabled';
    case 'credentials-changed':
      return 'The password of this account was changed; log in again';
  }
}
