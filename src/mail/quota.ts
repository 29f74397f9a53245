// Quota in the units IMAP reports (RFC 9208 §5.1: STORAGE in units of 1024 octets).
//
// Both figures round up: usage is never under-reported, and an account under its limit never
// shows more used than the limit (rounding the limit down and the usage up did: 19,558 bytes of
// 20,000 read "STORAGE 20 19", over quota). At or near the limit the two may be equal.

export function storageKiB(usedBytes: number, limitBytes: number): { usage: number; limit: number } {
  return { usage: Math.ceil(usedBytes / 1024), limit: Math.ceil(limitBytes / 1024) };
}
