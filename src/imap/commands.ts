// The dispatch table (DESIGN.md §4): one typed descriptor per command, saying in which states
// it is legal and what runs it. The session looks commands up here and nowhere else.

import type { CommandName } from '../wire/imap/index.ts';
import type { CommandDescriptor } from './descriptor.ts';
import { anyStateCommands } from './commands-any.ts';
import { authCommands } from './commands-auth.ts';
import { mailboxCommands } from './commands-mailbox.ts';
import { listCommands } from './commands-list.ts';
import { selectCommands } from './commands-select.ts';
import { fetchCommands } from './commands-fetch.ts';
import { storeCommands } from './commands-store.ts';
import { searchCommands } from './commands-search.ts';
import { sortCommands } from './commands-sort.ts';
import { appendCommands } from './commands-append.ts';
import { idleCommands } from './commands-idle.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDescriptor = CommandDescriptor<any>;

export const COMMANDS: ReadonlyMap<CommandName, AnyDescriptor> = new Map(
  [
    ...anyStateCommands, ...authCommands, ...mailboxCommands, ...listCommands, ...selectCommands,
    ...fetchCommands, ...storeCommands, ...searchCommands, ...sortCommands, ...appendCommands, ...idleCommands,
  ].map((d: AnyDescriptor) => [d.name, d]),
);
