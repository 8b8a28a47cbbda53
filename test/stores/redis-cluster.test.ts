/**
 * RedisJobStore on a real Redis Cluster: three `redis-server` processes in
 * cluster mode, started by this file on free loopback ports and joined with
 * `redis-cli --cluster create`. The store contract runs unchanged through an
 * ioredis `Cluster` client, and a scheduler runs jobs from it. Without the
 * Redis binaries the suite is skipped, except under CI=true, where that fails.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncScheduler, ConfigurationError, RedisJobStore } from '../../src/index.ts';
import { storeKeys } from '../../src/stores/redis/redis-keys.ts';
import { hashTagOf } from '../../src/stores/redis/redis-store.ts';
import { storeTestContext } from '../helpers/store-context.ts';
import { describeJobChangeLogContract } from './job-change-log-contract.ts';
import { describeLedgerContract } from './ledger-contract.ts';
import { describeStoreContract } from './store-contract.ts';

const IN_CI = process.env.CI === 'true';
const NODES = 3;

/** Null when `redis-server` and `redis-cli` run here, else why not. */
function binariesMissing(): string | null {
  for (const binary of ['redis-server', 'redis-cli']) {
    try {
      execFileSync(binary, ['--version'], { stdio: 'ignore', timeout: 10_000 });
    } catch (error) {
      return `${binary} is not available (${(error as Error).message})`;
    }
  }
  return null;
}

const missing = binariesMissing();

/** Is `port` free on loopback? */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** `count` ports whose cluster bus port (port + 10000) is free too. */
async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    if (ports.includes(port)) continue;
    if ((await portFree(port)) && (await portFree(port + 10_000))) ports.push(port);
  }
  return ports;
}

/** Polls `check` until it is true, or fails after `ms` with `what`. */
async function waitFor(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function ask(port: number, ...command: string[]): Promise<string> {
  const client = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 });
  // connect() rejects with the same error; without a listener ioredis also prints it
  // ("Unhandled error event") while a node is still starting.
  client.on('error', () => {});
  try {
    await client.connect();
    return String(await client.call(command[0] as string, command.slice(1)));
  } finally {
    client.disconnect();
  }
}

interface RunningCluster {
  ports: number[];
  stop(): void;
}

async function startCluster(): Promise<RunningCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'horarium-redis-cluster-'));
  const ports = await freePorts(NODES);
  const servers: ChildProcess[] = ports.map((port) =>
    spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { stdio: 'ignore' },
    ),
  );
  const stop = (): void => {
    for (const server of servers) server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      await waitFor(`redis-server on port ${port}`, 15_000, async () => {
        return (await ask(port, 'PING')) === 'PONG';
      });
    }
    execFileSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((port) => `127.0.0.1:${port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { stdio: 'ignore', timeout: 30_000 },
    );
    for (const port of ports) {
      await waitFor(`the cluster state on port ${port}`, 30_000, async () => {
        return (await ask(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok');
      });
    }
  } catch (error) {
    stop();
    throw error;
  }
  return { ports, stop };
}

if (missing !== null && IN_CI) {
  describe('RedisJobStore on Redis Cluster', () => {
    it('needs redis-server and redis-cli under CI=true', () => {
      throw new Error(`Cannot start a Redis Cluster: ${missing}`);
    });
  });
}

describe('hashTagOf (how Redis Cluster slots a key prefix)', () => {
  it('takes the text between the first { and the next }', () => {
    expect(hashTagOf('{horarium}.')).toBe('horarium');
    expect(hashTagOf('app:{jobs:eu}:')).toBe('jobs:eu');
    expect(hashTagOf('{a}{b}')).toBe('a');
  });

  it('has none when there is no brace, the tag is empty or it is not closed inside the prefix', () => {
    expect(hashTagOf('horarium.')).toBeNull();
    expect(hashTagOf('{}horarium.')).toBeNull();
    expect(hashTagOf('{}{horarium}.')).toBeNull();
    expect(hashTagOf('horarium{')).toBeNull();
    expect(hashTagOf('}{x')).toBeNull();
  });
});

describe.skipIf(missing !== null && !IN_CI)(
  `RedisJobStore on Redis Cluster (${missing === null ? `${NODES} local nodes` : `skipped: ${missing}`})`,
  () => {
    let cluster: RunningCluster;
    let client: Cluster;
    const runId = randomUUID();
    let storeCount = 0;
    const uniquePrefix = (): string => `{horarium-test:${runId}:${++storeCount}}.`;

    beforeAll(async () => {
      cluster = await startCluster();
      client = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
      await waitFor('the cluster client', 15_000, async () => (await client.ping()) === 'PONG');
    }, 90_000);

    afterAll(() => {
      client?.disconnect();
      cluster?.stop();
    });

    /** A store on a prefix of its own; cleanup deletes every key of it (they share its slot). */
    const clusterStore = async () => {
      const prefix = uniquePrefix();
      const store = new RedisJobStore({ client, keyPrefix: prefix });
      return {
        store,
        cleanup: async () => {
          const slot = Number(await client.call('CLUSTER', ['KEYSLOT', store.keys.jobs]));
          const keys = (await client.call('CLUSTER', [
            'GETKEYSINSLOT',
            String(slot),
            '1000',
          ])) as string[];
          const mine = keys.filter((key) => key.startsWith(prefix));
          if (mine.length > 0) await client.del(...mine);
        },
      };
    };

    describeStoreContract('RedisJobStore (Redis Cluster)', clusterStore);
    describeLedgerContract('RedisJobStore (Redis Cluster)', clusterStore);
    describeJobChangeLogContract('RedisJobStore (Redis Cluster)', async () => {
      const { store: first, cleanup } = await clusterStore();
      const prefix = first.keys.jobs.slice(0, -'jobs'.length);
      const second = new RedisJobStore({ client, keyPrefix: prefix });
      await first.start(storeTestContext(), 'default');
      await second.start(storeTestContext(), 'default');
      return {
        first,
        second,
        async cleanup() {
          await first.shutdown();
          await second.shutdown();
          await cleanup();
        },
      };
    });

    it('refuses a Cluster client with a key prefix that has no hash tag, naming the option', () => {
      const attempt = (): RedisJobStore => new RedisJobStore({ client, keyPrefix: 'horarium.' });
      expect(attempt).toThrow(ConfigurationError);
      expect(attempt).toThrow(/keyPrefix.*hash tag.*'\{horarium\}\.'.*"horarium\."/);
      // The default prefix has none either.
      expect(() => new RedisJobStore({ client })).toThrow(/hash tag/);
    });

    it('keeps every key (jobs and ledger) in one slot, and that slot is served by the cluster', async () => {
      const prefix = uniquePrefix();
      const store = new RedisJobStore({ client, keyPrefix: prefix });
      expect(storeKeys(prefix).slice(0, 2)).toEqual([store.keys.jobs, store.keys.runTimes]);
      const slots = await Promise.all(
        storeKeys(prefix).map((key) => client.call('CLUSTER', ['KEYSLOT', key])),
      );
      expect(new Set(slots).size).toBe(1);
    });

    it('runs jobs from the cluster in a scheduler and leaves the given client open', async () => {
      const store = new RedisJobStore({ client, keyPrefix: uniquePrefix() });
      const scheduler = new AsyncScheduler({ jobstores: { default: store } });
      const ran: string[] = [];
      scheduler.registerTask('record', (name: string) => void ran.push(name));
      await scheduler.start();
      try {
        const due = new Date(Date.now() + 300);
        await scheduler.addJob('record', 'date', { runDate: due, args: ['a'], id: 'a' });
        await scheduler.addJob('record', 'date', { runDate: due, args: ['b'], id: 'b' });
        await waitFor('both jobs to run', 15_000, async () => ran.length === 2);
        expect(ran.sort()).toEqual(['a', 'b']);
        // Date jobs are removed once they have run.
        await waitFor('the store to empty', 5_000, async () => {
          return (await scheduler.getJobs()).length === 0;
        });
      } finally {
        await scheduler.shutdown();
      }
      expect(client.status).toBe('ready');
      expect(await client.ping()).toBe('PONG');
    }, 30_000);
  },
);
