/**
 * The flat configuration form: keys under a prefix (`'horarium.executors.pool.maxWorkers'`)
 * nested into objects, with conflicting settings reported instead of "last one wins".
 */
import { ConfigurationError } from './errors.ts';
import { isPlainObject } from './records.ts';

/** The prefix of flat keys unless the caller names another. */
export const DEFAULT_CONFIG_PREFIX = 'horarium.';

/** Nodes created (or copied) while nesting; only these may be written to. */
export type Tree = Record<string, unknown>;

function newNode(): Tree {
  return Object.create(null) as Tree;
}

function copyNode(source: Record<string, unknown>): Tree {
  return Object.assign(newNode(), source);
}

class Nester {
  readonly root: Tree = newNode();
  readonly #owned = new WeakSet<object>([this.root]);
  /** The full key that set each path (joined with '.'), for conflict messages. */
  readonly #setBy = new Map<string, string>();

  /** Sets `value` at `segments` under `node`; `path` is the dotted path of `node`. */
  set(node: Tree, path: string, segments: readonly string[], value: unknown, key: string): void {
    let current = node;
    let currentPath = path;
    for (let i = 0; i < segments.length - 1; i++) {
      const segment = segments[i]!;
      currentPath = currentPath === '' ? segment : `${currentPath}.${segment}`;
      current = this.#child(current, segment, currentPath, key);
    }
    const last = segments[segments.length - 1]!;
    const lastPath = currentPath === '' ? last : `${currentPath}.${last}`;
    const existing = current[last];
    if (existing === undefined) {
      current[last] = value;
      this.#setBy.set(lastPath, key);
      return;
    }
    if (isPlainObject(existing) && isPlainObject(value)) {
      const target = this.#child(current, last, lastPath, key);
      for (const name of Object.keys(value)) {
        if (value[name] === undefined) continue;
        this.set(target, lastPath, [name], value[name], `${key}.${name}`);
      }
      return;
    }
    throw this.#conflict(key, lastPath);
  }

  /** The writable plain-object node at `current[segment]`, creating or copying it. */
  #child(current: Tree, segment: string, path: string, key: string): Tree {
    const existing = current[segment];
    if (existing === undefined) {
      const created = newNode();
      this.#owned.add(created);
      current[segment] = created;
      return created;
    }
    if (!isPlainObject(existing)) throw this.#conflict(key, path);
    if (this.#owned.has(existing)) return existing;
    const copy = copyNode(existing); // never write into the caller's objects
    this.#owned.add(copy);
    current[segment] = copy;
    return copy;
  }

  #conflict(key: string, path: string): ConfigurationError {
    let other: string | undefined;
    for (
      let at = path;
      other === undefined && at !== '';
      at = at.slice(0, Math.max(0, at.lastIndexOf('.')))
    ) {
      other = this.#setBy.get(at);
    }
    return new ConfigurationError(
      key,
      `conflicts with ${other === undefined ? `another key setting "${path}"` : `"${other}"`}: each setting may be given only once`,
    );
  }
}

/** Nests the given flat `keys` of `input` (each starting with `prefix`) into a tree of objects. */
export function nestFlat(
  input: Record<string, unknown>,
  keys: readonly string[],
  prefix: string,
): Tree {
  const nester = new Nester();
  for (const key of keys) {
    const value = input[key];
    if (value === undefined) continue;
    const segments = key.slice(prefix.length).split('.');
    if (segments.some((segment) => segment === '')) {
      throw new ConfigurationError(
        key,
        `empty segment in dotted key (expected ${prefix === '' ? '' : `"${prefix}"`}name.name…)`,
      );
    }
    nester.set(nester.root, '', segments, value, key);
  }
  return nester.root;
}

/** The prefix as matched: `undefined` → the default, `null`/`''` → every key, a trailing dot added. */
export function normalizePrefix(prefix: string | null | undefined): string {
  if (prefix === undefined) return DEFAULT_CONFIG_PREFIX;
  if (prefix === null || prefix === '') return '';
  return prefix.endsWith('.') ? prefix : `${prefix}.`;
}
