// What a component needs to write structured logs: one JSON object per event an operator searches
// for (connection, login, delivery, rejection, error), with the account, remote address and
// protocol. The implementation (pino, one line on stdout) is chosen by src/server/log.ts.

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(fields: LogFields, message?: string): void;
  info(fields: LogFields, message?: string): void;
  warn(fields: LogFields, message?: string): void;
  error(fields: LogFields, message?: string): void;
}
