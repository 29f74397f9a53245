// The memory budget for APPEND data (src/imap/append-budget.ts, limits.append_memory): on its
// own, then over raw sessions where one APPEND holds the budget while others wait or give up.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { AppendBudget } from '../src/imap/append-budget.ts';
import { startImapServer, RawImap, message, type ImapTestServer } from './helpers/imap.ts';

test('AppendBudget grants in order, waits for room, gives up after the wait, lets an oversized one through alone', async () => {
  const b = new AppendBudget(100);
  assert.equal(await b.reserve(60, 1000), true);
  const order: string[] = [];
  const second = b.reserve(60, 1000).then((ok) => order.push(`second ${ok}`));
  // A small one behind the waiting one does not overtake it (first come, first served).
  const third = b.reserve(10, 1000).then((ok) => order.push(`third ${ok}`));
  await Promise.resolve();
  assert.deepEqual(order, []);
  b.release(60);
  await Promise.all([second, third]);
  assert.deepEqual(order, ['second true', 'third true']);
  assert.equal(b.reserved, 70);
  assert.equal(await b.reserve(50, 20), false, 'no room within the wait');
  b.release(70);
  assert.equal(await b.reserve(500, 20), true, 'larger than the budget: granted when nothing else is held');
  assert.equal(b.reserved, 100);
  b.release(500);
  assert.equal(b.reserved, 0);
});

let srv: ImapTestServer | null = null;
after(async () => {
  await srv?.stop();
});

test('APPENDs beyond the memory budget wait for room, and are refused NO [UNAVAILABLE] when none comes', async () => {
  srv = await startImapServer({ POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' }, { appendMemoryBytes: 10_000, appendWaitSeconds: 1 });
  const acc = await srv.addAccount('budget@example.com', 'pw');
  const session = (): Promise<RawImap> => RawImap.login(srv!.imap, 'budget@example.com', 'pw');
  const [a, b, c] = [await session(), await session(), await session()];
  const big = message('big', 'x'.repeat(7000) + '\r\n');
  const size = Buffer.byteLength(big);
  // A holds 7 KB of the 10 KB budget: it got "+", the data has not come yet.
  a.send(`A APPEND INBOX {${size}}\r\n`);
  assert.match((await a.line())!, /^\+ /);
  // B asks for 7 KB more: no "+" while A holds its share.
  b.send(`B APPEND INBOX {${size}}\r\n`);
  const bAnswer = b.line();
  // A finishes; its share goes back and B is let in.
  a.send(big + '\r\n');
  assert.match((await a.until('A')).at(-1)!, /^A OK \[APPENDUID/);
  assert.match((await bAnswer)!, /^\+ /);
  // C arrives while B holds the budget and B never sends: after append_wait C is refused, and
  // its session goes on.
  assert.match((await c.command('C', `APPEND INBOX {${size}}`)).at(-1)!, /^C NO \[UNAVAILABLE\]/);
  assert.equal((await c.command('N', 'NOOP')).at(-1), 'N OK NOOP completed');
  b.send(big + '\r\n');
  assert.match((await b.until('B')).at(-1)!, /^B OK \[APPENDUID/);
  // Everything was given back: C can now append.
  c.send(`C3 APPEND INBOX {${size}}\r\n`);
  assert.match((await c.line())!, /^\+ /);
  c.send(big + '\r\n');
  assert.match((await c.until('C3')).at(-1)!, /^C3 OK/);
  assert.equal((await srv.mailbox(acc, 'INBOX')).messageCount, 3);
  for (const s of [a, b, c]) s.close();
});
