/**
 * The `cluster` scheduler option (SPEC §3 "Several schedulers on one store"):
 * structured and flat forms, defaults, and typed errors naming the fix.
 */
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/config/errors.ts';
import { AsyncScheduler, MemoryJobStore, silentLogger } from '../../../src/index.ts';
import {
  clusterSettings,
  defaultNodeId,
  normalizeClusterOptions,
} from '../../../src/scheduler/cluster/cluster-options.ts';
import { normalizeConfig } from '../../../src/scheduler/config.ts';

describe('cluster options', () => {
  it('defaults: 30 s leases, batches of 100, wake-ups through the store', () => {
    const settings = clusterSettings();
    expect(settings).toMatchObject({
      claimLeaseMs: 30_000,
      runLeaseMs: 30_000,
      claimBatch: 100,
      wake: 'auto',
    });
    expect(settings.nodeId).toMatch(/^.+-\d+-[0-9a-f]{6}$/);
  });

  it('a default node id is new for every scheduler, so a reused pid is a new node', () => {
    expect(defaultNodeId()).not.toBe(defaultNodeId());
  });

  it('reads the structured form and converts seconds to ms', () => {
    const config = normalizeConfig({
      cluster: { nodeId: ' web-1 ', claimLease: 10, runLease: 0.5, claimBatch: 5, wake: 'poll' },
    });
    expect(config.cluster).toEqual({
      nodeId: 'web-1',
      claimLease: 10,
      runLease: 0.5,
      claimBatch: 5,
      wake: 'poll',
    });
    expect(clusterSettings(config.cluster)).toEqual({
      nodeId: 'web-1',
      claimLeaseMs: 10_000,
      runLeaseMs: 500,
      claimBatch: 5,
      wake: 'poll',
    });
  });

  it('reads the flat form, numbers as strings', () => {
    const config = normalizeConfig({
      'horarium.cluster.nodeId': 'worker-a',
      'horarium.cluster.runLease': '45',
      'horarium.cluster.claimBatch': '20',
      'horarium.cluster.wake.mqtt': 'mqtt://127.0.0.1:1883',
    });
    expect(config.cluster).toEqual({
      nodeId: 'worker-a',
      runLease: 45,
      claimBatch: 20,
      wake: { mqtt: 'mqtt://127.0.0.1:1883' },
    });
  });

  it.each([
    [{ nodeId: '' }, 'cluster.nodeId', 'non-empty string'],
    [{ nodeId: 'x'.repeat(192) }, 'cluster.nodeId', 'at most 191'],
    [{ claimLease: 0 }, 'cluster.claimLease', ''],
    [{ runLease: -1 }, 'cluster.runLease', ''],
    [{ runLease: 100_000 }, 'cluster.runLease', ''],
    [{ claimBatch: 1.5 }, 'cluster.claimBatch', ''],
    [{ claimBatch: 0 }, 'cluster.claimBatch', ''],
    [{ wake: 'push' }, 'cluster.wake', "expected 'auto', 'poll'"],
    [{ wake: { mqtt: 'localhost:1883' } }, 'cluster.wake.mqtt', 'broker URL'],
    [{ node_id: 'a' }, 'cluster.node_id', 'nodeId'],
    [{ lease: 5 }, 'cluster.lease', 'unknown cluster option'],
  ])('refuses %j with an error naming %s', (value, key, words) => {
    let error: unknown;
    try {
      normalizeConfig({ cluster: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const message = (error as Error).message;
    expect(message.startsWith(`${key}:`)).toBe(true);
    expect(message).toContain(words);
  });

  it('refuses a value that is not an object, listing the options', () => {
    expect(() => normalizeClusterOptions('cluster', true)).toThrow(
      'cluster: expected an object with nodeId, claimLease, runLease, claimBatch, wake, got true',
    );
  });

  it('refuses cluster options at start when every job store is a memory store, and starts nothing', async () => {
    const scheduler = new AsyncScheduler({
      jobstores: { default: new MemoryJobStore() },
      cluster: { nodeId: 'web-1' },
      logger: silentLogger,
    });
    await expect(scheduler.start()).rejects.toThrow(
      /^cluster: applies to persistent job stores .* memory store, which stays in one process: remove the cluster option, or add a persistent store/,
    );
    expect(scheduler.running).toBe(false);
    // Without the option the same scheduler starts.
    const plain = new AsyncScheduler({ logger: silentLogger });
    await plain.start();
    await plain.shutdown();
  });
});
