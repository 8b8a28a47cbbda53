/**
 * The dashboard's routes: pages (HTML), the JSON API under `/api/`, the live
 * feed (`/api/events`, server-sent events) and the two assets. Each page's
 * data comes from `data.ts`, so the API and the page always agree.
 *
 * Every change is a POST: from a page, a form with the CSRF token (answered
 * with a redirect, so it works without JavaScript); from the API, JSON. Both
 * need `write` access, the dashboard's own origin, and (except bulk pause and
 * resume, which are idempotent) the job's change log version the operator saw.
 */
import { readFileSync } from 'node:fs';
import { type Context, Hono } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import { parseTriggerSpec } from '../cli/commands/next.ts';
import { HorariumError } from '../errors.ts';
import { Job } from '../jobs/job.ts';
import { JobLookupError } from '../stores/errors.ts';
import { type FireState, isFireState } from '../stores/ledger.ts';
import type { RestoreFailure } from '../stores/store.ts';
import {
  JOBS_PAGE,
  type JobsQuery,
  jobData,
  jobView,
  MAX_PAGE,
  nodeViews,
  overviewData,
  jobsPage as readJobsPage,
  runningFires,
  upcoming,
} from './data.ts';
import { LiveFeed } from './live.ts';
import {
  type Access,
  type Authorize,
  atMost,
  CSRF_COOKIE,
  CSRF_FIELD,
  CSRF_HEADER,
  isAccess,
  isSameOrigin,
  newCsrfToken,
  SECURITY_HEADERS,
  sameSecret,
} from './security.ts';
import type { DashboardJobChanges, DashboardSource } from './source.ts';
import type { PageContext } from './views/layout.ts';
import {
  historyPage,
  jobPage,
  jobsPage,
  messagePage,
  nodesPage,
  overviewPage,
  runningPage,
  runningRows,
} from './views/pages.ts';

export interface AppOptions {
  /** The mount path without a trailing slash ('' at the root). */
  readonly base: string;
  readonly readOnly: boolean;
  readonly authorize: Authorize;
  /** Sent with a 401 so that browsers ask for credentials (basic auth). */
  readonly challenge?: string;
  /** Removes secrets (a store URL's password) from a message shown to the operator. */
  readonly redact: (text: string) => string;
}

type Env = { Variables: { access: Access; csrf: string } };

/** A change refused because the job changed since the operator read it. */
export class VersionConflictError extends HorariumError {
  override name = 'VersionConflictError';
  readonly current: number;
  constructor(id: string, seen: number, current: number) {
    super(
      `Job ${id} was changed by someone else since you loaded it (you saw version ${seen}, it is now at version ${current}); nothing was changed: look at it again, then repeat the action if it still applies`,
    );
    this.current = current;
  }
}

/** A request that cannot be served as sent (a missing field, a bad number). */
export class BadRequestError extends HorariumError {
  override name = 'BadRequestError';
}

class ForbiddenError extends HorariumError {
  override name = 'ForbiddenError';
}

const ASSETS: Record<string, { file: string; type: string }> = {
  'dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
  'dashboard.js': { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
};
const assetCache = new Map<string, string>();
function asset(name: string): string {
  let text = assetCache.get(name);
  if (text === undefined) {
    text = readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');
    assetCache.set(name, text);
  }
  return text;
}

/** Notices a redirect after a change may show (by code, so no text is reflected from the URL). */
const NOTICES: Record<string, string> = {
  paused: 'Paused. A running scheduler skips it from its next pass.',
  resumed: 'Resumed from now.',
  finished: 'Its trigger has no more fire times, so the job was removed.',
  run: 'Due now: a running scheduler runs it at once where the store has wake-ups, else within its poll interval.',
  removed: 'Removed.',
  rescheduled: 'Rescheduled.',
  modified: 'Saved.',
  cancelled: 'Cancelled.',
  bulk: 'Done for the selected jobs.',
};

function statusOf(error: unknown): 400 | 403 | 404 | 409 | 500 | 503 {
  if (error instanceof VersionConflictError) return 409;
  if (error instanceof JobLookupError) return 404;
  if (error instanceof ForbiddenError) return 403;
  if (error instanceof HorariumError) {
    const name = error.name;
    if (/Unavailable|Timeout|Connection/.test(name)) return 503;
    if (/Setup|Reply/.test(name)) return 500;
    return 400;
  }
  return 500;
}

const text = (value: unknown): string =>
  typeof value === 'string' ? value : Array.isArray(value) ? text(value[0]) : '';

/** A number field: empty → null (when allowed), else a finite number. */
function numberOf(value: string, field: string, nullable: boolean): number | null | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return nullable ? null : undefined;
  const n = Number(trimmed);
  if (!Number.isFinite(n) || n < 0)
    throw new BadRequestError(`${field}: ${JSON.stringify(value)} is not a number of at least 0`);
  return n;
}

/** The modify form's or API body's changes, checked. */
function changesOf(body: Record<string, unknown>, json: boolean): DashboardJobChanges {
  const changes: DashboardJobChanges = {};
  const has = (key: string) => body[key] !== undefined;
  if (has('name')) {
    const name = text(body.name);
    if (name.trim() === '') throw new BadRequestError('name: must not be empty');
    changes.name = name;
  }
  if (has('coalesce')) {
    const value = body.coalesce;
    // A checked box sends "true" before its hidden "false".
    changes.coalesce = json
      ? value === true
      : Array.isArray(value)
        ? value.includes('true')
        : value === 'true';
  }
  for (const key of ['maxInstances', 'misfireGraceTime', 'timeout'] as const) {
    if (!has(key)) continue;
    const value = body[key];
    const n = json
      ? value === null
        ? null
        : typeof value === 'number'
          ? value
          : Number.NaN
      : numberOf(text(value), key, key !== 'maxInstances');
    if (n === undefined) continue;
    if (n !== null && (!Number.isFinite(n) || n < 0))
      throw new BadRequestError(`${key}: must be a number of at least 0 or null`);
    if (key === 'maxInstances') {
      if (n === null || !Number.isInteger(n) || n < 1)
        throw new BadRequestError('maxInstances: must be a whole number of at least 1');
      changes.maxInstances = n;
    } else changes[key] = n;
  }
  return changes;
}

export function createApp(source: DashboardSource, options: AppOptions): Hono<Env> {
  const { base } = options;
  const live = new LiveFeed(source);
  const app = new Hono<Env>({
    // Mounted under a path that is stripped (Express, Hono's mount) or kept (node:http, Fastify): both work.
    getPath: (request) => {
      const url = new URL(request.url);
      let path = url.pathname;
      if (base !== '' && (path === base || path.startsWith(`${base}/`)))
        path = path.slice(base.length);
      return path === '' ? '/' : path;
    },
  });

  app.onError((error, c) => {
    const status = statusOf(error);
    const message =
      status >= 500
        ? `The dashboard could not do that: ${options.redact(error instanceof Error ? error.message : String(error))}`
        : options.redact(error.message);
    if (isApi(c)) return c.json({ error: { name: error.name, message } }, status);
    return c.html(
      messagePage(
        pageContext(c, 'default', []),
        status === 409 ? 'Changed meanwhile' : 'Something went wrong',
        message,
      ),
      status,
    );
  });

  const isApi = (c: Context<Env>): boolean => c.req.path.startsWith('/api/');

  // Headers, access, CSRF cookie.
  app.use('*', async (c, next) => {
    let access: Access = 'none';
    const given = await options.authorize(c.req.raw);
    if (isAccess(given)) access = given;
    if (options.readOnly) access = atMost(access, 'read');
    c.set('access', access);
    let token = getCookie(c, CSRF_COOKIE);
    if (token === undefined || !/^[A-Za-z0-9_-]{20,64}$/.test(token)) {
      token = newCsrfToken();
      if (c.req.method === 'GET' && !isApi(c))
        setCookie(c, CSRF_COOKIE, token, {
          httpOnly: true,
          sameSite: 'Strict',
          path: base === '' ? '/' : base,
          secure: new URL(c.req.url).protocol === 'https:',
        });
    }
    c.set('csrf', token);
    if (access === 'none') {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
      if (options.challenge !== undefined) c.header('www-authenticate', options.challenge);
      return isApi(c)
        ? c.json({ error: { name: 'Unauthorized', message: 'not allowed' } }, 401)
        : c.text('Not allowed.', 401);
    }
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
    if (!c.res.headers.has('cache-control')) c.res.headers.set('cache-control', 'no-store');
  });

  // Changes: write access, same origin, and a token (forms) or JSON (API).
  app.use('*', async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    if (c.req.method !== 'POST') return c.text('Method not allowed.', 405);
    if (c.get('access') !== 'write')
      throw new ForbiddenError(
        options.readOnly
          ? 'This dashboard is read-only: it changes nothing.'
          : 'You may read this dashboard but not change anything.',
      );
    if (!isSameOrigin(c.req.raw))
      throw new ForbiddenError('Refused: the request came from another site.');
    if (isApi(c)) {
      const type = c.req.header('content-type') ?? '';
      if (!/^application\/json\b/i.test(type))
        throw new ForbiddenError('API changes need Content-Type: application/json');
      const cookie = getCookie(c, CSRF_COOKIE);
      const header = c.req.header(CSRF_HEADER);
      // A browser that holds the cookie must repeat it; tools without cookies send JSON, which no cross-site form can.
      if (cookie !== undefined && (header === undefined || !sameSecret(header, cookie)))
        throw new ForbiddenError(`The ${CSRF_HEADER} header must repeat the ${CSRF_COOKIE} cookie`);
    } else {
      const cookie = getCookie(c, CSRF_COOKIE);
      const body = await c.req.parseBody({ all: true });
      const token = text(body[CSRF_FIELD]);
      if (cookie === undefined || token === '' || !sameSecret(token, cookie))
        throw new ForbiddenError(
          'The form’s security token is missing or out of date: reload the page and try again.',
        );
    }
    return next();
  });

  const storeOf = (c: Context<Env>, body?: Record<string, unknown>): string => {
    const given = text(body?.store) || c.req.query('store') || 'default';
    return given;
  };

  function pageContext(c: Context<Env>, store: string, known = source.stores()): PageContext {
    const notice = NOTICES[c.req.query('done') ?? ''];
    return {
      base,
      csrf: c.get('csrf') ?? '',
      canWrite: c.get('access') === 'write',
      readOnly: options.readOnly,
      zone: source.zone,
      store,
      stores: known,
      notice,
    };
  }

  // ------------------------------------------------------------ assets

  app.get('/assets/:name', (c) => {
    const entry = ASSETS[c.req.param('name')];
    if (entry === undefined) return c.notFound();
    c.header('content-type', entry.type);
    c.header('cache-control', 'public, max-age=3600');
    return c.body(asset(entry.file));
  });

  // ------------------------------------------------------------ reads

  const readyStore = async (c: Context<Env>): Promise<string> => {
    await source.ready();
    return storeOf(c);
  };

  const jobsQuery = (c: Context<Env>, store: string): JobsQuery => {
    const status = c.req.query('status');
    const limit = Number(c.req.query('limit') ?? JOBS_PAGE);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
      throw new BadRequestError(`limit: must be a whole number from 1 to ${MAX_PAGE}`);
    return {
      store,
      search: (c.req.query('q') ?? '').slice(0, 200),
      status: status === 'paused' || status === 'scheduled' ? status : 'all',
      cursor: c.req.query('cursor') || null,
      limit,
    };
  };

  const findJob = async (store: string, id: string): Promise<Job | RestoreFailure> => {
    if (id === '') throw new BadRequestError('id: the id of a job is needed');
    const found = await source.job(store, id);
    if (found === null) throw new JobLookupError(id);
    return found;
  };

  const historyFilters = (c: Context<Env>) => {
    const states = (c.req.query('state') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    for (const state of states)
      if (!isFireState(state))
        throw new BadRequestError(`state: ${JSON.stringify(state)} is not a fire state`);
    return {
      job: c.req.query('job') ?? '',
      states: states as FireState[],
      from: c.req.query('from') ?? '',
      to: c.req.query('to') ?? '',
      cursor: c.req.query('cursor') || null,
    };
  };

  const readHistory = (store: string, f: ReturnType<typeof historyFilters>) =>
    source.fires(store, {
      limit: 50,
      ...(f.job === '' ? {} : { jobId: f.job }),
      ...(f.states.length === 0 ? {} : { states: f.states }),
      ...(f.from === '' ? {} : { from: f.from }),
      ...(f.to === '' ? {} : { to: f.to }),
      ...(f.cursor === null ? {} : { cursor: f.cursor }),
    });

  const readNodes = async (store: string) => nodeViews(await source.nodes(store), Date.now());

  app.get('/', async (c) => {
    const store = await readyStore(c);
    return c.html(overviewPage(pageContext(c, store), await overviewData(source, store)));
  });
  app.get('/api/overview', async (c) => c.json(await overviewData(source, await readyStore(c))));

  app.get('/jobs', async (c) => {
    const store = await readyStore(c);
    const query = jobsQuery(c, store);
    return c.html(jobsPage(pageContext(c, store), query, await readJobsPage(source, query)));
  });
  app.get('/api/jobs', async (c) => {
    const store = await readyStore(c);
    return c.json(await readJobsPage(source, jobsQuery(c, store)));
  });

  const previewOf = (found: Job | RestoreFailure, spec: string) => {
    try {
      const trigger = parseTriggerSpec(
        spec,
        source.zone.name,
        found instanceof Job ? found.id : undefined,
      );
      return { spec, fires: upcoming(trigger, source.zone, 10) };
    } catch (error) {
      return {
        spec,
        error: options.redact(error instanceof Error ? error.message : String(error)),
      };
    }
  };

  app.get('/job', async (c) => {
    const store = await readyStore(c);
    const found = await findJob(store, c.req.query('id') ?? '');
    const data = await jobData(source, store, found);
    const at = c.req.query('at');
    const spec = c.req.query('preview');
    let explanation: Awaited<ReturnType<DashboardSource['explain']>> | undefined;
    let error: string | undefined;
    if (at !== undefined && at.trim() !== '') {
      try {
        explanation = await source.explain(store, data.job.id, at);
      } catch (failure) {
        if (statusOf(failure) !== 400) throw failure;
        error = options.redact((failure as Error).message);
      }
    }
    const ctx = { ...pageContext(c, store), error };
    return c.html(
      jobPage(ctx, data, {
        explanation,
        askedAt: at,
        preview: spec === undefined || spec.trim() === '' ? undefined : previewOf(found, spec),
      }),
    );
  });
  app.get('/api/job', async (c) => {
    const store = await readyStore(c);
    return c.json(await jobData(source, store, await findJob(store, c.req.query('id') ?? '')));
  });
  app.get('/api/job/explain', async (c) => {
    const store = await readyStore(c);
    const at = c.req.query('at') ?? '';
    if (at === '') throw new BadRequestError('at: the time to explain is needed');
    return c.json(await source.explain(store, c.req.query('id') ?? '', at));
  });
  app.get('/api/job/preview', async (c) => {
    const store = await readyStore(c);
    const found = await findJob(store, c.req.query('id') ?? '');
    const result = previewOf(found, c.req.query('spec') ?? '');
    if ('error' in result) throw new BadRequestError(result.error ?? 'bad trigger');
    return c.json(result);
  });

  app.get('/running', async (c) => {
    const store = await readyStore(c);
    return c.html(
      runningPage(
        pageContext(c, store),
        await runningFires(source, store),
        source.mode === 'scheduler',
      ),
    );
  });
  app.get('/fragments/running', async (c) => {
    const store = await readyStore(c);
    return c.html(
      runningRows(
        pageContext(c, store),
        await runningFires(source, store),
        source.mode === 'scheduler',
      ).text,
    );
  });
  app.get('/api/running', async (c) => {
    const store = await readyStore(c);
    return c.json({ store, fires: await runningFires(source, store) });
  });

  app.get('/history', async (c) => {
    const store = await readyStore(c);
    const filters = historyFilters(c);
    return c.html(historyPage(pageContext(c, store), filters, await readHistory(store, filters)));
  });
  app.get('/api/history', async (c) => {
    const store = await readyStore(c);
    return c.json(await readHistory(store, historyFilters(c)));
  });

  app.get('/nodes', async (c) => {
    const store = await readyStore(c);
    return c.html(nodesPage(pageContext(c, store), await readNodes(store)));
  });
  app.get('/api/nodes', async (c) => {
    const store = await readyStore(c);
    return c.json({ store, nodes: await readNodes(store) });
  });
  app.get('/api/stores', async (c) => {
    await source.ready();
    return c.json({
      stores: source.stores(),
      mode: source.mode,
      readOnly: options.readOnly,
      access: c.get('access'),
    });
  });

  app.get('/api/events', (c) =>
    streamSSE(c, async (stream) => {
      let id = 0;
      const queue: { event: string; data: string }[] = [];
      let wake: (() => void) | undefined;
      const stop = live.subscribe((update) => {
        queue.push(update);
        wake?.();
      });
      stream.onAbort(() => {
        stop();
        wake?.();
      });
      try {
        while (!stream.aborted) {
          const update = queue.shift();
          if (update !== undefined) {
            await stream.writeSSE({ event: update.event, data: update.data, id: String(++id) });
            continue;
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, 15_000).unref();
          });
          wake = undefined;
          if (queue.length === 0 && !stream.aborted) await stream.write(': keep-alive\n\n');
        }
      } finally {
        stop();
      }
    }),
  );

  // ------------------------------------------------------------ changes

  const bodyOf = async (c: Context<Env>): Promise<Record<string, unknown>> => {
    if (isApi(c)) {
      const body: unknown = await c.req.json().catch(() => undefined);
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        throw new BadRequestError('the body must be a JSON object');
      return body as Record<string, unknown>;
    }
    return c.req.parseBody({ all: true });
  };

  /** The job named by the body, checked against the version the operator saw. */
  const checkedJob = async (store: string, body: Record<string, unknown>): Promise<Job> => {
    const found = await checkedEntry(store, body);
    if (!(found instanceof Job))
      throw new BadRequestError(
        `Job ${found.jobId} cannot be restored, so it cannot be changed here; fix the row or remove the job`,
      );
    return found;
  };

  /** The job (or the row that cannot be restored) named by the body, checked against the version the operator saw. */
  const checkedEntry = async (
    store: string,
    body: Record<string, unknown>,
  ): Promise<Job | RestoreFailure> => {
    const id = text(body.id);
    const seenText = typeof body.version === 'number' ? String(body.version) : text(body.version);
    const seen = Number(seenText);
    if (seenText === '' || !Number.isInteger(seen) || seen < 0)
      throw new BadRequestError(
        'version: the job’s version as read (GET /api/job) is needed, so that a change made meanwhile is not overwritten',
      );
    const found = await findJob(store, id);
    const current = await source.version(store, id);
    if (current !== seen) throw new VersionConflictError(id, seen, current);
    return found;
  };

  /** One change at a time per job in this process, so that the version check and the write are not interleaved. */
  const locks = new Map<string, Promise<unknown>>();
  const serialized = async <T>(key: string, work: () => Promise<T>): Promise<T> => {
    const previous = locks.get(key) ?? Promise.resolve();
    const run = previous.catch(() => {}).then(work);
    locks.set(key, run);
    try {
      return await run;
    } finally {
      if (locks.get(key) === run) locks.delete(key);
    }
  };

  type Outcome = { notice: string; job: Job | null; id: string; back?: string };
  const action = (
    name: string,
    perform: (store: string, body: Record<string, unknown>) => Promise<Outcome>,
  ) => {
    const handle = async (c: Context<Env>) => {
      await source.ready();
      const body = await bodyOf(c);
      const store = storeOf(c, body);
      const id = text(body.id);
      const outcome = await serialized(`${store}\u0000${id}`, () => perform(store, body));
      if (isApi(c)) {
        const version = outcome.job === null ? null : await source.version(store, outcome.job.id);
        return c.json({
          ok: true,
          done: outcome.notice,
          job: outcome.job === null ? null : jobView(outcome.job),
          version,
        });
      }
      const params = new URLSearchParams({ done: outcome.notice });
      if (store !== 'default') params.set('store', store);
      if (outcome.job !== null) params.set('id', outcome.job.id);
      const page = outcome.back ?? (outcome.job === null ? '/jobs' : '/job');
      return c.redirect(`${base}${page}?${params}`, 303);
    };
    app.post(`/${name}`, handle);
    app.post(`/api/${name}`, handle);
  };

  action('job/pause', async (store, body) => {
    const job = await checkedJob(store, body);
    return { notice: 'paused', job: await source.pause(store, job), id: job.id };
  });
  action('job/resume', async (store, body) => {
    const job = await checkedJob(store, body);
    const resumed = await source.resume(store, job);
    return { notice: resumed === null ? 'finished' : 'resumed', job: resumed, id: job.id };
  });
  action('job/run', async (store, body) => {
    const job = await checkedJob(store, body);
    return { notice: 'run', job: await source.runNow(store, job), id: job.id };
  });
  action('job/remove', async (store, body) => {
    // A row that cannot be restored can still be removed, as with `horarium jobs remove`.
    const found = await checkedEntry(store, body);
    const id = found instanceof Job ? found.id : found.jobId;
    await source.remove(store, id);
    return { notice: 'removed', job: null, id };
  });
  action('job/reschedule', async (store, body) => {
    const job = await checkedJob(store, body);
    const spec = text(body.spec);
    if (spec.trim() === '')
      throw new BadRequestError(
        'spec: the new trigger is needed (a crontab line or type:key=value,…)',
      );
    const trigger = parseTriggerSpec(spec, source.zone.name, job.id);
    return { notice: 'rescheduled', job: await source.reschedule(store, job, trigger), id: job.id };
  });
  action('job/modify', async (store, body) => {
    const job = await checkedJob(store, body);
    const changes = changesOf(
      body,
      typeof body.coalesce === 'boolean' || typeof body.maxInstances === 'number',
    );
    return { notice: 'modified', job: await source.modify(store, job, changes), id: job.id };
  });
  action('fire/cancel', async (store, body) => {
    const id = text(body.id);
    const fire = text(body.fire);
    if (fire === '') throw new BadRequestError('fire: the fire id is needed');
    if (source.mode !== 'scheduler')
      throw new BadRequestError(
        'A run is cancelled by the scheduler that runs it: mount the dashboard in that scheduler (createDashboard(scheduler)) to cancel runs',
      );
    if (!source.cancel(store, id, fire))
      throw new JobLookupError(
        `${id} (fire ${fire} is not running in this scheduler: it ended, or another node runs it)`,
      );
    return { notice: 'cancelled', job: null, id, back: '/running' };
  });

  const bulk = async (c: Context<Env>) => {
    await source.ready();
    const body = await bodyOf(c);
    const store = storeOf(c, body);
    const verb = text(body.action);
    if (verb !== 'pause' && verb !== 'resume') throw new BadRequestError('action: pause or resume');
    const raw = body.job ?? body.ids;
    const ids = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw])
      .map((v) => text(v))
      .filter((v) => v !== '');
    if (ids.length === 0) throw new BadRequestError('job: select at least one job');
    if (ids.length > MAX_PAGE) throw new BadRequestError(`job: at most ${MAX_PAGE} jobs at once`);
    const results: { id: string; ok: boolean; error?: string }[] = [];
    for (const id of ids) {
      try {
        await serialized(`${store}\u0000${id}`, async () => {
          const found = await findJob(store, id);
          if (!(found instanceof Job)) throw new BadRequestError(`Job ${id} cannot be restored`);
          // Pausing a paused job or resuming a scheduled one changes nothing: no version needed.
          if (verb === 'pause' && found.nextRunTime !== null) await source.pause(store, found);
          if (verb === 'resume' && found.nextRunTime === null) await source.resume(store, found);
        });
        results.push({ id, ok: true });
      } catch (error) {
        results.push({
          id,
          ok: false,
          error: options.redact(error instanceof Error ? error.message : String(error)),
        });
      }
    }
    if (isApi(c)) return c.json({ ok: results.every((r) => r.ok), results });
    const failed = results.filter((r) => !r.ok);
    if (failed.length > 0)
      return c.html(
        messagePage(
          pageContext(c, store),
          'Some jobs were not changed',
          failed.map((r) => `${r.id}: ${r.error ?? ''}`).join(' · '),
        ),
        400,
      );
    const params = new URLSearchParams({ done: 'bulk' });
    if (store !== 'default') params.set('store', store);
    return c.redirect(`${base}/jobs?${params}`, 303);
  };
  app.post('/jobs/bulk', bulk);
  app.post('/api/jobs/bulk', bulk);

  app.notFound((c) =>
    isApi(c)
      ? c.json({ error: { name: 'NotFound', message: 'no such route' } }, 404)
      : c.html(messagePage(pageContext(c, 'default'), 'Not found', 'There is no such page.'), 404),
  );
  return app;
}
