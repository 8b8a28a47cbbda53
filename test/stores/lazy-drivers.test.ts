/**
 * Importing Horarium loads no database driver, no Kysely, no worker pool,
 * neither OpenTelemetry nor prom-client, and no web server (hono): each is loaded when a store or
 * executor that needs it starts, or with the entry point that needs it. The imports
 * are recorded in a child process, by a resolve hook that sees every module
 * the process loads.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const CHILD = new URL('../fixtures/record-imports.ts', import.meta.url).pathname;

/** The packages (and built-in modules) loaded by importing Horarium, then by `step`. */
async function loadedPackages(step?: 'sqlite' | 'adapters'): Promise<Set<string>> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', CHILD, ...(step === undefined ? [] : [step])],
    { cwd: process.cwd() },
  );
  const packages = new Set<string>();
  for (const url of JSON.parse(stdout) as string[]) {
    const inNodeModules = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (inNodeModules !== null) packages.add(inNodeModules[1]!);
    else if (url.startsWith('node:')) packages.add(url);
  }
  return packages;
}

const LAZY = [
  'kysely',
  'better-sqlite3',
  'node:sqlite',
  'pg',
  'mysql2',
  'ioredis',
  'mongodb',
  'piscina',
  'tinypool',
  '@opentelemetry/api',
  'prom-client',
  'hono',
  '@hono/node-server',
];

describe('importing horarium', () => {
  it('loads neither Kysely nor a database driver nor a worker pool nor a metrics or tracing library nor hono', async () => {
    const loaded = await loadedPackages();
    expect(LAZY.filter((name) => loaded.has(name))).toEqual([]);
  });

  it('loads Kysely and a SQLite driver once a SQL store starts (the recording sees them)', async () => {
    const loaded = await loadedPackages('sqlite');
    expect(loaded.has('kysely')).toBe(true);
    expect(loaded.has('better-sqlite3') || loaded.has('node:sqlite')).toBe(true);
  });

  it('loads OpenTelemetry and prom-client with horarium/otel and horarium/prometheus, and still no driver', async () => {
    const loaded = await loadedPackages('adapters');
    expect(loaded.has('@opentelemetry/api')).toBe(true);
    expect(loaded.has('prom-client')).toBe(true);
    expect(
      LAZY.filter(
        (name) => loaded.has(name) && !['@opentelemetry/api', 'prom-client'].includes(name),
      ),
    ).toEqual([]);
  });
});
