// Resolving an IMAP section part number (RFC 9051 §6.4.5) against the parsed tree.
//
// Numbering, as the tree stores it (see MimePart.section):
// - The whole message is the root entity, section "".
// - A multipart's children are numbered 1, 2, … under the multipart's section.
// - A non-multipart message (top-level or encapsulated) has exactly one part, "1" (or "n.1"),
//   which is that message's own body: the root entity itself.
// - A message/rfc822 part n encapsulates a message whose root entity carries section "n" too;
//   the encapsulated message's parts are "n.1", "n.2", … .
import type { MimePart } from './types.ts';

/**
 * The part that `section` ("1", "1.2", "3.1.2") names, or null when there is none.
 * - BODY[section] is the body slice [bodyStart, bodyEnd) of the result.
 * - BODY[section.MIME] is its header slice [headerStart, headerEnd).
 * - BODY[section.HEADER] / .TEXT apply to a message/rfc822 result: use result.message.root's
 *   header / body slices.
 * For "" (the whole message) the root is returned.
 */
export function findPart(root: MimePart, section: string): MimePart | null {
  if (section === '') return root;
  const path = section.split('.');
  // `message` is the root entity of the message we are inside: numbers index its parts.
  let message: MimePart = root;
  let current: MimePart | null = null;
  for (const step of path) {
    if (!/^[1-9][0-9]{0,8}$/.test(step)) return null;
    const n = Number(step);
    if (current !== null) {
      // Going deeper is only possible through an encapsulated message.
      if (current.message === null) {
        if (current.parts.length === 0) return null;
        message = current;
      } else message = current.message.root;
    }
    if (message.parts.length > 0) {
      current = message.parts[n - 1] ?? null;
    } else {
      // A non-multipart message has only part 1: its body.
      current = n === 1 ? message : null;
    }
    if (current === null) return null;
  }
  return current;
}
