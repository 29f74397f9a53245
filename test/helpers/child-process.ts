// Servers run as child processes (crash tests, `posthorn serve`): their stdout is JSON lines, one
// of which says {"event":"ready", …}.

import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NODE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'node_modules', '.bin', 'node');

/**
 * Resolves with the child's {"event":"ready"} line; calls onLine for every JSON line (the ready
 * one too). Rejects when the child exits first.
 */
export function readyLine(child: ChildProcess, onLine: (entry: Record<string, unknown>) => void = () => {}): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const entry = JSON.parse(line) as Record<string, unknown>;
        onLine(entry);
        if (entry.event === 'ready') resolve(entry);
      }
    });
    child.once('exit', (code, signal) => reject(new Error(`server process exited with ${code ?? signal}`)));
  });
}

/** Runs test/<script> (a TypeScript file) with Node 24 and the given arguments; resolves with its ready line. */
export function spawnTestServer(script: string, args: string[]): { child: ChildProcess; ready: Promise<Record<string, unknown>> } {
  const child = spawn(NODE, [join(dirname(fileURLToPath(import.meta.url)), '..', script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return { child, ready: readyLine(child) };
}

/**
 * Runs `node script ...args`, hands each line of its stdout to parse, and SIGKILLs it once
 * killAfter lines have come. Resolves with the parsed lines, after 'close' (so every complete line
 * the child wrote has been read); rejects when the child ends any other way.
 */
export function runUntilKilled<T>(script: string, args: string[], killAfter: number, parse: (line: string) => T, onParsed?: (item: T) => void): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const items: T[] = [];
    let stderr = '';
    let killed = false;
    child.stderr!.on('data', (d) => (stderr += d));
    let buffered = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const item = parse(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        items.push(item);
        onParsed?.(item);
        if (!killed && items.length >= killAfter) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code}: ${stderr}`));
      else resolve(items);
    });
  });
}
