// Plain text for previews and SEARCH: HTML reduced to its words, whitespace collapsed.
// A linear scanner, not an HTML parser: search text and previews only need the words, and the
// input is hostile (unclosed tags and comments, megabytes of markup).

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', copy: '©', reg: '®', euro: '€', hellip: '…', mdash: '—', ndash: '–', laquo: '«', raquo: '»', rsquo: '’', lsquo: '‘', ldquo: '“', rdquo: '”', shy: '' };

function decodeEntities(s: string): string {
  if (s.indexOf('&') < 0) return s;
  return s.replace(/&(#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});/g, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : ' ';
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

/** Visible text of an HTML fragment: tags, comments, <script> and <style> contents removed. */
export function htmlToText(html: string): string {
  const lower = html.toLowerCase();
  let out = '';
  let i = 0;
  const len = html.length;
  while (i < len) {
    const lt = html.indexOf('<', i);
    if (lt < 0) {
      out += html.slice(i);
      break;
    }
    out += html.slice(i, lt);
    if (lower.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      i = end < 0 ? len : end + 3;
      continue;
    }
    const gt = html.indexOf('>', lt + 1);
    if (gt < 0) break;
    // Skip the contents of elements that are not text.
    const m = /^<(script|style|head|title)\b/.exec(lower.slice(lt, lt + 8));
    if (m !== null) {
      const close = lower.indexOf('</' + m[1], gt + 1);
      const closeEnd = close < 0 ? -1 : html.indexOf('>', close);
      i = closeEnd < 0 ? len : closeEnd + 1;
      out += ' ';
      continue;
    }
    out += ' ';
    i = gt + 1;
  }
  return decodeEntities(out);
}

// Whitespace as \s knows it, plus C0/C1 controls (NUL and friends are not text anyone wants
// to see in a preview).
function isBlank(c: number): boolean {
  if (c <= 0x20 || (c >= 0x7f && c <= 0xa0)) return true;
  if (c < 0x1680) return false;
  return c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/**
 * The first `max` characters of `text` with every run of blanks (whitespace and control
 * characters) made one space and the ends trimmed. Scans only as far as it needs to, so a
 * long body costs no more than a short one.
 */
export function previewOf(text: string, max: number): string {
  let out = '';
  let from = -1; // start of the current run of visible characters
  let pendingSpace = false;
  const len = text.length;
  let i = 0;
  for (; i < len; i++) {
    if (!isBlank(text.charCodeAt(i))) {
      if (from < 0) {
        if (pendingSpace && out.length > 0) out += ' ';
        pendingSpace = false;
        from = i;
      }
      if (out.length + (i - from) >= max) break;
      continue;
    }
    if (from >= 0) {
      out += text.slice(from, i);
      from = -1;
    }
    pendingSpace = true;
    if (out.length >= max) break;
  }
  if (from >= 0) out += text.slice(from, i);
  if (out.length > max) out = out.slice(0, max);
  if (out.endsWith(' ')) out = out.slice(0, -1);
  // Do not end on half a surrogate pair.
  const last = out.charCodeAt(out.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) out = out.slice(0, -1);
  return out;
}
