// Session state as a tagged union (RFC 9051 §3): a command that needs a selected mailbox gets
// the view from the state itself, so "selected without a view" cannot be written down.

import type { Account } from '../store/types.ts';
import type { SelectedMailboxView } from './view.ts';

export type SessionState =
  | { kind: 'not-authenticated' }
  | { kind: 'authenticated'; account: Account }
  | { kind: 'selected'; account: Account; view: SelectedMailboxView }
  | { kind: 'logout' };

export type StateKind = SessionState['kind'];

export const ANY_STATE: readonly StateKind[] = ['not-authenticated', 'authenticated', 'selected'];
export const NOT_AUTHENTICATED: readonly StateKind[] = ['not-authenticated'];
export const AUTHENTICATED: readonly StateKind[] = ['authenticated', 'selected'];
export const SELECTED: readonly StateKind[] = ['selected'];
