/**
 * Runs a script in a child Node process (under tsx) where one package is
 * missing, or is replaced by a stand-in, as it would be in an application
 * that never installed it: for the optional peer dependencies (the drivers),
 * whose absence must give a clear error, never a crash at import.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `src/index.ts` as a URL, for the scripts' imports. */
export const INDEX_URL = new URL('../../src/index.ts', import.meta.url).href;

/**
 * Runs `source` (an ES module, TypeScript allowed) in a child process in which
 * the package `hidden` cannot be found, and returns its standard output.
 * Its standard error is captured, never shown, and part of the error thrown
 * when the process fails.
 */
export function runWithoutPackage(hidden: string, source: string): string {
  return runWithResolveHook(
    hidden,
    `const error = new Error("Cannot find package '" + specifier + "'");
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;`,
    source,
  );
}

/**
 * Runs `source` as {@link runWithoutPackage} does, with the package
 * `specifier` replaced by the ES module `replacement`: a package that is
 * installed but broken, say.
 */
export function runWithPackageReplaced(
  specifier: string,
  replacement: string,
  source: string,
): string {
  const url = `data:text/javascript,${encodeURIComponent(replacement)}`;
  return runWithResolveHook(
    specifier,
    `return { url: ${JSON.stringify(url)}, shortCircuit: true };`,
    source,
  );
}

function runWithResolveHook(specifier: string, hookBody: string, source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'horarium-no-driver-'));
  try {
    writeFileSync(
      join(dir, 'hooks.mjs'),
      `export function resolve(specifier, context, next) {
  if (specifier === ${JSON.stringify(specifier)}) {
    ${hookBody}
  }
  return next(specifier, context);
}`,
    );
    writeFileSync(
      join(dir, 'register.mjs'),
      // module.register() is deprecated from Node 26 on; registerHooks() runs the same hook.
      `import * as module from 'node:module';
import { resolve } from './hooks.mjs';
if (typeof module.registerHooks === 'function') module.registerHooks({ resolve });
else module.register('./hooks.mjs', import.meta.url);`,
    );
    writeFileSync(join(dir, 'script.mts'), source);
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--import', join(dir, 'register.mjs'), join(dir, 'script.mts')],
      { cwd: process.cwd(), encoding: 'utf8', timeout: 60_000 },
    );
    if (child.error !== undefined) throw child.error;
    if (child.status !== 0) {
      throw new Error(
        `The script exited with ${child.status ?? child.signal}:\n${child.stdout}\n${child.stderr}`,
      );
    }
    return child.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
