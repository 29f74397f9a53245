// TRANSACTION state commands (RFC 1939 §5, §7): STAT, LIST, UIDL, TOP, RETR, DELE, RSET, NOOP,
// and QUIT in both states (§6: from TRANSACTION it enters UPDATE and deletes).

import { multiline, okLine } from '../wire/pop3/response.ts';
import { parseCount, parseMessageNumber } from '../wire/pop3/command.ts';
import { MessageEncoder } from '../wire/pop3/message-encoder.ts';
import { Pop3Error, BrokenResponse, badCommand } from './errors.ts';
import { STREAM_CHUNK, type Maildrop, type MaildropEntry } from './maildrop.ts';
import type { Pop3Command, Pop3Session } from './session.ts';


function maildropOf(session: Pop3Session): Maildrop {
  if (session.state.kind !== 'transaction') throw badCommand('Not logged in');
  return session.state.maildrop;
}

function atMostArgs(args: string[], n: number, usage: string): void {
  if (args.length > n) throw badCommand(`Usage: ${usage}`);
}

const STAT: Pop3Command = {
  name: 'STAT',
  states: ['transaction'],
  async run(session, input) {
    atMostArgs(input.args, 0, 'STAT');
    const maildrop = maildropOf(session);
    // RFC 1939 §5: deleted messages are not counted.
    const live = maildrop.live();
    const sizes = await maildrop.sizes(live);
    session.io.write(okLine(`${live.length} ${sizes.reduce((a, b) => a + b, 0)}`));
  },
};

const LIST: Pop3Command = {
  name: 'LIST',
  states: ['transaction'],
  async run(session, input) {
    atMostArgs(input.args, 1, 'LIST [msg]');
    const maildrop = maildropOf(session);
    if (input.args.length === 1) {
      const entry = maildrop.get(parseMessageNumber(input.args[0]));
      const [size] = await maildrop.sizes([entry]);
      session.io.write(okLine(`${entry.number} ${size}`));
      return;
    }
    const live = maildrop.live();
    const sizes = await maildrop.sizes(live);
    session.io.write(multiline(`${live.length} messages`, live.map((e, i) => `${e.number} ${sizes[i]}`)));
  },
};

const UIDL: Pop3Command = {
  name: 'UIDL',
  states: ['transaction'],
  async run(session, input) {
    atMostArgs(input.args, 1, 'UIDL [msg]');
    const maildrop = maildropOf(session);
    if (input.args.length === 1) {
      const entry = maildrop.get(parseMessageNumber(input.args[0]));
      session.io.write(okLine(`${entry.number} ${maildrop.uidl(entry)}`));
      return;
    }
    session.io.write(multiline('Unique-id listing follows', maildrop.live().map((e) => `${e.number} ${maildrop.uidl(e)}`)));
  },
};

const TOP: Pop3Command = {
  name: 'TOP',
  states: ['transaction'],
  async run(session, input) {
    if (input.args.length !== 2) throw badCommand('Usage: TOP msg n');
    const maildrop = maildropOf(session);
    const entry = maildrop.get(parseMessageNumber(input.args[0]));
    const lines = parseCount(input.args[1]);
    if (lines === null) throw badCommand('Invalid line count');
    // TOP is a preview: it neither sets \Seen nor counts as retrieval for retention.
    await sendMessage(session, entry, lines);
  },
};

const RETR: Pop3Command = {
  name: 'RETR',
  states: ['transaction'],
  async run(session, input) {
    if (input.args.length !== 1) throw badCommand('Usage: RETR msg');
    const maildrop = maildropOf(session);
    const entry = maildrop.get(parseMessageNumber(input.args[0]));
    const octets = await sendMessage(session, entry, undefined);
    session.ctx.metrics.retrieved(octets);
    maildrop.retrieved(entry);
  },
};

/**
 * Streams a message (RETR) or its top (TOP) from the blob store, CRLF-normalised and
 * dot-stuffed (wire/pop3/message-encoder.ts), honouring socket backpressure. The first read
 * happens before "+OK", so a missing blob still gets a clean "-ERR". Returns the octets sent.
 */
async function sendMessage(session: Pop3Session, entry: MaildropEntry, bodyLines: number | undefined): Promise<number> {
  const { blobs } = session.ctx.deps;
  const { io } = session;
  const known = session.ctx.sizes.peek(entry.blobId);
  // A known transmitted size equal to the stored one means CRLF-clean (message-encoder.ts).
  const encoder = new MessageEncoder({ bodyLines, crlfClean: known === entry.storedSize });
  const total = entry.storedSize;
  const firstEnd = Math.min(total, STREAM_CHUNK);
  const ahead = bodyLines === undefined ? maildropOf(session).readAhead : null;
  const first = total <= STREAM_CHUNK ? await (ahead?.take(entry) ?? blobs.read(entry.blobId, 0, total)) : await blobs.read(entry.blobId, 0, firstEnd);
  ahead?.schedule(maildropOf(session).entries, entry);
  const status = bodyLines !== undefined ? okLine('Top of message follows') : okLine(known !== undefined ? `${known} octets` : 'Message follows');
  if (total <= STREAM_CHUNK) {
    // The common case: one write of the whole response.
    const body = encoder.encode(first);
    // No wait for 'drain' here: the connection waits before the next command once much
    // output is pending, so pipelined RETRs of small messages go out back to back.
    io.writev([Buffer.from(status), body, encoder.finish()]);
    if (bodyLines === undefined) session.ctx.sizes.remember(entry.blobId, encoder.octets);
    return encoder.octets;
  }
  io.write(status);
  try {
    let chunk: Buffer = first;
    let at = firstEnd;
    for (;;) {
      if (!io.write(encoder.encode(chunk))) await io.drain();
      if (io.closed) throw new BrokenResponse('connection closed during RETR');
      if (encoder.done || at >= total) break;
      const end = Math.min(total, at + STREAM_CHUNK);
      chunk = await blobs.read(entry.blobId, at, end);
      at = end;
    }
  } catch (err) {
    if (err instanceof BrokenResponse) throw err;
    throw new BrokenResponse(`message ${entry.uid} could not be read: ${(err as Error).message}`, { cause: err });
  }
  io.write(encoder.finish());
  if (bodyLines === undefined) session.ctx.sizes.remember(entry.blobId, encoder.octets);
  return encoder.octets;
}

const DELE: Pop3Command = {
  name: 'DELE',
  states: ['transaction'],
  async run(session, input) {
    if (input.args.length !== 1) throw badCommand('Usage: DELE msg');
    const entry = maildropOf(session).get(parseMessageNumber(input.args[0]));
    // RFC 1939 §5: only marked; removed in the UPDATE state.
    entry.deleted = true;
    session.io.write(okLine(`Message ${entry.number} deleted`));
  },
};

const RSET: Pop3Command = {
  name: 'RSET',
  states: ['transaction'],
  async run(session, input) {
    atMostArgs(input.args, 0, 'RSET');
    const maildrop = maildropOf(session);
    maildrop.reset();
    session.io.write(okLine(`${maildrop.entries.length} messages`));
  },
};

const NOOP: Pop3Command = {
  name: 'NOOP',
  states: ['transaction'],
  async run(session, input) {
    atMostArgs(input.args, 0, 'NOOP');
    session.io.write(okLine());
  },
};

const QUIT: Pop3Command = {
  name: 'QUIT',
  states: ['authorization', 'transaction'],
  async run(session) {
    if (session.state.kind === 'authorization') {
      session.io.write(okLine('Bye'));
      session.io.end('quit');
      return;
    }
    // RFC 1939 §6: UPDATE state. If removing fails, say so with -ERR; still end the session.
    let removed: number;
    try {
      removed = await session.update(session.state.maildrop);
    } catch (err) {
      session.ctx.deps.log.error({ event: 'pop3-update-failed', protocol: 'pop3', remote: session.io.remote, account: session.state.account.address, err: (err as Error).message });
      session.io.end('error');
      throw new Pop3Error('SYS/TEMP', 'Some deleted messages not removed, try again later');
    }
    session.io.write(okLine(removed > 0 ? `Bye, ${removed} messages deleted` : 'Bye'));
    session.io.end('quit');
  },
};

export const MAIL_COMMANDS: readonly Pop3Command[] = [STAT, LIST, UIDL, TOP, RETR, DELE, RSET, NOOP, QUIT];
