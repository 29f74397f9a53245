// Child process for test/imap-crash.test.ts (and the disk-full half of test/imap-faults.test.ts):
// the real server (startServer) with only the IMAP listeners, on the existing or empty data
// directory argv[2], plaintext LOGIN allowed on loopback. Prints one JSON line
// {"event":"ready","imap":N,"imaps":M,"pid":P} and runs until killed; SIGTERM stops it cleanly.

import { loadConfig } from '../src/server/config.ts';
import { startServer } from '../src/server/app.ts';
import { silentLogger } from '../src/server/log.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: imap-crash-server.ts <dataDir>');
const config = loadConfig({
  env: {
    POSTHORN_DATA_DIR: dir,
    POSTHORN_BIND: '127.0.0.1',
    POSTHORN_HOSTNAME: 'imap.test',
    POSTHORN_ALLOW_PLAINTEXT_ON_LOOPBACK: 'true',
    POSTHORN_SMTP_PORT: '0',
    POSTHORN_SUBMISSION_PORT: '0',
    POSTHORN_SUBMISSIONS_PORT: '0',
    POSTHORN_POP3_PORT: '0',
    POSTHORN_POP3S_PORT: '0',
    POSTHORN_HTTP_PORT: '0',
    // Any non-zero port enables the listener; ephemeralPorts then binds a free one.
    POSTHORN_IMAP_PORT: '1',
    POSTHORN_IMAPS_PORT: '1',
  },
});
const server = await startServer(config, { ephemeralPorts: true, log: silentLogger() });
process.stdout.write(JSON.stringify({ event: 'ready', imap: server.ports.imap, imaps: server.ports.imaps, pid: process.pid }) + '\n');
process.once('SIGTERM', () => {
  server.stop().then(() => process.exit(0), () => process.exit(1));
});
