// Result references (RFC 8620 §3.7): an argument "#name" holding { resultOf, name, path } takes
// its value from an earlier response of the same request, through a JSON Pointer (RFC 6901)
// extended with "*" to map over an array (flattening arrays of arrays).

import { MethodError, type Invocation } from './types.ts';
import { isPlainObject } from './args.ts';

/** Bounds the work a crafted pointer can ask for (a reference chain is bounded by the calls themselves). */
const MAX_POINTER_TOKENS = 32;

export function resolveReferences(args: Record<string, unknown>, earlier: readonly Invocation[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) {
    if (!key.startsWith('#')) {
      out[key] = value;
      continue;
    }
    const name = key.slice(1);
    if (name in args) throw new MethodError('invalidArguments', `both "${name}" and "#${name}" given`, { arguments: [name] });
    if (!isPlainObject(value) || typeof value.resultOf !== 'string' || typeof value.name !== 'string' || typeof value.path !== 'string') {
      throw new MethodError('invalidResultReference', `"#${name}" is not a ResultReference`);
    }
    const source = earlier.find(([responseName, , callId]) => callId === value.resultOf && responseName === value.name);
    if (!source) throw new MethodError('invalidResultReference', `no response "${value.name}" for call "${value.resultOf}"`);
    out[name] = evaluatePointer(source[1], value.path);
  }
  return out;
}

/** RFC 8620 §3.7: a JSON Pointer where "*" maps the rest of the path over every array member. */
export function evaluatePointer(root: unknown, path: string): unknown {
  if (path === '') return root;
  if (!path.startsWith('/')) throw new MethodError('invalidResultReference', `path "${path}" must start with "/"`);
  const tokens = path.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (tokens.length > MAX_POINTER_TOKENS) throw new MethodError('invalidResultReference', 'path too long');
  return walk(root, tokens, path);
}

function walk(value: unknown, tokens: string[], path: string): unknown {
  if (tokens.length === 0) return value;
  const [token, ...rest] = tokens;
  if (Array.isArray(value)) {
    if (token === '*') {
      const out: unknown[] = [];
      for (const item of value) {
        const r = walk(item, rest, path);
        if (Array.isArray(r)) out.push(...r);
        else out.push(r);
      }
      return out;
    }
    if (!/^(0|[1-9][0-9]*)$/.test(token) || Number(token) >= value.length) throw new MethodError('invalidResultReference', `path "${path}" does not match the result`);
    return walk(value[Number(token)], rest, path);
  }
  if (isPlainObject(value) && Object.prototype.hasOwnProperty.call(value, token)) return walk(value[token], rest, path);
  throw new MethodError('invalidResultReference', `path "${path}" does not match the result`);
}
