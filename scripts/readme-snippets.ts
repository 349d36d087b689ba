/**
 * The README's TypeScript snippets as programs a consumer compiles (scripts/check-readme-snippets.sh):
 *
 *   node dist/scripts/readme-snippets.js README.md OUT_DIR
 *
 * writes, for the k-th ```ts block (1-based, in order), OUT_DIR/readme-k.mts (the block as it
 * stands: an ES module, top-level await allowed) and OUT_DIR/readme-k.ts (the CommonJS form: the
 * imports kept at the top, the rest inside an async function, since CommonJS has no top-level
 * await), and prints one line per block. A block that is meant as a fragment is excluded by the
 * line `<!-- snippet: fragment -->` right above its fence; the README has none today. A block
 * marked `<!-- snippet: compile-only -->` (one that needs a service, e.g. the job queue's Redis)
 * is written as readme-k.compile-only.mts / .ts: compiled like the others, not run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Snippet {
  /** 1-based position among the ```ts blocks. */
  index: number;
  /** Line of the opening fence (1-based). */
  line: number;
  code: string;
  fragment: boolean;
  /** Compiled, not run: it needs something a consumer project lacks (a Redis server). */
  compileOnly: boolean;
}

const FRAGMENT_MARK = '<!-- snippet: fragment -->';
const COMPILE_ONLY_MARK = '<!-- snippet: compile-only -->';

/** Every ```ts (or ```typescript) block of a Markdown text, in order. */
export function extractSnippets(markdown: string): Snippet[] {
  const lines = markdown.split('\n');
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(ts|typescript)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.findIndex((l, k) => k > i && /^\s*```\s*$/.test(l));
    if (end < 0) throw new Error(`line ${i + 1}: a \`\`\`ts block is never closed`);
    const above = lines
      .slice(0, i)
      .reverse()
      .find((l) => l.trim() !== '');
    out.push({
      index: out.length + 1,
      line: i + 1,
      code: lines.slice(i + 1, end).join('\n') + '\n',
      fragment: above?.trim() === FRAGMENT_MARK,
      compileOnly: above?.trim() === COMPILE_ONLY_MARK,
    });
    i = end;
  }
  return out;
}

const importStatement = /^import\s[\s\S]*?\sfrom\s+['"][^'"]+['"];?[ \t]*$|^import\s+['"][^'"]+['"];?[ \t]*$/gm;

/** The CommonJS form of a snippet: its imports, then the rest inside an async main whose failure sets the exit code. */
export function commonJsForm(code: string): string {
  const imports = code.match(importStatement) ?? [];
  const body = code.replace(importStatement, '').replace(/^\n+/, '');
  const indented = body
    .split('\n')
    .map((l) => (l === '' ? l : `  ${l}`))
    .join('\n');
  return `${imports.join('\n')}\n\nasync function main(): Promise<void> {\n${indented}}\n\nmain().catch((e: unknown) => {\n  console.error(e);\n  process.exitCode = 1;\n});\n`;
}

function main(): void {
  const [readme, outDir] = process.argv.slice(2);
  if (!readme || !outDir) {
    console.error('usage: node dist/scripts/readme-snippets.js README.md OUT_DIR');
    process.exit(2);
  }
  const snippets = extractSnippets(fs.readFileSync(readme, 'utf8'));
  if (snippets.length === 0) throw new Error(`${readme}: no \`\`\`ts block`);
  fs.mkdirSync(outDir, { recursive: true });
  for (const s of snippets) {
    const where = `${path.basename(readme)}:${s.line}`;
    if (s.fragment) {
      console.log(`readme-snippets: block ${s.index} (${where}) is marked as a fragment: not compiled`);
      continue;
    }
    const header = `// ${where}, block ${s.index}\n`;
    const name = `readme-${s.index}${s.compileOnly ? '.compile-only' : ''}`;
    fs.writeFileSync(path.join(outDir, `${name}.mts`), header + s.code);
    fs.writeFileSync(path.join(outDir, `${name}.ts`), header + commonJsForm(s.code));
    console.log(`readme-snippets: block ${s.index} (${where}) → ${name}.mts, ${name}.ts${s.compileOnly ? ' (compile only)' : ''}`);
  }
}

if (require.main === module) main();
