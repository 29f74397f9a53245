// The last words of a COMPRESS=DEFLATE session (RFC 4978): the BYE of an idle timeout and of a
// shutdown is written into the compressor, so it must be flushed out before the socket ends.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import type net from 'node:net';
import { once } from 'node:events';
import { startImapServer, RawImap, type ImapTestServer } from './helpers/imap.ts';

/** A logged-in session switched to COMPRESS=DEFLATE; resolves with everything the server sends until it closes, inflated. */
async function compressedSession(srv: ImapTestServer, address: string): Promise<{ rest: Promise<string>; socket: net.Socket }> {
  await srv.addAccount(address, 'pw');
  const c = await RawImap.login(srv.imap, address, 'pw');
  // Our own reading from here: the RawImap line reader cannot read deflated bytes.
  const socket = (c as unknown as { socket: net.Socket }).socket;
  socket.removeAllListeners('data');
  const ok = new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())));
  socket.write('z COMPRESS DEFLATE\r\n');
  assert.equal(await ok, 'z OK DEFLATE active\r\n');
  const inflate = zlib.createInflateRaw();
  let text = '';
  inflate.on('data', (d: Buffer) => (text += d.toString()));
  socket.on('data', (d: Buffer) => inflate.write(d));
  // Inflating is asynchronous: what arrived before the end is out once a flush has gone through.
  const rest = once(socket, 'end').then(() => new Promise<string>((resolve) => inflate.flush(() => resolve(text))));
  return { rest, socket };
}

test('COMPRESS=DEFLATE: the idle-timeout BYE arrives, compressed, before the connection ends', async () => {
  const srv = await startImapServer({ POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' }, { idleTimeoutSeconds: 1 });
  try {
    const { rest } = await compressedSession(srv, 'idle@example.com');
    assert.match(await rest, /^\* BYE Autologout: idle for too long\r\n$/);
  } finally {
    await srv.stop();
  }
});

test('COMPRESS=DEFLATE: the shutdown BYE arrives, compressed, before the connection ends', async () => {
  const srv = await startImapServer({ POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' });
  const { rest } = await compressedSession(srv, 'stop@example.com');
  const stopping = srv.stop();
  assert.match(await rest, /^\* BYE Server shutting down\r\n$/);
  await stopping;
});
