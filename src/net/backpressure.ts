// Output backpressure: a session that writes to a client which does not read waits for room
// instead of the server buffering without bound.

import type net from 'node:net';

/**
 * Resolves once `stream` has room again (after write() returned false), or when the connection
 * closes.
 */
export async function writableAgain(stream: NodeJS.WritableStream & { writableNeedDrain: boolean }, socket: net.Socket): Promise<void> {
  if (!stream.writableNeedDrain || socket.destroyed) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    socket.on('close', done);
  });
}
