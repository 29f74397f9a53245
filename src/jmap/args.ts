// Argument checking for methods (RFC 8620 §3.6.2 invalidArguments): every method reads its
// arguments through these, so a wrong type or an unknown argument gets the same clear error
// everywhere and nothing unchecked reaches the store.

import { MethodError } from './types.ts';

export type Args = Record<string, unknown>;

/** Refuses arguments the method does not define (RFC 8620 §3.6.2: "an unknown argument"). */
export function onlyKnown(args: Args, known: readonly string[]): void {
  for (const key of Object.keys(args)) {
    if (!known.includes(key)) throw new MethodError('invalidArguments', `unknown argument "${key}"`, { arguments: [key] });
  }
}

const invalid = (name: string, what: string): MethodError => new MethodError('invalidArguments', `"${name}" must be ${what}`, { arguments: [name] });

export function optionalString(args: Args, name: string): string | null {
  const v = args[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw invalid(name, 'a string');
  return v;
}

export function requiredString(args: Args, name: string): string {
  const v = optionalString(args, name);
  if (v === null) throw invalid(name, 'a string');
  return v;
}

export function optionalBoolean(args: Args, name: string, fallback: boolean): boolean {
  const v = args[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw invalid(name, 'true or false');
  return v;
}

/** RFC 8620 §1.3 UnsignedInt: 0 ≤ n ≤ 2^53−1. */
export function optionalUnsignedInt(args: Args, name: string): number | null {
  const v = args[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalid(name, 'an unsigned integer');
  return v;
}

/** RFC 8620 §1.3 Int: −2^53+1 ≤ n ≤ 2^53−1. */
export function optionalInt(args: Args, name: string): number | null {
  const v = args[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw invalid(name, 'an integer');
  return v;
}

export function optionalStringList(args: Args, name: string): string[] | null {
  const v = args[name];
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalid(name, 'a list of strings');
  return v as string[];
}

export function optionalObject(args: Args, name: string): Record<string, unknown> | null {
  const v = args[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalid(name, 'an object');
  return v as Record<string, unknown>;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
