// docs/rfc.md against the code: every RFC that src/ cites has a row, every row is still cited,
// and the Files column names paths that exist and cite that RFC. A failure lists each place to
// fix as file:line, so the index stays as true as the citations (CONVENTIONS: make references
// checkable).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { citationsIn, citationsInFiles, filesCell, filesUnder, indexRows, withoutSections, type RfcCitation } from './helpers/rfc-references.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const INDEX = 'docs/rfc.md';
const SOURCE_EXTENSIONS = ['.ts', '.js', '.mjs', '.sql', '.html', '.css', '.toml', '.md'];

const rows = indexRows(readFileSync(join(ROOT, INDEX), 'utf8'));
const citations = citationsInFiles(ROOT, filesUnder(ROOT, 'src', SOURCE_EXTENSIONS));

function byRfc(list: RfcCitation[]): Map<number, RfcCitation[]> {
  const out = new Map<number, RfcCitation[]>();
  for (const c of list) out.set(c.rfc, [...(out.get(c.rfc) ?? []), c]);
  return out;
}

test('the citation reader knows the forms the code uses', () => {
  const read = (text: string): number[] => citationsIn(withoutSections(text), 'x.ts').map((c) => c.rfc);
  assert.deepEqual(read('// RFC 9051 §6.3.12: APPEND'), [9051]);
  assert.deepEqual(read('RFC9051 and RFC 5322 §3.6.4'), [9051, 5322]);
  assert.deepEqual(read('SUBSCRIBE (RFC 9051 §6.3.7–8), RFC 2045 §5–§8'), [9051, 2045]);
  assert.deepEqual(read('RFCs 3501 and 9051; RFC 5321/5322; RFC 3463 / RFC 5248'), [3501, 9051, 5321, 5322, 3463, 5248]);
  assert.deepEqual(read('the MIME series, RFC 2045–2049'), [2045, 2046, 2047, 2048, 2049]);
  assert.deepEqual(read("'RFC822.SIZE', RFC822, RFC822.HEADER, message/rfc822, rfc5322Date()"), [], 'FETCH items and identifiers are not citations');
  assert.deepEqual(read('RFC 822 §3'), [822], 'with a space it is a citation');
  assert.deepEqual(read('RFC 5256 §2.1, 2.2 and RFC 8301 §3.2: 2048 bits'), [5256, 8301], 'section numbers and figures are not RFCs');
  assert.deepEqual(citationsIn('a\n  RFC 7162\n', 'f.ts'), [{ rfc: 7162, file: 'f.ts', line: 2, text: 'RFC 7162' }]);
});

test(`${INDEX} has one row per RFC, in a five-column table`, () => {
  assert.ok(rows.length > 0, `no table rows found in ${INDEX}`);
  const seen = new Map<number, number>();
  const duplicates = rows.filter((r) => seen.has(r.rfc) || !seen.set(r.rfc, r.line)).map((r) => `${INDEX}:${r.line}: RFC ${r.rfc} again (first at line ${seen.get(r.rfc)})`);
  assert.deepEqual(duplicates, []);
  const incomplete = rows.filter((r) => !r.title || !r.sections || !r.status || r.paths.length === 0).map((r) => `${INDEX}:${r.line}: RFC ${r.rfc} lacks a title, sections, status or files`);
  assert.deepEqual(incomplete, []);
  const badStatus = rows.filter((r) => !/^(implemented|partial|not implemented)\b/.test(r.status)).map((r) => `${INDEX}:${r.line}: RFC ${r.rfc} status must start with implemented, partial or not implemented`);
  assert.deepEqual(badStatus, []);
});

test(`every RFC cited in src/ has a row in ${INDEX}`, () => {
  const indexed = new Set(rows.map((r) => r.rfc));
  const missing = citations.filter((c) => !indexed.has(c.rfc)).map((c) => `${c.file}:${c.line}: RFC ${c.rfc} ("${c.text}") is not in ${INDEX}`);
  assert.deepEqual(missing, [], `add a row to ${INDEX} for each, or correct the citation:\n${missing.join('\n')}`);
});

test(`every row of ${INDEX} is still cited in src/`, () => {
  const cited = byRfc(citations);
  const stale = rows.filter((r) => !cited.has(r.rfc)).map((r) => `${INDEX}:${r.line}: RFC ${r.rfc} is cited nowhere in src/`);
  assert.deepEqual(stale, [], `remove these rows, or cite the RFC where it is implemented:\n${stale.join('\n')}`);
});

test(`the Files column of ${INDEX} names paths that exist and cite the RFC`, () => {
  const cited = byRfc(citations);
  const wrong: string[] = [];
  for (const row of rows) {
    const files = [...new Set((cited.get(row.rfc) ?? []).map((c) => c.file))];
    const where = files.length ? `; it is cited in ${filesCell(files)}` : '';
    for (const path of row.paths) {
      if (!existsSync(join(ROOT, path))) {
        wrong.push(`${INDEX}:${row.line}: RFC ${row.rfc}: ${path} does not exist${where}`);
        continue;
      }
      const prefix = statSync(join(ROOT, path)).isDirectory() ? `${path}/` : null;
      if (!files.some((f) => (prefix ? f.startsWith(prefix) : f === path))) wrong.push(`${INDEX}:${row.line}: RFC ${row.rfc}: ${path} does not cite it${where}`);
    }
  }
  assert.deepEqual(wrong, [], `correct these paths:\n${wrong.join('\n')}`);
});
