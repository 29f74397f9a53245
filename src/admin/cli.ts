// The `posthorn` command line (DESIGN.md §5): the admin verbs on domains, users, aliases, the
// queue and the login limiter. Admin verbs open the same store as the running server (SQLite in
// WAL mode allows both at once), so a change takes effect immediately: nothing is cached across
// requests.
//
// A verb loads only what it needs: its group's module and the store, never the listeners, the
// SMTP library or the logger (`serve` loads those, see src/main.ts). So this module imports
// nothing heavy itself, and the groups and the store are imported when a verb runs.

import { parseArgs } from 'node:util';
import { loadConfig, ConfigError } from '../server/config.ts';
import { StoreError } from '../store/types.ts';
import { CliError, type CliIo, type CommandContext } from './cli-support.ts';
import { AdminError } from './use-cases/errors.ts';

type Command = (ctx: CommandContext) => Promise<void>;
type CommandGroup = Record<string, Command>;

const GROUPS: Record<string, () => Promise<CommandGroup>> = {
  domain: async () => (await import('./commands-domain.ts')).domainCommands,
  user: async () => (await import('./commands-user.ts')).userCommands,
  alias: async () => (await import('./commands-alias.ts')).aliasCommands,
  queue: async () => (await import('./commands-queue.ts')).queueCommands,
  auth: async () => (await import('./commands-auth.ts')).authCommands,
};

export const USAGE = `usage: posthorn COMMAND [options]

  serve                               start every listener (the default of npm start)
  domain add DOMAIN                   host a domain (makes its DKIM key)
  domain list [--json]
  domain remove DOMAIN                only when it has no users left
  domain dns DOMAIN [--json]          the DNS records to publish: MX, SPF, DKIM, DMARC, SRV, autoconfig
  user add ADDRESS [--quota SIZE] [--password-stdin]
  user list [DOMAIN] [--json]
  user passwd ADDRESS [--password-stdin]
  user quota ADDRESS [SIZE|unlimited] show or set the quota (500MB, 2GiB …)
  user retention ADDRESS DAYS|never   POP3: remove downloaded mail after DAYS
  user remove ADDRESS                 deletes the user and all of its mail
  alias add SOURCE TARGET             SOURCE is local@domain or @domain (catch-all)
  alias list [DOMAIN] [--json]
  alias remove SOURCE [TARGET]
  queue list [--json]                 outbound mail waiting for delivery, per recipient
  queue retry [ID]                    try now (all, or one message); a running server acts within a minute
  queue drop ID                       remove a queued message without a bounce
  auth blocked [--json]               addresses and accounts the login limiter refuses or slows now
  auth unblock ADDRESS|ACCOUNT        forget the failed logins of an IP address or an account

options: --config FILE (or POSTHORN_CONFIG), --password-stdin, --json
Passwords are asked on the terminal, or read from the first line of stdin with --password-stdin.`;

const STORE_MESSAGES: Record<string, string> = {
  NOT_FOUND: 'not found',
  ALREADY_EXISTS: 'exists already',
  OVER_QUOTA: 'over quota',
  INVALID: 'invalid',
  CANNOT: 'not allowed',
  HAS_CHILDREN: 'still in use',
  UNAVAILABLE: 'the store is busy; try again',
};

/** What the command line adds to a use case's refusal: the command that gets the user further. */
function adminErrorText(err: AdminError): string {
  if (err.code === 'NOT_HOSTED') return `${err.message}; add it first: posthorn domain add ${err.subject}`;
  if (err.code === 'HAS_CHILDREN') return `${err.message}; remove them first (posthorn user list ${err.subject})`;
  return err.message;
}

/** Runs one admin command; returns the process exit status. */
export async function runAdminCommand(argv: string[], io: CliIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // "-5MB" is a (negative, refused later with a clear message) value, not a short option.
  const NEGATIVE = /^-\d/;
  const MARK = '\u0000';
  const unmark = (v: string): string => (v.startsWith(MARK) ? v.slice(1) : v);
  let parsed;
  try {
    parsed = parseArgs({
      args: argv.map((a) => (NEGATIVE.test(a) ? MARK + a : a)),
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        quota: { type: 'string' },
        'password-stdin': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    io.stderr.write(`posthorn: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const [group, verb, ...args] = parsed.positionals.map(unmark);
  if (typeof parsed.values.quota === 'string') parsed.values.quota = unmark(parsed.values.quota);
  const loadGroup = group && Object.hasOwn(GROUPS, group) ? GROUPS[group] : undefined;
  const commands = loadGroup && !parsed.values.help ? await loadGroup() : undefined;
  const command = commands && Object.hasOwn(commands, verb ?? '') ? commands[verb ?? ''] : undefined;
  if (parsed.values.help || !command) {
    const known = loadGroup ? `posthorn ${group}: unknown command "${verb ?? ''}"\n` : group ? `posthorn: unknown command "${group}"\n` : '';
    (parsed.values.help ? io.stdout : io.stderr).write(`${parsed.values.help ? '' : known}${USAGE}\n`);
    return parsed.values.help ? 0 : 2;
  }
  try {
    const config = loadConfig({ file: parsed.values.config, env });
    const { openConfiguredStore } = await import('../server/open-store.ts');
    const opened = await openConfiguredStore(config);
    try {
      await command({ store: opened.store, coordination: opened.coordination, config, io, args, flags: parsed.values });
    } finally {
      await opened.close();
    }
    return 0;
  } catch (err) {
    if (err instanceof AdminError) {
      io.stderr.write(`posthorn: ${adminErrorText(err)}\n`);
      return 1;
    }
    if (err instanceof CliError) {
      io.stderr.write(`posthorn: ${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof ConfigError) {
      io.stderr.write(`posthorn: ${err.message}\n`);
      return 1;
    }
    if (err instanceof StoreError) {
      io.stderr.write(`posthorn: ${err.message || STORE_MESSAGES[err.code]}\n`);
      return 1;
    }
    throw err;
  }
}
