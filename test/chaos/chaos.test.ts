/**
 * The chaos harness (chaos-harness.ts) on every persistent store with a
 * server here, four scheduler processes each. The CI form runs 6 s of chaos
 * per store; the long form sets CHAOS_SECONDS (and CHAOS_STORES to pick
 * stores by name), e.g.
 *
 *   CHAOS_SECONDS=600 CHAOS_STORES=PostgreSQL,Redis npx vitest run test/chaos
 */
import { afterEach, expect, it } from 'vitest';
import {
  type DurableBackend,
  describeBackend,
  durableBackends,
  reachability,
  removeFile,
  tempRunLog,
} from '../helpers/durability.ts';
import { BETTER_SQLITE3_SAFE } from '../helpers/sql-backends.ts';
import { type ChaosOptions, runChaos } from './chaos-harness.ts';

const SECONDS = Number(process.env.CHAOS_SECONDS ?? 6);
const WANTED = process.env.CHAOS_STORES?.split(',').map((name) => name.trim());

const kinds: [DurableBackend, ChaosOptions['kind']][] = [
  [
    BETTER_SQLITE3_SAFE ? durableBackends.SQLite : durableBackends['SQLite (node:sqlite)'],
    'sqlite',
  ],
  [durableBackends.PostgreSQL, 'postgres'],
  [durableBackends.MariaDB, 'mysql'],
  [durableBackends.Redis, 'redis'],
];
const chosen = kinds.filter(([backend]) => WANTED === undefined || WANTED.includes(backend.name));
const reasons = await reachability(chosen.map(([backend]) => backend));

for (const [backend, kind] of chosen) {
  describeBackend(`chaos on ${backend.name}`, backend, reasons.get(backend.name), () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0)) await cleanup();
    });

    it(
      `four schedulers, ${SECONDS} s of SIGKILL, SIGSTOP and killed sessions: no fire twice, none lost`,
      async () => {
        const target = await backend.create();
        const runLog = tempRunLog(`chaos-${kind}`);
        cleanups.push(async () => {
          await target.cleanup();
          removeFile(runLog);
        });
        const report = await runChaos({
          target,
          kind,
          runLog,
          seconds: SECONDS,
          nodes: 4,
          jobs: 12,
          leaseS: 1.5,
        });
        const context = JSON.stringify(
          { actions: report.actions, states: report.states, runs: report.runs },
          null,
          1,
        );
        expect(report.duplicates, `${context}\n${report.stderr}`).toEqual([]);
        expect(report.unaccounted, `${context}\n${report.stderr}`).toEqual([]);
        expect(report.ledgerMismatches, context).toEqual([]);
        expect(report.fenceRegressions, context).toEqual([]);
        expect(report.stuck, context).toEqual([]);
        expect(report.runs).toBeGreaterThan(report.expectedFires / 2);
        expect(Object.values(report.actions).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      },
      (SECONDS + 120) * 1000,
    );
  });
}
