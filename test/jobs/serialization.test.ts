/**
 * The job state document (src/jobs/serialization.ts): round trips with every
 * built-in trigger, and the errors for jobs that cannot be stored and for
 * stored states that cannot be restored.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AndTrigger,
  CalendarIntervalTrigger,
  CronTrigger,
  DateTrigger,
  IntervalTrigger,
  OrTrigger,
  type Trigger,
} from '../../src/index.ts';
import { DeserializationError, SerializationError } from '../../src/jobs/errors.ts';
import type { JobFunction, JobState } from '../../src/jobs/job.ts';
import { JOB_SETTING_NAMES, JOB_SETTINGS } from '../../src/jobs/job-fields.ts';
import {
  deserializeJob,
  JOB_STATE_VERSION,
  jobToDocument,
  parseJobState,
  serializeJob,
} from '../../src/jobs/serialization.ts';

function send(to: string): string {
  return to;
}

const functions: Record<string, JobFunction> = { 'tasks.js:send': send };
const resolve = (ref: string): JobFunction => {
  const fn = functions[ref];
  if (fn === undefined) throw new Error(`no such task: ${ref}`);
  return fn;
};

function jobState(overrides: Partial<JobState> = {}): JobState {
  return {
    id: 'job-1',
    name: 'send',
    func: send,
    funcRef: 'tasks.js:send',
    args: [
      'ops@example.com',
      { at: new Date(Date.UTC(2025, 0, 1)), tries: 3n, tags: new Set(['a']) },
    ],
    trigger: new IntervalTrigger({ hours: 1, startDate: new Date(Date.UTC(2025, 0, 1)) }),
    executor: 'default',
    coalesce: true,
    maxInstances: 1,
    misfireGraceTime: 1,
    timeout: null,
    recover: false,
    history: 'all',
    // Settings absent by default (retry, calendar) stay absent through a round trip.
    overlap: 'skip',
    nextRunTime: new Date(Date.UTC(2025, 0, 1, 1)),
    ...overrides,
  };
}

function fireTimes(trigger: Trigger, now: Date, count: number): (number | null)[] {
  const times: (number | null)[] = [];
  let previous: Date | null = null;
  for (let i = 0; i < count; i++) {
    const next = trigger.getNextFireTime(previous, now);
    times.push(next === null ? null : next.getTime());
    if (next === null) break;
    previous = next;
  }
  return times;
}

const start = new Date(Date.UTC(2025, 2, 1));
const triggers: [string, () => Trigger][] = [
  [
    'DateTrigger',
    () =>
      new DateTrigger({ runDate: new Date(Date.UTC(2025, 5, 1, 12)), timezone: 'Europe/Paris' }),
  ],
  [
    'IntervalTrigger',
    () =>
      new IntervalTrigger({
        hours: 5,
        minutes: 7,
        startDate: start,
        endDate: new Date(Date.UTC(2026, 0, 1)),
        timezone: 'America/New_York',
      }),
  ],
  [
    'DateTrigger with milliseconds',
    () =>
      new DateTrigger({ runDate: new Date(Date.UTC(2025, 5, 1, 12, 0, 0, 250)), timezone: 'UTC' }),
  ],
  [
    'IntervalTrigger with milliseconds',
    () =>
      new IntervalTrigger({
        seconds: 1.25,
        startDate: new Date(Date.UTC(2025, 2, 1, 0, 0, 0, 7)),
        endDate: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 999)),
        timezone: 'UTC',
      }),
  ],
  [
    'CronTrigger',
    () =>
      new CronTrigger({
        dayOfWeek: 'mon-fri',
        hour: '2-3',
        minute: '*/30',
        timezone: 'Europe/London',
      }),
  ],
  [
    'CronTrigger.fromCrontab',
    () => CronTrigger.fromCrontab('15 3 * * 0', { timezone: 'Asia/Kolkata' }),
  ],
  [
    'CalendarIntervalTrigger',
    () =>
      new CalendarIntervalTrigger({
        months: 1,
        hour: 2,
        minute: 30,
        startDate: start,
        timezone: 'Europe/Berlin',
      }),
  ],
  [
    'AndTrigger',
    () =>
      new AndTrigger([
        new CronTrigger({ hour: '*/2', timezone: 'UTC' }),
        new IntervalTrigger({ hours: 3, startDate: start, timezone: 'UTC' }),
      ]),
  ],
  [
    'OrTrigger',
    () =>
      new OrTrigger([
        new CronTrigger({ day: 'last', hour: 9, timezone: 'Australia/Sydney' }),
        new DateTrigger({ runDate: new Date(Date.UTC(2025, 3, 15, 8)), timezone: 'UTC' }),
      ]),
  ],
];

describe('round trip', () => {
  it.each(triggers)('a job with a %s', (_name, make) => {
    const original = jobState({ trigger: make() });
    const restored = deserializeJob(serializeJob(original), resolve);
    expect(restored.trigger.toString()).toBe(original.trigger.toString());
    expect(restored.trigger.toJSON()).toStrictEqual(original.trigger.toJSON());
    const now = new Date(Date.UTC(2025, 2, 10, 0, 0, 0));
    const expected = fireTimes(original.trigger, now, 20);
    expect(expected[0]).not.toBeNull();
    expect(fireTimes(restored.trigger, now, 20)).toEqual(expected);
    const { trigger: _t1, ...rest } = restored;
    const { trigger: _t2, ...originalRest } = original;
    expect(rest).toStrictEqual(originalRest);
    expect(restored.func).toBe(send);
  });

  it('keeps args exactly, paused jobs, null and numeric options', () => {
    const original = jobState({
      args: [undefined, -0, Number.NaN, new Map([[1, new Uint8Array([7])]]), { $t: 'x' }],
      nextRunTime: null,
      misfireGraceTime: null,
      timeout: 2.5,
      maxInstances: 4,
      coalesce: false,
      name: 'név ☃ "quoted"\n',
    });
    const restored = deserializeJob(serializeJob(original), resolve);
    expect(restored.nextRunTime).toBeNull();
    expect(restored.misfireGraceTime).toBeNull();
    expect(restored.timeout).toBe(2.5);
    expect(restored.maxInstances).toBe(4);
    expect(restored.coalesce).toBe(false);
    expect(restored.args).toHaveLength(5);
    expect(Object.hasOwn(restored.args, 0)).toBe(true);
    expect(Object.is(restored.args[1], -0)).toBe(true);
    expect(restored.args[2]).toBeNaN();
    expect(restored.args[3]).toEqual(new Map([[1, new Uint8Array([7])]]));
    expect(restored.args[4]).toStrictEqual({ $t: 'x' });
  });

  it('writes the documented layout', () => {
    const doc = JSON.parse(serializeJob(jobState()));
    expect(Object.keys(doc)).toEqual([
      'version',
      'id',
      'name',
      'funcRef',
      'args',
      'trigger',
      'executor',
      'coalesce',
      'maxInstances',
      'misfireGraceTime',
      'timeout',
      'nextRunTime',
    ]);
    expect(doc).toMatchObject({
      version: JOB_STATE_VERSION,
      id: 'job-1',
      funcRef: 'tasks.js:send',
      args: [
        'ops@example.com',
        {
          at: { $t: 'Date', v: '2025-01-01T00:00:00.000Z' },
          tries: { $t: 'BigInt', v: '3' },
          tags: { $t: 'Set', v: ['a'] },
        },
      ],
      trigger: { type: 'interval', version: 1 },
      nextRunTime: '2025-01-01T01:00:00.000Z',
    });
    expect(JOB_STATE_VERSION).toBe(1);
  });

  it('parseJobState restores everything but the function (for asynchronous resolvers)', () => {
    const state = parseJobState(serializeJob(jobState()));
    expect(state.funcRef).toBe('tasks.js:send');
    expect('func' in state).toBe(false);
    expect(state.trigger.toString()).toBe(jobState().trigger.toString());
  });
});

function storeError(state: JobState): SerializationError {
  try {
    serializeJob(state);
  } catch (error) {
    expect(error).toBeInstanceOf(SerializationError);
    return error as SerializationError;
  }
  return expect.fail('expected a SerializationError');
}

describe('jobs that cannot be stored', () => {
  it('a job without a textual function reference', () => {
    const error = storeError(jobState({ id: 'x', funcRef: null }));
    expect(error.message).toMatch(
      /^job 'x' cannot be stored: its function \(send\) has no textual reference \('module:export'/,
    );
    expect(error.jobId).toBe('x');
    expect(error.path).toBe('funcRef');
  });

  it('arguments holding a function, naming the job and the path', () => {
    const error = storeError(jobState({ args: [1, { options: { callback: () => 1 } }] }));
    expect(error.message).toMatch(
      /^job 'job-1' cannot be stored: args\[1\]\.options\.callback is a function/,
    );
    expect(error.path).toBe('args[1].options.callback');
    expect(error.cause).toBeInstanceOf(SerializationError);
  });

  it('a trigger whose state is not JSON', () => {
    const trigger: Trigger = {
      getNextFireTime: () => null,
      toJSON: () => ({ type: 'custom', version: 1, big: 1n }),
      toString: () => 'custom',
    };
    expect(storeError(jobState({ trigger })).message).toMatch(
      /^job 'job-1' cannot be stored: its trigger state cannot be serialized/,
    );
  });

  it('an invalid next run time', () => {
    expect(storeError(jobState({ nextRunTime: new Date(Number.NaN) })).message).toMatch(
      /its nextRunTime is not a valid Date/,
    );
  });

  it('jobToDocument gives the same document as serializeJob', () => {
    const state = jobState();
    expect(JSON.parse(serializeJob(state))).toStrictEqual(
      JSON.parse(JSON.stringify(jobToDocument(state))),
    );
  });
});

function restoreError(text: string): DeserializationError {
  try {
    deserializeJob(text, resolve);
  } catch (error) {
    expect(error).toBeInstanceOf(DeserializationError);
    return error as DeserializationError;
  }
  return expect.fail('expected a DeserializationError');
}

function edited(changes: Record<string, unknown>, remove: string[] = []): string {
  const doc = JSON.parse(serializeJob(jobState())) as Record<string, unknown>;
  Object.assign(doc, changes);
  for (const key of remove) delete doc[key];
  return JSON.stringify(doc);
}

describe('stored states that cannot be restored', () => {
  it('a newer version, naming the job', () => {
    const error = restoreError(edited({ version: 2 }));
    expect(error.message).toBe(
      "job 'job-1' cannot be restored: it was stored in job state version 2 by a newer Horarium; this version reads up to version 1",
    );
    expect(error.jobId).toBe('job-1');
  });

  it('text that is not JSON, or not an object', () => {
    expect(restoreError('{"id": ').message).toMatch(/^a stored job state is not valid JSON/);
    expect(restoreError('[1]').message).toMatch(/must be a JSON object, not an array/);
    expect(restoreError('null').message).toMatch(/must be a JSON object, not null/);
  });

  it('a missing or wrong id', () => {
    expect(restoreError(edited({}, ['id'])).message).toMatch(
      /^a stored job state has no valid id: field "id" is undefined/,
    );
    expect(restoreError(edited({ id: 7 })).message).toMatch(/field "id" is number 7, not a string/);
  });

  it.each<[string, Record<string, unknown>, string[], RegExp]>([
    [
      'version missing',
      {},
      ['version'],
      /field "version" must be a positive integer, not undefined/,
    ],
    [
      'version as text',
      { version: '1' },
      [],
      /field "version" must be a positive integer, not the string "1"/,
    ],
    ['name', { name: 5 }, [], /field "name" must be a non-empty string, not number 5/],
    ['name empty', { name: '' }, [], /field "name" must be a non-empty string, not the string ""/],
    ['funcRef empty', { funcRef: '' }, [], /field "funcRef" must be a non-empty string/],
    ['funcRef null', { funcRef: null }, [], /field "funcRef" must be a non-empty string, not null/],
    [
      'executor',
      { executor: ['default'] },
      [],
      /field "executor" must be a non-empty string, not an array/,
    ],
    [
      'coalesce',
      { coalesce: 'yes' },
      [],
      /field "coalesce" must be true or false, not the string "yes"/,
    ],
    [
      'maxInstances 0',
      { maxInstances: 0 },
      [],
      /field "maxInstances" must be a positive whole number, not number 0/,
    ],
    [
      'maxInstances 1.5',
      { maxInstances: 1.5 },
      [],
      /field "maxInstances" must be a positive whole number/,
    ],
    [
      'misfireGraceTime',
      { misfireGraceTime: '30' },
      [],
      /field "misfireGraceTime" must be a positive number of seconds or null/,
    ],
    [
      'timeout missing',
      {},
      ['timeout'],
      /field "timeout" must be a positive number of seconds up to 2147483 \(24\.8 days\), or null, not undefined/,
    ],
    ['timeout negative', { timeout: -1 }, [], /field "timeout" must be a positive number/],
    [
      'recover',
      { recover: 'yes' },
      [],
      /field "recover" must be true or false, not the string "yes"/,
    ],
    [
      'nextRunTime number',
      { nextRunTime: 0 },
      [],
      /field "nextRunTime" must be an ISO 8601 string or null, not number 0/,
    ],
    [
      'nextRunTime garbage',
      { nextRunTime: 'soon' },
      [],
      /field "nextRunTime" is not an ISO 8601 instant with an offset: "soon"/,
    ],
    [
      'nextRunTime local',
      { nextRunTime: '2025-01-01T00:00:00' },
      [],
      /is not an ISO 8601 instant with an offset/,
    ],
    ['args object', { args: { a: 1 } }, [], /field "args" must be an array, not an object/],
    [
      'args bad tag',
      { args: [{ x: { $t: 'Nope' } }] },
      [],
      /^job 'job-1' cannot be restored: args\[0\]\.x: unknown type tag "Nope"/,
    ],
    ['trigger missing', {}, ['trigger'], /field "trigger" must be an object, not undefined/],
    [
      'trigger unknown',
      { trigger: { type: 'lunar', version: 1 } },
      [],
      /field "trigger": Cannot restore a trigger of unknown type "lunar"/,
    ],
    [
      'trigger invalid',
      { trigger: { type: 'interval', version: 1, seconds: 'x' } },
      [],
      /field "trigger": /,
    ],
    ['trigger newer', { trigger: { type: 'cron', version: 99 } }, [], /field "trigger": .*version/],
  ])('%s', (_label, changes, remove, message) => {
    const error = restoreError(edited(changes, remove));
    expect(error.message).toMatch(/^job 'job-1' cannot be restored: /);
    expect(error.message).toMatch(message);
    expect(error.jobId).toBe('job-1');
  });

  it('a function reference the resolver cannot resolve', () => {
    const error = restoreError(edited({ funcRef: 'moved.js:send' }));
    expect(error.message).toBe(
      'job \'job-1\' cannot be restored: its function reference "moved.js:send" cannot be resolved: no such task: moved.js:send',
    );
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.path).toBe('funcRef');
  });

  it('a resolver that returns something other than a function', () => {
    expect(() =>
      deserializeJob(serializeJob(jobState()), () => 'nope' as unknown as JobFunction),
    ).toThrow(/resolved to the string "nope", not a function/);
  });

  it('"__proto__" in a hand-edited row pollutes nothing', () => {
    const text = serializeJob(jobState()).replace(
      '"args":[',
      '"args":[{"__proto__":{"polluted":true}},',
    );
    const restored = deserializeJob(`{"__proto__":{"polluted":true},${text.slice(1)}`, resolve);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(restored.args[0] as object, '__proto__')).toBe(true);
  });
});

describe('the stored text', () => {
  const textArb = fc.oneof(
    fc.string({ unit: 'grapheme' }),
    fc.string({ unit: 'binary' }),
    fc.constantFrom('', 'say "hi"', 'back\\slash', 'line\nbreak', '</script>', '\u2028'),
  );
  const argsArb = fc.oneof(
    fc.array(fc.oneof(textArb, fc.double(), fc.integer(), fc.boolean(), fc.constant(null))),
    fc.array(
      fc.oneof(
        fc.constant(undefined),
        fc.constant(-0),
        fc.date({ noInvalidDate: true }),
        fc.bigInt(),
        fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(textArb, fc.integer())),
      ),
      { maxLength: 4 },
    ),
  );
  const secondsArb = fc.oneof(fc.constant(null), fc.double({ min: 0, noNaN: true }));
  const timeArb = fc.oneof(
    fc.constant(null),
    fc.integer({ min: -8.64e15, max: 8.64e15 }).map((ms) => new Date(ms)),
  );
  const stateArb = fc.record({
    id: textArb,
    name: textArb,
    funcRef: textArb.filter((ref) => ref !== ''),
    args: argsArb,
    trigger: fc.constantFrom(...triggers.map(([, make]) => make())),
    executor: textArb,
    coalesce: fc.boolean(),
    maxInstances: fc.integer({ min: 1, max: 1000 }),
    misfireGraceTime: secondsArb,
    timeout: secondsArb,
    recover: fc.boolean(),
    history: fc.constantFrom('all' as const, 'failures' as const, 'off' as const),
    nextRunTime: timeArb,
  });

  it('is JSON.stringify(jobToDocument(job)), byte for byte, for any job', () => {
    fc.assert(
      fc.property(stateArb, (state) => {
        const job: JobState = { ...state, func: send };
        expect(serializeJob(job)).toBe(JSON.stringify(jobToDocument(job)));
      }),
      { numRuns: 1000 },
    );
  });

  it('writes every declared job setting, and nothing else besides the structural fields', () => {
    const keys = Object.keys(JSON.parse(serializeJob(jobState())) as object);
    expect(keys.sort()).toEqual(
      [
        'version',
        'id',
        'funcRef',
        'args',
        'trigger',
        'nextRunTime',
        // Settings added after the first format are written only when not at their default.
        ...JOB_SETTING_NAMES.filter((name) => JOB_SETTINGS[name].optionalInDocument !== true),
      ].sort(),
    );
    const recovering = JSON.parse(serializeJob(jobState({ recover: true }))) as object;
    expect(recovering).toHaveProperty('recover', true);
  });

  it('is JSON.stringify(jobToDocument(job)) also for fields of other types from untyped code', () => {
    const odd = [
      { name: undefined },
      { maxInstances: Number.NaN },
      { misfireGraceTime: Number.POSITIVE_INFINITY },
      { coalesce: 'yes' },
      {
        trigger: {
          getNextFireTime: () => null,
          toJSON: () => undefined,
          toString: () => 'nothing',
        },
      },
    ] as unknown as Partial<JobState>[];
    for (const overrides of odd) {
      const job = jobState(overrides);
      expect(serializeJob(job)).toBe(JSON.stringify(jobToDocument(job)));
    }
  });

  // Written by Horarium 0.1.0, which built the document and called JSON.stringify on it.
  const storedBy010 = [
    '{"version":1,"id":"nightly \\"report\\"","name":"send","funcRef":"tasks.js:send","args":["ops@example.com",{"at":{"$t":"Date","v":"2025-01-01T00:00:00.000Z"},"tries":{"$t":"BigInt","v":"3"},"tags":{"$t":"Set","v":["a"]}},{"$t":"Number","v":"-0"},{"$t":"undefined"}],"trigger":{"type":"cron","version":1,"fields":{"month":"*","day":"*","dayOfWeek":"1-5","hour":"3","minute":"0"},"dayMatching":"or","timezone":"Europe/Berlin","startDate":null,"endDate":null,"jitter":null,"dst":null},"executor":"default","coalesce":true,"maxInstances":1,"misfireGraceTime":1,"timeout":null,"nextRunTime":"2025-01-02T02:00:00.000Z"}',
    '{"version":1,"id":"every-5-min","name":"send","funcRef":"tasks.js:send","args":[],"trigger":{"type":"interval","version":1,"minutes":5,"startDate":"2025-01-01T00:00:00.000Z","endDate":null,"timezone":"UTC","jitter":null},"executor":"default","coalesce":false,"maxInstances":3,"misfireGraceTime":null,"timeout":2.5,"nextRunTime":null}',
  ];

  it.each(storedBy010)(
    'reads a job state stored by Horarium 0.1.0 and writes it back unchanged (%#)',
    (text) => {
      const restored = deserializeJob(text, resolve);
      expect(restored.func).toBe(send);
      expect(serializeJob(restored)).toBe(text);
    },
  );

  it('a job stored by Horarium 0.1.0 fires at the same times after it is read back', () => {
    // Interval from 2025-01-01 every 5 minutes, next run 00:05: the chain goes on every 5 minutes.
    const text = storedBy010[1]!.replace(
      '"nextRunTime":null',
      '"nextRunTime":"2025-01-01T00:05:00.000Z"',
    );
    const restored = deserializeJob(text, resolve);
    const times: string[] = [];
    let previous = restored.nextRunTime;
    for (let i = 0; i < 3 && previous !== null; i++) {
      times.push(previous.toISOString());
      previous = restored.trigger.getNextFireTime(previous, previous);
    }
    expect(times).toEqual([
      '2025-01-01T00:05:00.000Z',
      '2025-01-01T00:10:00.000Z',
      '2025-01-01T00:15:00.000Z',
    ]);
    expect(serializeJob(restored)).toBe(text);
  });

  it('reads a date job stored by Horarium 0.1.0 (a whole-second run date) unchanged', () => {
    const text =
      '{"version":1,"id":"once","name":"send","funcRef":"tasks.js:send","args":[],"trigger":{"type":"date","version":1,"runDate":"2025-06-01T10:00:01.000Z","timezone":"Europe/Paris"},"executor":"default","coalesce":true,"maxInstances":1,"misfireGraceTime":null,"timeout":null,"nextRunTime":"2025-06-01T10:00:01.000Z"}';
    const restored = deserializeJob(text, resolve);
    expect(restored.trigger.toString()).toBe('date[2025-06-01 12:00:01+02:00]');
    expect(restored.nextRunTime?.toISOString()).toBe('2025-06-01T10:00:01.000Z');
    expect(restored.trigger.getNextFireTime(null, new Date(0))?.toISOString()).toBe(
      '2025-06-01T10:00:01.000Z',
    );
    expect(serializeJob(restored)).toBe(text);
  });

  it('keeps the milliseconds of a next run time and of an interval', () => {
    const job = jobState({
      trigger: new IntervalTrigger({
        milliseconds: 250,
        startDate: new Date(Date.UTC(2025, 0, 1, 0, 0, 0, 125)),
        timezone: 'UTC',
      }),
      nextRunTime: new Date(Date.UTC(2025, 0, 1, 0, 0, 0, 375)),
    });
    const text = serializeJob(job);
    const document = JSON.parse(text);
    expect(document.nextRunTime).toBe('2025-01-01T00:00:00.375Z');
    expect(document.trigger).toMatchObject({
      milliseconds: 250,
      startDate: '2025-01-01T00:00:00.125Z',
    });
    const restored = deserializeJob(text, resolve);
    expect(restored.nextRunTime?.toISOString()).toBe('2025-01-01T00:00:00.375Z');
    const after = restored.trigger.getNextFireTime(
      restored.nextRunTime,
      restored.nextRunTime as Date,
    );
    expect(after?.toISOString()).toBe('2025-01-01T00:00:00.625Z');
  });

  it('reads a stored state edited by hand (keys reordered, spaces added)', () => {
    const document = JSON.parse(storedBy010[1]!) as Record<string, unknown>;
    const reordered = Object.fromEntries(Object.entries(document).reverse());
    const restored = deserializeJob(JSON.stringify(reordered, null, 2), resolve);
    expect(restored.id).toBe('every-5-min');
    expect(restored.timeout).toBe(2.5);
    expect(restored.trigger.toString()).toBe('interval[0:05:00]');
    expect(serializeJob(restored)).toBe(storedBy010[1]);
  });
});
