/**
 * The dashboard mounted at /horarium in each framework docs/dashboard.md
 * shows (Hono, Express, Koa, Fastify, node:http), over real sockets: a page
 * links under the mount path, its assets load, and a form change (cookie,
 * token, form body) goes through the framework untouched.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard, type Dashboard } from '../../src/dashboard.ts';
import { formVersion, removeTempDirs, seed, sqliteUrl } from './dashboard-helpers.ts';

let dashboard: Dashboard;

beforeAll(async () => {
  const url = sqliteUrl();
  await seed(url, [
    { id: 'hono' },
    { id: 'express' },
    { id: 'koa' },
    { id: 'fastify' },
    { id: 'node-http' },
  ]);
  dashboard = createDashboard(url, { basePath: '/horarium' });
}, 60_000);

afterAll(async () => {
  await dashboard.close();
  removeTempDirs();
});

/** Listens on a free loopback port; resolves with the base URL and a way to close. */
function listen(server: Server): Promise<{ origin: string; close: () => Promise<void> }> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        origin: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** What every framework must let through: a page, an asset, and a paused job after a form post. */
async function exercise(origin: string, jobId: string): Promise<void> {
  const page = await fetch(`${origin}/horarium/job?id=${jobId}`);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('href="/horarium/assets/dashboard.css"');
  expect(html).toContain('href="/horarium/jobs"');
  const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const css = await fetch(`${origin}/horarium/assets/dashboard.css`);
  expect(css.headers.get('content-type')).toMatch(/text\/css/);
  await css.text();
  const body = new URLSearchParams({
    _csrf: cookie.split('=')[1] ?? '',
    id: jobId,
    version: formVersion(html, '/horarium/job/pause'),
  });
  const pause = await fetch(`${origin}/horarium/job/pause`, {
    method: 'POST',
    body,
    redirect: 'manual',
    headers: { cookie, origin, 'content-type': 'application/x-www-form-urlencoded' },
  });
  expect(pause.status).toBe(303);
  expect(pause.headers.get('location')).toBe(`/horarium/job?done=paused&id=${jobId}`);
  const json = (await (await fetch(`${origin}/horarium/api/job?id=${jobId}`)).json()) as {
    job: { status: string };
  };
  expect(json.job.status).toBe('paused');
}

describe('mounted at /horarium', () => {
  it('in Hono (app.mount)', async () => {
    const app = new Hono();
    app.get('/', (c) => c.text('my app'));
    app.mount('/horarium', dashboard.fetch, { replaceRequest: false });
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      await exercise(`http://127.0.0.1:${port}`, 'hono');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('in Express (app.use, before any body parser)', async () => {
    const app = express();
    app.use('/horarium', dashboard.listener);
    app.use(express.json());
    const { origin, close } = await listen(createServer(app));
    try {
      await exercise(origin, 'express');
    } finally {
      await close();
    }
  });

  it('in Koa (ctx.respond = false)', async () => {
    const app = new Koa();
    app.use(async (ctx, next) => {
      if (ctx.path !== '/horarium' && !ctx.path.startsWith('/horarium/')) return next();
      ctx.respond = false;
      dashboard.listener(ctx.req, ctx.res);
    });
    const callback = app.callback();
    const { origin, close } = await listen(
      createServer((request, response) => {
        void callback(request, response);
      }),
    );
    try {
      await exercise(origin, 'koa');
    } finally {
      await close();
    }
  });

  it('in Fastify (a plugin that leaves the body unread and hijacks the reply)', async () => {
    const app = Fastify();
    await app.register(async (instance) => {
      instance.removeAllContentTypeParsers();
      instance.addContentTypeParser('*', (_request, _payload, done) => done(null));
      const handler = (
        request: { raw: import('node:http').IncomingMessage },
        reply: { hijack(): void; raw: import('node:http').ServerResponse },
      ) => {
        reply.hijack();
        dashboard.listener(request.raw, reply.raw);
      };
      instance.all('/horarium', handler);
      instance.all('/horarium/*', handler);
    });
    const origin = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      await exercise(origin, 'fastify');
    } finally {
      await app.close();
    }
  });

  it('in node:http', async () => {
    const { origin, close } = await listen(
      createServer((request, response) => {
        if (request.url?.startsWith('/horarium')) return dashboard.listener(request, response);
        response.end('my app');
      }),
    );
    try {
      await exercise(origin, 'node-http');
    } finally {
      await close();
    }
  });
});
