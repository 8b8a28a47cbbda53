/**
 * Scheduler configuration (SPEC §2 "Scheduler": config structured or flat;
 * reference §1.3: prefix, dotted keys, asbool): normalization, coercion, the
 * error for every kind of bad input (naming the full key and the value), and
 * the job store / executor plugin registry.
 */
import { describe, expect, it } from 'vitest';
import type { Executor } from '../../src/executors/executor.ts';
import {
  coerceBoolean,
  coerceNullableNumber,
  coerceNumber,
  registerExecutorType,
  registerJobStoreType,
} from '../../src/extend.ts';
import {
  ConfigurationError,
  HorariumError,
  ProcessPoolExecutor,
  type SchedulerConfig,
  ThreadPoolExecutor,
  UnknownTimeZoneError,
} from '../../src/index.ts';
import { type Logger, silentLogger } from '../../src/logging.ts';
import { normalizeConfig } from '../../src/scheduler/config.ts';
import {
  createExecutor,
  createJobStore,
  registeredExecutorTypes,
  registeredJobStoreTypes,
} from '../../src/scheduler/plugins.ts';
import type { JobStore } from '../../src/stores/store.ts';

// ---------------------------------------------------------------------------
// Fakes

class FakeStore implements JobStore {
  readonly options: Record<string, unknown>;
  constructor(options: Record<string, unknown> = {}) {
    this.options = options;
  }
  async start(): Promise<void> {}
  async shutdown(): Promise<void> {}
  async lookupJob(): Promise<null> {
    return null;
  }
  async getDueJobs(): Promise<[]> {
    return [];
  }
  async getNextRunTime(): Promise<null> {
    return null;
  }
  async getAllJobs(): Promise<[]> {
    return [];
  }
  async addJob(): Promise<void> {}
  async updateJob(): Promise<void> {}
  async removeJob(): Promise<void> {}
  async removeAllJobs(): Promise<void> {}
}

class FakeExecutor implements Executor {
  readonly options: Record<string, unknown>;
  constructor(options: Record<string, unknown> = {}) {
    this.options = options;
  }
  start(): void {}
  async shutdown(): Promise<void> {}
  submitJob(): void {}
  runningInstances(): number {
    return 0;
  }
}

/** The ConfigurationError `fn` throws; fails the test when it throws nothing or something else. */
function configError(fn: () => unknown): ConfigurationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error).toBeInstanceOf(HorariumError);
    return error as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError, but none was thrown');
}

// ---------------------------------------------------------------------------

describe('normalizeConfig: structured and flat forms', () => {
  const structured: SchedulerConfig = {
    jobstores: {
      default: { type: 'memory' },
      main: { type: 'sql', url: 'sqlite:jobs.sqlite', tableName: 'jobs' },
    },
    executors: { threads: { type: 'threadpool', maxWorkers: '20' } },
    jobDefaults: { coalesce: false, maxInstances: 3, misfireGraceTime: 30 },
    timezone: 'UTC',
    jobstoreRetryInterval: 5,
    daemon: true,
    storePollInterval: 2.5,
  };
  const flat = {
    'horarium.jobstores.default': { type: 'memory' },
    'horarium.jobstores.main': { type: 'sql', url: 'sqlite:jobs.sqlite' },
    'horarium.jobstores.main.tableName': 'jobs',
    'horarium.executors.threads.type': 'threadpool',
    'horarium.executors.threads.maxWorkers': '20',
    'horarium.jobDefaults.coalesce': 'false',
    'horarium.jobDefaults.maxInstances': '3',
    'horarium.jobDefaults.misfireGraceTime': '30',
    'horarium.timezone': 'UTC',
    'horarium.jobstoreRetryInterval': '5',
    'horarium.daemon': 'yes',
    'horarium.storePollInterval': ' 2.5 ',
    // Keys without the prefix belong to the rest of the application and are ignored.
    DATABASE_URL: 'postgres://db',
    'apscheduler.timezone': 'Europe/Berlin',
  };
  const expected = {
    jobstores: {
      default: { type: 'memory' },
      main: { type: 'sql', url: 'sqlite:jobs.sqlite', tableName: 'jobs' },
    },
    executors: { threads: { type: 'threadpool', maxWorkers: '20' } },
    jobDefaults: { coalesce: false, maxInstances: 3, misfireGraceTime: 30 },
    timezone: 'UTC',
    jobstoreRetryInterval: 5,
    daemon: true,
    storePollInterval: 2.5,
  };

  it('produce the same normalized config', () => {
    expect(normalizeConfig(structured)).toEqual(expected);
    expect(normalizeConfig(flat)).toEqual(expected);
  });

  it('passes plugin options through uncoerced (the plugin coerces them)', () => {
    const config = normalizeConfig(flat);
    expect(config.executors?.threads).toEqual({ type: 'threadpool', maxWorkers: '20' });
  });

  it('coerces strings in the structured form too', () => {
    const config = normalizeConfig({
      jobDefaults: { coalesce: 'off', maxInstances: '2', misfireGraceTime: 'none' },
      daemon: '0',
      jobstoreRetryInterval: '0.5',
    });
    expect(config).toEqual({
      jobDefaults: { coalesce: false, maxInstances: 2, misfireGraceTime: null },
      daemon: false,
      jobstoreRetryInterval: 0.5,
    });
  });

  it('contains only what was given; undefined means not given', () => {
    expect(normalizeConfig({})).toEqual({});
    expect(normalizeConfig(undefined)).toEqual({});
    expect(normalizeConfig(null)).toEqual({});
    expect(normalizeConfig({ timezone: 'Europe/Paris' })).toEqual({ timezone: 'Europe/Paris' });
    expect(normalizeConfig({ timezone: undefined, jobDefaults: { coalesce: undefined } })).toEqual({
      jobDefaults: {},
    });
    expect(normalizeConfig({ 'horarium.timezone': ' UTC ' })).toEqual({ timezone: 'UTC' });
  });

  it('keeps instances and loggers by reference and copies entries', () => {
    const store = new FakeStore();
    const executor = new FakeExecutor();
    const entry = { type: 'memory' };
    const config = normalizeConfig({
      jobstores: { default: store, other: entry },
      executors: { default: executor },
      logger: silentLogger,
    });
    expect(config.jobstores?.default).toBe(store);
    expect(config.executors?.default).toBe(executor);
    expect(config.logger).toBe(silentLogger);
    expect(config.jobstores?.other).toEqual(entry);
    expect(config.jobstores?.other).not.toBe(entry);
    expect(normalizeConfig({ logger: console }).logger).toBe(console);
    const flatConfig = normalizeConfig({ 'horarium.jobstores.default': store });
    expect(flatConfig.jobstores?.default).toBe(store);
  });

  it('trims the type of an entry', () => {
    expect(normalizeConfig({ jobstores: { a: { type: ' sql ' } } }).jobstores?.a).toEqual({
      type: 'sql',
    });
  });
});

describe('normalizeConfig: prefix and dotted keys', () => {
  it('reads a custom prefix, with or without the trailing dot, and ignores the default one', () => {
    const input = {
      'myapp.timezone': 'UTC',
      'myapp.jobDefaults.maxInstances': '4',
      'horarium.timezone': 'Europe/Berlin',
      'myappx.timezone': 'Asia/Tokyo',
    };
    const expected = { timezone: 'UTC', jobDefaults: { maxInstances: 4 } };
    expect(normalizeConfig(input, { prefix: 'myapp.' })).toEqual(expected);
    expect(normalizeConfig(input, { prefix: 'myapp' })).toEqual(expected);
  });

  it('names keys with the custom prefix in errors', () => {
    const error = configError(() =>
      normalizeConfig({ 'my.app.daemon': 'perhaps' }, { prefix: 'my.app' }),
    );
    expect(error.key).toBe('my.app.daemon');
  });

  it('reads every key with an empty (or null) prefix', () => {
    const input = {
      timezone: 'UTC',
      'jobDefaults.coalesce': 'no',
      jobstores: { a: { type: 'memory' } },
      'jobstores.b.type': 'sql',
    };
    const expected = {
      timezone: 'UTC',
      jobDefaults: { coalesce: false },
      jobstores: { a: { type: 'memory' }, b: { type: 'sql' } },
    };
    expect(normalizeConfig(input, { prefix: '' })).toEqual(expected);
    expect(normalizeConfig(input, { prefix: null })).toEqual(expected);
  });

  it('with an empty prefix, a key outside the options is an error (every key is read)', () => {
    const error = configError(() => normalizeConfig({ DATABASE_URL: 'x' }, { prefix: '' }));
    expect(error.key).toBe('DATABASE_URL');
  });

  it('nests dotted keys to any depth and merges them with object values', () => {
    const config = normalizeConfig({
      'horarium.jobstores.redis': { type: 'redis', connection: { port: 6379 } },
      'horarium.jobstores.redis.connection.host': 'cache',
      'horarium.jobstores.redis.connection.tls.enabled': 'true',
      'horarium.jobDefaults': { coalesce: 'true' },
      'horarium.jobDefaults.maxInstances': 2,
    });
    expect(config).toEqual({
      jobstores: {
        redis: {
          type: 'redis',
          connection: { port: 6379, host: 'cache', tls: { enabled: 'true' } },
        },
      },
      jobDefaults: { coalesce: true, maxInstances: 2 },
    });
  });

  it('never writes into the caller’s objects', () => {
    const entry = { type: 'redis', connection: { port: 6379 } };
    const input = {
      'horarium.jobstores.redis': entry,
      'horarium.jobstores.redis.connection.host': 'cache',
    };
    normalizeConfig(input);
    expect(entry).toEqual({ type: 'redis', connection: { port: 6379 } });
  });

  it('detects the flat form by any prefixed key; otherwise the input is structured', () => {
    // No prefixed key: structured, so the dotted key is an unknown option.
    const error = configError(() => normalizeConfig({ 'apscheduler.timezone': 'UTC' }));
    expect(error.message).toBe(
      'apscheduler.timezone: unknown scheduler option; known: jobstores, executors, jobDefaults, timezone, logger, jobstoreRetryInterval, jobstoreStartTimeout, requireJobstores, daemon, storePollInterval, jobReferences, cluster, history (dotted keys are read only in the flat form, under the prefix "horarium.")',
    );
  });

  it('keeps an alias named __proto__ as an own key without touching prototypes', () => {
    const config = normalizeConfig({ 'horarium.jobstores.__proto__.type': 'memory' });
    expect(Object.hasOwn(config.jobstores ?? {}, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(config.jobstores)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).type).toBeUndefined();
  });
});

describe('coercion', () => {
  const trueSpellings = ['true', 'yes', 'on', 'y', 't', '1', 'TRUE', 'Yes', ' On ', 'Y', 'T'];
  const falseSpellings = ['false', 'no', 'off', 'n', 'f', '0', 'FALSE', 'No', ' OFF ', 'N', 'F'];

  it.each(trueSpellings)('boolean %j is true', (text) => {
    expect(coerceBoolean('k', text)).toBe(true);
    expect(normalizeConfig({ 'horarium.jobDefaults.coalesce': text }).jobDefaults).toEqual({
      coalesce: true,
    });
  });

  it.each(falseSpellings)('boolean %j is false', (text) => {
    expect(coerceBoolean('k', text)).toBe(false);
    expect(normalizeConfig({ 'horarium.daemon': text }).daemon).toBe(false);
  });

  it('booleans and 0/1 pass as booleans', () => {
    expect(coerceBoolean('k', true)).toBe(true);
    expect(coerceBoolean('k', false)).toBe(false);
    expect(coerceBoolean('k', 1)).toBe(true);
    expect(coerceBoolean('k', 0)).toBe(false);
  });

  it.each([
    ['20', 20],
    [' 20 ', 20],
    ['+3', 3],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['2.', 2],
    ['1e3', 1000],
    [7, 7],
    [0.25, 0.25],
  ] as const)('number %j is %d', (text, value) => {
    expect(coerceNumber('k', text)).toBe(value);
    expect(normalizeConfig({ 'horarium.jobstoreRetryInterval': text }).jobstoreRetryInterval).toBe(
      value,
    );
  });

  it.each([null, 'none', 'None', 'NULL', 'null', '', '  '])(
    'misfireGraceTime %j is null (no limit)',
    (text) => {
      expect(
        normalizeConfig({ 'horarium.jobDefaults.misfireGraceTime': text }).jobDefaults,
      ).toEqual({ misfireGraceTime: null });
    },
  );

  it('misfireGraceTime accepts positive numbers and decimal text', () => {
    expect(normalizeConfig({ jobDefaults: { misfireGraceTime: '0.5' } }).jobDefaults).toEqual({
      misfireGraceTime: 0.5,
    });
    expect(coerceNullableNumber('k', 10, { integer: true })).toBe(10);
  });

  it('coerceNumber checks its constraints and describes them', () => {
    expect(coerceNumber('k', '5', { integer: true, min: 1, max: 10 })).toBe(5);
    expect(coerceNumber('k', '0', { min: 0 })).toBe(0);
    expect(coerceNumber('k', '-0', { min: 0 })).toBe(0);
    expect(() => coerceNumber('w.maxWorkers', '11', { integer: true, min: 1, max: 10 })).toThrow(
      'w.maxWorkers: expected a whole number from 1 to 10, got "11"',
    );
    expect(() => coerceNumber('k', -1, { min: 0 })).toThrow(
      'k: expected a number of at least 0, got -1',
    );
    expect(() => coerceNumber('k', 11, { max: 10 })).toThrow(
      'k: expected a number of at most 10, got 11',
    );
    expect(() => coerceNumber('k', 0, { positive: true })).toThrow(
      'k: expected a positive number, got 0',
    );
  });

  it.each([
    'ten',
    '0x10',
    '1_000',
    '',
    ' ',
    'Infinity',
    '1.2.3',
    Number.NaN,
    Number.POSITIVE_INFINITY,
    true,
    null,
    [5],
    10n,
  ])('number rejects %s', (value) => {
    expect(() => coerceNumber('k', value)).toThrow(ConfigurationError);
  });

  it.each(['maybe', '2', 'truee', '', 2, -1, null, {}])('boolean rejects %j', (value) => {
    expect(() => coerceBoolean('k', value)).toThrow(ConfigurationError);
  });
});

describe('normalizeConfig errors name the full key and the value', () => {
  interface ErrorCase {
    readonly name: string;
    readonly input: unknown;
    readonly key: string;
    readonly message: string;
  }
  const knownOptions =
    'jobstores, executors, jobDefaults, timezone, logger, jobstoreRetryInterval, jobstoreStartTimeout, requireJobstores, daemon, storePollInterval, jobReferences, cluster, history';
  const storeExpected =
    'expected a job store instance (with getDueJobs and addJob methods) or an object with a "type"';
  const executorExpected =
    'expected an executor instance (with submitJob and shutdown methods) or an object with a "type"';
  const cases: readonly ErrorCase[] = [
    {
      name: 'maxInstances is not a number',
      input: { 'horarium.jobDefaults.maxInstances': 'many' },
      key: 'horarium.jobDefaults.maxInstances',
      message: 'horarium.jobDefaults.maxInstances: expected a positive whole number, got "many"',
    },
    {
      name: 'maxInstances is zero',
      input: { jobDefaults: { maxInstances: 0 } },
      key: 'jobDefaults.maxInstances',
      message: 'jobDefaults.maxInstances: expected a positive whole number, got 0',
    },
    {
      name: 'maxInstances is negative text',
      input: { 'horarium.jobDefaults.maxInstances': '-2' },
      key: 'horarium.jobDefaults.maxInstances',
      message: 'horarium.jobDefaults.maxInstances: expected a positive whole number, got "-2"',
    },
    {
      name: 'maxInstances is fractional',
      input: { jobDefaults: { maxInstances: '2.5' } },
      key: 'jobDefaults.maxInstances',
      message: 'jobDefaults.maxInstances: expected a positive whole number, got "2.5"',
    },
    {
      name: 'coalesce is not a boolean',
      input: { 'horarium.jobDefaults.coalesce': 'maybe' },
      key: 'horarium.jobDefaults.coalesce',
      message:
        'horarium.jobDefaults.coalesce: expected a boolean (true/yes/on/y/t/1 or false/no/off/n/f/0), got "maybe"',
    },
    {
      name: 'coalesce is a number other than 0/1',
      input: { jobDefaults: { coalesce: 2 } },
      key: 'jobDefaults.coalesce',
      message:
        'jobDefaults.coalesce: expected a boolean (true/yes/on/y/t/1 or false/no/off/n/f/0), got 2',
    },
    {
      name: 'misfireGraceTime is zero',
      input: { jobDefaults: { misfireGraceTime: 0 } },
      key: 'jobDefaults.misfireGraceTime',
      message: "jobDefaults.misfireGraceTime: expected a positive number or null ('none'), got 0",
    },
    {
      name: 'misfireGraceTime is a word',
      input: { 'horarium.jobDefaults.misfireGraceTime': 'soon' },
      key: 'horarium.jobDefaults.misfireGraceTime',
      message:
        'horarium.jobDefaults.misfireGraceTime: expected a positive number or null (\'none\'), got "soon"',
    },
    {
      name: 'unknown jobDefaults key',
      input: { 'horarium.jobDefaults.maxInstance': '2' },
      key: 'horarium.jobDefaults.maxInstance',
      message:
        'horarium.jobDefaults.maxInstance: unknown job default (did you mean "maxInstances"?); known: coalesce, maxInstances, misfireGraceTime',
    },
    {
      name: 'APScheduler snake_case jobDefaults key',
      input: { jobDefaults: { misfire_grace_time: 5 } },
      key: 'jobDefaults.misfire_grace_time',
      message:
        'jobDefaults.misfire_grace_time: unknown job default (did you mean "misfireGraceTime"?); known: coalesce, maxInstances, misfireGraceTime',
    },
    {
      name: 'jobDefaults is not an object',
      input: { jobDefaults: 'coalesce' },
      key: 'jobDefaults',
      message:
        'jobDefaults: expected an object with coalesce, maxInstances, misfireGraceTime, got "coalesce"',
    },
    {
      name: 'typo in a top-level key',
      input: { jobDefault: { coalesce: true } },
      key: 'jobDefault',
      message: `jobDefault: unknown scheduler option (did you mean "jobDefaults"?); known: ${knownOptions}`,
    },
    {
      name: 'snake_case top-level key in the flat form',
      input: { 'horarium.jobstore_retry_interval': '5' },
      key: 'horarium.jobstore_retry_interval',
      message: `horarium.jobstore_retry_interval: unknown scheduler option (did you mean "jobstoreRetryInterval"?); known: ${knownOptions}`,
    },
    {
      name: 'unknown top-level key without a near match',
      input: { 'horarium.colour': 'blue' },
      key: 'horarium.colour',
      message: `horarium.colour: unknown scheduler option; known: ${knownOptions}`,
    },
    {
      name: 'negative retry interval',
      input: { jobstoreRetryInterval: -1 },
      key: 'jobstoreRetryInterval',
      message: 'jobstoreRetryInterval: expected a positive number, got -1',
    },
    {
      name: 'retry interval is not a number',
      input: { 'horarium.jobstoreRetryInterval': '10s' },
      key: 'horarium.jobstoreRetryInterval',
      message: 'horarium.jobstoreRetryInterval: expected a positive number, got "10s"',
    },
    {
      name: 'zero poll interval',
      input: { 'horarium.storePollInterval': '0' },
      key: 'horarium.storePollInterval',
      message: 'horarium.storePollInterval: expected a positive number, got "0"',
    },
    {
      name: 'daemon is not a boolean',
      input: { daemon: 'sometimes' },
      key: 'daemon',
      message:
        'daemon: expected a boolean (true/yes/on/y/t/1 or false/no/off/n/f/0), got "sometimes"',
    },
    {
      name: 'timezone is not a string',
      input: { timezone: 1 },
      key: 'timezone',
      message: "timezone: expected a time zone name such as 'Europe/Berlin' or 'UTC', got 1",
    },
    {
      name: 'logger is a string',
      input: { logger: 'console' },
      key: 'logger',
      message: 'logger: expected a logger with debug, info, warn, error methods, got "console"',
    },
    {
      name: 'logger lacks methods',
      input: { 'horarium.logger': { debug() {}, info() {} } },
      key: 'horarium.logger',
      message:
        'horarium.logger: expected a logger with debug, info, warn, error methods, got an object without warn, error',
    },
    {
      name: 'logger method is not a function',
      input: { logger: { ...silentLogger, error: 'stderr' } },
      key: 'logger',
      message:
        'logger: expected a logger with debug, info, warn, error methods, got an object without error',
    },
    {
      name: 'job store entry without type',
      input: { 'horarium.jobstores.main.url': 'sqlite:jobs.sqlite' },
      key: 'horarium.jobstores.main',
      message: `horarium.jobstores.main: ${storeExpected}, got an object without "type"`,
    },
    {
      name: 'job store entry with APScheduler "class"',
      input: { jobstores: { main: { class: 'my.module:Store' } } },
      key: 'jobstores.main',
      message: `jobstores.main: ${storeExpected}, got an object without "type" ("class" references are not supported: register the class with a type name and use "type")`,
    },
    {
      name: 'job store entry is a bare type name',
      input: { 'horarium.jobstores.default': 'memory' },
      key: 'horarium.jobstores.default',
      message: `horarium.jobstores.default: ${storeExpected}, got "memory"`,
    },
    {
      name: 'job store type is empty',
      input: { 'horarium.jobstores.main.type': ' ' },
      key: 'horarium.jobstores.main.type',
      message:
        'horarium.jobstores.main.type: expected a non-empty string naming a job store type, got " "',
    },
    {
      name: 'job store type is not a string',
      input: { jobstores: { main: { type: 5 } } },
      key: 'jobstores.main.type',
      message: 'jobstores.main.type: expected a non-empty string naming a job store type, got 5',
    },
    {
      name: 'executor entry is an array',
      input: { executors: { pool: ['threadpool'] } },
      key: 'executors.pool',
      message: `executors.pool: ${executorExpected}, got an array`,
    },
    {
      name: 'executor instance lacks a method (an executor needs submitJob and shutdown)',
      input: { executors: { pool: { submitJob() {} } } },
      key: 'executors.pool',
      message: `executors.pool: ${executorExpected}, got an object without "type"`,
    },
    {
      name: 'jobstores is not an object',
      input: { 'horarium.jobstores': 'memory' },
      key: 'horarium.jobstores',
      message: 'horarium.jobstores: expected an object mapping aliases to job stores, got "memory"',
    },
    {
      name: 'empty alias',
      input: { executors: { '': { type: 'async' } } },
      key: 'executors.',
      message: 'executors.: executor alias is empty',
    },
    {
      name: 'structured option mixed with flat keys',
      input: { timezone: 'UTC', 'horarium.daemon': 'true' },
      key: 'timezone',
      message:
        'timezone: structured option mixed with flat "horarium.…" keys: write it as "horarium.timezone", or pass the structured form alone',
    },
    {
      name: 'a setting given twice',
      input: {
        'horarium.jobDefaults': { coalesce: true },
        'horarium.jobDefaults.coalesce': 'false',
      },
      key: 'horarium.jobDefaults.coalesce',
      message:
        'horarium.jobDefaults.coalesce: conflicts with "horarium.jobDefaults": each setting may be given only once',
    },
    {
      name: 'a leaf used as a parent',
      input: { 'horarium.timezone': 'UTC', 'horarium.timezone.name': 'UTC' },
      key: 'horarium.timezone.name',
      message:
        'horarium.timezone.name: conflicts with "horarium.timezone": each setting may be given only once',
    },
    {
      name: 'empty segment in a dotted key',
      input: { 'horarium.jobDefaults..coalesce': 'true' },
      key: 'horarium.jobDefaults..coalesce',
      message:
        'horarium.jobDefaults..coalesce: empty segment in dotted key (expected "horarium."name.name…)',
    },
    {
      name: 'the configuration is not an object',
      input: 42,
      key: '',
      message: 'configuration: expected an object, got 42',
    },
    {
      name: 'the configuration is an array',
      input: [{ timezone: 'UTC' }],
      key: '',
      message: 'configuration: expected an object, got an array',
    },
  ];

  it.each(cases)('$name', ({ input, key, message }) => {
    const error = configError(() => normalizeConfig(input as SchedulerConfig));
    expect(error.key).toBe(key);
    expect(error.message).toBe(message);
  });

  it('wraps an unknown time zone, keeping UnknownTimeZoneError as the cause', () => {
    const error = configError(() => normalizeConfig({ 'horarium.timezone': 'Mars/Olympus_Mons' }));
    expect(error.key).toBe('horarium.timezone');
    expect(error.message).toBe(
      `horarium.timezone: unknown time zone "Mars/Olympus_Mons": expected an IANA name such as 'Europe/Berlin', 'UTC' or an offset such as '+05:30'`,
    );
    expect(error.cause).toBeInstanceOf(UnknownTimeZoneError);
  });

  it('accepts IANA names, UTC and fixed offsets as zones', () => {
    for (const zone of ['America/New_York', 'utc', 'UTC', '+05:30', 'Etc/GMT+5']) {
      expect(normalizeConfig({ timezone: zone }).timezone).toBe(zone);
    }
  });

  it('shows a connection URL given in the wrong place without its password', () => {
    const error = configError(() =>
      normalizeConfig({ 'horarium.jobstores.default': 'postgres://app:S3cr3tPw@db/jobs' }),
    );
    expect(error.message).toContain('got "postgres://app:***@db/jobs"');
    expect(error.message).not.toContain('S3cr3tPw');
  });

  it('has the error name ConfigurationError', () => {
    const error = configError(() => normalizeConfig({ daemon: 'x' }));
    expect(error.name).toBe('ConfigurationError');
  });
});

describe('normalizeConfig: jobReferences', () => {
  it('reads the structured form and the flat form, lists as arrays or comma-separated text', () => {
    const rules = {
      base: '/srv/app',
      roots: ['/srv/app', '/opt/shared-jobs'],
      packages: ['@acme/jobs', 'report-tasks'],
      builtins: ['node:child_process', 'fs'],
    };
    expect(normalizeConfig({ jobReferences: rules }).jobReferences).toEqual(rules);
    expect(
      normalizeConfig({
        'horarium.jobReferences.base': ' /srv/app ',
        'horarium.jobReferences.roots': '/srv/app, /opt/shared-jobs,',
        'horarium.jobReferences.packages': '@acme/jobs,report-tasks',
        'horarium.jobReferences.builtins': 'node:child_process,fs',
      }).jobReferences,
    ).toEqual(rules);
  });

  it('reads builtins as a boolean from the boolean words, and as a list otherwise', () => {
    expect(normalizeConfig({ 'horarium.jobReferences.builtins': 'true' }).jobReferences).toEqual({
      builtins: true,
    });
    expect(normalizeConfig({ 'horarium.jobReferences.builtins': 'no' }).jobReferences).toEqual({
      builtins: false,
    });
    expect(normalizeConfig({ jobReferences: { builtins: 'os' } }).jobReferences).toEqual({
      builtins: ['os'],
    });
  });

  it.each([
    {
      input: { jobReferences: '/srv/app' },
      key: 'jobReferences',
      message:
        'jobReferences: expected an object with base, roots, packages, builtins, got "/srv/app"',
    },
    {
      input: { 'horarium.jobReferences.root': '/srv/app' },
      key: 'horarium.jobReferences.root',
      message:
        'horarium.jobReferences.root: unknown job reference option (did you mean "roots"?); known: base, roots, packages, builtins',
    },
    {
      input: { jobReferences: { roots: [1] } },
      key: 'jobReferences.roots',
      message:
        'jobReferences.roots: expected directories as an array of strings or comma-separated text, got an array',
    },
    {
      input: { jobReferences: { base: '' } },
      key: 'jobReferences.base',
      message:
        'jobReferences.base: expected the application directory as a non-empty string, got ""',
    },
    {
      input: { 'horarium.jobReferences.packages': 'ok,../escape' },
      key: 'horarium.jobReferences.packages',
      message:
        "horarium.jobReferences.packages: \"../escape\" is not a package name (expected e.g. 'my-pkg' or '@scope/pkg')",
    },
    {
      input: { jobReferences: { packages: ['child_process'] } },
      key: 'jobReferences.packages',
      message:
        'jobReferences.packages: "child_process" is not a package name (expected e.g. \'my-pkg\' or \'@scope/pkg\'; "child_process" is a Node.js built-in: list it in jobReferences.builtins)',
    },
    {
      input: { jobReferences: { builtins: ['fs', 'left-pad'] } },
      key: 'jobReferences.builtins',
      message:
        "jobReferences.builtins: \"left-pad\" is not a Node.js built-in module (expected e.g. 'fs' or 'node:child_process', or true for every one)",
    },
  ])('refuses $key: $message', ({ input, key, message }) => {
    const error = configError(() => normalizeConfig(input as SchedulerConfig));
    expect(error.key).toBe(key);
    expect(error.message).toBe(message);
  });
});

describe('plugin registry', () => {
  const calls: { options: Record<string, unknown>; alias: string; key: string }[] = [];
  registerJobStoreType('fake-sql', (options, context) => {
    calls.push({ options, alias: context.alias, key: context.key });
    return new FakeStore(options);
  });
  registerJobStoreType('fake-memory', () => new FakeStore());
  registerExecutorType('fake-pool', (options, { key }) => {
    const maxWorkers = coerceNumber(`${key}.maxWorkers`, options.maxWorkers ?? 10, {
      integer: true,
      positive: true,
    });
    const eager = coerceBoolean(`${key}.eager`, options.eager ?? false);
    return new FakeExecutor({ maxWorkers, eager });
  });

  it('creates a job store from a normalized entry, passing the options without type', () => {
    const config = normalizeConfig({
      'horarium.jobstores.main.type': 'fake-sql',
      'horarium.jobstores.main.url': 'sqlite:jobs.sqlite',
    });
    const entry = config.jobstores?.main;
    expect(entry).toBeDefined();
    const store = createJobStore('main', entry!);
    expect(store).toBeInstanceOf(FakeStore);
    expect((store as FakeStore).options).toEqual({ url: 'sqlite:jobs.sqlite' });
    expect(calls.at(-1)).toEqual({
      options: { url: 'sqlite:jobs.sqlite' },
      alias: 'main',
      key: 'horarium.jobstores.main',
    });
  });

  it('returns instances unchanged', () => {
    const store = new FakeStore();
    const executor = new FakeExecutor();
    expect(createJobStore('a', store)).toBe(store);
    expect(createExecutor('a', executor)).toBe(executor);
  });

  it('names an unknown type with the full key and lists the registered types', () => {
    const config = normalizeConfig({ 'horarium.jobstores.main': { type: 'sqll' } });
    const error = configError(() => createJobStore('main', config.jobstores!.main!));
    expect(registeredJobStoreTypes()).toEqual(expect.arrayContaining(['fake-sql', 'fake-memory']));
    expect(error.key).toBe('horarium.jobstores.main');
    expect(error.message).toBe(
      `horarium.jobstores.main: unknown job store type "sqll" (known: ${registeredJobStoreTypes().join(', ')})`,
    );
  });

  it('lets plugins coerce their options and name the key in errors', () => {
    const config = normalizeConfig({
      'horarium.executors.threads.type': 'fake-pool',
      'horarium.executors.threads.maxWorkers': '20',
      'horarium.executors.threads.eager': 'on',
    });
    const executor = createExecutor('threads', config.executors!.threads!);
    expect((executor as FakeExecutor).options).toEqual({ maxWorkers: 20, eager: true });

    const bad = normalizeConfig({ executors: { threads: { type: 'fake-pool', maxWorkers: '0' } } });
    const error = configError(() => createExecutor('threads', bad.executors!.threads!));
    expect(error.key).toBe('executors.threads.maxWorkers');
    expect(error.message).toBe(
      'executors.threads.maxWorkers: expected a positive whole number, got "0"',
    );
  });

  it('accepts raw entries, defaulting the key to section.alias, or an explicit key', () => {
    const error = configError(() => createExecutor('x', { type: 'nope' }));
    expect(error.key).toBe('executors.x');
    expect(error.message).toBe(
      `executors.x: unknown executor type "nope" (known: ${registeredExecutorTypes().join(', ')})`,
    );
    const keyed = configError(() => createJobStore('x', { type: 'nope' }, { key: 'addJobstore' }));
    expect(keyed.key).toBe('addJobstore');
    const invalid = configError(() => createJobStore('x', { url: 'x' } as never));
    expect(invalid.key).toBe('jobstores.x');
  });

  it('wraps a failing factory, keeping the cause; passes ConfigurationErrors through', () => {
    const failure = new Error('cannot open database');
    registerJobStoreType('fake-broken', () => {
      throw failure;
    });
    const error = configError(() => createJobStore('db', { type: 'fake-broken' }));
    expect(error.message).toBe(
      'jobstores.db: cannot create job store of type "fake-broken": cannot open database',
    );
    expect(error.cause).toBe(failure);
  });

  it('rejects a factory result that is not an instance', () => {
    registerExecutorType('fake-wrong', () => ({}) as unknown as Executor);
    const error = configError(() => createExecutor('w', { type: 'fake-wrong' }));
    expect(error.message).toBe(
      'executors.w: the factory of executor type "fake-wrong" returned an object, which lacks submitJob or shutdown',
    );
  });

  it('replaces a type registered again', () => {
    const first = new FakeStore();
    const second = new FakeStore();
    registerJobStoreType('fake-replaced', () => first);
    registerJobStoreType('fake-replaced', () => second);
    expect(createJobStore('r', { type: 'fake-replaced' })).toBe(second);
    expect(registeredJobStoreTypes().filter((type) => type === 'fake-replaced')).toHaveLength(1);
  });

  it('rejects registrations without a name or a factory', () => {
    expect(() => registerJobStoreType('', () => new FakeStore())).toThrow(TypeError);
    expect(() =>
      registerExecutorType('x', 'not a function' as unknown as () => FakeExecutor),
    ).toThrow(TypeError);
  });

  it('uses a custom logger type-safely', () => {
    const logger: Logger = silentLogger;
    expect(normalizeConfig({ logger }).logger).toBe(logger);
  });
});

describe('built-in store and executor options', () => {
  const create = (entry: Record<string, unknown>) =>
    createExecutor('pp', normalizeConfig({ 'horarium.executors.pp': entry }).executors!.pp!);

  it("refuses APScheduler's max_workers, suggesting maxWorkers, instead of ignoring it", () => {
    const error = configError(() => create({ type: 'processpool', max_workers: '5' }));
    expect(error.key).toBe('horarium.executors.pp.max_workers');
    expect(error.message).toBe(
      'horarium.executors.pp.max_workers: unknown processpool executor option (did you mean "maxWorkers"?); known: maxWorkers, abortGracePeriod, idleTimeout, preload, killGracePeriod, execArgv',
    );
  });

  it('suggests the option a typo meant, and says what to do with APScheduler options that have no counterpart', () => {
    expect(configError(() => create({ type: 'threadpool', maxWorkrs: 5 })).message).toMatch(
      /^horarium\.executors\.pp\.maxWorkrs: unknown threadpool executor option \(did you mean "maxWorkers"\?\)/,
    );
    expect(configError(() => create({ type: 'threadpool', pool_kwargs: {} })).message).toMatch(
      /pool_kwargs: unknown threadpool executor option \(give the pool options directly in the executor entry\)/,
    );
  });

  it('coerces the flat form strings of the pool options', () => {
    const pool = create({
      type: 'processpool',
      maxWorkers: '5',
      execArgv: '--no-warnings  --trace-uncaught',
    });
    expect(pool).toBeInstanceOf(ProcessPoolExecutor);
    expect((pool as ProcessPoolExecutor).maxWorkers).toBe(5);
    const threads = create({
      type: 'threadpool',
      maxWorkers: '3',
      preload: './a.js, ./b.js',
      resourceLimits: { maxOldGenerationSizeMb: '64' },
    });
    expect((threads as ThreadPoolExecutor).maxWorkers).toBe(3);
    expect(
      configError(() =>
        create({ type: 'threadpool', resourceLimits: { max_old_generation_size_mb: 64 } }),
      ).message,
    ).toMatch(
      /^horarium\.executors\.pp\.resourceLimits\.max_old_generation_size_mb: unknown resource limit \(did you mean "maxOldGenerationSizeMb"\?\)/,
    );
    expect(configError(() => create({ type: 'processpool', execArgv: 3 })).key).toBe(
      'horarium.executors.pp.execArgv',
    );
  });

  it('checks the options of executors constructed in code too', () => {
    const error = configError(() => new ThreadPoolExecutor({ maxWorkrs: 5 } as never));
    expect(error.key).toBe('maxWorkrs');
    expect(error.message).toMatch(/did you mean "maxWorkers"/);
    expect(() => new ProcessPoolExecutor({ max_workers: 2 } as never)).toThrow(ConfigurationError);
  });

  it('refuses options the memory store does not take (all but fireHistory) and any given to the async executor', () => {
    const store = configError(() => createJobStore('m', { type: 'memory', url: 'x' }));
    expect(store.message).toMatch(/^jobstores\.m\.url: unknown memory job store option/);
    expect(store.message).toContain('fireHistory');
    const history = configError(() => createJobStore('m', { type: 'memory', fireHistory: -1 }));
    expect(history.message).toBe(
      'jobstores.m.fireHistory: -1 is not a whole number of fires from 0 to 1,000,000 (0 keeps none)',
    );
    expect(createJobStore('m', { type: 'memory', fireHistory: '10' })).toMatchObject({
      fireRing: { capacity: 10 },
    });
    expect(createJobStore('m', { type: 'memory', fireHistory: 0 })).toMatchObject({
      fireRing: undefined,
    });
    const executor = configError(() => createExecutor('a', { type: 'async', maxWorkers: 5 }));
    expect(executor.message).toBe(
      'executors.a.maxWorkers: unknown async executor option; it takes no options',
    );
  });
});
