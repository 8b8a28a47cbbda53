/**
 * The job reference rules: which code a textual job reference may load.
 *
 * Whoever can write to a job store (a shared database, an SQL injection
 * elsewhere in the application, a leaked Redis password) chooses the function
 * references of the jobs in it. A reference goes to `import()`, which runs the
 * module's top-level code, so the rules decide before anything is imported:
 *
 * - Registered task names (no colon) are always allowed: they name functions
 *   the application registered itself, and load nothing.
 * - Only `file:` URLs; any other scheme (`data:`, `http:`, `https:`, `blob:`,
 *   …) is refused.
 * - Node.js built-ins (`node:child_process`, and the bare names Node also
 *   resolves as built-ins, `child_process`, `fs`) only when listed in
 *   `builtins` (or `builtins: true`).
 * - Paths and `file:` URLs only inside an allowed root, compared by real
 *   path after resolving `..` and symbolic links, and never inside a
 *   `node_modules` directory below the root.
 * - Packages only by their bare name (`my-pkg:task`, `my-pkg/sub:task`) and
 *   only when listed in `packages`. A root's `node_modules` is not allowed
 *   implicitly: it holds every transitive dependency, many of which export
 *   functions that run shell commands or evaluate code, which a store writer
 *   could then call with any arguments. A path into `node_modules` is refused
 *   even for a listed package, since it bypasses the package's `exports` and
 *   reaches its internal files.
 * - `file:` URLs without a host, query or fragment: `file:///app/jobs.js?x`
 *   would load a second instance of an allowed module, running its top-level
 *   code again.
 *
 * Relative references are anchored so that a stored job resolves the same
 * from any working directory: one written by the application (`addJob`,
 * `modifyJob`) is relative to the working directory, as it always was; it is
 * stored relative to the application root (`base`), so moving the whole
 * application keeps it working, and a relative reference read from a store is
 * relative to `base`. Jobs stored by Horarium 0.1 hold references relative to
 * the directory they were added from, which is the application root when the
 * service is started from it.
 */
import { statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { detectApplicationRoot, realPathOf } from './app-root.ts';
import { JobReferenceError, ReferenceNotAllowedError, type ReferenceRule } from './errors.ts';
import type { JobFunction } from './job.ts';
import { importFunction, type ParsedReference, parseReference } from './job-ref.ts';

/** The reference rules an application configures (`jobReferences` in the scheduler's configuration). */
export interface JobReferenceRules {
  /**
   * The application root: the directory relative references in stores are
   * relative to, and the default root. Default: detected (the nearest folder
   * with a package.json above the entry script; see docs/security.md).
   * A relative `base` is resolved against the working directory.
   */
  base?: string;
  /** Directories job modules may be loaded from (relative ones against `base`). Default: `[base]`. */
  roots?: readonly string[];
  /** Packages whose modules jobs may name by bare specifier (`'my-pkg'`, `'@scope/pkg'`). Default: none. */
  packages?: readonly string[];
  /** Node.js built-ins jobs may name (`'fs'` or `'node:fs'`), or true for all. Default: none. */
  builtins?: readonly string[] | boolean;
}

/**
 * Who wrote the reference: the application (`addJob`, `modifyJob`: relative
 * references are relative to the working directory) or a store (relative to
 * the application root).
 */
export type ReferenceOrigin = 'caller' | 'store';

/** A reference the rules allow. */
export interface CheckedReference {
  /** The reference as it is stored: relative to the application root when the module is inside it. */
  reference: string;
  /** What `import()` loads; null for a registered task name. */
  url: string | null;
}

/** Longest reference text quoted in a message (a `data:` URL can be any size). */
const QUOTE_LIMIT = 160;
const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;
/** npm package names: optional scope, no leading dot or underscore, URL-safe characters. */
const PACKAGE_NAME = /^(?:@[a-z0-9~-][a-z0-9._~-]*\/)?[a-z0-9~-][a-z0-9._~-]*$/i;
const CACHE_LIMIT = 10_000;

/** Can `name` be an npm package name (and not a Node.js built-in, which a bare import would load instead)? */
export function isPackageName(name: string): boolean {
  return PACKAGE_NAME.test(name) && !isBuiltin(name);
}

function quote(text: string): string {
  const cut = text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}…` : text;
  return JSON.stringify(cut);
}

function isRelativeSpecifier(specifier: string): boolean {
  return (
    specifier === '.' ||
    specifier === '..' ||
    specifier.startsWith('./') ||
    specifier.startsWith('../')
  );
}

/** `child`, relative to `root`, when it is `root` or below it; null otherwise. */
function below(root: string, child: string): string | null {
  const rel = relative(root, child);
  if (rel === '') return '';
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return null;
  return rel;
}

/** The package name a bare specifier starts with: `'pkg'` of `'pkg/sub'`, `'@s/pkg'` of `'@s/pkg/sub'`. */
function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
}

/** `'fs'` of `'node:fs'`. */
function builtinName(specifier: string): string {
  return specifier.startsWith('node:') ? specifier.slice('node:'.length) : specifier;
}

/**
 * The reference rules of one scheduler (or of the CLI): checks references
 * without importing anything, gives their stored form, and imports what it
 * allows.
 */
export class ReferencePolicy {
  /** The application root, or null when none could be determined (then only other roots, packages and built-ins). */
  readonly base: string | null;
  /** The allowed roots, absolute. */
  readonly roots: readonly string[];
  readonly packages: ReadonlySet<string>;
  /** The allowed built-ins by name without `node:`, or true for every one. */
  readonly builtins: ReadonlySet<string> | true;
  readonly #rootsGiven: boolean;
  readonly #cache = new Map<string, CheckedReference>();

  /**
   * @param rules as configured; the caller has validated their types.
   * @param defaultBase the application root when `rules.base` is not given
   *   (default: detected from the entry script).
   * @throws TypeError for a package or built-in name that cannot be one.
   */
  constructor(rules: JobReferenceRules = {}, defaultBase?: string | null) {
    this.base =
      rules.base !== undefined
        ? resolve(rules.base)
        : defaultBase !== undefined
          ? defaultBase === null
            ? null
            : resolve(defaultBase)
          : detectApplicationRoot();
    this.#rootsGiven = rules.roots !== undefined;
    const anchor = this.base ?? process.cwd();
    this.roots =
      rules.roots !== undefined
        ? rules.roots.map((root) => resolve(anchor, root))
        : this.base === null
          ? []
          : [this.base];
    for (const name of rules.packages ?? []) {
      if (!isPackageName(name))
        throw new TypeError(
          `${JSON.stringify(name)} is not a package name (expected e.g. 'my-pkg' or '@scope/pkg')`,
        );
    }
    this.packages = new Set(rules.packages ?? []);
    if (rules.builtins === true) this.builtins = true;
    else {
      const names = rules.builtins === false || rules.builtins === undefined ? [] : rules.builtins;
      for (const name of names) {
        if (!isBuiltin(name))
          throw new TypeError(
            `${JSON.stringify(name)} is not a Node.js built-in module (expected e.g. 'fs' or 'node:fs')`,
          );
      }
      this.builtins = new Set(names.map(builtinName));
    }
  }

  /**
   * Checks a reference against the rules without importing anything.
   * A registered task name (no colon) passes with a null `url`.
   *
   * @throws ReferenceNotAllowedError naming the rule it breaks and the option that would allow it.
   * @throws JobReferenceError when it is not a well-formed reference.
   */
  check(reference: string, origin: ReferenceOrigin): CheckedReference {
    const relativeToCwd = origin === 'caller' && reference.startsWith('.');
    const key = `${origin}\u0000${relativeToCwd ? process.cwd() : ''}\u0000${reference}`;
    const known = this.#cache.get(key);
    if (known !== undefined) return known;
    const checked = this.#check(reference, origin);
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
    this.#cache.set(key, checked);
    return checked;
  }

  /** The form a reference is stored in (see `check`). */
  storedForm(reference: string, origin: ReferenceOrigin): string {
    return this.check(reference, origin).reference;
  }

  /**
   * Checks a module reference, then imports its module and returns the
   * function it names. Nothing is imported for a reference the rules refuse.
   *
   * @throws ReferenceNotAllowedError, or JobReferenceError when the module or export cannot be loaded.
   */
  async resolve(reference: string, origin: ReferenceOrigin): Promise<JobFunction> {
    const { url } = this.check(reference, origin);
    const parsed = parseReference(reference) as ParsedReference | null;
    if (url === null || parsed === null)
      throw new JobReferenceError(
        reference,
        `${quote(reference)} is not a 'module:export' reference`,
      );
    try {
      return await importFunction(url, parsed, reference);
    } catch (error) {
      throw this.#withBaseHint(error, parsed.module, origin);
    }
  }

  /**
   * Where a module specifier of a stored (checked) reference loads from: the
   * URL a worker thread or process imports.
   */
  moduleUrl(specifier: string): string {
    if (isRelativeSpecifier(specifier))
      return pathToFileURL(resolve(this.base ?? process.cwd(), specifier)).href;
    if (isAbsolute(specifier)) return pathToFileURL(specifier).href;
    return specifier;
  }

  #check(reference: string, origin: ReferenceOrigin): CheckedReference {
    const parsed = parseReference(reference);
    if (parsed === null) return { reference, url: null };
    const specifier = parsed.module;
    const exportPath = parsed.path.join('.');
    const refuse = (rule: ReferenceRule, problem: string, fix: string): never => {
      throw new ReferenceNotAllowedError(
        reference,
        rule,
        `Job reference ${quote(reference)} is not allowed (rule "${rule}"): ${problem}; ${fix}`,
      );
    };
    if (specifier.startsWith('node:') || (!SCHEME.test(specifier) && isBuiltin(specifier)))
      return this.#checkBuiltin(reference, specifier, refuse);
    const scheme = SCHEME.exec(specifier)?.[1]?.toLowerCase();
    if (scheme !== undefined && scheme !== 'file') {
      return refuse(
        'url-scheme',
        `its module is a "${scheme}:" URL, and job modules load only from files inside the allowed roots (file: URLs are the only URLs accepted), listed packages and listed built-ins`,
        'write the reference as a path or file: URL inside a root (jobReferences.roots)',
      );
    }
    let path: string;
    let from = '';
    if (scheme === 'file') {
      path = this.#filePath(specifier, refuse);
    } else if (isAbsolute(specifier)) {
      path = resolve(specifier);
    } else if (isRelativeSpecifier(specifier)) {
      const anchor = origin === 'caller' ? process.cwd() : this.base;
      if (anchor === null)
        return refuse(
          'outside-roots',
          'it is relative, and there is no application root to resolve it against (the filesystem root is never one)',
          'set jobReferences.base to the application directory',
        );
      path = resolve(anchor, specifier);
      from =
        origin === 'caller'
          ? ` from the working directory ${anchor}`
          : ` from the application root ${anchor} (jobReferences.base)`;
    } else if (specifier.startsWith('#')) {
      return refuse(
        'specifier',
        'package imports ("#…") name modules of the package that imports them, not of the application',
        'write the reference as a path inside a root, or as a listed package name',
      );
    } else {
      return this.#checkPackage(reference, specifier, refuse);
    }
    const real = realPathOf(path);
    const via = real === path ? '' : ` (real path ${quote(real)}, through a symbolic link)`;
    for (const root of this.roots) {
      const inside = below(realPathOf(root), real);
      if (inside === null) continue;
      if (inside.split(sep).includes('node_modules')) {
        const after = real.slice(real.lastIndexOf(`${sep}node_modules${sep}`) + 14);
        const name = packageNameOf(after.split(sep).join('/'));
        return refuse(
          'node-modules',
          `its module ${quote(path)}${via} lies inside a node_modules directory, and dependencies load only by package name`,
          `write it as ${quote(`${name}:${exportPath}`)} and add ${quote(name)} to jobReferences.packages`,
        );
      }
      return {
        reference: `${this.#storedSpecifier(path, real)}:${exportPath}`,
        url: pathToFileURL(path).href,
      };
    }
    if (this.roots.length === 0)
      return this.#rootsGiven
        ? refuse(
            'outside-roots',
            'jobReferences.roots is empty: only registered tasks are allowed',
            'register the function with scheduler.registerTask and use its name, or list its directory in jobReferences.roots',
          )
        : refuse(
            'outside-roots',
            `its module resolves to ${quote(path)}${from}, and no root is allowed (no application root could be determined: the filesystem root is never one)`,
            'set jobReferences.base or jobReferences.roots',
          );
    return refuse(
      'outside-roots',
      `its module resolves to ${quote(path)}${from}${via}, outside the allowed roots (${this.roots.join(', ')})`,
      `move the module into a root, or add its directory to jobReferences.roots${this.#rootsGiven ? '' : ' (default: the application root)'}`,
    );
  }

  #checkBuiltin(
    reference: string,
    specifier: string,
    refuse: (rule: ReferenceRule, problem: string, fix: string) => never,
  ): CheckedReference {
    const name = builtinName(specifier);
    if (!isBuiltin(specifier))
      return refuse(
        'builtin',
        `${quote(specifier)} is not a Node.js built-in module`,
        'check the module name',
      );
    if (this.builtins !== true && !this.builtins.has(name))
      return refuse(
        'builtin',
        `its module ${quote(specifier)} is a Node.js built-in, and built-ins load only when listed`,
        `add ${quote(name)} to jobReferences.builtins (or set it to true for every built-in)`,
      );
    return { reference, url: specifier };
  }

  #checkPackage(
    reference: string,
    specifier: string,
    refuse: (rule: ReferenceRule, problem: string, fix: string) => never,
  ): CheckedReference {
    const name = packageNameOf(specifier);
    if (!PACKAGE_NAME.test(name))
      return refuse(
        'specifier',
        `${quote(specifier)} is neither a path (./… or /…), a file: URL nor a package name`,
        'write relative references with a leading ./',
      );
    if (!this.packages.has(name))
      return refuse(
        'package',
        `its module ${quote(specifier)} belongs to the package ${quote(name)}, and packages load only when listed`,
        `add ${quote(name)} to jobReferences.packages`,
      );
    // A package without "exports" would resolve `pkg/../../x` outside itself; a query loads a second instance.
    const subpath = specifier.slice(name.length + 1).split('/');
    if (
      specifier.length > name.length &&
      subpath.some((part) => part === '' || part === '.' || part === '..' || /[%\\?#]/.test(part))
    )
      return refuse(
        'specifier',
        `the subpath of ${quote(specifier)} holds an empty, "." or ".." segment, a percent-encoding, a backslash, a query or a fragment`,
        `name a subpath the package exports, e.g. ${quote(`${name}/tasks`)}`,
      );
    return { reference, url: specifier };
  }

  /** The local path a `file:` URL names, refusing hosts, queries, fragments and encoded separators. */
  #filePath(
    specifier: string,
    refuse: (rule: ReferenceRule, problem: string, fix: string) => never,
  ): string {
    const fix = "write it as file:///absolute/path.js (or as a path such as './jobs.js')";
    let url: URL;
    try {
      url = new URL(specifier);
    } catch {
      return refuse('file-url', 'its file: URL cannot be parsed', fix);
    }
    if (url.search !== '' || url.hash !== '' || specifier.includes('?') || specifier.includes('#'))
      return refuse(
        'file-url',
        'its file: URL has a query or fragment, which would load a second instance of the module',
        fix,
      );
    if (url.host !== '' && url.host !== 'localhost')
      return refuse('file-url', `its file: URL names the host ${quote(url.host)}`, fix);
    try {
      return resolve(fileURLToPath(url));
    } catch (error) {
      return refuse(
        'file-url',
        `its file: URL names no local path (${error instanceof Error ? error.message : String(error)})`,
        fix,
      );
    }
  }

  /** `./path` relative to the application root when the module is inside it, else a file: URL. */
  #storedSpecifier(path: string, real: string): string {
    if (this.base !== null) {
      const inside = below(this.base, path) ?? below(realPathOf(this.base), real);
      if (inside !== null) return `./${inside.split(sep).join('/')}`;
    }
    return pathToFileURL(path).href;
  }

  /**
   * A module missing under the application root but present under the
   * working directory is most likely a job stored by Horarium 0.1 from that
   * directory: say so, and how to fix it.
   */
  #withBaseHint(error: unknown, specifier: string, origin: ReferenceOrigin): unknown {
    const cwd = process.cwd();
    if (
      origin !== 'store' ||
      !isRelativeSpecifier(specifier) ||
      this.base === null ||
      this.base === cwd ||
      !(error instanceof JobReferenceError)
    )
      return error;
    const underCwd = realPathOf(resolve(cwd, specifier));
    const underBase = realPathOf(resolve(this.base, specifier));
    if (underCwd === underBase || !existsAsFile(underCwd)) return error;
    return new JobReferenceError(
      error.reference,
      `${error.message} (stored relative references are relative to the application root ${this.base}; the working directory ${cwd} has this module: if the job was stored by Horarium 0.1 from there, set jobReferences.base to ${cwd} or add the job again)`,
      { cause: error },
    );
  }
}

function existsAsFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
