/**
 * Where the application lives on disk: the default root of the job reference
 * rules, and the directory stored relative references are relative to.
 *
 * The application root is the nearest folder with a package.json at or above
 * the entry script's real path (`process.argv[1]`): the folder a deploy copies
 * or moves as a whole, holding both the entry script and its job modules
 * (`dist/main.js` beside `dist/jobs/`, `src/` beside `src/jobs/`). When the
 * process has no entry script (a REPL, `node -e`) or its entry script lies in
 * a `node_modules` directory (a test runner, or a command-line tool such as
 * `horarium` itself), the search starts from the working directory instead.
 * Without any package.json, the starting folder itself is the root.
 *
 * A package.json that holds nothing but `"type"` marks the module format of a
 * subfolder (`dist/esm/package.json`), not a package, and is passed over.
 *
 * The filesystem root is never an application root: it would allow every
 * file on the machine. Then there is none (null), and module references need
 * `jobReferences.base` or `jobReferences.roots`.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join, parse, resolve, sep } from 'node:path';

/**
 * The real path of `path` (symbolic links resolved) as far as it exists: the
 * part that does not exist yet is appended to the real path of the part that
 * does, so that a path can be checked before its file is created.
 */
export function realPathOf(path: string): string {
  const missing: string[] = [];
  let head = resolve(path);
  for (;;) {
    try {
      const real = realpathSync.native(head);
      return missing.length === 0 ? real : join(real, ...missing.reverse());
    } catch {
      const parent = dirname(head);
      if (parent === head) return resolve(path);
      missing.push(basename(head));
      head = parent;
    }
  }
}

/** Does this package.json describe a package (anything but a lone `"type"` marker)? */
function isPackageManifest(file: string): boolean {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return true; // unreadable or malformed: still a package.json someone put there
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) return true;
  return Object.keys(manifest).some((key) => key !== 'type');
}

/** The nearest folder at or above `start` with a package manifest, or null. */
export function nearestPackageRoot(start: string): string | null {
  let dir = resolve(start);
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && isPackageManifest(manifest)) return dir;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

const detected = new Map<string, string | null>();

/**
 * The application root for an entry script (default `process.argv[1]`; null
 * for none) and a working directory (default `process.cwd()`), or null when it
 * would be the filesystem root. See the module comment for the rule.
 */
export function detectApplicationRoot(
  entry: string | null = process.argv[1] ?? null,
  cwd: string = process.cwd(),
): string | null {
  const key = `${entry ?? ''}\u0000${cwd}`;
  const known = detected.get(key);
  if (known !== undefined || detected.has(key)) return known ?? null;
  let start = cwd;
  if (entry !== null && entry !== '') {
    const real = realPathOf(resolve(cwd, entry));
    if (!real.split(sep).includes('node_modules')) start = dirname(real);
  }
  const found = nearestPackageRoot(start) ?? resolve(start);
  const root = found === parse(found).root ? null : found;
  detected.set(key, root);
  return root;
}
