/** Stores seeded with jobs, and requests to a dashboard as a browser sends them (cookie and form token). */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dashboard } from '../../src/dashboard.ts';
import { AsyncScheduler, type JobFunction, SqlJobStore, silentLogger } from '../../src/index.ts';
import { openSqliteFile } from '../helpers/sql-backends.ts';

/** The fixture functions, as a stored job names them. */
export const NOOP = './test/fixtures/dashboard-jobs.ts:noop';
export const LINGER = './test/fixtures/dashboard-jobs.ts:linger';
export const FLAKY = './test/fixtures/dashboard-jobs.ts:flaky';

export interface SeedJob {
  id: string;
  name?: string;
  func?: string;
  trigger?: 'cron' | 'interval';
  args?: unknown[];
  hour?: number;
  minutes?: number;
  paused?: boolean;
}

const dirs = new Set<string>();

/** A SQLite store URL in a fresh directory ({@link removeTempDirs} removes it). */
export function sqliteUrl(): string {
  const dir = mkdtempSync(join(tmpdir(), 'horarium-dashboard-'));
  dirs.add(dir);
  return `sqlite:${join(dir, 'jobs.sqlite')}`;
}

export function removeTempDirs(): void {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

/** Adds the jobs to the store at `url` with a scheduler that never runs them, then stops it. */
export async function seed(url: string, jobs: readonly SeedJob[]): Promise<void> {
  const scheduler = new AsyncScheduler({
    logger: silentLogger,
    timezone: 'Europe/Berlin',
    jobstores: { default: new SqlJobStore({ url }) },
  });
  await scheduler.start({ paused: true });
  try {
    for (const job of jobs) {
      const func = (job.func ?? NOOP) as unknown as JobFunction;
      const options = {
        id: job.id,
        ...(job.name === undefined ? {} : { name: job.name }),
        ...(job.args === undefined ? {} : { args: job.args }),
        ...(job.paused === true ? { nextRunTime: null } : {}),
      };
      if (job.trigger === 'interval')
        await scheduler.addJob(func, 'interval', { ...options, minutes: job.minutes ?? 5 });
      else await scheduler.addJob(func, 'cron', { ...options, hour: job.hour ?? 3, minute: 30 });
    }
  } finally {
    await scheduler.shutdown();
  }
}

/** A browser's session with a dashboard: it keeps the CSRF cookie and reads form tokens from pages. */
export class Browser {
  readonly #dashboard: Dashboard;
  readonly #origin: string;
  cookie = '';
  headers: Record<string, string> = {};

  constructor(dashboard: Dashboard, origin = 'http://dash.test') {
    this.#dashboard = dashboard;
    this.#origin = origin;
  }

  async get(path: string): Promise<Response> {
    const response = await this.#dashboard.fetch(
      new Request(`${this.#origin}${path}`, {
        headers: { ...this.headers, ...(this.cookie === '' ? {} : { cookie: this.cookie }) },
      }),
    );
    const set = response.headers.get('set-cookie');
    if (set !== null) this.cookie = set.split(';')[0] ?? '';
    return response;
  }

  async page(path: string): Promise<string> {
    const response = await this.get(path);
    const body = await response.text();
    if (response.status !== 200)
      throw new Error(`GET ${path}: ${response.status} ${body.slice(0, 500)}`);
    return body;
  }

  /** The CSRF token of the session (as the pages' forms carry it). */
  token(): string {
    return this.cookie.split('=')[1] ?? '';
  }

  post(
    path: string,
    form: Record<string, string | string[]>,
    extra: Record<string, string> = {},
  ): Promise<Response> {
    const body = new URLSearchParams();
    for (const [key, value] of Object.entries(form))
      for (const item of Array.isArray(value) ? value : [value]) body.append(key, item);
    return this.#dashboard.fetch(
      new Request(`${this.#origin}${path}`, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin: this.#origin,
          ...this.headers,
          ...(this.cookie === '' ? {} : { cookie: this.cookie }),
          ...extra,
        },
      }),
    );
  }

  postJson(path: string, body: unknown, extra: Record<string, string> = {}): Promise<Response> {
    return this.#dashboard.fetch(
      new Request(`${this.#origin}${path}`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json', ...this.headers, ...extra },
      }),
    );
  }
}

/** The `version` hidden field of the first form posting to `action` in `html`. */
export function formVersion(html: string, action: string): string {
  const form = html.slice(html.indexOf(`action="${action}"`));
  return /name="version" value="(\d+)"/.exec(form)?.[1] ?? '';
}

/** Serves the dashboard with node:http on a free loopback port. */
export async function serveDashboard(
  dashboard: Dashboard,
): Promise<{ origin: string; close: () => Promise<void> }> {
  const server = createServer(dashboard.listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Writes a day of fire history for `jobs` into the SQLite store's ledger, as
 * schedulers would have left it: every 10 minutes, mostly succeeded, some
 * failed, a few missed.
 */
export function writeDayOfFires(url: string, jobs: readonly string[]): number {
  const db = openSqliteFile(url.slice('sqlite:'.length));
  const insert = db.prepare(
    `insert into horarium_jobs_fires (fire_id, job_id, scheduled_time, state, node, fence, batch_id,
      claimed_at, started_at, finished_at, recovering, attempt, error_name, error_message)
     values (?, ?, ?, ?, 'web-1', ?, ?, ?, ?, ?, 0, 1, ?, ?)`,
  );
  const now = Date.now();
  let written = 0;
  try {
    for (let step = 1; step <= 24 * 6; step++) {
      const time = Math.floor((now - step * 600_000) / 600_000) * 600_000;
      for (const [j, job] of jobs.entries()) {
        const k = step * 7 + j * 13;
        const state = k % 37 === 0 ? 'failed' : k % 53 === 0 ? 'missed' : 'succeeded';
        const id = `f-${job}-${step}`;
        const ran = state !== 'missed';
        insert.run(
          id,
          job,
          time,
          state,
          step,
          id,
          time + 2,
          ran ? time + 5 : null,
          time + (ran ? 900 + (k % 40) * 25 : 2),
          state === 'failed' ? 'Error' : null,
          state === 'failed' ? 'upstream answered 502 Bad Gateway' : null,
        );
        written++;
      }
    }
  } finally {
    db.close();
  }
  return written;
}
