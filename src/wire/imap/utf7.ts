// Modified UTF-7 for mailbox names (RFC 3501 §5.1.3, kept by RFC 9051 §5.1.3 for clients that
// have not enabled UTF8=ACCEPT).
//
// Printable US-ASCII (0x20–0x7E) stands for itself, except "&", written "&-". Every other
// character is UTF-16BE in modified BASE64 (RFC 2152 with "," for "/", no padding) between "&"
// and "-". Decoding is strict because a lenient decoder lets two spellings name one mailbox,
// or lets "&AC4ALg-" smuggle ".." past a check done on the wire form (SECURITY-CASES.md):
// the encoded form must be exactly what encodeMailboxUtf7() produces for the decoded name.

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,';
const B64_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_VALUE[B64.charCodeAt(i)] = i;

export type Utf7Result = { ok: true; value: string } | { ok: false; reason: string };

function isDirect(code: number): boolean {
  return code >= 0x20 && code <= 0x7e;
}

/** UTF-16 code units → modified BASE64 without padding. */
function encodeRun(units: number[]): string {
  let out = '';
  let bits = 0;
  let acc = 0;
  for (const u of units) {
    acc = (acc << 16) | u;
    bits += 16;
    while (bits >= 6) {
      bits -= 6;
      out += B64[(acc >> bits) & 0x3f];
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += B64[(acc << (6 - bits)) & 0x3f];
  return out;
}

/** Encodes a mailbox name (any Unicode string) in modified UTF-7. */
export function encodeMailboxUtf7(name: string): string {
  let out = '';
  let run: number[] = [];
  const flush = (): void => {
    if (run.length > 0) {
      out += '&' + encodeRun(run) + '-';
      run = [];
    }
  };
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (isDirect(code)) {
      flush();
      out += code === 0x26 ? '&-' : name[i];
    } else {
      run.push(code);
    }
  }
  flush();
  return out;
}

/**
 * Decodes a modified UTF-7 mailbox name. Rejects: bytes outside printable US-ASCII, an
 * unterminated or empty shift, characters outside the BASE64 alphabet, non-zero padding bits or
 * a partial code unit, encoded printable ASCII, broken surrogate pairs, two adjacent encoded
 * runs (one run is the canonical form), and decoded control characters (NUL, CR, LF …).
 */
export function decodeMailboxUtf7(wire: string): Utf7Result {
  let out = '';
  let i = 0;
  let lastRunEnd = -1;
  while (i < wire.length) {
    const code = wire.charCodeAt(i);
    if (!isDirect(code)) return { ok: false, reason: 'character outside printable US-ASCII' };
    if (code !== 0x26) {
      out += wire[i++];
      continue;
    }
    const close = wire.indexOf('-', i + 1);
    if (close === -1) return { ok: false, reason: 'unterminated "&" shift' };
    if (close === i + 1) {
      out += '&';
      i = close + 1;
      continue;
    }
    if (lastRunEnd === i) return { ok: false, reason: 'adjacent encoded runs' };
    const run = decodeRun(wire, i + 1, close);
    if (typeof run !== 'string') return run;
    out += run;
    i = close + 1;
    lastRunEnd = i;
  }
  if (!out.isWellFormed()) return { ok: false, reason: 'unpaired surrogate' };
  if (encodeMailboxUtf7(out) !== wire) return { ok: false, reason: 'non-canonical encoding' };
  return { ok: true, value: out };
}

function decodeRun(wire: string, start: number, end: number): string | { ok: false; reason: string } {
  let acc = 0;
  let bits = 0;
  let out = '';
  for (let i = start; i < end; i++) {
    const c = wire.charCodeAt(i);
    const v = c < 128 ? B64_VALUE[c] : -1;
    if (v < 0) return { ok: false, reason: 'invalid character in encoded run' };
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 16) {
      bits -= 16;
      const unit = (acc >> bits) & 0xffff;
      if (isDirect(unit)) return { ok: false, reason: 'printable US-ASCII must not be encoded' };
      if (unit < 0x20 || (unit >= 0x7f && unit <= 0x9f)) return { ok: false, reason: 'control character' };
      out += String.fromCharCode(unit);
    }
  }
  // RFC 2152: the leftover bits (fewer than 6 after the last whole code unit) must be zero.
  if (bits >= 6 || (acc & ((1 << bits) - 1)) !== 0) return { ok: false, reason: 'invalid padding bits' };
  return out;
}
