// Child process for test/store-durability.test.ts: appends messages in a loop (several
// appenders at once, so group commit is exercised) and prints "uid id blobId size" for each
// append only after its promise resolved — i.e. after the commit was acknowledged. The parent
// kills it with SIGKILL at a random moment.
//
// Usage: node store-append-child.ts <dataDir> <accountId> <mailboxId> <concurrency>

import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/index.ts';
import { TieredBlobStore } from '../../src/store/blob-tiered.ts';
import { InProcessChangeBus } from '../../src/store/change-bus.ts';
import { ingestMessage } from '../../src/delivery/explicit-target.ts';
import { fakeParse } from './store-fixtures.ts';

const [dir, accountArg, mailboxArg, concurrencyArg] = process.argv.slice(2);
const accountId = Number(accountArg);
const mailboxId = Number(mailboxArg);
const store = await openSqliteStore({ path: path.join(dir, 'posthorn.db'), bus: new InProcessChangeBus() });
const blobs = new TieredBlobStore(path.join(dir, 'blobs'));

async function appender(): Promise<never> {
  for (;;) {
    const raw = Buffer.concat([Buffer.from(`Subject: ${randomBytes(8).toString('hex')}\r\n\r\n`), randomBytes(1000 + Math.floor(Math.random() * 20000))]);
    const r = await ingestMessage({ store, blobs, parse: fakeParse }, accountId, mailboxId, raw, { flags: Math.random() < 0.5 ? ['\\Seen'] : [] });
    // Synchronous on pipes (Linux): the line has left the process before the next append starts.
    process.stdout.write(`${r.uid} ${r.id} ${raw.length}\n`);
  }
}

await Promise.all(Array.from({ length: Number(concurrencyArg) || 1 }, appender));
