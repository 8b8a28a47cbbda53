/**
 * Stored relative references resolve the same from any working directory,
 * and after the whole application moves (as a deploy moves it): an
 * application in a temporary folder, with its own package.json, adds a job
 * by a relative reference to a SQLite store, then is started again from
 * another working directory, then moved and started from the filesystem root.
 */
import { execFile } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { removeSqliteFiles, tempSqlitePath } from '../helpers/sql-backends.ts';

const run = promisify(execFile);
const TSX = import.meta.resolve('tsx');
const INDEX = pathToFileURL(join(process.cwd(), 'src/index.ts')).href;
const TIMEOUT = 120_000;

/** The application's entry script: `add` stores the job, `run` makes it due and waits for it to run. */
const MAIN = `
import { AsyncScheduler, silentLogger, SqlJobStore } from ${JSON.stringify(INDEX)};
const [mode, db, log] = process.argv.slice(2);
const scheduler = new AsyncScheduler({
  jobstores: { default: new SqlJobStore({ url: 'sqlite:' + db }) },
  logger: silentLogger,
});
await scheduler.start();
if (mode === 'add') {
  const job = await scheduler.addJob('./jobs/record.mjs:record', 'interval', {
    id: 'record', hours: 1, args: [log], nextRunTime: null,
  });
  console.log(job.funcRef);
} else {
  await scheduler.modifyJob('record', { nextRunTime: new Date(), args: [log] });
  const deadline = Date.now() + 20_000;
  let text = '';
  while (Date.now() < deadline) {
    try { text = (await import('node:fs')).readFileSync(log, 'utf8'); } catch {}
    if (text !== '') break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  console.log(text === '' ? 'did not run' : 'ran');
}
await scheduler.shutdown();
`;

const RECORD = `
import { appendFileSync } from 'node:fs';
export function record(log) { appendFileSync(log, import.meta.url + '\\n'); }
`;

describe('the application root', () => {
  const top = realpathSync(mkdtempSync(join(tmpdir(), 'horarium-app-root-')));
  const db = tempSqlitePath();

  afterAll(async () => {
    rmSync(top, { recursive: true, force: true });
    await removeSqliteFiles(db);
  });

  async function start(app: string, cwd: string, mode: string, log: string): Promise<string> {
    const { stdout } = await run(
      process.execPath,
      ['--import', TSX, join(app, 'main.mjs'), mode, db, log],
      { cwd, timeout: 60_000 },
    );
    return stdout.trim();
  }

  it(
    'keeps a stored relative reference working from another working directory and after the application moves',
    async () => {
      const app = join(top, 'releases', 'one', 'app');
      mkdirSync(join(app, 'jobs'), { recursive: true });
      writeFileSync(join(app, 'package.json'), '{"name": "moved-app", "private": true}\n');
      writeFileSync(join(app, 'main.mjs'), MAIN);
      writeFileSync(join(app, 'jobs', 'record.mjs'), RECORD);

      expect(await start(app, app, 'add', join(top, 'unused.log'))).toBe(
        './jobs/record.mjs:record',
      );

      // Started again from another directory: the reference still names the application's module.
      const elsewhere = join(top, 'elsewhere.log');
      expect(await start(app, tmpdir(), 'run', elsewhere)).toBe('ran');
      expect(readFileSync(elsewhere, 'utf8')).toBe(
        `${pathToFileURL(join(app, 'jobs', 'record.mjs')).href}\n`,
      );

      // The whole application moved, and started from the filesystem root.
      const moved = join(top, 'releases', 'two', 'app');
      mkdirSync(join(top, 'releases', 'two'));
      renameSync(app, moved);
      const afterMove = join(top, 'moved.log');
      expect(await start(moved, '/', 'run', afterMove)).toBe('ran');
      expect(readFileSync(afterMove, 'utf8')).toBe(
        `${pathToFileURL(join(moved, 'jobs', 'record.mjs')).href}\n`,
      );
    },
    TIMEOUT,
  );
});
