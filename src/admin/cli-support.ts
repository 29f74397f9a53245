// What every admin command line verb shares: a usage error type, the I/O it writes to, and
// reading a password from stdin or an interactive prompt (never from the command line, which
// leaks into shell history and `ps`). The verbs themselves are thin: parse argv, call a use case
// (./use-cases/), format its result.

import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { MailStore } from '../store/types.ts';
import type { Coordination } from '../store/coordination-types.ts';
import type { Config } from '../server/config.ts';

/** A mistake in what the user typed: printed without a stack trace, exit status 1 (2 for usage). */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

export interface CliIo {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable;
  stderr: Writable;
}

export interface CommandContext {
  store: MailStore;
  /** The shared counters and claims (the login limits `posthorn auth` lists and clears). */
  coordination: Coordination;
  config: Config;
  io: CliIo;
  args: string[];
  flags: Record<string, string | boolean | undefined>;
}

export function print(io: CliIo, line = ''): void {
  io.stdout.write(line + '\n');
}

/** Columns padded to their widest cell. */
export function table(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

async function promptHidden(io: CliIo, question: string): Promise<string> {
  const rl = createInterface({ input: io.stdin, output: io.stdout, terminal: true });
  // Echo nothing while the password is typed.
  const writable = rl as unknown as { _writeToOutput: (s: string) => void };
  let asking = true;
  writable._writeToOutput = (s: string) => {
    if (!asking || s.includes(question)) io.stdout.write(s);
  };
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    asking = false;
    io.stdout.write('\n');
    rl.close();
  }
}

/**
 * The new password: the first line of stdin with --password-stdin, else asked twice on the
 * terminal. Whether it is long enough is the use case's rule, not the terminal's.
 */
export async function readNewPassword(ctx: CommandContext): Promise<string> {
  let password: string;
  if (ctx.flags['password-stdin']) {
    password = (await readAll(ctx.io.stdin)).split(/\r?\n/)[0] ?? '';
  } else if (ctx.io.stdin.isTTY) {
    password = await promptHidden(ctx.io, 'Password: ');
    const again = await promptHidden(ctx.io, 'Password (again): ');
    if (again !== password) throw new CliError('the passwords do not match');
  } else {
    throw new CliError('no terminal to ask for the password: pipe it in with --password-stdin', 2);
  }
  return password;
}
