// posthorn queue list|retry|drop (DESIGN.md §5), on the store's outbound queue: the same one
// the running server delivers from (SQLite WAL lets the CLI and the server share the file). A
// running server's queue runner looks for due work at least once a minute, so `retry` takes
// effect within a minute without signalling it.

import { CliError, print, table, type CommandContext } from './cli-support.ts';

function idArg(raw: string | undefined, usage: string): number {
  if (raw === undefined || !/^\d+$/.test(raw)) throw new CliError(`usage: posthorn queue ${usage}`, 2);
  return Number(raw);
}

function when(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export async function queueList(ctx: CommandContext): Promise<void> {
  const entries = await ctx.store.queue.list();
  if (ctx.flags.json) {
    print(ctx.io, JSON.stringify(entries, null, 2));
    return;
  }
  if (entries.length === 0) {
    print(ctx.io, 'the queue is empty');
    return;
  }
  const rows = [['ID', 'SENDER', 'SIZE', 'QUEUED', 'RECIPIENT', 'STATE', 'ATTEMPTS', 'NEXT ATTEMPT', 'LAST ERROR']];
  for (const e of entries) {
    for (const r of e.recipients) {
      rows.push([
        String(e.id),
        e.sender === '' ? '<>' : e.sender,
        String(e.size),
        when(e.createdAt),
        r.address,
        r.state,
        String(r.attempts),
        r.state === 'pending' ? when(r.nextAttemptAt) : '-',
        r.lastError ?? '',
      ]);
    }
  }
  print(ctx.io, table(rows));
}

export async function queueRetry(ctx: CommandContext): Promise<void> {
  const id = ctx.args[0] === undefined ? null : idArg(ctx.args[0], 'retry [ID]');
  const queue = ctx.store.queue;
  if (id !== null && !(await queue.getMessage(id))) throw new CliError(`no queued message ${id}`);
  const n = await queue.retry(id);
  print(ctx.io, `${n} recipient${n === 1 ? '' : 's'} due now; a running server tries them within a minute`);
}

export async function queueDrop(ctx: CommandContext): Promise<void> {
  const id = idArg(ctx.args[0], 'drop ID');
  if (!(await ctx.store.queue.drop(id))) throw new CliError(`no queued message ${id}`);
  print(ctx.io, `dropped queued message ${id} (no bounce is sent)`);
}

export const queueCommands: Record<string, (ctx: CommandContext) => Promise<void>> = {
  list: queueList,
  retry: queueRetry,
  drop: queueDrop,
};
