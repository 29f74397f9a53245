// Structured logs: one JSON line per event on stdout (DESIGN.md §5), via pino. Components see
// the Logger interface of src/observe/log.ts; this is the implementation behind it.
// Every line an operator searches for carries the protocol, remote address and account.

import { pino } from 'pino';

export type { Logger } from '../observe/log.ts';

export function createLogger(level: string = 'info', destination?: NodeJS.WritableStream): pino.Logger {
  return pino({ level, base: { service: 'posthorn' }, timestamp: pino.stdTimeFunctions.isoTime }, destination ?? process.stdout);
}

/** A logger that discards everything, for tests and tools that want silence. */
export function silentLogger(): pino.Logger {
  return pino({ level: 'silent' });
}
