// Child process for test/store-blob-table.test.ts: puts blobs in a loop (several at once, so
// batches form; every eighth one above the table's bound, which goes to a file) and prints
// "id size" for each put only after its promise resolved, i.e. once it was durable. The parent
// kills it with SIGKILL at a random moment.
//
// Usage: node blob-put-child.ts <blobDir> <concurrency>

import { randomBytes } from 'node:crypto';
import { TieredBlobStore, TABLE_MAX_BYTES } from '../../src/store/blob-tiered.ts';

const [dir, concurrencyArg] = process.argv.slice(2);
const blobs = new TieredBlobStore(dir);

async function putter(): Promise<never> {
  for (let i = 0; ; i++) {
    const size = i % 8 === 1 ? TABLE_MAX_BYTES + 1 + Math.floor(Math.random() * 100_000) : 1 + Math.floor(Math.random() * 20_000);
    const { id } = await blobs.put(randomBytes(size));
    // Synchronous on pipes (Linux): the line has left the process before the next put starts.
    process.stdout.write(`${id} ${size}\n`);
  }
}

await Promise.all(Array.from({ length: Number(concurrencyArg) || 1 }, putter));
