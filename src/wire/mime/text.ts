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

/**
 * Runs of whitespace (including NBSP and line breaks) and control characters (NUL and other
 * C0/C1 controls are not text anyone wants to see in a preview) become one space; ends trimmed.
 */
export function collapseWhitespace(s: string): string {
  return s.replace(/[\s\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
}
