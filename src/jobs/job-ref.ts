/**
 * Textual job references: `'module-specifier:exportPath'` and registered task names.
 *
 * The reference is split at its last colon. Relative specifiers (`./jobs.js`)
 * resolve against the process's working directory, bare ones (`my-pkg/tasks`)
 * as packages, `file:` URLs as they are; `:default` names the default export
 * and dotted paths reach into the export (`./jobs.js:reports.daily`). A string
 * without a colon names a task registered with `scheduler.registerTask`.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { JobReferenceError } from './errors.ts';
import type { JobFunction } from './job.ts';

export interface ParsedReference {
  /** The module specifier as given. */
  module: string;
  /** The export path, e.g. `['default']` or `['reports', 'daily']`. */
  path: string[];
}

/**
 * Splits `'module:export.path'`; returns null for a task name (no colon).
 * An executor that runs jobs elsewhere (a worker, another host) loads
 * `module` there, through `ExecutorContext.moduleUrl`, and takes `path` from it.
 *
 * @throws JobReferenceError when the reference is malformed.
 *
 * @example
 * ```ts
 * parseReference('./jobs/report.js:reports.daily'); // { module: './jobs/report.js', path: ['reports', 'daily'] }
 * parseReference('nightly'); // null: a registered task name
 * ```
 */
export function parseReference(reference: string): ParsedReference | null {
  const colon = reference.lastIndexOf(':');
  if (colon < 0) return null;
  const module = reference.slice(0, colon);
  const exportPath = reference.slice(colon + 1);
  // `file:///x.js` alone has its last colon inside the URL scheme: no export named.
  if (module === '' || module === 'file' || exportPath === '' || exportPath.includes('/')) {
    throw new JobReferenceError(
      reference,
      `Invalid job reference ${JSON.stringify(reference)}: expected 'module-specifier:exportName' (e.g. './jobs.js:send' or 'my-pkg:task')`,
    );
  }
  const path = exportPath.split('.');
  if (path.some((p) => p === '')) {
    throw new JobReferenceError(
      reference,
      `Invalid job reference ${JSON.stringify(reference)}: empty name in the export path`,
    );
  }
  return { module, path };
}

/** The URL or package name that `import()` should load for a module specifier. */
export function moduleUrl(specifier: string, cwd: string = process.cwd()): string {
  if (
    specifier.startsWith('file:') ||
    specifier.startsWith('node:') ||
    specifier.startsWith('data:')
  )
    return specifier;
  if (specifier.startsWith('.') || isAbsolute(specifier))
    return pathToFileURL(resolve(cwd, specifier)).href;
  return specifier;
}

const moduleCache = new Map<string, Promise<Record<string, unknown>>>();

/**
 * Imports the module of a reference (cached per URL) and returns the function
 * it names. It loads whatever the reference names: code that restores stored
 * jobs goes through the reference rules (`./reference-policy.ts`) instead.
 */
export async function resolveReference(reference: string): Promise<JobFunction> {
  const parsed = parseReference(reference);
  if (parsed === null) {
    throw new JobReferenceError(
      reference,
      `${JSON.stringify(reference)} is not a 'module:export' reference`,
    );
  }
  return importFunction(moduleUrl(parsed.module), parsed, reference);
}

/** Imports the module at `url` (cached per URL) and returns the function `parsed.path` names in it. */
export async function importFunction(
  url: string,
  parsed: ParsedReference,
  reference: string,
): Promise<JobFunction> {
  let loading = moduleCache.get(url);
  if (loading === undefined) {
    loading = import(url) as Promise<Record<string, unknown>>;
    moduleCache.set(url, loading);
    loading.catch(() => moduleCache.delete(url));
  }
  let target: unknown;
  try {
    target = await loading;
  } catch (error) {
    throw new JobReferenceError(
      reference,
      `Cannot load module ${JSON.stringify(parsed.module)} of job reference ${JSON.stringify(reference)}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  let holder: unknown;
  for (const name of parsed.path) {
    holder = target;
    target =
      typeof target === 'object' || typeof target === 'function'
        ? (target as Record<string, unknown>)?.[name]
        : undefined;
    if (target === undefined) {
      throw new JobReferenceError(
        reference,
        `Module ${JSON.stringify(parsed.module)} has no export ${JSON.stringify(parsed.path.join('.'))} (job reference ${JSON.stringify(reference)})`,
      );
    }
  }
  if (typeof target !== 'function') {
    throw new JobReferenceError(
      reference,
      `Export ${JSON.stringify(parsed.path.join('.'))} of module ${JSON.stringify(parsed.module)} is a ${typeof target}, not a function (job reference ${JSON.stringify(reference)})`,
    );
  }
  // Keep `this` for methods reached through a dotted path.
  return parsed.path.length > 1 ? (target as JobFunction).bind(holder) : (target as JobFunction);
}
