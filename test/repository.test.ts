/**
 * A fresh clone works by itself: its code, tests, benchmarks and docs never
 * reach outside the repository, and `npm install` leaves the lock file as it
 * is committed (so `git status` stays clean after set-up).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

/** Every file under `dir` (relative to the root), skipping dependencies and build output. */
function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
    .filter((path) => !/(^|\/)(node_modules|dist|coverage)\//.test(path));
}

const FILES = [
  'README.md',
  'package.json',
  ...['src', 'test', 'bench', 'docs', 'examples'].flatMap(filesUnder),
].filter((path) => /\.(ts|mts|mjs|js|json|md)$/.test(path));

const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const inside = (path: string): boolean => !relative(ROOT, path).startsWith('..');

describe('the repository stands alone', () => {
  it('finds the files it checks', () => {
    expect(FILES).toContain('docs/reference.md');
    expect(FILES).toContain('test/triggers/vectors.test.ts');
  });

  it('no file names the folder beside the repository that holds the specification', () => {
    const sibling = ['..', 'shared', ''].join('/');
    expect(FILES.filter((path) => read(path).includes(sibling))).toEqual([]);
  });

  it('every new URL(…, import.meta.url) in the code points inside the repository', () => {
    const outside: string[] = [];
    for (const path of FILES.filter((file) => /\.(ts|mts|mjs|js)$/.test(file))) {
      const pattern = /new URL\(\s*(['"`])([^'"`$]+)\1\s*,\s*import\.meta\.url\s*\)/g;
      for (const [, , target] of read(path).matchAll(pattern)) {
        const url = new URL(target as string, `file://${join(ROOT, path)}`);
        if (url.protocol === 'file:' && !inside(fileURLToPath(url)))
          outside.push(`${path}: ${target}`);
      }
    }
    expect(outside).toEqual([]);
  });

  it('every relative link in the docs points inside the repository', () => {
    const outside: string[] = [];
    for (const path of FILES.filter((file) => file.endsWith('.md'))) {
      for (const [, target] of read(path).matchAll(/\]\(([^)#\s]+)[^)]*\)/g)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target as string)) continue; // https:, mailto:
        if (!inside(resolve(ROOT, dirname(path), target as string)))
          outside.push(`${path}: ${target}`);
      }
    }
    expect(outside).toEqual([]);
  });
});

describe('package-lock.json', () => {
  interface Manifest {
    [field: string]: unknown;
    bin?: Record<string, string>;
  }
  const manifest = JSON.parse(read('package.json')) as Manifest;
  const lock = JSON.parse(read('package-lock.json')) as {
    packages: Record<string, Manifest>;
  };
  const root = lock.packages[''] as Manifest;

  it.each([
    'name',
    'version',
    'license',
    'dependencies',
    'devDependencies',
    'peerDependencies',
    'peerDependenciesMeta',
    'engines',
  ])('records the root package’s %s as package.json declares it', (field) => {
    expect(root[field]).toEqual(manifest[field]);
  });

  it('records the bin entry npm writes on install (without the leading ./)', () => {
    const bin = Object.fromEntries(
      Object.entries(manifest.bin ?? {}).map(([name, path]) => [name, path.replace(/^\.\//, '')]),
    );
    expect(root.bin).toEqual(bin);
  });
});
