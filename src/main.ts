// Entry point of the `posthorn` command: `serve` runs the server, everything else is an admin verb.
// The server (listeners, smtp-server, mailauth, pino …) is imported only by `serve`, so an admin
// verb starts without loading it.

import { parseArgs } from 'node:util';
import { loadConfig, ConfigError } from './server/config.ts';
import { runAdminCommand, USAGE } from './admin/cli.ts';

async function serve(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' } } });
  let config;
  try {
    config = loadConfig({ file: values.config });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`posthorn: invalid configuration: ${err.message}\n`);
      return 78; // EX_CONFIG (sysexits.h)
    }
    throw err;
  }
  const [{ createLogger }, { startServer }] = await Promise.all([import('./server/log.ts'), import('./server/app.ts')]);
  const log = createLogger(config.log.level);
  let server;
  try {
    server = await startServer(config, { log });
  } catch (err) {
    log.fatal({ event: 'start-failed', err: (err as Error).message });
    process.stderr.write(`posthorn: cannot start: ${(err as Error).message}\n`);
    return 1;
  }
  const running = server;
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      log.info({ event: 'shutdown', signal });
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      running.stop().then(resolve, (err: unknown) => {
        log.error({ event: 'shutdown-failed', err: (err as Error).message });
        resolve();
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'serve') return serve(rest);
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  return runAdminCommand(argv, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`posthorn: internal error: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 70; // EX_SOFTWARE
  },
);
