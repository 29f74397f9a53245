// Entry point of the `posthorn` command: `serve` runs the server, everything else is an admin verb.
//
// Start-up time is most of what an admin verb costs, so:
// - The server (listeners, smtp-server, mailauth, pino …) is imported only by `serve`; an admin
//   verb loads its own modules and the store (src/admin/cli.ts).
// - Node's compile cache keeps the type-stripped and compiled modules on disk, so a later run
//   neither strips nor compiles them again (about two thirds of a verb's CPU time). It lives in
//   the installation's node_modules/.cache, writable only by whoever may change the code anyway;
//   not in a shared temporary directory, where another user could plant compiled code.
//   NODE_COMPILE_CACHE names another directory, NODE_DISABLE_COMPILE_CACHE=1 turns it off, and
//   where it cannot be written it is quietly not used.
// Every other import is dynamic so that it comes after the cache is enabled.

import { enableCompileCache } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

enableCompileCache(fileURLToPath(new URL('../node_modules/.cache/posthorn/', import.meta.url)));

async function serve(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' } } });
  const { loadConfig, ConfigError } = await import('./server/config.ts');
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
  const { runAdminCommand, USAGE } = await import('./admin/cli.ts');
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
