/**
 * `horarium jobs` on a store holding rows whose function references would run
 * an attacker's code: the CLI imports nothing, lists them as not restorable
 * with the rule each breaks, refuses to make them due, and leaves them as
 * they were. The reference rule options (`--builtins`, `--roots`, …) let it
 * judge rows the way a scheduler configured with them would.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqlJobStore } from '../../src/index.ts';
import { type Attack, plantAttack } from '../helpers/attack-references.ts';
import { openSqliteFile } from '../helpers/sql-backends.ts';
import { storeTestContext } from '../helpers/store-context.ts';
import { makeJob } from '../stores/store-contract.ts';
import { runCli, tempDir } from './cli-helpers.ts';

const TIMEOUT = 120_000;
const ROOT = process.cwd();
/** Terminal controls in stored text: clear screen, retitle, bell, a C1 CSI, a right-to-left override. */
const CONTROLS = '\u001b[2J\u001b]0;owned\u0007\u009b31m\u202e';
const ANSI_ID = `ansi${CONTROLS}id`;
/** Any character a terminal would act on, except the line breaks of the output itself. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: looks for control characters
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

interface JobJson {
  id: string;
  status: string;
  error?: string;
  rule?: string;
}

describe('horarium jobs on a store with hostile function references', () => {
  const dir = tempDir();
  const db = join(dir, 'jobs.sqlite');
  const store = ['--store', `sqlite:${db}`];
  let attack: Attack;
  let rowsBefore: unknown[];

  const rows = (): unknown[] => {
    const sqlite = openSqliteFile(db, { readonly: true });
    try {
      return sqlite
        .prepare('select id, next_run_time, job_state from horarium_jobs order by id')
        .all();
    } finally {
      sqlite.close();
    }
  };

  beforeAll(async () => {
    attack = plantAttack(ROOT);
    const writer = new SqlJobStore({ url: `sqlite:${db}` });
    await writer.start(storeTestContext(), 'default');
    // An allowed job, written relative to the application root (this repository).
    await writer.addJob(
      makeJob('allowed', Date.now() + 60_000, { funcRef: './test/fixtures/cli-jobs.ts:tick' }),
    );
    await writer.shutdown();
    const template = JSON.parse((rows()[0] as { job_state: string }).job_state) as Record<
      string,
      unknown
    >;
    const sqlite = openSqliteFile(db);
    const insert = sqlite.prepare(
      'insert into horarium_jobs (id, next_run_time, job_state) values (?, ?, ?)',
    );
    for (const row of attack.rows) {
      const state = { ...template, id: row.id, name: row.id, funcRef: row.funcRef, args: row.args };
      insert.run(row.id, Date.now() - 1000, JSON.stringify(state));
    }
    // Control characters in every text a listing shows: id, name, executor, args, and a refused path.
    const ansi = {
      ...template,
      id: ANSI_ID,
      name: `name${CONTROLS}`,
      executor: `executor${CONTROLS}`,
      args: [`arg${CONTROLS}`],
    };
    insert.run(ANSI_ID, Date.now() + 60_000, JSON.stringify(ansi));
    const refused = { ...template, id: 'ansi-path', funcRef: `/tmp/${CONTROLS}/evil.mjs:run` };
    insert.run('ansi-path', Date.now() + 60_000, JSON.stringify(refused));
    sqlite.close();
    rowsBefore = rows();
  }, TIMEOUT);

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(attack.dir, { recursive: true, force: true });
  });

  it(
    'jobs list imports nothing and shows each planted row as not restorable, with its rule',
    async () => {
      const table = await runCli(['jobs', 'list', ...store, '--timezone', 'UTC']);
      expect(table.code).toBe(0);
      expect(table.stderr).toBe('');
      expect(table.stdout).toMatch(/^allowed\s+contractTask\s+.*scheduled$/m);
      for (const row of attack.rows) {
        expect(table.stdout).toMatch(new RegExp(`^${row.id}\\s+-\\s+-\\s+.*broken$`, 'm'));
        expect(table.stdout).toMatch(
          new RegExp(
            `^broken job ${row.id} cannot be restored: Job reference .* is not allowed \\(rule "${row.rule}"\\)`,
            'm',
          ),
        );
      }
      const json = await runCli(['jobs', 'list', ...store, '--json']);
      const views = JSON.parse(json.stdout) as JobJson[];
      expect(views.find((v) => v.id === 'allowed')?.status).toBe('scheduled');
      for (const row of attack.rows) {
        expect(
          views.find((v) => v.id === row.id),
          row.id,
        ).toMatchObject({
          status: 'broken',
          rule: row.rule,
        });
      }
      expect(attack.traces()).toEqual([]);
      expect(rows()).toEqual(rowsBefore);
    },
    TIMEOUT,
  );

  it(
    'escapes the control characters of stored text instead of sending them to the terminal',
    async () => {
      const table = await runCli(['jobs', 'list', ...store]);
      expect(table.stdout).not.toMatch(RAW_CONTROL);
      expect(table.stdout).toContain('ansi\\u001b[2J\\u001b]0;owned\\u0007\\u009b31m\\u202eid');
      const shown = await runCli(['jobs', 'show', ANSI_ID, ...store]);
      expect(shown.code).toBe(0);
      expect(shown.stdout).not.toMatch(RAW_CONTROL);
      const refused = await runCli(['jobs', 'show', 'ansi-path', ...store]);
      expect(refused.stdout).not.toMatch(RAW_CONTROL);
      expect(refused.stdout).toMatch(/rule "outside-roots"/);
      const json = await runCli(['jobs', 'list', ...store, '--json']);
      expect(json.stdout).not.toMatch(RAW_CONTROL);
      const views = JSON.parse(json.stdout) as (JobJson & { name: string; args: unknown[] })[];
      const view = views.find((v) => v.id === ANSI_ID);
      expect(view?.name).toBe(`name${CONTROLS}`);
      expect(view?.args).toEqual([`arg${CONTROLS}`]);
      const missing = await runCli(['jobs', 'pause', 'ansi-path', ...store]);
      expect(missing.stderr).not.toMatch(RAW_CONTROL);
    },
    TIMEOUT,
  );

  it(
    'jobs show names the rule, and run-now refuses to make a planted row due',
    async () => {
      const shown = await runCli(['jobs', 'show', 'attack-data-url', ...store]);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(/^status\s+broken$/m);
      expect(shown.stdout).toMatch(
        /^error\s+Job reference "data:text\/javascript,.*rule "url-scheme"/m,
      );
      const due = await runCli(['jobs', 'run-now', 'attack-node-builtin', ...store]);
      expect(due.code).toBe(1);
      expect(due.stderr).toMatch(
        /^horarium: job attack-node-builtin cannot be restored \(Job reference "node:child_process:execSync" is not allowed \(rule "builtin"\).*\), so it cannot be run; fix the row or remove the job\n$/,
      );
      expect(attack.traces()).toEqual([]);
      expect(rows()).toEqual(rowsBefore);
    },
    TIMEOUT,
  );

  it(
    'judges rows by the rules the options give, still importing nothing',
    async () => {
      const json = await runCli([
        'jobs',
        'list',
        ...store,
        '--json',
        '--builtins',
        'child_process',
      ]);
      const views = JSON.parse(json.stdout) as JobJson[];
      expect(views.find((v) => v.id === 'attack-node-builtin')?.status).toBe('scheduled');
      expect(views.find((v) => v.id === 'attack-bare-builtin')?.status).toBe('scheduled');
      expect(views.find((v) => v.id === 'attack-absolute')?.status).toBe('broken');
      const narrowed = await runCli(['jobs', 'list', ...store, '--json', '--roots', attack.dir]);
      const narrowedViews = JSON.parse(narrowed.stdout) as JobJson[];
      expect(narrowedViews.find((v) => v.id === 'allowed')).toMatchObject({
        status: 'broken',
        rule: 'outside-roots',
      });
      expect(narrowedViews.find((v) => v.id === 'attack-absolute')?.status).toBe('scheduled');
      expect(attack.traces()).toEqual([]);
      const bad = await runCli(['jobs', 'list', ...store, '--packages', '../escape']);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toBe(
        `horarium: --packages: "../escape" is not a package name (expected e.g. 'my-pkg' or '@scope/pkg')\n`,
      );
    },
    TIMEOUT,
  );
});
