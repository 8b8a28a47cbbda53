/**
 * What the compiler says about a mistake in the job API. types.test.ts proves
 * each mistake fails to compile; this file pins the message, which must name
 * the real problem (`secnds`, `misfire_grace_time`, the args) rather than an
 * overload it did not mean, such as "Argument of type '(a: string, b: number)
 * => string' is not assignable to parameter of type 'string'".
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type Diagnostic, typeCheck } from '../helpers/type-check.ts';

const PRELUDE = `
import {
  AsyncScheduler,
  CronTrigger,
  EVENT_JOB_ADDED,
  EVENT_JOB_ERROR,
  EVENT_JOB_EXECUTED,
  type JobExecutionEvent,
} from '../../src/index.ts';
declare const scheduler: AsyncScheduler;
function pair(a: string, b: number): string {
  return a + String(b);
}
function zero(): void {}
void pair;
void zero;
void CronTrigger;
void [EVENT_JOB_ADDED, EVENT_JOB_ERROR, EVENT_JOB_EXECUTED];
`;

const SNIPPETS = {
  valid: `
    await scheduler.addJob(pair, 'interval', { seconds: 5, args: ['a', 1], misfireGraceTime: 30 });
    await scheduler.addJob(zero);
    await scheduler.addJob('reports:send', 'cron', { hour: 3 });
    scheduler.addListener((event) => {
      if (event.exception) console.log(event.exception);
    }, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR);`,
  secnds: `await scheduler.addJob(pair, 'interval', { secnds: 5, args: ['a', 1] });`,
  misfireGraceTime: `await scheduler.addJob(zero, 'cron', { hour: 3, misfire_grace_time: 30 });`,
  argsTooShort: `await scheduler.addJob(pair, 'interval', { seconds: 5, args: ['a'] });`,
  argsSwapped: `await scheduler.addJob(pair, 'interval', { seconds: 5, args: [1, 'a'] });`,
  argsMissing: `await scheduler.addJob(pair, 'interval', { seconds: 5 });`,
  unknownAlias: `await scheduler.addJob(zero, 'crontab', { hour: 3 });`,
  argsWithTriggerInstance: `await scheduler.addJob(zero, new CronTrigger({ hour: 3 }), { hour: 4 });`,
  referenceSecnds: `await scheduler.addJob('reports:send', 'interval', { secnds: 5 });`,
  scheduledJobHours: `scheduler.scheduledJob('cron', { hours: 3 })(zero);`,
  rescheduleHours: `await scheduler.rescheduleJob('nightly', 'cron', { hours: 3 });`,
  addedListenerException: `scheduler.addListener((event) => {
    console.log(event.exception);
  }, EVENT_JOB_ADDED);`,
  typedListenerWrongCode: `scheduler.addListener((event: JobExecutionEvent) => {
    console.log(event.retval);
  }, EVENT_JOB_ADDED);`,
} as const;

type Case = keyof typeof SNIPPETS;

let diagnostics: Map<string, Diagnostic[]>;
beforeAll(() => {
  diagnostics = typeCheck(PRELUDE, SNIPPETS);
});

function of(name: Case): Diagnostic[] {
  const found = diagnostics.get(name);
  if (found === undefined) throw new Error(`no snippet ${name}`);
  return found;
}

/** The one diagnostic of a snippet: a mistake is reported once. */
function single(name: Case): Diagnostic | undefined {
  const found = of(name);
  expect(found).toHaveLength(1);
  return found[0];
}

describe('the compiler names the real mistake in the job API', () => {
  it('compiles the correct calls without a diagnostic (the harness reports nothing it should not)', () => {
    expect(of('valid')).toEqual([]);
  });

  it('a misspelled trigger argument: names `secnds` and suggests `seconds`', () => {
    expect(of('secnds')).toEqual([
      {
        at: 'secnds',
        message: expect.stringMatching(
          /Object literal may only specify known properties, but 'secnds' does not exist in type .*IntervalTriggerOptions'\. Did you mean to write 'seconds'\?/,
        ),
      },
    ]);
  });

  it("APScheduler's `misfire_grace_time`: names it and suggests `misfireGraceTime`", () => {
    expect(of('misfireGraceTime')).toEqual([
      {
        at: 'misfire_grace_time',
        message: expect.stringMatching(
          /'misfire_grace_time' does not exist in type .*Did you mean to write 'misfireGraceTime'\?/,
        ),
      },
    ]);
  });

  it('args too short: points at args and says it has 1 element where the function takes 2', () => {
    expect(of('argsTooShort')).toEqual([
      {
        at: 'args',
        message:
          "Type '[string]' is not assignable to type '[a: string, b: number]'.\n" +
          '  Source has 1 element(s) but target requires 2.',
      },
    ]);
  });

  it('args of the wrong types: points at each wrong element', () => {
    expect(of('argsSwapped')).toEqual([
      { at: '1', message: "Type 'number' is not assignable to type 'string'." },
      { at: "'a'", message: "Type 'string' is not assignable to type 'number'." },
    ]);
  });

  it('args missing for a function with parameters: says `args` is missing', () => {
    expect(single('argsMissing')?.message).toMatch(
      /Property 'args' is missing in type .* but required in type/,
    );
  });

  it('an unknown trigger alias: names it', () => {
    expect(single('unknownAlias')).toEqual({
      at: "'crontab'",
      message: expect.stringContaining(`'"crontab"'`),
    });
  });

  it('trigger arguments beside a Trigger instance: names the argument', () => {
    expect(single('argsWithTriggerInstance')).toMatchObject({
      at: 'hour',
      message: expect.stringContaining("'hour' does not exist"),
    });
  });

  it('a textual reference with a misspelled trigger argument: names `secnds`', () => {
    expect(single('referenceSecnds')).toMatchObject({
      at: 'secnds',
      message: expect.stringContaining("Did you mean to write 'seconds'?"),
    });
  });

  it('scheduledJob names a misspelled cron field as well', () => {
    expect(single('scheduledJobHours')).toMatchObject({
      at: 'hours',
      message: expect.stringContaining("Did you mean to write 'hour'?"),
    });
  });

  it('rescheduleJob names a misspelled cron field as well', () => {
    expect(single('rescheduleHours')).toMatchObject({
      at: 'hours',
      message: expect.stringContaining("Did you mean to write 'hour'?"),
    });
  });

  it('a listener for EVENT_JOB_ADDED reading exception: says a JobEvent has none', () => {
    expect(single('addedListenerException')).toEqual({
      at: 'exception',
      message: "Property 'exception' does not exist on type 'JobEvent'.",
    });
  });

  it('a JobExecutionEvent listener for EVENT_JOB_ADDED: says a JobEvent is not a JobExecutionEvent', () => {
    expect(single('typedListenerWrongCode')?.message).toMatch(
      /Type 'JobEvent' is missing the following properties from type 'JobExecutionEvent': scheduledRunTime, retval, exception, traceback/,
    );
  });

  it('no mistake is reported as a failed overload or against the string-reference form', () => {
    const all = [...diagnostics.values()].flat().map((d) => d.message);
    expect(all.length).toBeGreaterThanOrEqual(13);
    for (const message of all) {
      expect(message).not.toMatch(/No overload matches this call/);
      expect(message).not.toMatch(/is not assignable to parameter of type 'string'/);
    }
  });
});
