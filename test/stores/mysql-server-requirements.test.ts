/**
 * The MySQL/MariaDB servers the SQL store can share between schedulers: SKIP
 * LOCKED (MySQL 8.0.1, MariaDB 10.6) and no statement-based binary log; and
 * the real MariaDB here passes the check.
 */
import { describe, expect, it } from 'vitest';
import {
  checkMysqlServer,
  mysqlServerProblem,
} from '../../src/stores/sql/mysql/server-requirements.ts';
import {
  describeWhenReachable,
  MYSQL_URL,
  mysqlBackend,
  openMysqlKysely,
} from '../helpers/sql-backends.ts';

describe('mysqlServerProblem', () => {
  it.each([
    ['8.0.36', false, 'ROW'],
    ['8.0.1', true, 'ROW'],
    ['9.1.0', true, 'MIXED'],
    ['10.6.0-MariaDB', false, 'STATEMENT'],
    ['10.11.19-MariaDB-0+deb12u1', true, 'MIXED'],
    ['11.4.2-MariaDB', true, 'ROW'],
  ])('accepts %s (log_bin %s, %s)', (version, logBin, binlogFormat) => {
    expect(mysqlServerProblem({ version, logBin, binlogFormat })).toBeNull();
  });

  it.each([
    ['10.5.23-MariaDB', 'MariaDB 10.5.23-MariaDB is older than 10.6'],
    ['10.3.39-MariaDB-0+deb10u1', 'is older than 10.6'],
    ['5.7.44-log', 'MySQL 5.7.44-log is older than 8.0.1'],
    ['8.0.0-dmr', 'is older than 8.0.1'],
  ])('refuses %s, naming the version and the fix', (version, words) => {
    const problem = mysqlServerProblem({ version, logBin: false, binlogFormat: 'ROW' });
    expect(problem).toContain(words);
    expect(problem).toContain('upgrade the server');
  });

  it('refuses statement-based binary logging, naming the setting to change', () => {
    expect(
      mysqlServerProblem({ version: '8.0.36', logBin: true, binlogFormat: 'statement' }),
    ).toMatch(/binlog_format=STATEMENT.*set binlog_format=ROW \(or MIXED\)/);
  });
});

await describeWhenReachable(mysqlBackend, MYSQL_URL, () => {
  describe('checkMysqlServer on the MariaDB here', () => {
    it('passes', async () => {
      const db = openMysqlKysely();
      try {
        await expect(checkMysqlServer(db, 'test')).resolves.toBeUndefined();
      } finally {
        await db.destroy();
      }
    });
  });
});
