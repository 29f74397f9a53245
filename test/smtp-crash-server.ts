// Child process for test/smtp-crash.test.ts: the real server (startServer) with the SMTP
// listener and a fixed-answer resolver (no real DNS), on an existing data directory. Prints one
// JSON line {"event":"ready","port":N} and runs until killed; SIGTERM stops it cleanly.

import { startHarness } from './smtp-harness.ts';

const h = await startHarness({ dir: process.argv[2], roles: ['smtp'] });
process.stdout.write(JSON.stringify({ event: 'ready', port: h.ports.smtp }) + '\n');
process.once('SIGTERM', () => {
  h.stop(true).then(() => process.exit(0), () => process.exit(1));
});
