// Bound ports are a runtime record, not configuration: a server started on ephemeral ports
// leaves its configuration as it was read, reports every running listener's bound port, and its
// client set-up documents name those ports (and no listener that does not run).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { tempDir, testConfig } from './helpers/server.ts';
import { startServer } from '../src/server/app.ts';
import { silentLogger } from '../src/server/log.ts';

async function greeting(port: number): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  const [chunk] = (await once(socket, 'data')) as [Buffer];
  socket.destroy();
  return chunk.toString('latin1');
}

test('ephemeral ports: the configuration is not written; server.ports and autoconfig report the bound ports', async () => {
  const dir = tempDir('ports');
  const config = testConfig(dir.path, ['imap', 'pop3s', 'submission', 'http']);
  const configured = structuredClone(config.ports);
  const server = await startServer(config, { ephemeralPorts: true, log: silentLogger() });
  try {
    assert.deepEqual(config.ports, configured, 'config.ports is as it was read');
    assert.deepEqual(Object.keys(server.ports).sort(), ['http', 'imap', 'pop3s', 'submission'], 'one entry per running listener');
    for (const [name, port] of Object.entries(server.ports)) {
      assert.ok(port > 0 && port !== configured[name as keyof typeof configured], `${name} is bound to a port of its own (${port})`);
    }
    assert.match(await greeting(server.ports.imap), /^\* OK/);
    assert.match(await greeting(server.ports.submission), /^220 /);

    const res = await fetch(`http://127.0.0.1:${server.ports.http}/settings.json`);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as { services: { protocol: string; port: number; security: string }[] };
    assert.deepEqual(
      doc.services.map((s) => [s.protocol, s.port, s.security]),
      [
        ['imap', server.ports.imap, 'STARTTLS'],
        ['pop3', server.ports.pop3s, 'SSL/TLS'],
        ['smtp', server.ports.submission, 'STARTTLS'],
      ],
    );
  } finally {
    await server.stop();
    dir.remove();
  }
});
