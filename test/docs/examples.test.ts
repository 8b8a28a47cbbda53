/**
 * Every ```ts block of README.md and docs/*.md runs, so that no example rots.
 *
 * - `from 'horarium'` is rewritten to the package source (src/index.ts).
 * - Each block runs with `node --import tsx` in a directory of its own, and
 *   must exit 0 within the timeout: examples that start a scheduler shut it
 *   down themselves.
 * - A block whose first line is `// example: no-run` cannot run standalone
 *   (it needs a database server, say); it is only type-checked.
 * - A block without any `import` is a synopsis (a signature with `name?`
 *   placeholders, as in docs/triggers.md): it is neither run nor type-checked.
 * - A `// prints: <text>` comment states output: the run's stdout must contain <text>.
 * - Every block that runs or is type-checked goes through `tsc --noEmit` in one go.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const source = join(root, 'src/index.ts');
// Inside the repository's node_modules, so that `tsx`, `@types/node` and the drivers resolve.
const workDir = join(root, 'node_modules/.cache/horarium-doc-examples');
const NO_RUN = '// example: no-run';
// Relative, as tsc rewrites only relative `.ts` specifiers.
const specifier = relative(workDir, source);

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
  const code = example.code.replaceAll(/from 'horarium'/g, `from '${specifier}'`);
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
      for (const [, expected] of example.code.matchAll(/\/\/ prints: (.+)$/gm)) {
        expect(stdout, `${example.where} states "${expected}"`).toContain(expected?.trim());
      }
    }, 30_000);
  }
});
