// RFC citations in source text and the rows of docs/rfc.md, for test/rfc-index.test.ts.
//
// A citation is "RFC" and a number, with or without a space ("RFC 9051", "RFC9051"), optionally
// followed by sections ("§6.3.12", "§6.3.7–8", "§5–§8", "§6.2/§6.3"). "RFCs 3501 and 9051" and
// "RFC 5321/5322" cite both; "RFC 2045–2049" cites the series. "RFC822" written without a space
// (also RFC822.SIZE, RFC822.HEADER, RFC822.TEXT) is an IMAP FETCH data item (RFC 9051 §6.4.5),
// not a citation of RFC 822; "message/rfc822" is a media type (lower case, never matched).

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface RfcCitation {
  rfc: number;
  /** Path relative to the repository root, forward slashes. */
  file: string;
  line: number;
  /** The citation as written, for messages. */
  text: string;
}

/** Longest series "RFC A–B" expanded into every number; longer spans count as their two ends. */
const MAX_SERIES = 10;

const CITATION = /\bRFC(s)?([ \u00a0]?)(\d{3,4})(?!\d)((?:\s*(?:[–-]|\/|,|\band\b|\bor\b)\s*(?:RFC[ \u00a0]?)?\d{3,4}(?![\d.]))*)/g;
const LIST_PART = /([–-]|\/|,|\band\b|\bor\b)\s*(RFC[ \u00a0]?)?(\d{3,4})/g;

/**
 * Every RFC cited in `text` (one entry per RFC number per citation), with 1-based line numbers.
 * `shown` is the same text as written (before withoutSections), for the citation's text.
 */
export function citationsIn(text: string, file: string, shown = text): RfcCitation[] {
  const out: RfcCitation[] = [];
  const lines = text.split('\n');
  const shownLines = shown.split('\n');
  lines.forEach((lineText, i) => {
    for (const m of lineText.matchAll(CITATION)) {
      const first = Number(m[3]);
      // RFC822 (no space) is the FETCH item name; "RFC 822" would be a citation.
      if (first === 822 && m[2] === '') continue;
      const numbers = [first];
      let previous = first;
      for (const part of (m[4] ?? '').matchAll(LIST_PART)) {
        const n = Number(part[3]);
        if (n === 822 && part[2] === 'RFC') continue;
        if ((part[1] === '–' || part[1] === '-') && n > previous && n - previous <= MAX_SERIES) {
          for (let k = previous + 1; k <= n; k++) numbers.push(k);
        } else {
          numbers.push(n);
        }
        previous = n;
      }
      const written = (shownLines[i] ?? lineText).slice(m.index, m.index + m[0].length).trim();
      for (const rfc of new Set(numbers)) out.push({ rfc, file, line: i + 1, text: written });
    }
  });
  return out;
}

/**
 * Text after "§" is a section, never an RFC number: "RFC 5256 §2.1, 2.2" must not read 2.2 as
 * an RFC, and "§6.3.7–8" is a range of sections. Citations are looked for with the sections cut
 * out, keeping the line structure.
 */
export function withoutSections(text: string): string {
  return text.replace(/§\s?[\d.]+(?:\s*[–-]\s*§?\s?[\d.]+)?/g, (s) => ' '.repeat(s.length));
}

/** Files under `dir` (relative to root) whose names end in one of `extensions`, sorted. */
export function filesUnder(root: string, dir: string, extensions: string[]): string[] {
  const out: string[] = [];
  const walk = (abs: string): void => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const path = join(abs, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (extensions.some((e) => entry.name.endsWith(e))) out.push(relative(root, path).split('\\').join('/'));
    }
  };
  try {
    if (statSync(join(root, dir)).isDirectory()) walk(join(root, dir));
  } catch {
    // no such directory: nothing cited there
  }
  return out.sort();
}

/** Every citation in the given files. */
export function citationsInFiles(root: string, files: string[]): RfcCitation[] {
  return files.flatMap((file) => {
    const text = readFileSync(join(root, file), 'utf8');
    return citationsIn(withoutSections(text), file, text);
  });
}

export interface IndexRow {
  rfc: number;
  title: string;
  sections: string;
  status: string;
  /** Paths named in the Files column (files or directories, relative to the root). */
  paths: string[];
  /** Line of the row in docs/rfc.md. */
  line: number;
}

/**
 * The table rows of docs/rfc.md: "| 9051 | title | sections | status | files |". The RFC cell
 * is the bare number (a link around it is allowed); paths in the last cell are in backticks.
 */
export function indexRows(markdown: string): IndexRow[] {
  const rows: IndexRow[] = [];
  markdown.split('\n').forEach((lineText, i) => {
    const cells = lineText.trim().replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
    if (!lineText.trim().startsWith('|') || cells.length !== 5) return;
    const rfc = /^\[?(\d{3,4})\]?(?:\(.*\))?$/.exec(cells[0]);
    if (!rfc) return;
    rows.push({
      rfc: Number(rfc[1]),
      title: cells[1],
      sections: cells[2],
      status: cells[3],
      paths: [...cells[4].matchAll(/`([^`]+)`/g)].map((m) => m[1].replace(/\/$/, '')),
      line: i + 1,
    });
  });
  return rows;
}

/**
 * A Files cell for the files citing an RFC: a directory stands for its files when three or more
 * of them cite it, so the cell stays short and survives files moving within a directory.
 */
export function filesCell(files: string[]): string {
  const byDir = new Map<string, string[]>();
  for (const f of [...new Set(files)].sort()) {
    const dir = f.slice(0, f.lastIndexOf('/'));
    byDir.set(dir, [...(byDir.get(dir) ?? []), f]);
  }
  const parts: string[] = [];
  for (const [dir, list] of [...byDir].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (list.length >= 3) parts.push(`\`${dir}/\``);
    else parts.push(...list.map((f) => `\`${f}\``));
  }
  return parts.join(', ');
}
