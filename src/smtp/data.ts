// Reading the DATA payload that smtp-server hands us (already dot-unstuffed, terminated only by
// <CRLF>.<CRLF>: its SMTPStream matches exactly that sequence, see test/smtp-smuggling.test.ts).
//
// Bare CR and bare LF (RFC 5321 §2.3.8: "MUST NOT" be sent) are what SMTP smuggling
// (CVE-2023-51764/5/6) uses: a `\n.\n` that we would treat as content but a next hop might treat
// as the end of data. Posthorn refuses the whole message (554 5.6.0) rather than normalising it:
// every mainstream client sends CRLF, refusing keeps what we store and relay byte-identical to
// what the client sent, and no stored message can ever carry a sequence a later hop could
// misread.
//
// Size: smtp-server counts bytes (sizeExceeded, and answers 552 5.3.4 with rejectOversized);
// past the limit we stop keeping chunks so an oversized message costs no memory.

import type { Readable } from 'node:stream';

export interface DataResult {
  raw: Buffer;
  /** Bytes received (also counted past the size limit). */
  size: number;
  oversized: boolean;
  bareLineBreak: boolean;
}

/** True when `chunk` has a CR not followed by LF or an LF not preceded by CR; `prevCr` carries state across chunks. */
export function scanLineBreaks(chunk: Buffer, prevCr: boolean): { bare: boolean; endsWithCr: boolean } {
  let expectLf = prevCr;
  for (let i = 0; i < chunk.length; i++) {
    const c = chunk[i];
    if (expectLf) {
      if (c !== 0x0a) return { bare: true, endsWithCr: false };
      expectLf = false;
      continue;
    }
    if (c === 0x0d) expectLf = true;
    else if (c === 0x0a) return { bare: true, endsWithCr: false };
  }
  return { bare: false, endsWithCr: expectLf };
}

export async function readData(stream: Readable & { sizeExceeded?: boolean }, maxBytes: number): Promise<DataResult> {
  const chunks: Buffer[] = [];
  let size = 0;
  let prevCr = false;
  let bare = false;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      chunks.length = 0;
      continue;
    }
    if (!bare) {
      const scan = scanLineBreaks(chunk, prevCr);
      bare = scan.bare;
      prevCr = scan.endsWithCr;
    }
    chunks.push(chunk);
  }
  // A message that ends in a lone CR (before the terminating CRLF.CRLF) is bare too.
  if (prevCr) bare = true;
  const oversized = size > maxBytes || stream.sizeExceeded === true;
  return { raw: oversized ? Buffer.alloc(0) : Buffer.concat(chunks, size), size, oversized, bareLineBreak: bare };
}
