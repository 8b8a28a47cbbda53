/**
 * The `history` scheduler option and the `history` job option: structured
 * and flat forms, defaults, typed errors naming the field, and stored jobs
 * written before the job option existed.
 */
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/config/errors.ts';
import {
  AsyncScheduler,
  InvalidJobOptionError,
  MemoryJobStore,
  silentLogger,
} from '../../../src/index.ts';
import { jobToDocument, parseJobState, serializeJob } from '../../../src/jobs/serialization.ts';
import { normalizeConfig } from '../../../src/scheduler/config.ts';
import {
  describeRetention,
  retentionSettings,
} from '../../../src/scheduler/history/retention-options.ts';

const DAY = 86_400_000;

describe('history (scheduler option)', () => {
  it('defaults: succeeded fires 7 days, others 30 days, the newest 20 of each job always', () => {
    expect(retentionSettings()).toEqual({
      succeededMs: 7 * DAY,
      otherMs: 30 * DAY,
      keepPerJob: 20,
    });
    expect(describeRetention(retentionSettings())).toBe(
      '7 days for succeeded fires, 30 days for the others, the newest 20 of each job always',
    );
  });

  it('reads the structured form and the flat form, strings coerced', () => {
    const structured = normalizeConfig({
      history: { succeededDays: 1, otherDays: 0.5, keepPerJob: 0 },
    });
    expect(structured.history).toEqual({ succeededDays: 1, otherDays: 0.5, keepPerJob: 0 });
    const flat = normalizeConfig({
      'horarium.history.succeededDays': '2',
      'horarium.history.keepPerJob': '5',
    });
    expect(flat.history).toEqual({ succeededDays: 2, keepPerJob: 5 });
    expect(retentionSettings(flat.history)).toEqual({
      succeededMs: 2 * DAY,
      otherMs: 30 * DAY,
      keepPerJob: 5,
    });
  });

  it.each([
    [
      { history: 'forever' },
      'history: expected an object with succeededDays, otherDays, keepPerJob, got "forever"',
    ],
    [
      { history: { succeededDays: -1 } },
      'history.succeededDays: expected a number from 0 to 36500, got -1',
    ],
    [
      { history: { otherDays: 'a month' } },
      'history.otherDays: expected a number from 0 to 36500, got "a month"',
    ],
    [
      { history: { keepPerJob: 2.5 } },
      'history.keepPerJob: expected a whole number from 0 to 1000000, got 2.5',
    ],
    [{ history: { keepJobs: 3 } }, 'history.keepJobs: unknown history option'],
    [
      { 'horarium.history.keepPerJob': 'all' },
      'horarium.history.keepPerJob: expected a whole number',
    ],
  ])('refuses %j with a ConfigurationError naming the field', (config, message) => {
    let error: unknown;
    try {
      normalizeConfig(config);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain(message);
  });

  it('is accepted by a scheduler', () => {
    const scheduler = new AsyncScheduler({
      logger: silentLogger,
      history: { succeededDays: 3 },
      jobstores: { default: new MemoryJobStore() },
    });
    expect(scheduler).toBeDefined();
  });
});

describe('history (job option)', () => {
  const scheduler = () =>
    new AsyncScheduler({
      logger: silentLogger,
      jobReferences: { builtins: ['path'] },
      jobstores: { default: new MemoryJobStore() },
    });

  it("defaults to 'all', takes 'failures' and 'off', and modifyJob changes it", async () => {
    const s = scheduler();
    const plain = await s.addJob(() => {}, 'interval', { seconds: 5, id: 'plain' });
    expect(plain.history).toBe('all');
    const quiet = await s.addJob(() => {}, 'interval', { seconds: 5, id: 'q', history: 'off' });
    expect(quiet.history).toBe('off');
    const changed = await s.modifyJob('q', { history: 'failures' });
    expect(changed.history).toBe('failures');
  });

  it('refuses anything else with an InvalidJobOptionError naming the option', async () => {
    const s = scheduler();
    await expect(
      s.addJob(() => {}, 'interval', {
        seconds: 5,
        history: 'errors' as unknown as 'failures',
      }),
    ).rejects.toThrow(InvalidJobOptionError);
    await expect(
      s.addJob(() => {}, 'interval', { seconds: 5, history: 'none' as unknown as 'off' }),
    ).rejects.toThrow("history must be 'all', 'failures' or 'off', got \"none\"");
  });

  it("is stored only when not 'all', and a stored job without it reads as 'all'", async () => {
    const s = scheduler();
    const job = await s.addJob('node:path:join', 'interval', {
      seconds: 5,
      id: 'j',
      history: 'failures',
    });
    const text = serializeJob(job);
    expect(text).toContain('"history":"failures"');
    expect(text).toBe(JSON.stringify(jobToDocument(job)));
    expect(parseJobState(text).history).toBe('failures');
    const plain = await s.addJob('node:path:join', 'interval', { seconds: 5, id: 'p' });
    const old = serializeJob(plain);
    expect(old).not.toContain('history');
    expect(parseJobState(old).history).toBe('all');
    expect(() =>
      parseJobState(old.replace('"executor"', '"history":"sometimes","executor"')),
    ).toThrow("field \"history\" must be 'all', 'failures' or 'off'");
  });
});
