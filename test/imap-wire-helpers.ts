// Shared helpers for the IMAP wire tests (test/imap-wire-*.test.ts).

import assert from 'node:assert/strict';
import {
  CommandReader,
  parseCommand,
  type Command,
  type GrammarOptions,
  type ReaderEvent,
  type ReaderLimits,
  type WireError,
} from '../src/wire/imap/index.ts';

export const CHUNK_SIZES = [1, 2, 3, 7, 64, Infinity];

/** Feeds input in chunks of `size` bytes, draining every event after each chunk. */
export function feed(input: string | Buffer, size = Infinity, limits: Partial<ReaderLimits> = {}): ReaderEvent[] {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  const reader = new CommandReader(limits);
  const events: ReaderEvent[] = [];
  const step = Number.isFinite(size) ? size : Math.max(1, bytes.length);
  for (let i = 0; i < bytes.length; i += step) {
    reader.push(bytes.subarray(i, i + step));
    for (let ev = reader.next(); ev; ev = reader.next()) events.push(ev);
  }
  return events;
}

/** The events for every chunk size; asserts they are all identical and returns them. */
export function sweep(input: string | Buffer, limits: Partial<ReaderLimits> = {}): ReaderEvent[] {
  const whole = feed(input, Infinity, limits);
  for (const size of CHUNK_SIZES) assert.deepEqual(feed(input, size, limits), whole, `chunk size ${size}`);
  return whole;
}

/**
 * Reads exactly one command from a complete wire string (continuations allowed) and parses it.
 * Every table row goes through the chunk-size sweep on the way.
 */
export function parse(wire: string | Buffer, options: GrammarOptions = {}) {
  const events = sweep(wire).filter((e) => e.kind !== 'continue' && e.kind !== 'literal');
  assert.equal(events.length, 1, `expected one event, got ${JSON.stringify(events)}`);
  const ev = events[0];
  assert.equal(ev.kind, 'command', `expected a command, got ${JSON.stringify(ev)}`);
  if (ev.kind !== 'command') throw new Error('unreachable');
  return parseCommand(ev.command, options);
}

export function parseOk(wire: string | Buffer, options: GrammarOptions = {}): Command {
  const res = parse(wire, options);
  assert.ok(res.ok, `expected ${JSON.stringify(wire)} to parse, got ${JSON.stringify(res)}`);
  return res.command;
}

export function parseBad(wire: string | Buffer, options: GrammarOptions = {}): WireError {
  const res = parse(wire, options);
  assert.ok(!res.ok, `expected ${JSON.stringify(wire)} to be refused, got ${JSON.stringify(res)}`);
  return res.error;
}

/** Strips the fields every command has, so tables can compare what matters. */
export function pick<T extends object, K extends keyof T>(obj: T, ...keys: K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) out[k] = obj[k];
  return out;
}

/** A set with plain numeric ranges, for expected values. */
export function seq(...ranges: [number | '*', number | '*'][]) {
  return { kind: 'set' as const, ranges: ranges.map(([from, to]) => ({ from, to })) };
}

export function mbox(name: string, wire = name) {
  return { ok: true as const, wire, name };
}
