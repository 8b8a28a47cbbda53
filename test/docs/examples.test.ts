/**
 * Every ```ts block of README.md and docs/*.md runs, so that no example rots.
 *
 * - `from 'horarium'`, `from 'horarium/extend'`, `from 'horarium/otel'`,
 *   `from 'horarium/prometheus'` and `from 'horarium/dashboard'` are rewritten to the package
 *   source (src/index.ts, src/extend.ts, src/otel.ts, src/prometheus.ts, src/dashboard.ts).
 * - Each block runs with `node --import tsx` in a directory of its own, and
 *   must exit 0 within the timeout: examples that start a scheduler shut it
 *   down themselves.
 * - A block whose first line is `// example: no-run` cannot run standalone
 *   (it needs a database server, say); it is only type-checked.
 * - A block without any `import` is a synopsis (a signature with `name?`
 *   placeholders, as in docs/triggers.md): it is neither run nor type-checked.
 * - Every block that runs or is type-checked goes through `tsc --noEmit` in one go.
 *
 * What a block prints is stated exactly, by `// prints: <text>` comments:
 *
 * - Every line the block writes to stdout is announced by one `// prints:` comment,
 *   in order: the k-th line printed matches the k-th comment of the block, and the
 *   block prints as many lines as it has comments (none when it has none). A
 *   statement that prints several lines is followed by one comment per line.
 * - <text> is everything after `// prints: ` up to the end of the comment's line
 *   (`// prints:` alone announces an empty line). A printed line must equal it
 *   character for character, except that each `…` stands for any run of
 *   characters within that line, for output that varies from run to run (times,
 *   random ids): `// prints: backup (… next run at: …` matches any line that
 *   starts with `backup (` and contains ` next run at: ` after it.
 * - stderr is not compared (the runtime's warnings go there).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
// Inside the repository's node_modules, so that `tsx`, `@types/node` and the drivers resolve.
const workDir = join(root, 'node_modules/.cache/horarium-doc-examples');
const NO_RUN = '// example: no-run';
// Each entry point of the package and its source, relative as tsc rewrites only relative `.ts` specifiers.
const entryPoints: ReadonlyArray<readonly [string, string]> = [
  ['horarium', relative(workDir, join(root, 'src/index.ts'))],
  ['horarium/extend', relative(workDir, join(root, 'src/extend.ts'))],
  ['horarium/otel', relative(workDir, join(root, 'src/otel.ts'))],
  ['horarium/prometheus', relative(workDir, join(root, 'src/prometheus.ts'))],
  ['horarium/dashboard', relative(workDir, join(root, 'src/dashboard.ts'))],
];

interface Example {
  /** `docs/stores.md:42` (the line of the opening fence). */
  where: string;
  file: string;
  code: string;
  mode: 'run' | 'typecheck' | 'synopsis';
}

function extract(relative: string): Example[] {
  const text = readFileSync(join(root, relative), 'utf8');
  const examples: Example[] = [];
  const fence = /^```ts[^\S\n]*\n([\s\S]*?)^```[^\S\n]*$/gm;
  for (const match of text.matchAll(fence)) {
    const code = match[1] ?? '';
    const line = text.slice(0, match.index).split('\n').length;
    const mode = !/^\s*import\b/m.test(code)
      ? 'synopsis'
      : code.trimStart().startsWith(NO_RUN)
        ? 'typecheck'
        : 'run';
    const file = `${relative.replace(/[/.]/g, '_')}_${line}.ts`;
    examples.push({ where: `${relative}:${line}`, file, code, mode });
  }
  return examples;
}

/** The lines of a run's stdout (a final newline ends the last line). */
function printedLines(stdout: string): string[] {
  return stdout === '' ? [] : stdout.replace(/\n$/, '').split('\n');
}

/** The `// prints:` texts of a block, in order. */
function announced(code: string): string[] {
  return Array.from(code.matchAll(/\/\/ prints:(?: (.*))?$/gm), (match) => match[1] ?? '');
}

/** Does `line` match `text`, where each `…` stands for any characters? */
function matches(text: string, line: string): boolean {
  const pattern = text
    .split('…')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`, 's').test(line);
}

/**
 * The lines a block announces, each replaced by the printed line it matches, so
 * that comparing them with the printed lines shows only what does not match.
 */
function announcedLines(code: string, printed: readonly string[]): string[] {
  return announced(code).map((text, index) => {
    const line = printed[index];
    return line !== undefined && matches(text, line) ? line : text;
  });
}

const documents = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];
const examples = documents.flatMap(extract);
const checked = examples.filter((example) => example.mode !== 'synopsis');

rmSync(workDir, { recursive: true, force: true });
mkdirSync(workDir, { recursive: true });
writeFileSync(join(workDir, 'package.json'), '{ "type": "module" }\n');
for (const example of checked) {
  const code = entryPoints.reduce(
    (text, [name, source]) => text.replaceAll(`from '${name}'`, `from '${source}'`),
    example.code,
  );
  writeFileSync(join(workDir, example.file), code);
}
writeFileSync(
  join(workDir, 'tsconfig.json'),
  JSON.stringify({
    extends: join(root, 'tsconfig.json'),
    compilerOptions: { noEmit: true, noUnusedLocals: false },
    include: checked.map((example) => example.file),
  }),
);

describe('code examples in README.md and docs/*.md', () => {
  it('finds examples in the docs', () => {
    expect(checked.filter((example) => example.mode === 'run').length).toBeGreaterThan(10);
  });

  it('type-check (tsc --noEmit over every extracted example)', async () => {
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '--noEmit', '-p', workDir], {
      cwd: workDir,
    }).catch((error: { stdout?: string; stderr?: string }) => error);
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
    // Name the document and line instead of the extracted file.
    const readable = checked.reduce(
      (text, example) => text.replaceAll(example.file, example.where),
      output,
    );
    expect(readable).toBe('');
  }, 120_000);

  for (const example of examples.filter((e) => e.mode === 'run')) {
    it(`runs ${example.where}`, async () => {
      const cwd = join(workDir, example.file.replace(/\.ts$/, ''));
      mkdirSync(cwd, { recursive: true });
      const { stdout } = await run(
        process.execPath,
        ['--import', 'tsx', join(workDir, example.file)],
        { cwd, timeout: 20_000, env: { ...process.env, NO_COLOR: '1' } },
      ).catch((error: Error & { stdout?: string; stderr?: string }) => {
        throw new Error(`${example.where} failed: ${error.message}\n${error.stderr ?? ''}`);
      });
      expect(printedLines(stdout), `${example.where} prints`).toEqual(
        announcedLines(example.code, printedLines(stdout)),
      );
    }, 30_000);
  }
});
