/**
 * The embedded SQLite store in an application that did not install
 * better-sqlite3 (an optional peer dependency, so that nobody has to compile
 * it), or whose better-sqlite3 has no working native module (its install
 * script did not run, or built it for another Node version). Where Node has
 * node:sqlite (≥ 22.13) the store works without it; elsewhere start() fails
 * with a SqlStoreSetupError that says what to install or rebuild. Each case
 * runs in a child process that cannot see the real package.
 */
import { describe, expect, it } from 'vitest';
import {
  INDEX_URL,
  runWithoutPackage,
  runWithPackageReplaced,
} from '../helpers/run-without-package.ts';
import { HAS_NODE_SQLITE } from '../helpers/sql-backends.ts';

const NODE = `this is Node ${process.versions.node}`;

/**
 * Starts a scheduler on a SQLite store (which must start: requireJobstores),
 * adds and lists a job; prints the job ids, or the store's error.
 */
const script = (sqliteDriver: string): string => `
import { AsyncScheduler } from ${JSON.stringify(INDEX_URL)};
const scheduler = new AsyncScheduler({
  jobstores: { default: { type: 'sql', url: 'sqlite::memory:', sqliteDriver: ${JSON.stringify(sqliteDriver)} } },
  requireJobstores: true,
});
scheduler.registerTask('report', () => 'sent');
try {
  await scheduler.start({ paused: true });
  await scheduler.addJob('report', 'interval', { hours: 1, id: 'stored' });
  console.log((await scheduler.getJobs()).map((job) => job.id).join(','));
  await scheduler.shutdown();
} catch (error) {
  // JobStoreStartError: its cause is the store's own error.
  const cause = error.name === 'JobStoreStartError' ? error.cause : error;
  console.log(cause.name);
  console.log(cause.message);
}
`;

/** better-sqlite3 installed without its native module, as `bindings` reports it. */
const UNBUILT = `export default class Database {
  constructor() {
    throw new Error('Could not locate the bindings file. Tried:\\n → /app/node_modules/better-sqlite3/build/better_sqlite3.node');
  }
}`;

/** better-sqlite3 built for another Node version, as Node reports it. */
const OTHER_ABI = `export default class Database {
  constructor() {
    const error = new Error("The module '/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node' was compiled against a different Node.js version using NODE_MODULE_VERSION 127.");
    error.code = 'ERR_DLOPEN_FAILED';
    throw error;
  }
}`;

describe('the SQLite store without better-sqlite3', () => {
  it.runIf(HAS_NODE_SQLITE)('works through node:sqlite (Node ≥ 22.13)', () => {
    expect(runWithoutPackage('better-sqlite3', script('auto'))).toBe('stored\n');
  });

  it.skipIf(HAS_NODE_SQLITE)(
    'fails start() with a SqlStoreSetupError saying to install better-sqlite3 (Node < 22.13)',
    () => {
      expect(runWithoutPackage('better-sqlite3', script('auto'))).toBe(
        'SqlStoreSetupError\n' +
          `SQLite needs a driver: install better-sqlite3 (npm install better-sqlite3@12), or run on Node ≥ 22.13, which has node:sqlite built in (${NODE})\n`,
      );
    },
  );

  it("fails start() with a SqlStoreSetupError when sqliteDriver 'better-sqlite3' is forced", () => {
    expect(runWithoutPackage('better-sqlite3', script('better-sqlite3'))).toBe(
      'SqlStoreSetupError\n' +
        `sqliteDriver 'better-sqlite3' needs the better-sqlite3 package: npm install better-sqlite3@12, or set sqliteDriver to 'auto' on Node ≥ 22.13, which has node:sqlite built in (${NODE})\n`,
    );
  });
});

describe.each([
  {
    broken: 'without its native module',
    stub: UNBUILT,
    reason: 'Could not locate the bindings file. Tried:',
  },
  {
    broken: 'built for another Node version',
    stub: OTHER_ABI,
    reason:
      "The module '/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node' was compiled against a different Node.js version using NODE_MODULE_VERSION 127.",
  },
])('the SQLite store with better-sqlite3 $broken', ({ stub, reason }) => {
  it.runIf(HAS_NODE_SQLITE)('falls back to node:sqlite (Node ≥ 22.13)', () => {
    expect(runWithPackageReplaced('better-sqlite3', stub, script('auto'))).toBe('stored\n');
  });

  it.skipIf(HAS_NODE_SQLITE)(
    'fails start() with a SqlStoreSetupError saying to rebuild it (Node < 22.13)',
    () => {
      expect(runWithPackageReplaced('better-sqlite3', stub, script('auto'))).toBe(
        'SqlStoreSetupError\n' +
          `better-sqlite3 is installed but its native module does not load (${reason}): its install script did not run, or built it for another Node version. Run npm rebuild better-sqlite3 with its install script allowed, or run on Node ≥ 22.13, which has node:sqlite built in (${NODE})\n`,
      );
    },
  );
});
