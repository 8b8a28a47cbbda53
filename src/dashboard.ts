/**
 * `horarium/dashboard`: a web dashboard and JSON API for a running scheduler
 * or a job store, to mount in any Node.js HTTP framework. Needs the optional
 * peers `hono` and `@hono/node-server`.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createDashboard } from 'horarium/dashboard';
 *
 * const dashboard = createDashboard(scheduler, { basePath: '/horarium' });
 * createServer(dashboard.listener).listen(8787, '127.0.0.1');
 * ```
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { redactSecretsIn } from './config/redact-url.ts';
import { createApp } from './dashboard/app.ts';
import { schedulerSource } from './dashboard/scheduler-source.ts';
import {
  type Access,
  type Authorize,
  type BasicAuthCredentials,
  basicAuthorize,
} from './dashboard/security.ts';
import type { DashboardSource } from './dashboard/source.ts';
import { storeSource } from './dashboard/store-source.ts';
import { HorariumError } from './errors.ts';
import type { JobReferenceRules } from './jobs/reference-policy.ts';
import { BaseScheduler } from './scheduler/base-scheduler.ts';
import { getZone, localZoneName } from './time/zone.ts';

export { VersionConflictError } from './dashboard/app.ts';
export type { Access, Authorize, BasicAuthCredentials } from './dashboard/security.ts';

export interface DashboardOptions {
  /** The path the dashboard is mounted at, e.g. `/horarium` (default: the root). Links and the CSRF cookie use it. */
  basePath?: string;
  /** Show no action and refuse every change (default false). */
  readOnly?: boolean;
  /**
   * What a request may do: `'none'` (401), `'read'` (pages and GET API) or
   * `'write'` (also changes). May be async. Default: `'write'` for every
   * request; mount the dashboard behind your application's own authentication,
   * or pass this or `basicAuth`.
   */
  authorize?: Authorize;
  /** HTTP basic authentication: these credentials get `write`, any other request a 401 that asks for them. */
  basicAuth?: BasicAuthCredentials;
  /** For a store URL: the zone times are shown in (default: the host's). A scheduler's dashboard uses its zone. */
  timezone?: string;
  /** For a store URL: the job reference rules its jobs are checked against (see docs/security.md). */
  jobReferences?: JobReferenceRules;
}

export interface Dashboard {
  /** The Web-standard handler (Hono, Bun, Deno, anything that speaks `Request`/`Response`). */
  fetch(request: Request): Promise<Response>;
  /** The Node.js handler, for `node:http`, Express, Koa and Fastify. */
  listener(request: IncomingMessage, response: ServerResponse): void;
  /** Opens the store now (a dashboard on a store URL otherwise opens it on its first request); rejects when it cannot. */
  ready(): Promise<void>;
  /** Closes the store a dashboard on a store URL opened (a scheduler's stores stay as they are). */
  close(): Promise<void>;
}

/** An option of `createDashboard` that cannot be used. */
export class DashboardOptionError extends HorariumError {
  override name = 'DashboardOptionError';
}

function basePathOf(value: unknown): string {
  if (value === undefined || value === '' || value === '/') return '';
  if (typeof value !== 'string' || !/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(value))
    throw new DashboardOptionError(
      `basePath: ${JSON.stringify(value)} is not a path; pass one that starts with "/", such as "/horarium"`,
    );
  return value.replace(/\/+$/, '');
}

function authorizeOf(options: DashboardOptions): Authorize {
  if (options.authorize !== undefined && options.basicAuth !== undefined)
    throw new DashboardOptionError('pass authorize or basicAuth, not both');
  if (options.authorize !== undefined) {
    if (typeof options.authorize !== 'function')
      throw new DashboardOptionError(
        'authorize: must be a function (request) => "none" | "read" | "write"',
      );
    return options.authorize;
  }
  if (options.basicAuth !== undefined) {
    const { username, password } = options.basicAuth;
    if (
      typeof username !== 'string' ||
      typeof password !== 'string' ||
      username === '' ||
      password === '' ||
      username.includes(':')
    )
      throw new DashboardOptionError(
        'basicAuth: needs a username (without ":") and a password, both non-empty',
      );
    return basicAuthorize(options.basicAuth);
  }
  return (): Access => 'write';
}

/**
 * A dashboard for a running scheduler, or for the job store at a URL
 * (`sqlite:jobs.db`, `postgres://…`, `mysql://…`, `redis://…`) with no
 * scheduler in the process. See docs/dashboard.md.
 *
 * @throws DashboardOptionError for an option that cannot be used.
 */
export function createDashboard(
  source: BaseScheduler | string,
  options: DashboardOptions = {},
): Dashboard {
  const base = basePathOf(options.basePath);
  const authorize = authorizeOf(options);
  let data: DashboardSource;
  let redact = (text: string): string => text;
  if (source instanceof BaseScheduler) data = schedulerSource(source);
  else if (typeof source === 'string') {
    const zone = getZone(options.timezone ?? localZoneName());
    data = storeSource(source, zone, options.jobReferences ?? {});
    redact = (text) => redactSecretsIn(text, source);
  } else
    throw new DashboardOptionError(
      'source: pass a scheduler (new AsyncScheduler(…)) or a job store URL such as "postgres://…"',
    );
  const app = createApp(data, {
    base,
    readOnly: options.readOnly === true,
    authorize,
    redact,
    ...(options.basicAuth === undefined
      ? {}
      : { challenge: 'Basic realm="Horarium", charset="UTF-8"' }),
  });
  const fetch = async (request: Request): Promise<Response> => app.fetch(request);
  const handle = getRequestListener(fetch);
  return {
    fetch,
    listener: (request, response) => {
      void handle(request, response);
    },
    ready: () => data.ready(),
    close: () => data.close(),
  };
}
