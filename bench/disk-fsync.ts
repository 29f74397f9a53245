// The disk's own durable-write rate, measured in the folder a benchmark stores its data in:
// append 4 KB to one file and fsync it, in a loop. The ceiling for anything that fsyncs once
// per message.

import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export function fsyncRate(dir: string, seconds: number): number {
  const file = path.join(dir, 'fsync-probe.dat');
  const fd = fs.openSync(file, 'a');
  const block = randomBytes(4096);
  let n = 0;
  const start = performance.now();
  try {
    while (performance.now() - start < seconds * 1000) {
      fs.writeSync(fd, block);
      fs.fsyncSync(fd);
      n++;
    }
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
  return n / ((performance.now() - start) / 1000);
}
