/**
 * Horarium quickstart (`npm start`): a BlockingScheduler keeping its jobs in
 * SQLite (./horarium.sqlite). Stop it with Ctrl-C and start it again: the jobs
 * are still there, runs missed while it was down are caught up by the misfire
 * rules (coalesced into one run each), and the scheduler says what it missed
 * (EVENT_JOB_CATCH_UP).
 */
import { styleText } from 'node:util';
import {
  BlockingScheduler,
  CronTrigger,
  DateTrigger,
  EVENT_ALL,
  EVENT_JOB_ERROR,
  EVENT_JOB_EXECUTED,
  EVENT_SCHEDULER_STARTED,
  eventName,
  IntervalTrigger,
  JobCatchUpEvent,
  JobExecutionEvent,
  type JobOptions,
  JobSubmissionEvent,
  type SchedulerEvent,
  type Trigger,
} from '../../src/index.ts'; // in your project: from 'horarium'

// Job functions are stored by reference. Resolve the module next to this file, not the working directory.
const tasks = new URL('./tasks.ts', import.meta.url).href;

const scheduler = new BlockingScheduler({
  jobstores: { default: { type: 'sql', url: 'sqlite:horarium.sqlite' } },
  executors: { threadpool: { type: 'threadpool', maxWorkers: 2 } },
});

// ---------------------------------------------------------------- the log

const tty = process.stdout.isTTY === true;
type Style = Parameters<typeof styleText>[0];
const paint = (style: Style, text: string): string => (tty ? styleText(style, text) : text);
let runs = 0;
let status = '';

function log(style: Style, label: string, text: string): void {
  const time = new Date().toTimeString().slice(0, 8);
  const line = `${paint('dim', time)} ${paint(style, label.padEnd(18))} ${text}`;
  process.stdout.write(tty ? `\r\x1b[2K${line}\n${status}` : `${line}\n`);
}

const clock = (date: Date | null): string =>
  date === null ? 'paused' : date.toTimeString().slice(0, 8);

function describe(event: SchedulerEvent): string {
  if (event instanceof JobExecutionEvent) {
    const outcome =
      event.code === EVENT_JOB_ERROR ? String(event.exception) : String(event.retval ?? '');
    return `${event.jobId} (scheduled ${clock(event.scheduledRunTime)}) ${outcome}`;
  }
  if (event instanceof JobCatchUpEvent) {
    const count = `${event.countComplete ? '' : 'at least '}${event.missedRunTimes}`;
    const how = event.runs === 1 ? 'coalesced into one run' : `running ${event.runs}`;
    return `${event.jobId}: missed ${count} run${event.missedRunTimes > 1 ? 's' : ''} since ${clock(event.since)} while down; ${how}`;
  }
  if (event instanceof JobSubmissionEvent) {
    const times = event.scheduledRunTimes.map(clock).join(', ');
    return `${event.jobId} (run time${event.scheduledRunTimes.length > 1 ? 's' : ''} ${times})`;
  }
  if ('jobId' in event) return String(event.jobId);
  return notes[eventName(event.code)] ?? event.alias ?? '';
}

const notes: Record<string, string> = {
  EVENT_SCHEDULER_STARTED: 'paused while the stored jobs are checked',
  EVENT_SCHEDULER_RESUMED: 'running; Ctrl-C stops',
  EVENT_SCHEDULER_SHUTDOWN: 'the jobs stay in horarium.sqlite: start again to resume them',
};

const styles: Record<string, Style> = {
  job_executed: 'green',
  job_error: 'red',
  job_missed: 'yellow',
  job_catch_up: 'yellow',
  job_max_instances: 'yellow',
  jobstore_error: 'red',
  job_restore_failed: 'red',
};

scheduler.addListener((event) => {
  if (event.code === EVENT_JOB_EXECUTED || event.code === EVENT_JOB_ERROR) runs++;
  const name = eventName(event.code).replace('EVENT_', '').toLowerCase();
  log(styles[name] ?? 'cyan', name, describe(event));
}, EVENT_ALL);

// The status line, redrawn every second on a terminal.
async function drawStatus(): Promise<void> {
  const jobs = (await scheduler.getJobs()).filter((job) => job.nextRunTime !== null);
  const next = jobs[0];
  const upcoming = next ? `next: ${next.id} at ${clock(next.nextRunTime)}` : 'nothing scheduled';
  status = paint(
    'bold',
    `${jobs.length} jobs · ${upcoming} · ${runs} run${runs === 1 ? '' : 's'} so far · Ctrl-C stops`,
  );
  process.stdout.write(`\r\x1b[2K${status}`);
}

// ---------------------------------------------------------------- the jobs

/**
 * Adds a job with an explicit id, or replaces the stored one (replaceExisting)
 * while keeping its stored next run time, so that runs missed while the
 * program was down are still handled by the misfire rules.
 */
async function schedule(id: string, func: string, trigger: Trigger, extra: JobOptions = {}) {
  const stored = await scheduler.getJob(id);
  const nextRunTime = stored?.nextRunTime;
  const job = await scheduler.addJob(func, trigger, {
    ...extra,
    id,
    nextRunTime,
    replaceExisting: true,
  });
  log('bold', stored ? 'resumed' : 'new', `${id} — ${String(job)}`);
}

async function setUp(): Promise<void> {
  for (const job of await scheduler.getJobs()) {
    if (job.broken)
      log('red', 'broken', `${job.id} stays in the store: ${String(job.restoreError)}`);
  }
  await schedule('heartbeat', `${tasks}:heartbeat`, new IntervalTrigger({ seconds: 5 }));
  await schedule(
    'tokyo-clock',
    `${tasks}:tokyoClock`,
    CronTrigger.fromCrontab('* * * * *', { timezone: 'Asia/Tokyo' }),
  );
  await schedule('welcome', `${tasks}:welcome`, new DateTrigger({ runDate: Date.now() + 2000 }), {
    args: ['Horarium'],
  });
  await schedule('crunch', `${tasks}:crunch`, new IntervalTrigger({ seconds: 15 }), {
    args: [5_000_000],
    executor: 'threadpool',
  });
  scheduler.resume();
  if (tty) setInterval(() => void drawStatus().catch(() => {}), 1000).unref();
}

// Start paused, so that the stored jobs can be inspected before anything runs.
scheduler.addListener(() => {
  setUp().catch(async (error: unknown) => {
    log('red', 'failed', String(error));
    process.exitCode = 1;
    await scheduler.shutdown({ wait: false });
  });
}, EVENT_SCHEDULER_STARTED);

await scheduler.start({ paused: true }); // returns after Ctrl-C (SIGINT) or SIGTERM has shut it down
if (tty) process.stdout.write('\r\x1b[2K');
