// A command descriptor: its name, the states it is legal in, and its handler (DESIGN.md §4).

import type { Command, CommandName } from '../wire/imap/index.ts';
import type { Completion, ImapSession } from './session.ts';
import type { StateKind } from './state.ts';

/** The Command variant whose name is N (NoArgCommand for "NOOP", CopyMoveCommand for "MOVE" …). */
export type CommandOf<N extends CommandName> = Command extends infer C ? (C extends { name: infer M } ? (N extends M ? C : never) : never) : never;

export interface CommandDescriptor<N extends CommandName = CommandName> {
  name: N;
  states: readonly StateKind[];
  run(s: ImapSession, tag: string, cmd: CommandOf<N>): Promise<Completion | void>;
}

/** Keeps each descriptor's name and argument type tied together. */
export function command<N extends CommandName>(d: CommandDescriptor<N>): CommandDescriptor<N> {
  return d;
}

