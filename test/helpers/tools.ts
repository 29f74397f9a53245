// The programs nobody here wrote that end-to-end tests drive (DESIGN: real clients), and the Debian
// package that brings each one (.ci/run installs them). A test that needs one calls requireTool
// first: a missing program fails that test with what to install, it never passes or skips quietly.

import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { spawnSync } from 'node:child_process';

export const PEER_TOOLS = {
  curl: { command: 'curl', install: 'apt-get install curl' },
  fetchmail: { command: 'fetchmail', install: 'apt-get install fetchmail' },
  mbsync: { command: 'mbsync', install: 'apt-get install isync' },
  openssl: { command: 'openssl', install: 'apt-get install openssl' },
  // Debian's interpreter, not whatever python3 comes first on PATH: its standard library is known.
  python3: { command: '/usr/bin/python3', install: 'apt-get install python3' },
  swaks: { command: 'swaks', install: 'apt-get install swaks libnet-ssleay-perl libio-socket-ssl-perl' },
  unshare: { command: 'unshare', install: 'apt-get install util-linux' },
} as const;

export type PeerTool = keyof typeof PEER_TOOLS;

/** The executable's path, or null when it is not installed (searched on PATH unless absolute). */
export function findTool(tool: PeerTool): string | null {
  const { command } = PEER_TOOLS[tool];
  const candidates = isAbsolute(command)
    ? [command]
    : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, command));
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here; try the next directory
    }
  }
  return null;
}

/** The executable's path; throws "mbsync not found: apt-get install isync" when it is missing. */
export function requireTool(tool: PeerTool): string {
  const file = findTool(tool);
  if (file === null) throw new Error(`${PEER_TOOLS[tool].command} not found: ${PEER_TOOLS[tool].install}`);
  return file;
}

/** Debian's python3 with every module a test's script imports (all standard library there). */
export function requirePythonModules(modules: string[]): string {
  const python = requireTool('python3');
  const r = spawnSync(python, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`${python} cannot import ${modules.join(', ')}: ${PEER_TOOLS.python3.install} (${(r.stderr || String(r.error)).trim()})`);
  }
  return python;
}

/** swaks with its TLS modules (swaks --support lists "TLS supported" only when Net::SSLeay and IO::Socket::SSL load). */
export function requireSwaksWithTls(): string {
  const swaks = requireTool('swaks');
  const r = spawnSync(swaks, ['--support'], { encoding: 'utf8' });
  if (!/^=== TLS supported/m.test(`${r.stdout}${r.stderr}`)) {
    throw new Error(`swaks cannot use TLS: ${PEER_TOOLS.swaks.install} (${`${r.stdout}${r.stderr}`.match(/^\*\*\* TLS .*$/m)?.[0] ?? 'no TLS line in swaks --support'})`);
  }
  return swaks;
}

/** Top-level modules a Python script imports ("import a, b.c" and "from d import e" lines). */
export function pythonImports(script: string): string[] {
  const modules = new Set<string>();
  for (const m of script.matchAll(/^\s*import\s+([\w., ]+)$/gm)) {
    for (const name of m[1].split(',')) modules.add(name.trim().split(/\s+/)[0].split('.')[0]);
  }
  for (const m of script.matchAll(/^\s*from\s+([\w.]+)\s+import\b/gm)) modules.add(m[1].split('.')[0]);
  modules.delete('');
  return [...modules];
}

/** Debian's python3 with every module `script` imports; the path to run it with. */
export function requirePythonFor(script: string): string {
  return requirePythonModules(pythonImports(script));
}
