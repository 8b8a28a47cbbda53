/**
 * The job reference rules (src/jobs/reference-policy.ts): which references a
 * scheduler may import, checked before anything is imported, and the form a
 * reference is stored in. Every case runs against a real directory tree in
 * the OS temp directory: an application root with a package.json, a module
 * outside it, symbolic links pointing out of the root, and a node_modules.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectApplicationRoot, realPathOf } from '../../src/jobs/app-root.ts';
import { JobReferenceError, ReferenceNotAllowedError } from '../../src/jobs/errors.ts';
import { ReferencePolicy } from '../../src/jobs/reference-policy.ts';

/** Set by the modules in the tree when they are evaluated. */
const MARKER = `horarium_policy_test_${process.pid}_${Date.now()}`;
const markers = globalThis as unknown as Record<string, string[] | undefined>;
const evaluated = (): string[] => markers[MARKER] ?? [];

let top: string;
let app: string;
let outside: string;

function moduleSource(label: string): string {
  return `(globalThis[${JSON.stringify(MARKER)}] ??= []).push(${JSON.stringify(label)});\nexport function run() { return ${JSON.stringify(label)}; }\nexport const nested = { deep() { return this === nested ? 'bound' : 'unbound'; } };\n`;
}

beforeAll(() => {
  top = realpathSync(mkdtempSync(join(tmpdir(), 'horarium-policy-')));
  app = join(top, 'app');
  outside = join(top, 'outside');
  for (const dir of [app, join(app, 'sub'), join(app, 'node_modules', 'good-pkg'), outside])
    mkdirSync(dir, { recursive: true });
  writeFileSync(join(app, 'package.json'), '{"name": "app", "private": true}\n');
  writeFileSync(join(app, 'jobs.mjs'), moduleSource('app/jobs'));
  writeFileSync(join(app, 'sub', 'nested.mjs'), moduleSource('app/sub/nested'));
  writeFileSync(join(app, 'node_modules', 'good-pkg', 'index.mjs'), moduleSource('good-pkg'));
  writeFileSync(join(outside, 'evil.mjs'), moduleSource('outside/evil'));
  symlinkSync(join(outside, 'evil.mjs'), join(app, 'link-out.mjs'));
  symlinkSync(outside, join(app, 'dir-out'));
  symlinkSync(app, join(top, 'app-link'));
});

afterAll(() => {
  rmSync(top, { recursive: true, force: true });
});

function refusal(run: () => unknown): ReferenceNotAllowedError {
  try {
    run();
  } catch (error) {
    if (error instanceof ReferenceNotAllowedError) return error;
    throw error;
  }
  throw new Error('the reference was allowed');
}

describe('reference rules: what is refused, by rule', () => {
  const cases: [string, () => string, string][] = [
    ['a node: built-in', () => 'node:child_process:execSync', 'builtin'],
    [
      'a bare built-in name (Node resolves it as the built-in)',
      () => 'child_process:execSync',
      'builtin',
    ],
    ['a bare built-in subpath', () => 'fs/promises:rm', 'builtin'],
    [
      'a data: URL',
      () => 'data:text/javascript,globalThis.x=1;export const f=()=>1:f',
      'url-scheme',
    ],
    ['an https: URL', () => 'https://evil.example/x.mjs:run', 'url-scheme'],
    ['an http: URL in capitals', () => 'HTTP://evil.example/x.mjs:run', 'url-scheme'],
    ['a blob: URL', () => 'blob:nodedata:1234:run', 'url-scheme'],
    [
      'an absolute path outside the roots',
      () => `${join(outside, 'evil.mjs')}:run`,
      'outside-roots',
    ],
    ['a ../ escape', () => '../outside/evil.mjs:run', 'outside-roots'],
    ['a ../ escape behind a subfolder', () => './sub/../../outside/evil.mjs:run', 'outside-roots'],
    [
      'a file: URL outside the roots',
      () => `${pathToFileURL(join(outside, 'evil.mjs')).href}:run`,
      'outside-roots',
    ],
    [
      'a file: URL escaping with %2e%2e',
      () => `${pathToFileURL(app).href}/%2e%2e/outside/evil.mjs:run`,
      'outside-roots',
    ],
    [
      'a file: URL with an encoded slash',
      () => `${pathToFileURL(app).href}/..%2f..%2foutside/evil.mjs:run`,
      'file-url',
    ],
    [
      'a file: URL with a query',
      () => `${pathToFileURL(join(app, 'jobs.mjs')).href}?again:run`,
      'file-url',
    ],
    [
      'a file: URL with a fragment',
      () => `${pathToFileURL(join(app, 'jobs.mjs')).href}#again:run`,
      'file-url',
    ],
    ['a file: URL with a host', () => 'file://evil.example/share/jobs.mjs:run', 'file-url'],
    ['a symbolic link to a file outside the root', () => './link-out.mjs:run', 'outside-roots'],
    [
      'a path through a symbolic link to a folder outside the root',
      () => './dir-out/evil.mjs:run',
      'outside-roots',
    ],
    [
      'a path into the root’s node_modules',
      () => './node_modules/good-pkg/index.mjs:run',
      'node-modules',
    ],
    ['a package not listed', () => 'evil-pkg:run', 'package'],
    ['a scoped package not listed', () => '@evil/pkg/sub:run', 'package'],
    ['a package import', () => '#internal:run', 'specifier'],
  ];

  for (const [what, reference, rule] of cases) {
    it(`refuses ${what} (rule "${rule}") without importing it, and says which option would allow it`, async () => {
      const policy = new ReferencePolicy({ base: app, packages: ['good-pkg'] });
      const error = refusal(() => policy.check(reference(), 'store'));
      expect(error).toBeInstanceOf(JobReferenceError);
      expect(error.rule).toBe(rule);
      expect(error.reference).toBe(reference());
      expect(error.message).toContain('is not allowed');
      expect(error.message).toMatch(
        /jobReferences\.(roots|builtins|packages|base)|file:\/\/\/|path/,
      );
      await expect(policy.resolve(reference(), 'store')).rejects.toBeInstanceOf(
        ReferenceNotAllowedError,
      );
      expect(evaluated()).not.toContain('outside/evil');
    });
  }

  it('names the fix in the message: the built-in to list, the package to list, the roots', () => {
    const policy = new ReferencePolicy({ base: app });
    expect(refusal(() => policy.check('node:child_process:execSync', 'store')).message).toContain(
      'add "child_process" to jobReferences.builtins',
    );
    expect(refusal(() => policy.check('some-pkg/tasks:run', 'store')).message).toContain(
      'add "some-pkg" to jobReferences.packages',
    );
    const outsideError = refusal(() => policy.check('../outside/evil.mjs:run', 'store'));
    expect(outsideError.message).toContain(`resolves to "${join(outside, 'evil.mjs')}"`);
    expect(outsideError.message).toContain(`allowed roots (${app})`);
    expect(outsideError.message).toContain('jobReferences.roots');
    const linked = refusal(() => policy.check('./link-out.mjs:run', 'store'));
    expect(linked.message).toContain(`real path "${join(outside, 'evil.mjs')}"`);
    const inModules = refusal(() => policy.check('./node_modules/good-pkg/index.mjs:run', 'store'));
    expect(inModules.message).toContain('write it as "good-pkg:run"');
  });

  it('quotes a long reference cut short, with control characters escaped', () => {
    const policy = new ReferencePolicy({ base: app });
    const reference = `data:text/javascript,\u001b[2J${'x'.repeat(5000)}:f`;
    const error = refusal(() => policy.check(reference, 'store'));
    expect(error.message.length).toBeLessThan(800);
    expect(error.message).not.toContain('\u001b');
    expect(error.message).toContain('\\u001b[2J');
  });

  it('refuses every module reference when there is no application root', () => {
    const policy = new ReferencePolicy({}, null);
    expect(policy.base).toBeNull();
    expect(refusal(() => policy.check('./jobs.mjs:run', 'store')).message).toContain(
      'jobReferences.base',
    );
    expect(refusal(() => policy.check(`${join(app, 'jobs.mjs')}:run`, 'store')).rule).toBe(
      'outside-roots',
    );
    expect(policy.check('registered.task', 'store')).toEqual({
      reference: 'registered.task',
      url: null,
    });
  });
});

describe('reference rules: what is allowed, and its stored form', () => {
  it('passes registered task names: they load nothing', () => {
    const policy = new ReferencePolicy({ base: app });
    expect(policy.check('send-report', 'store')).toEqual({ reference: 'send-report', url: null });
  });

  it('stores references to modules inside the application root relative to it, in every spelling', () => {
    const policy = new ReferencePolicy({ base: app });
    const jobsUrl = pathToFileURL(join(app, 'jobs.mjs')).href;
    const fromCwd = `./${relative(process.cwd(), join(app, 'jobs.mjs'))}`.replace(
      /^\.\/\.\.\//,
      '../',
    );
    const spellings: [string, 'store' | 'caller'][] = [
      ['./jobs.mjs:run', 'store'],
      ['./sub/../jobs.mjs:run', 'store'],
      [`${join(app, 'jobs.mjs')}:run`, 'store'],
      [`${jobsUrl}:run`, 'store'],
      [`${pathToFileURL(join(app, 'sub')).href}/%2e%2e/jobs.mjs:run`, 'store'],
      [`${join(top, 'app-link', 'jobs.mjs')}:run`, 'store'],
      [`${fromCwd}:run`, 'caller'],
    ];
    for (const [reference, origin] of spellings) {
      expect(policy.check(reference, origin), reference).toEqual({
        reference: './jobs.mjs:run',
        url: expect.stringMatching(/^file:\/\/\/.*\/jobs\.mjs$/) as unknown as string,
      });
    }
    expect(policy.storedForm('./sub/nested.mjs:nested.deep', 'store')).toBe(
      './sub/nested.mjs:nested.deep',
    );
  });

  it('resolves a relative reference from a store against the application root, and one from the application against the working directory', () => {
    const policy = new ReferencePolicy({ base: app });
    expect(policy.check('./jobs.mjs:run', 'store').url).toBe(
      pathToFileURL(join(app, 'jobs.mjs')).href,
    );
    // The same text written by the application means the working directory's file: outside the root here.
    expect(refusal(() => policy.check('./jobs.mjs:run', 'caller')).message).toContain(
      `from the working directory ${process.cwd()}`,
    );
  });

  it('allows a root given through a symbolic link, and stores modules of other roots as file: URLs', () => {
    const policy = new ReferencePolicy({ base: join(top, 'app-link'), roots: ['.', outside] });
    expect(policy.storedForm(`${join(app, 'jobs.mjs')}:run`, 'store')).toBe('./jobs.mjs:run');
    // Lexically under the application root (through a link that moves with it): stored relative.
    expect(policy.storedForm('./dir-out/evil.mjs:run', 'store')).toBe('./dir-out/evil.mjs:run');
    expect(policy.storedForm(`${join(outside, 'evil.mjs')}:run`, 'store')).toBe(
      `${pathToFileURL(join(outside, 'evil.mjs')).href}:run`,
    );
  });

  it('allows registered tasks only when the roots are empty', () => {
    const policy = new ReferencePolicy({ base: app, roots: [] });
    const error = refusal(() => policy.check('./jobs.mjs:run', 'store'));
    expect(error.rule).toBe('outside-roots');
    expect(error.message).toContain(
      'jobReferences.roots is empty: only registered tasks are allowed',
    );
    expect(policy.check('send-report', 'store').url).toBeNull();
  });

  it('limits the roots to those given, relative ones against the application root', () => {
    const policy = new ReferencePolicy({ base: app, roots: ['sub'] });
    expect(policy.roots).toEqual([join(app, 'sub')]);
    expect(policy.storedForm('./sub/nested.mjs:run', 'store')).toBe('./sub/nested.mjs:run');
    expect(refusal(() => policy.check('./jobs.mjs:run', 'store')).rule).toBe('outside-roots');
  });

  it('allows listed packages by name only, subpaths included', () => {
    const policy = new ReferencePolicy({ base: app, packages: ['good-pkg', '@acme/jobs'] });
    expect(policy.check('good-pkg:run', 'store')).toEqual({
      reference: 'good-pkg:run',
      url: 'good-pkg',
    });
    expect(policy.check('good-pkg/tasks:run', 'store').url).toBe('good-pkg/tasks');
    expect(policy.check('@acme/jobs/daily:run', 'store').url).toBe('@acme/jobs/daily');
    expect(refusal(() => policy.check('good-pkg-evil:run', 'store')).rule).toBe('package');
    expect(refusal(() => policy.check('@acme/other:run', 'store')).rule).toBe('package');
  });

  it('refuses subpaths of a listed package that could leave it or load it twice', () => {
    const policy = new ReferencePolicy({ base: app, packages: ['good-pkg'] });
    for (const specifier of [
      'good-pkg/../../outside/evil.mjs',
      'good-pkg/./index.mjs',
      'good-pkg//index.mjs',
      'good-pkg/%2e%2e/x',
      'good-pkg/sub\\..\\x',
      'good-pkg/index.mjs?again',
      'good-pkg/index.mjs#again',
      'good-pkg/',
    ]) {
      expect(refusal(() => policy.check(`${specifier}:run`, 'store')).rule, specifier).toBe(
        'specifier',
      );
    }
  });

  it('allows listed built-ins, with or without node:, and every one with true', () => {
    const listed = new ReferencePolicy({ base: app, builtins: ['node:child_process', 'fs'] });
    expect(listed.check('node:child_process:execSync', 'store').url).toBe('node:child_process');
    expect(listed.check('child_process:execSync', 'store').url).toBe('child_process');
    expect(listed.check('node:fs:readFileSync', 'store').url).toBe('node:fs');
    expect(refusal(() => listed.check('fs/promises:rm', 'store')).rule).toBe('builtin');
    expect(refusal(() => listed.check('node:os:hostname', 'store')).rule).toBe('builtin');
    const all = new ReferencePolicy({ base: app, builtins: true });
    expect(all.check('node:os:hostname', 'store').url).toBe('node:os');
    const none = new ReferencePolicy({ base: app, builtins: false });
    expect(refusal(() => none.check('node:os:hostname', 'store')).rule).toBe('builtin');
  });

  it('refuses package and built-in names that cannot be ones', () => {
    expect(() => new ReferencePolicy({ base: app, packages: ['../x'] })).toThrow(TypeError);
    expect(() => new ReferencePolicy({ base: app, packages: ['fs'] })).toThrow(TypeError);
    expect(() => new ReferencePolicy({ base: app, builtins: ['no-such-builtin'] })).toThrow(
      TypeError,
    );
  });

  it('imports what it allows and returns the function, methods bound to their object', async () => {
    const policy = new ReferencePolicy({ base: app });
    const run = await policy.resolve('./jobs.mjs:run', 'store');
    expect(run()).toBe('app/jobs');
    const deep = await policy.resolve('./sub/nested.mjs:nested.deep', 'store');
    expect(deep()).toBe('bound');
    expect(evaluated()).toContain('app/jobs');
    expect(evaluated()).not.toContain('outside/evil');
  });

  it('gives workers the URL of a stored reference, relative ones against the application root', () => {
    const policy = new ReferencePolicy({ base: app });
    expect(policy.moduleUrl('./jobs.mjs')).toBe(pathToFileURL(join(app, 'jobs.mjs')).href);
    expect(policy.moduleUrl(join(app, 'jobs.mjs'))).toBe(pathToFileURL(join(app, 'jobs.mjs')).href);
    expect(policy.moduleUrl('good-pkg/tasks')).toBe('good-pkg/tasks');
    expect(policy.moduleUrl('node:fs')).toBe('node:fs');
  });

  it('says when a stored relative module is missing under the application root but found under the working directory', async () => {
    const policy = new ReferencePolicy({ base: app });
    const error = await policy.resolve('./vitest.config.ts:default', 'store').then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(JobReferenceError);
    expect((error as Error).message).toContain(`set jobReferences.base to ${process.cwd()}`);
  });
});

describe('the application root', () => {
  it('is the nearest folder with a package.json above the entry script', () => {
    mkdirSync(join(app, 'dist'), { recursive: true });
    writeFileSync(join(app, 'dist', 'main.mjs'), '');
    expect(detectApplicationRoot(join(app, 'dist', 'main.mjs'), '/')).toBe(app);
  });

  it('passes over a package.json that only marks the module format', () => {
    mkdirSync(join(app, 'dist-esm'), { recursive: true });
    writeFileSync(join(app, 'dist-esm', 'package.json'), '{"type": "module"}');
    writeFileSync(join(app, 'dist-esm', 'main.js'), '');
    expect(detectApplicationRoot(join(app, 'dist-esm', 'main.js'), '/')).toBe(app);
  });

  it('follows a symbolic link to the entry script', () => {
    symlinkSync(join(app, 'jobs.mjs'), join(outside, 'entry-link.mjs'));
    expect(detectApplicationRoot(join(outside, 'entry-link.mjs'), '/')).toBe(app);
  });

  it('starts from the working directory when a tool in node_modules, or no script, started the process', () => {
    expect(
      detectApplicationRoot(join(app, 'node_modules', 'good-pkg', 'index.mjs'), join(app, 'sub')),
    ).toBe(app);
    expect(detectApplicationRoot(null, join(app, 'sub'))).toBe(app);
  });

  it('is the starting folder itself without any package.json, and never the filesystem root', () => {
    expect(detectApplicationRoot(join(outside, 'evil.mjs'), '/')).toBe(outside);
    expect(detectApplicationRoot('/no-such-entry.mjs', '/')).toBeNull();
  });

  it('compares real paths: a missing tail is appended to the real path of what exists', () => {
    expect(realPathOf(join(top, 'app-link', 'not-yet', 'x.mjs'))).toBe(
      join(app, 'not-yet', 'x.mjs'),
    );
  });
});
