// Child process for test/imap-crash.test.ts (and the disk-full half of test/imap-faults.test.ts):
// the real server (startServer) with only the IMAP listeners, on the existing or empty data
// directory argv[2], plaintext LOGIN allowed on loopback. Prints one JSON line
// {"event":"ready","imap":N,"imaps":M,"pid":P} and runs until killed; SIGTERM stops it cleanly.

import { startServer } from '../src/server/app.ts';
import { silentLogger } from '../src/server/log.ts';
import { imapTestConfig } from './helpers/imap.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: imap-crash-server.ts <dataDir>');
const config = imapTestConfig(dir, { POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true' });
const server = await startServer(config, { ephemeralPorts: true, log: silentLogger() });
process.stdout.write(JSON.stringify({ event: 'ready', imap: server.ports.imap, imaps: server.ports.imaps, pid: process.pid }) + '\n');
process.once('SIGTERM', () => {
  server.stop().then(() => process.exit(0), () => process.exit(1));
});
