/**
 * The `cluster` option: how this scheduler shares its persistent stores with
 * other schedulers. Sharing needs no switch (every persistent store is safe to
 * share); these settings only tune it.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { coerceNumber } from '../../config/coerce.ts';
import { describeValue } from '../../config/describe.ts';
import { ConfigurationError } from '../../config/errors.ts';
import { isRecord } from '../../config/records.ts';
import { checkOptionNames } from '../../config/suggest.ts';

/** How nodes learn that a job was added or changed before their next poll. */
export type WakeOption = 'auto' | 'poll' | { readonly mqtt: string };

export interface ClusterOptions {
  /** This scheduler's name in the stores it shares (default: hostname-pid-random). Two live nodes may not share one. */
  nodeId?: string;
  /** Seconds a claimed job stays reserved for this node's commit (default 30). */
  claimLease?: number;
  /** Seconds a running fire stays reserved for this node without a renewal (default 30); renewed every third of it. */
  runLease?: number;
  /** Jobs claimed at most per claim (default 100). */
  claimBatch?: number;
  /**
   * `'auto'` (default): wake-ups through the store where it has them (PostgreSQL
   * LISTEN/NOTIFY, Redis pub/sub); `'poll'`: polling only; `{ mqtt: url }`: through an MQTT broker.
   */
  wake?: WakeOption;
}

/** The cluster options with their defaults, times in ms. */
export interface ClusterSettings {
  readonly nodeId: string;
  readonly claimLeaseMs: number;
  readonly runLeaseMs: number;
  readonly claimBatch: number;
  readonly wake: WakeOption;
}

const OPTION_NAMES = ['nodeId', 'claimLease', 'runLease', 'claimBatch', 'wake'];
/** Node ids are stored beside job ids, which hold 191 characters. */
const MAX_NODE_ID_LENGTH = 191;
/** Leases longer than a timer can wait would make renewals wait forever. */
const MAX_LEASE_SECONDS = 86_400;

/** A node id for this process: `hostname-pid-6hex`, so a restarted container reusing a pid is a new node. */
export function defaultNodeId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** @throws ConfigurationError naming `key.option` */
export function normalizeClusterOptions(key: string, value: unknown): ClusterOptions {
  if (!isRecord(value))
    throw new ConfigurationError(
      key,
      `expected an object with ${OPTION_NAMES.join(', ')}, got ${describeValue(value)}`,
    );
  checkOptionNames(key, value, OPTION_NAMES, 'cluster option');
  const options: ClusterOptions = {};
  if (value.nodeId !== undefined) {
    const nodeId = value.nodeId;
    if (typeof nodeId !== 'string' || nodeId.trim() === '' || nodeId.length > MAX_NODE_ID_LENGTH)
      throw new ConfigurationError(
        `${key}.nodeId`,
        `expected a non-empty string of at most ${MAX_NODE_ID_LENGTH} characters, got ${describeValue(nodeId)}`,
      );
    options.nodeId = nodeId.trim();
  }
  for (const name of ['claimLease', 'runLease'] as const) {
    if (value[name] !== undefined)
      options[name] = coerceNumber(`${key}.${name}`, value[name], {
        positive: true,
        max: MAX_LEASE_SECONDS,
      });
  }
  if (value.claimBatch !== undefined)
    options.claimBatch = coerceNumber(`${key}.claimBatch`, value.claimBatch, {
      integer: true,
      min: 1,
      max: 10_000,
    });
  if (value.wake !== undefined) options.wake = normalizeWake(`${key}.wake`, value.wake);
  return options;
}

function normalizeWake(key: string, value: unknown): WakeOption {
  if (value === 'auto' || value === 'poll') return value;
  if (isRecord(value)) {
    checkOptionNames(key, value, ['mqtt'], 'wake option');
    if (typeof value.mqtt === 'string' && /^mqtts?:\/\/|^wss?:\/\//.test(value.mqtt))
      return { mqtt: value.mqtt };
    throw new ConfigurationError(
      `${key}.mqtt`,
      `expected a broker URL such as 'mqtt://127.0.0.1:1883', got ${describeValue(value.mqtt)}`,
    );
  }
  throw new ConfigurationError(
    key,
    `expected 'auto', 'poll' or { mqtt: 'mqtt://host:1883' }, got ${describeValue(value)}`,
  );
}

/** The settings in force: the options given, the defaults for the others. */
export function clusterSettings(options: ClusterOptions = {}): ClusterSettings {
  return {
    nodeId: options.nodeId ?? defaultNodeId(),
    claimLeaseMs: (options.claimLease ?? 30) * 1000,
    runLeaseMs: (options.runLease ?? 30) * 1000,
    claimBatch: options.claimBatch ?? 100,
    wake: options.wake ?? 'auto',
  };
}
