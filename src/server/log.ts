// Structured logs: one JSON line per event on stdout (DESIGN.md §5), via pino.
// Every line an operator searches for carries the protocol, remote address and account.

import { pino } from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string = 'info', destination?: NodeJS.WritableStream): Logger {
  return pino({ level, base: { service: 'posthorn' }, timestamp: pino.stdTimeFunctions.isoTime }, destination ?? process.stdout);
}

/** A logger that discards everything, for tests and tools that want silence. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
