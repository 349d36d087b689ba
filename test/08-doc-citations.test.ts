/**
 * Every Markdown document the code and the docs cite exists in the repository, and every
 * "docs/METHODS.md §N" names a section that is there. Code must cite docs by their path from the
 * repository root; a Markdown file may also give just the name of a document beside it or in
 * docs/ (as README does).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const skip = new Set(['node_modules', 'dist', 'build', 'build-asan', 'prebuilds', '.git', '.bench', 'fixtures']);
const textFile = /\.(ts|js|mjs|cjs|c|h|cpp|hpp|sh|md|txt|json)$|^CMakeLists\.txt$|^run$/;

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (skip.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (textFile.test(entry.name)) out.push(full);
  }
  return out;
}

/** A cited document: an upper-case name ending in .md, with its folder if one is written, then any §N. */
const citation = /(?<![\w/.-])((?:[\w.-]+\/)*)([A-Z][A-Z0-9_]*\.md)((?:\s*§\d+(?:\s*[–-]\s*§?\d+)?)?)/g;

function sections(file: string): Set<number> {
  const found = new Set<number>();
  for (const m of fs.readFileSync(file, 'utf8').matchAll(/^## (\d+)\./gm)) found.add(Number(m[1]));
  return found;
}

describe('docs: every cited document and section exists', () => {
  const files = [
    ...['README.md', 'THIRD_PARTY_NOTICES.md', 'CMakeLists.txt'].map((f) => path.join(root, f)),
    ...['lib', 'test', 'scripts', 'native', 'docs', '.ci'].flatMap((d) => walk(path.join(root, d))),
  ];

  it('finds the citations (docs/METHODS.md is cited from lib, native, test and scripts)', () => {
    const citing = files
      .filter((f) => fs.readFileSync(f, 'utf8').includes('docs/METHODS.md §'))
      .map((f) => path.relative(root, f).split(path.sep)[0]);
    for (const top of ['lib', 'native', 'test', 'scripts']) assert.ok(citing.includes(top), `no citation found in ${top}/`);
  });

  it('each resolves to a file, and each §N to a "## N." heading', () => {
    const missing: string[] = [];
    for (const file of files) {
      const rel = path.relative(root, file);
      const markdown = file.endsWith('.md');
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, k) => {
        for (const m of line.matchAll(citation)) {
          const [, folder, name, sectionText] = m as unknown as [string, string, string, string];
          // A path inside something else (e.g. the packed tarball's package/…) is not a citation.
          if (folder !== '' && folder !== 'docs/' && !fs.existsSync(path.join(root, folder))) continue;
          const candidates =
            folder !== ''
              ? [path.join(root, folder, name)]
              : markdown
                ? [path.join(path.dirname(file), name), path.join(root, 'docs', name), path.join(root, name)]
                : [path.join(root, name)];
          const target = candidates.find((c) => fs.existsSync(c));
          const where = `${rel}:${k + 1}: ${folder}${name}${sectionText}`;
          if (!target) {
            missing.push(
              `${where} (no such file${folder === '' && !markdown ? '; code cites a document by its path from the repository root' : ''})`,
            );
            continue;
          }
          const numbers = [...sectionText.matchAll(/\d+/g)].map((n) => Number(n[0]));
          if (numbers.length > 0) {
            const have = sections(target);
            for (const n of numbers) if (!have.has(n)) missing.push(`${where} (no section ${n} in ${path.relative(root, target)})`);
          }
        }
      });
    }
    assert.deepEqual(missing, []);
  });
});
