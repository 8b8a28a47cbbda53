/**
 * `horarium fires` and `horarium why` on a SQLite file a real scheduler wrote:
 * the ledger as a table and as JSON, paged with the printed cursor, and the
 * answer to "why" for a fire that ran, one that failed and a time that is no
 * fire time; mistakes are one line on stderr.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncScheduler, type FireRecord, SqlJobStore } from '../../src/index.ts';
import { sleep } from '../helpers/durability.ts';
import { removeTempDirs, runCli, tempDir } from './cli-helpers.ts';

const TIMEOUT = 120_000;
afterAll(removeTempDirs);

describe('horarium fires and horarium why', () => {
  const db = join(tempDir(), 'history.sqlite');
  const store = ['--store', `sqlite:${db}`, '--timezone', 'UTC'];
  let fires: FireRecord[] = [];

  beforeAll(async () => {
    const scheduler = new AsyncScheduler({
      jobstores: { default: new SqlJobStore({ url: `sqlite:${db}` }) },
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      timezone: 'UTC',
    });
    scheduler.registerTask('cli.tick', () => {});
    scheduler.registerTask('cli.broken', () => {
      throw new RangeError('out of range');
    });
    await scheduler.start();
    const startDate = new Date(Math.ceil((Date.now() + 300) / 1000) * 1000);
    await scheduler.addJob('cli.tick', 'interval', { id: 'tick', seconds: 0.2, startDate });
    await scheduler.addJob('cli.broken', 'interval', { id: 'broken', seconds: 0.5, startDate });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const page = await scheduler.getFires({ limit: 1000 });
      const done = (state: string, job: string) =>
        page.fires.filter((f) => f.jobId === job && f.state === state).length;
      if (done('succeeded', 'tick') >= 5 && done('failed', 'broken') >= 1) break;
      if (Date.now() > deadline) throw new Error(`too few fires: ${JSON.stringify(page.fires)}`);
      await sleep(100);
    }
    await scheduler.pauseJob('tick');
    await scheduler.pauseJob('broken');
    await sleep(300);
    fires = (await scheduler.getFires({ limit: 1000 })).fires.filter(
      (f) => f.state !== 'running' && f.state !== 'claimed',
    );
    await scheduler.shutdown();
  }, TIMEOUT);

  it(
    'lists a job’s fires as JSON, newest first, and pages with the cursor it prints',
    async () => {
      const all = await runCli(['fires', 'tick', ...store, '--json', '--limit', '1000']);
      expect(all.stderr).toBe('');
      const page = JSON.parse(all.stdout) as { fires: FireRecord[]; cursor: string | null };
      expect(page.cursor).toBeNull();
      expect(page.fires.length).toBeGreaterThanOrEqual(5);
      expect(page.fires.every((f) => f.jobId === 'tick')).toBe(true);

      const first = await runCli(['fires', 'tick', ...store, '--limit', '2']);
      expect(first.code).toBe(0);
      const cursor = /more: --cursor (\S+)/.exec(first.stdout)?.[1];
      expect(cursor).toBeDefined();
      expect(first.stdout).toContain('SCHEDULED (UTC)');
      const second = await runCli([
        'fires',
        'tick',
        ...store,
        '--json',
        '--limit',
        '2',
        '--cursor',
        cursor as string,
      ]);
      const next = JSON.parse(second.stdout) as { fires: FireRecord[] };
      expect(next.fires.map((f) => f.fireId)).toEqual(page.fires.slice(2, 4).map((f) => f.fireId));
    },
    TIMEOUT,
  );

  it(
    'lists failed fires of every job with their error',
    async () => {
      const result = await runCli(['fires', ...store, '--state', 'failed']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('broken');
      expect(result.stdout).toContain('RangeError: out of range');
      expect(result.stdout).not.toMatch(/\btick\b/);
    },
    TIMEOUT,
  );

  it(
    'says why: a fire that ran, one that failed, and a time that is no fire time',
    async () => {
      const ran = fires.find((f) => f.jobId === 'tick' && f.state === 'succeeded') as FireRecord;
      const ranAt = new Date(ran.scheduledTime).toISOString();
      const answer = await runCli(['why', 'tick', ranAt, ...store]);
      expect(answer.code).toBe(0);
      expect(answer.stdout.split('\n')[0]).toMatch(/^ran {2}\(fire time /);
      expect(answer.stdout).toContain(`fencing token ${ran.fence}`);

      const failed = fires.find((f) => f.jobId === 'broken' && f.state === 'failed') as FireRecord;
      const json = await runCli([
        'why',
        'broken',
        new Date(failed.scheduledTime).toISOString(),
        ...store,
        '--json',
      ]);
      const explained = JSON.parse(json.stdout) as { verdict: string; evidence: string[] };
      expect(explained.verdict).toBe('failed');
      expect(explained.evidence.join(' ')).toContain('RangeError: out of range');

      const off = await runCli([
        'why',
        'broken',
        new Date(failed.scheduledTime + 100).toISOString(),
        ...store,
      ]);
      expect(off.stdout.split('\n')[0]).toMatch(/^not_a_slot/);
    },
    TIMEOUT,
  );

  it(
    'reports mistakes as one line',
    async () => {
      const badState = await runCli(['fires', ...store, '--state', 'done']);
      expect(badState.code).toBe(1);
      expect(badState.stderr).toMatch(/^horarium: states: "done" is not a fire state/);
      const badTime = await runCli(['why', 'tick', 'soon', ...store]);
      expect(badTime.code).toBe(1);
      expect(badTime.stderr.trim().split('\n')).toHaveLength(1);
      const memory = await runCli(['fires', '--store', 'memory']);
      expect(memory.code).toBe(1);
    },
    TIMEOUT,
  );
});
