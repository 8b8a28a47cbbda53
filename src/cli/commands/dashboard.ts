/**
 * `horarium dashboard --store <url>`: the web dashboard on a job store, served
 * until Ctrl-C, with no scheduler in the process. A host other than a
 * loopback address is refused unless the dashboard asks for credentials
 * (`--auth`) or changes nothing (`--read-only`): anyone who reaches the port
 * could otherwise pause and remove jobs.
 */
import { createServer } from 'node:http';
import { isIP } from 'node:net';
import { redactUrl } from '../../config/redact-url.ts';
import { getZone, localZoneName } from '../../time/zone.ts';
import {
  CliError,
  type ReferenceOptions,
  reasonOf,
  referenceRulesFrom,
  storeUrlFrom,
} from '../store.ts';

export interface DashboardCommandOptions extends ReferenceOptions {
  store?: string;
  host: string;
  port: string;
  readOnly?: boolean;
  auth?: string;
  timezone?: string;
}

/** Is `host` this machine only (127.0.0.0/8, ::1, localhost)? */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

function credentialsOf(
  auth: string | undefined,
): { username: string; password: string } | undefined {
  if (auth === undefined) return undefined;
  const colon = auth.indexOf(':');
  if (colon <= 0 || colon === auth.length - 1)
    throw new CliError('--auth: give user:password (both non-empty)');
  return { username: auth.slice(0, colon), password: auth.slice(colon + 1) };
}

function portOf(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new CliError(`--port: ${JSON.stringify(text)} is not a port number (0 to 65535)`);
  return port;
}

export async function dashboardCommand(options: DashboardCommandOptions): Promise<void> {
  const host = options.host;
  const port = portOf(options.port);
  const basicAuth = credentialsOf(options.auth ?? process.env.HORARIUM_DASHBOARD_AUTH);
  if (!isLoopback(host) && basicAuth === undefined && options.readOnly !== true)
    throw new CliError(
      `refusing to serve the dashboard on ${host} without --auth user:pass or --read-only: anyone who can reach that address could pause, change and remove jobs (use --host 127.0.0.1 to serve this machine only)`,
    );
  const url = storeUrlFrom(options.store);
  const zone = getZone(options.timezone ?? localZoneName());
  // Loaded only for this command: the other commands never load the web server.
  const { createDashboard } = await import('../../dashboard.ts').catch((error: unknown) => {
    const missing = (error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND';
    if (!missing) throw error;
    throw new CliError(
      `the dashboard needs the packages hono and @hono/node-server: npm install hono @hono/node-server (${reasonOf(error)})`,
      { cause: error },
    );
  });
  const dashboard = createDashboard(url, {
    readOnly: options.readOnly === true,
    timezone: zone.name,
    jobReferences: referenceRulesFrom(options),
    ...(basicAuth === undefined ? {} : { basicAuth }),
  });
  await dashboard.ready();
  const server = createServer(dashboard.listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new CliError(`cannot listen on ${host}:${port}: ${reasonOf(error)}`, { cause: error }),
      ),
    );
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  const shown = host.includes(':') ? `[${host}]` : host;
  process.stdout.write(
    `Horarium dashboard on http://${shown}:${bound}/ for ${redactUrl(url)}${options.readOnly === true ? ' (read-only)' : ''}${basicAuth === undefined ? '' : ' (basic auth)'}; Ctrl-C stops it\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      server.closeAllConnections();
      server.close(() => resolve());
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await dashboard.close();
}
