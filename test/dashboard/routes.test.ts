/**
 * The dashboard's routes through its fetch handler, on a SQLite store opened
 * from its URL: every page and its API twin, paging and search, the
 * authorization matrix, the CSRF defences, the security headers, version
 * conflicts, hostile job data and what `basePath` changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Access, createDashboard, type Dashboard } from '../../src/dashboard.ts';
import { AsyncScheduler, SqlJobStore, silentLogger } from '../../src/index.ts';
import { openSqliteFile } from '../helpers/sql-backends.ts';
import {
  Browser,
  formVersion,
  NOOP,
  removeTempDirs,
  seed,
  sqliteUrl,
} from './dashboard-helpers.ts';

const HOSTILE_ID = `<script>alert("id")</script>'"`;
const HOSTILE_NAME = `"><img src=x onerror=alert(1)>`;
const HOSTILE_ARG = 'javascript:alert(document.cookie)';

let url: string;
let dashboard: Dashboard;

beforeAll(async () => {
  url = sqliteUrl();
  await seed(url, [
    { id: 'nightly', name: 'Nightly report', hour: 2 },
    {
      id: 'billing.sync',
      name: 'Sync invoices',
      func: './test/fixtures/dashboard-jobs.ts:linger',
      trigger: 'interval',
      minutes: 15,
    },
    { id: 'archived', name: 'Old cleanup', paused: true },
    { id: HOSTILE_ID, name: HOSTILE_NAME, args: [HOSTILE_ARG, '</td><td>'], trigger: 'interval' },
    ...Array.from({ length: 120 }, (_, i) => ({
      id: `bulk-${String(i).padStart(3, '0')}`,
      hour: i % 24,
    })),
  ]);
  dashboard = createDashboard(url, { timezone: 'Europe/Berlin' });
}, 60_000);

afterAll(async () => {
  await dashboard.close();
  removeTempDirs();
});

describe('pages and their API', () => {
  it('serves every page with the store’s jobs', async () => {
    const browser = new Browser(dashboard);
    const overview = await browser.page('/');
    expect(overview).toContain('<h1>Overview</h1>');
    expect(overview).toContain('SQL (sqlite)');
    expect(overview).toMatch(/<svg[^>]+role="img"/);
    const jobs = await browser.page('/jobs');
    expect(jobs.match(/<tr><td class="check">/g)).toHaveLength(50);
    expect(jobs).toContain('rel="next"');
    const job = await browser.page('/job?id=nightly');
    expect(job).toContain('at 02:30 every day');
    expect(job.match(/<li><time /g)).toHaveLength(10);
    for (const path of ['/running', '/history', '/nodes'])
      expect(await browser.page(path)).toContain('</table>');
  });

  it('answers the same data as JSON', async () => {
    const browser = new Browser(dashboard);
    const overview = (await (await browser.get('/api/overview')).json()) as {
      counts: { scheduled: number; paused: number };
    };
    expect(overview.counts).toEqual({ scheduled: 123, paused: 1 });
    const job = (await (await browser.get('/api/job?id=nightly')).json()) as {
      job: { schedule: string };
      version: number;
      upcoming: unknown[];
    };
    expect(job.job.schedule).toBe('at 02:30 every day');
    expect(job.version).toBe(1);
    expect(job.upcoming).toHaveLength(10);
    const explain = await browser.get('/api/job/explain?id=nightly&at=2026-03-29%2002:30');
    expect(explain.status).toBe(200);
    expect(((await explain.json()) as { verdict: string }).verdict).toBeTypeOf('string');
    const preview = (await (
      await browser.get('/api/job/preview?id=nightly&spec=0%204%20*%20*%20*')
    ).json()) as { fires: { time: string }[] };
    expect(preview.fires).toHaveLength(10);
    expect((await browser.get('/api/job?id=nope')).status).toBe(404);
    expect((await browser.get('/api/nothing')).status).toBe(404);
  });

  it('streams the running fires and the counts as server-sent events', async () => {
    const response = await new Browser(dashboard).get('/api/events');
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('event: counts')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    await reader.cancel();
    expect(text).toContain('event: running\ndata: {"store":"default","fires":[]}');
    expect(text).toMatch(/event: counts\ndata: \{"store":"default","scheduled":\d+,"paused":\d+\}/);
  });

  it('pages through every job once with the cursor, and filters by search and status', async () => {
    const browser = new Browser(dashboard);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = (await (
        await browser.get(`/api/jobs?limit=50${cursor === null ? '' : `&cursor=${cursor}`}`)
      ).json()) as {
        jobs: { id: string; nextRunTime: string | null }[];
        cursor: string | null;
      };
      seen.push(...page.jobs.map((job) => job.id));
      cursor = page.cursor;
    } while (cursor !== null);
    expect(seen).toHaveLength(124);
    expect(new Set(seen).size).toBe(124);
    expect(seen.at(-1)).toBe('archived');
    const search = async (query: string) =>
      (
        (await (await browser.get(`/api/jobs?${query}`)).json()) as { jobs: { id: string }[] }
      ).jobs.map((job) => job.id);
    expect(await search('q=INVOICES')).toEqual(['billing.sync']);
    expect(await search('q=linger')).toEqual(['billing.sync']);
    expect(await search('q=bulk-11')).toHaveLength(10);
    expect(await search(`q=${encodeURIComponent('<script>')}`)).toEqual([HOSTILE_ID]);
    expect(await search('status=paused')).toEqual(['archived']);
    expect((await browser.get('/api/jobs?cursor=nonsense')).status).toBe(400);
  });
});

describe('hostile job data', () => {
  it('renders ids, names and arguments as text on every page', async () => {
    const browser = new Browser(dashboard);
    const pages = [
      await browser.page(`/jobs?q=${encodeURIComponent('<script>')}`),
      await browser.page(`/job?id=${encodeURIComponent(HOSTILE_ID)}`),
      await browser.page('/'),
    ];
    for (const html of pages) {
      expect(html).not.toContain('<script>alert');
      expect(html).not.toContain('<img src=x');
      expect(html).not.toMatch(/href="javascript:/i);
      expect(html).not.toContain('</td><td>"');
    }
    expect(pages[1]).toContain('&lt;script&gt;alert(&quot;id&quot;)&lt;/script&gt;&#39;&quot;');
    expect(pages[1]).toContain('javascript:alert(document.cookie)');
  });
});

describe('headers and CSRF', () => {
  it('sends a strict CSP and the other security headers, and a SameSite=Strict, HttpOnly cookie', async () => {
    const response = await new Browser(dashboard).get('/jobs');
    expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'self'/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    const cookie = response.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/HttpOnly/);
    const html = await response.text();
    expect(html).not.toMatch(/<script(?![^>]*src=)/);
    expect(html).not.toMatch(/style=/);
  });

  it('refuses a form without the token, with another token, or from another site', async () => {
    const browser = new Browser(dashboard);
    const page = await browser.page('/job?id=nightly');
    const version = formVersion(page, '/job/pause');
    const form = { id: 'nightly', version };
    expect((await browser.post('/job/pause', form)).status).toBe(403);
    expect((await browser.post('/job/pause', { ...form, _csrf: 'x'.repeat(32) })).status).toBe(403);
    expect(
      (
        await browser.post(
          '/job/pause',
          { ...form, _csrf: browser.token() },
          { origin: 'https://evil.test' },
        )
      ).status,
    ).toBe(403);
    expect(
      (
        await browser.post(
          '/job/pause',
          { ...form, _csrf: browser.token() },
          { 'sec-fetch-site': 'cross-site' },
        )
      ).status,
    ).toBe(403);
    const api = await browser.post('/api/job/pause', { ...form, _csrf: browser.token() });
    expect(api.status).toBe(403);
    expect(
      (
        (await browser.get('/api/job?id=nightly').then((r) => r.json())) as {
          job: { status: string };
        }
      ).job.status,
    ).toBe('scheduled');
  });

  it('refuses GET, PUT and DELETE for changes', async () => {
    const browser = new Browser(dashboard);
    expect((await browser.get('/job/pause?id=nightly')).status).toBe(404);
    const put = await dashboard.fetch(
      new Request('http://dash.test/api/job/pause', { method: 'PUT' }),
    );
    expect(put.status).toBe(405);
  });
});

describe('changes', () => {
  it('pauses and resumes from the job page, with a notice, and records each change', async () => {
    const browser = new Browser(dashboard);
    let page = await browser.page('/job?id=nightly');
    const pause = await browser.post('/job/pause', {
      id: 'nightly',
      version: formVersion(page, '/job/pause'),
      _csrf: browser.token(),
    });
    expect(pause.status).toBe(303);
    page = await browser.page(pause.headers.get('location') ?? '');
    expect(page).toContain('Paused.');
    expect(page).toContain('badge-paused');
    const resume = await browser.post('/job/resume', {
      id: 'nightly',
      version: formVersion(page, '/job/resume'),
      _csrf: browser.token(),
    });
    expect(resume.status).toBe(303);
    const job = (await (await browser.get('/api/job?id=nightly')).json()) as {
      job: { status: string };
      version: number;
    };
    expect(job.job.status).toBe('scheduled');
    expect(job.version).toBe(3);
  });

  it('refuses a change made from a stale page with a clear conflict', async () => {
    const alice = new Browser(dashboard);
    const bob = new Browser(dashboard);
    const alicePage = await alice.page('/job?id=bulk-001');
    const bobPage = await bob.page('/job?id=bulk-001');
    const first = await alice.post('/job/pause', {
      id: 'bulk-001',
      version: formVersion(alicePage, '/job/pause'),
      _csrf: alice.token(),
    });
    expect(first.status).toBe(303);
    const second = await bob.post('/job/modify', {
      id: 'bulk-001',
      version: formVersion(bobPage, '/job/modify'),
      _csrf: bob.token(),
      name: 'Bob was here',
      maxInstances: '2',
    });
    expect(second.status).toBe(409);
    expect(await second.text()).toContain('was changed by someone else since you loaded it');
    const api = await bob.postJson('/api/job/remove', { id: 'bulk-001', version: 1 });
    expect(api.status).toBe(409);
    expect((await api.json()) as object).toMatchObject({ error: { name: 'VersionConflictError' } });
    const job = (await (await bob.get('/api/job?id=bulk-001')).json()) as {
      job: { name: string; status: string };
    };
    expect(job.job).toMatchObject({ name: 'noop', status: 'paused' });
  });

  it('modifies, reschedules with a preview, runs now and removes through the API', async () => {
    const api = new Browser(dashboard);
    const read = async () =>
      (await (await api.get('/api/job?id=bulk-002')).json()) as {
        job: Record<string, unknown>;
        version: number;
      };
    let { version } = await read();
    let response = await api.postJson('/api/job/modify', {
      id: 'bulk-002',
      version,
      name: 'Renamed',
      maxInstances: 3,
      timeout: 60,
      coalesce: false,
    });
    expect(response.status).toBe(200);
    expect((await read()).job).toMatchObject({
      name: 'Renamed',
      maxInstances: 3,
      timeout: 60,
      coalesce: false,
    });
    ({ version } = await read());
    response = await api.postJson('/api/job/reschedule', {
      id: 'bulk-002',
      version,
      spec: 'interval:minutes=7',
    });
    expect(response.status).toBe(200);
    expect((await read()).job.schedule).toBe('every 7 minutes');
    ({ version } = await read());
    response = await api.postJson('/api/job/reschedule', {
      id: 'bulk-002',
      version,
      spec: 'bogus:x=1',
    });
    expect(response.status).toBe(400);
    response = await api.postJson('/api/job/run', { id: 'bulk-002', version });
    expect(response.status).toBe(200);
    const due = Date.parse(String((await read()).job.nextRunTime));
    expect(Math.abs(due - Date.now())).toBeLessThan(5000);
    ({ version } = await read());
    response = await api.postJson('/api/job/remove', { id: 'bulk-002', version });
    expect(response.status).toBe(200);
    expect((await api.get('/api/job?id=bulk-002')).status).toBe(404);
    response = await api.postJson('/api/job/pause', { id: 'bulk-003' });
    expect(response.status).toBe(400);
  });

  it('pauses and resumes several jobs at once', async () => {
    const browser = new Browser(dashboard);
    await browser.page('/jobs');
    const ids = ['bulk-010', 'bulk-011', 'bulk-012'];
    const paused = await browser.post('/jobs/bulk', {
      action: 'pause',
      job: ids,
      _csrf: browser.token(),
    });
    expect(paused.status).toBe(303);
    const list = async () =>
      (
        (await (await browser.get('/api/jobs?status=paused&q=bulk-01')).json()) as {
          jobs: { id: string }[];
        }
      ).jobs.map((j) => j.id);
    expect(await list()).toEqual(ids);
    const resumed = await browser.postJson('/api/jobs/bulk', { action: 'resume', job: ids });
    expect(((await resumed.json()) as { ok: boolean }).ok).toBe(true);
    expect(await list()).toEqual([]);
  });

  it('cannot cancel a run from a store URL: the scheduler running it must', async () => {
    const response = await new Browser(dashboard).postJson('/api/fire/cancel', {
      id: 'nightly',
      fire: 'f1',
    });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain(
      'mount the dashboard in that scheduler',
    );
  });
});

describe('rows that cannot be restored', () => {
  it('lists them apart, shows why, and can remove them', async () => {
    const brokenUrl = sqliteUrl();
    await seed(brokenUrl, [{ id: 'fine' }, { id: 'mangled' }]);
    const db = openSqliteFile(brokenUrl.slice('sqlite:'.length));
    db.prepare(`update horarium_jobs set job_state = '{"not": "a job"' where id = 'mangled'`).run();
    db.close();
    const broken = createDashboard(brokenUrl);
    try {
      const browser = new Browser(broken);
      const jobs = (await (await browser.get('/api/jobs')).json()) as {
        jobs: { id: string }[];
        broken: { id: string; status: string; error: string }[];
      };
      expect(jobs.jobs.map((job) => job.id)).toEqual(['fine']);
      expect(jobs.broken).toMatchObject([{ id: 'mangled', status: 'broken' }]);
      expect(await browser.page('/jobs')).toContain('Jobs that cannot be restored');
      const page = await browser.page('/job?id=mangled');
      expect(page).toContain('This job cannot be restored');
      expect(page).not.toContain('action="/job/pause"');
      const remove = await browser.post('/job/remove', {
        id: 'mangled',
        version: formVersion(page, '/job/remove'),
        _csrf: browser.token(),
      });
      expect(remove.status).toBe(303);
      expect((await browser.get('/api/job?id=mangled')).status).toBe(404);
    } finally {
      await broken.close();
    }
  });
});

describe('authorization', () => {
  const matrix: [Access, number, number][] = [
    ['none', 401, 401],
    ['read', 200, 403],
    ['write', 200, 200],
  ];
  for (const [access, read, write] of matrix) {
    it(`${access}: pages ${read}, changes ${write}`, async () => {
      const asyncAuthorize = async (request: Request): Promise<Access> =>
        request.headers.get('x-user') === 'ops' ? access : 'none';
      const guarded = createDashboard(url, { authorize: asyncAuthorize });
      try {
        const browser = new Browser(guarded);
        browser.headers = { 'x-user': 'ops' };
        expect((await browser.get('/jobs')).status).toBe(read);
        expect((await browser.get('/api/jobs')).status).toBe(read);
        const { version } =
          read === 200
            ? ((await (await browser.get('/api/job?id=bulk-020')).json()) as { version: number })
            : { version: 0 };
        const change = await browser.postJson('/api/job/modify', {
          id: 'bulk-020',
          version,
          name: `by ${access}`,
        });
        expect(change.status).toBe(write);
        if (read === 200) {
          const html = await browser.page('/job?id=bulk-020');
          expect(html.includes('method="post"')).toBe(access === 'write');
        }
        expect((await new Browser(guarded).get('/jobs')).status).toBe(401);
      } finally {
        await guarded.close();
      }
    });
  }

  it('readOnly shows no action and refuses a forged change even with write access', async () => {
    const readOnly = createDashboard(url, { readOnly: true });
    try {
      const browser = new Browser(readOnly);
      for (const path of ['/', '/jobs', '/job?id=bulk-030', '/running']) {
        const html = await browser.page(path);
        expect(html).not.toContain('method="post"');
        expect(html).toContain('read-only');
      }
      const forged = await browser.post('/job/pause', {
        id: 'bulk-030',
        version: '1',
        _csrf: browser.token(),
      });
      expect(forged.status).toBe(403);
      expect(await forged.text()).toContain('read-only');
      expect(
        (await browser.postJson('/api/job/pause', { id: 'bulk-030', version: 1 })).status,
      ).toBe(403);
    } finally {
      await readOnly.close();
    }
  });

  it('basicAuth asks for credentials and lets the right ones write', async () => {
    const guarded = createDashboard(url, {
      basicAuth: { username: 'ops', password: 'correct horse' },
    });
    try {
      const anonymous = await new Browser(guarded).get('/');
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm="Horarium"/);
      const wrong = new Browser(guarded);
      wrong.headers = { authorization: `Basic ${Buffer.from('ops:wrong').toString('base64')}` };
      expect((await wrong.get('/')).status).toBe(401);
      const right = new Browser(guarded);
      right.headers = {
        authorization: `Basic ${Buffer.from('ops:correct horse').toString('base64')}`,
      };
      expect((await right.get('/')).status).toBe(200);
    } finally {
      await guarded.close();
    }
  });

  it('refuses unusable options with a named error', () => {
    expect(() => createDashboard(url, { basePath: 'no-slash' })).toThrow(/basePath/);
    expect(() => createDashboard(42 as unknown as string)).toThrow(
      /scheduler .* or a job store URL/,
    );
    expect(() => createDashboard(url, { basicAuth: { username: 'a:b', password: 'x' } })).toThrow(
      /basicAuth/,
    );
  });
});

describe('basePath', () => {
  it('prefixes links, assets and the cookie path, and answers with or without the prefix', async () => {
    const mounted = createDashboard(url, { basePath: '/ops/horarium/' });
    try {
      const browser = new Browser(mounted);
      const response = await browser.get('/ops/horarium/jobs');
      const html = await response.text();
      expect(response.headers.get('set-cookie')).toMatch(/Path=\/ops\/horarium/);
      expect(html).toContain('href="/ops/horarium/assets/dashboard.css"');
      expect(html).toContain('href="/ops/horarium/job?id=');
      expect(html).toContain('action="/ops/horarium/jobs"');
      expect((await browser.get('/jobs')).status).toBe(200);
      expect(
        (await browser.get('/ops/horarium/assets/dashboard.js')).headers.get('content-type'),
      ).toMatch(/javascript/);
    } finally {
      await mounted.close();
    }
  });
});

describe('inside a running scheduler', () => {
  it('changes jobs through the scheduler, so it honours them at once', async () => {
    const scheduler = new AsyncScheduler({
      logger: silentLogger,
      jobstores: { default: new SqlJobStore({ url: sqliteUrl() }) },
    });
    await scheduler.start({ paused: true });
    try {
      await scheduler.addJob(NOOP, 'interval', { id: 'tick', seconds: 30 });
      const inside = createDashboard(scheduler);
      const browser = new Browser(inside);
      const page = await browser.page('/job?id=tick');
      expect(page).toContain('every 30 seconds');
      const pause = await browser.post('/job/pause', {
        id: 'tick',
        version: formVersion(page, '/job/pause'),
        _csrf: browser.token(),
      });
      expect(pause.status).toBe(303);
      expect((await scheduler.getJob('tick'))?.nextRunTime).toBeNull();
      const overview = (await (await browser.get('/api/overview')).json()) as {
        nodes: unknown[];
        stores: { alias: string; kind: string }[];
      };
      expect(overview.stores).toEqual([{ alias: 'default', kind: 'SQL (sqlite)', shared: true }]);
      expect(overview.nodes).toHaveLength(1);
    } finally {
      await scheduler.shutdown();
    }
  });
});

describe('secrets', () => {
  it('never shows a store URL’s password, not even in an error', async () => {
    const secret = 'pa55w0rd-that-must-not-leak';
    const unreachable = createDashboard(`postgres://ops:${secret}@127.0.0.1:1/nothing`);
    try {
      const response = await new Browser(unreachable).get('/');
      const html = await response.text();
      expect(response.status).toBe(503);
      expect(html).not.toContain(secret);
      const api = await new Browser(unreachable).get('/api/jobs');
      expect(await api.text()).not.toContain(secret);
    } finally {
      await unreachable.close().catch(() => {});
    }
  });
});
