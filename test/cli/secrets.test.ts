/**
 * No command prints a secret of its store URL: `horarium jobs list` and
 * `horarium run` against a server that refuses the connection (wrong
 * database, wrong password, nothing listening) or a URL that cannot be used,
 * with the password in the userinfo, in a query parameter, holding `/` or
 * `@`. Neither stdout nor stderr holds any part of it.
 */
import { describe, expect, it } from 'vitest';
import { MYSQL_URL, POSTGRES_URL } from '../helpers/sql-backends.ts';
import { runCli } from './cli-helpers.ts';

const TIMEOUT = 120_000;

/** The server URL with another database, and a query or userinfo password. */
function withDatabase(url: string, database: string): URL {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed;
}

function postgresWithQueryPassword(): string {
  const url = withDatabase(POSTGRES_URL, 'horarium_no_such_database');
  url.searchParams.set('password', 'S3cr3tPw');
  return url.href;
}

/** `scheme://user:<password>@host:port/database`, written by hand so that `/` and `@` stay unencoded. */
function withRawPassword(url: string, password: string, database?: string): string {
  const parsed = new URL(url);
  const path = database === undefined ? parsed.pathname : `/${database}`;
  return `${parsed.protocol}//${decodeURIComponent(parsed.username)}:${password}@${parsed.host}${path}`;
}

const cases: { what: string; url: string; secrets: string[] }[] = [
  {
    what: 'PostgreSQL, password as a query parameter (pg reads it), database missing',
    url: postgresWithQueryPassword(),
    secrets: ['S3cr3tPw'],
  },
  {
    what: 'PostgreSQL, password holding "/"',
    url: withRawPassword(POSTGRES_URL, 'S3/cr3tPw'),
    secrets: ['S3/cr3tPw', 'cr3tPw'],
  },
  {
    what: 'PostgreSQL, password holding "@", nothing listening',
    url: 'postgres://postgres:S3cr@tPw@127.0.0.1:1/test',
    secrets: ['S3cr@tPw', 'S3cr', 'tPw@'],
  },
  {
    what: 'MariaDB, wrong password',
    url: withRawPassword(MYSQL_URL, 'Wr0ngS3cr3t'),
    secrets: ['Wr0ngS3cr3t'],
  },
  {
    what: 'MariaDB, password holding "/"',
    url: withRawPassword(MYSQL_URL, 'S3/cr3tPw'),
    secrets: ['S3/cr3tPw', 'cr3tPw'],
  },
  {
    what: 'Redis, password only, nothing listening',
    url: 'redis://:S3cr3tPw@127.0.0.1:1/0',
    secrets: ['S3cr3tPw'],
  },
  {
    what: 'MongoDB (not a CLI store) with several hosts',
    url: 'mongodb://app:S3cr3tPw@h1:27017,h2:27017/jobs',
    secrets: ['S3cr3tPw'],
  },
];

describe('store URLs with secrets on the command line', () => {
  for (const { what, url, secrets } of cases) {
    it(
      `jobs list: ${what}`,
      async () => {
        const result = await runCli(['jobs', 'list', '--store', url]);
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/^horarium: .*\*\*\*/);
        for (const secret of secrets) {
          expect(result.stdout).not.toContain(secret);
          expect(result.stderr).not.toContain(secret);
        }
      },
      TIMEOUT,
    );
  }

  it(
    'run: the start line and the failure show the URL without its password',
    async () => {
      const url = withRawPassword(POSTGRES_URL, 'S3/cr3tPw', 'horarium_no_such_database');
      const result = await runCli(['run', 'cli-run-specs.ts', '--store', url]);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/starting: store postgres:\/\/[^ ]*:\*\*\*@/);
      expect(result.stderr).toMatch(/^horarium: cannot start the scheduler: /);
      for (const output of [result.stdout, result.stderr]) {
        expect(output).not.toContain('S3/cr3tPw');
        expect(output).not.toContain('cr3tPw');
      }
    },
    TIMEOUT,
  );
});
