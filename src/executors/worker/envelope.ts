/**
 * What crosses the boundary between the pool executors and their workers
 * (threads or child processes): the task, the control messages, and the
 * result envelope `{ ok: true, value } | { ok: false, error }`.
 *
 * Pools disagree on what survives of an error (most drop `code`, one turns it
 * into a plain object), so errors travel as our own record — name, message,
 * stack, code, cause (recursively) and the other own enumerable properties
 * that are primitives — and are rebuilt as `Error`s on the other side. This
 * module is loaded in workers too: it must stay free of main-side imports.
 */
import { HorariumError } from '../../errors.ts';
import { InvalidJobOptionError } from '../../jobs/errors.ts';
import type { Job } from '../../jobs/job.ts';
import { moduleUrl, parseReference } from '../../jobs/job-ref.ts';

/** A thrown value as it crosses the boundary. */
export interface ErrorRecord {
  name: string;
  message: string;
  stack: string | undefined;
  /** `error.code`, when it has one. */
  code?: unknown;
  /** `error.cause`, recursively. */
  cause?: ErrorRecord;
  /** Other own enumerable properties with primitive values (`errno`, `path`, `jobId`, …). */
  props?: Record<string, string | number | boolean | null>;
  /** Set when what was thrown is not an Error: the value itself (or its text, when it cannot be cloned). */
  thrown?: { value: unknown };
}

/** The result of one run, as the worker returns it. */
export type Envelope = { ok: true; value: unknown } | { ok: false; error: ErrorRecord };

/** How a task's control messages travel. */
interface TaskControl {
  /** Tells this task's control messages apart from other tasks'. */
  token: number;
  /**
   * Thread pools: the name of the pool's `BroadcastChannel` that control
   * messages travel on. Absent in process pools, which use the IPC channel.
   */
  channel?: string;
}

/** One run of a job, as the main side sends it to the runner. */
export interface RunTask extends TaskControl {
  op: 'run';
  /** `'file:///…/jobs.js:send'`: the job's reference with its module already resolved on the main side. */
  reference: string;
  /** The reference as the user wrote it (for messages). */
  funcRef: string;
  jobId: string;
  /** Epoch ms of the scheduled run time. */
  runTime: number;
  args: unknown[];
}

/** Warms a worker up: imports `modules`, reports `ready` and holds the worker until released (an abort message). */
export interface WarmTask extends TaskControl {
  op: 'warm';
  modules: string[];
}

export type WorkerTask = RunTask | WarmTask;

/** Main → worker: abort the run's signal with this reason (also releases a warm-up task). */
export interface AbortMessage {
  horarium: 'abort';
  token: number;
  reason: ErrorRecord;
}

/** Worker → main: a warm-up task has loaded its modules. */
export interface ReadyMessage {
  horarium: 'ready';
  token: number;
}

export type ControlMessage = AbortMessage | ReadyMessage;

export function isControlMessage(message: unknown): message is ControlMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    typeof (message as { horarium?: unknown }).horarium === 'string' &&
    typeof (message as { token?: unknown }).token === 'number'
  );
}

/** Would this value survive `postMessage` / advanced IPC serialization? Returns the reason when not. */
export function cloneProblem(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean' || type === 'bigint')
    return null;
  if (type === 'function') return 'a function cannot be cloned';
  if (type === 'symbol') return 'a symbol cannot be cloned';
  try {
    structuredClone(value);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

const MAX_CAUSE_DEPTH = 16;

/** Turns anything thrown into an {@link ErrorRecord}. */
export function encodeThrown(thrown: unknown, depth = 0): ErrorRecord {
  if (!(thrown instanceof Error)) {
    const cloneable = cloneProblem(thrown) === null;
    const text = describeThrown(thrown);
    return {
      name: 'Error',
      message: text,
      stack: undefined,
      thrown: { value: cloneable ? thrown : text },
    };
  }
  const record: ErrorRecord = {
    name: String(thrown.name),
    message: String(thrown.message),
    stack: typeof thrown.stack === 'string' ? thrown.stack : undefined,
  };
  const { code } = thrown as { code?: unknown };
  if (code !== undefined) record.code = cloneProblem(code) === null ? code : String(code);
  if (thrown.cause !== undefined && depth < MAX_CAUSE_DEPTH) {
    record.cause = encodeThrown(thrown.cause, depth + 1);
  }
  for (const key of Object.keys(thrown)) {
    if (key === 'name' || key === 'message' || key === 'stack' || key === 'code' || key === 'cause')
      continue;
    const value = (thrown as unknown as Record<string, unknown>)[key];
    if (
      value === null ||
      typeof value === 'string' ||
      typeof value === 'number' ||
      typeof value === 'boolean'
    ) {
      record.props ??= {};
      record.props[key] = value;
    }
  }
  return record;
}

function describeThrown(thrown: unknown): string {
  if (typeof thrown === 'string') return thrown;
  try {
    const json = JSON.stringify(thrown);
    if (json !== undefined) return json;
  } catch {
    // fall through
  }
  return String(thrown);
}

/** Rebuilds what an {@link ErrorRecord} describes: an `Error` with its name, message, stack, code, cause and properties. */
export function decodeThrown(record: ErrorRecord): unknown {
  if (record.thrown !== undefined) return record.thrown.value;
  const options = record.cause === undefined ? undefined : { cause: decodeThrown(record.cause) };
  const error = new Error(record.message, options);
  Object.defineProperty(error, 'name', {
    value: record.name,
    writable: true,
    configurable: true,
    enumerable: false,
  });
  if (record.stack !== undefined) error.stack = record.stack;
  const target = error as unknown as Record<string, unknown>;
  if (record.code !== undefined) target.code = record.code;
  if (record.props !== undefined) Object.assign(target, record.props);
  return error;
}

/** The envelope for a value a job returned: an error envelope when the value cannot be passed back. */
export function encodeResult(value: unknown, funcRef: string, jobId: string): Envelope {
  const problem = cloneProblem(value);
  if (problem === null) return { ok: true, value };
  return {
    ok: false,
    error: encodeThrown(new UncloneableResultError(jobId, funcRef, problem)),
  };
}

/** The job's return value cannot cross from its worker to the scheduler (e.g. it is or holds a function). */
export class UncloneableResultError extends HorariumError {
  override name = 'UncloneableResultError';
  readonly jobId: string;
  constructor(jobId: string, funcRef: string, reason: string) {
    super(
      `The return value of job "${jobId}" (${funcRef}) cannot be passed back from its worker: ${reason}. Return plain data (structured-cloneable: no functions, symbols or class instances with behaviour).`,
    );
    this.jobId = jobId;
  }
}

/** The worker running a job died (uncaught error, `process.exit`, out of memory, a signal); it was replaced. */
export class WorkerCrashedError extends HorariumError {
  override name = 'WorkerCrashedError';
  readonly jobId: string;
  constructor(jobId: string, funcRef: string, detail: string, options?: ErrorOptions) {
    super(
      `The worker running job "${jobId}" (${funcRef}) crashed: ${detail}. The worker was replaced.`,
      options,
    );
    this.jobId = jobId;
  }
}

/** Where a pool finds a job's function: its reference with the module resolved (against the main thread's cwd). */
export interface PoolTarget {
  /** `'file:///…/jobs.js:send'` or `'my-pkg:task'`. */
  reference: string;
  /** The reference as written. */
  funcRef: string;
}

const targets = new Map<string, PoolTarget>();

/**
 * Checks that a pool executor can run `job` — its function must be a
 * `'module:export'` reference and its arguments must be cloneable — and
 * returns where the worker finds the function.
 *
 * @throws InvalidJobOptionError for a plain function, a registered task name or arguments that cannot be cloned.
 */
export function poolTarget(job: Job, executorType: string): PoolTarget {
  const funcRef = job.funcRef;
  if (funcRef === null) {
    throw new InvalidJobOptionError(
      'func',
      `Job "${job.id}" cannot run in a ${executorType} executor: its function has no textual reference. Functions cannot be sent to another thread or process; pass a 'module-specifier:exportName' reference (e.g. './jobs.js:sendReport') instead of the function itself.`,
    );
  }
  let target = targets.get(funcRef);
  if (target === undefined) {
    const parsed = parseReference(funcRef);
    if (parsed === null) {
      throw new InvalidJobOptionError(
        'func',
        `Job "${job.id}" cannot run in a ${executorType} executor: ${JSON.stringify(funcRef)} is a task registered with scheduler.registerTask, which only exists in the main thread. Use a 'module-specifier:exportName' reference (e.g. './jobs.js:${funcRef}') so that the worker can import it.`,
      );
    }
    target = { reference: `${moduleUrl(parsed.module)}:${parsed.path.join('.')}`, funcRef };
    if (targets.size > 10_000) targets.clear();
    targets.set(funcRef, target);
  }
  return target;
}

/** Throws when a job's arguments cannot be sent to a worker. */
export function checkPoolArgs(job: Job, executorType: string): void {
  const problem = cloneProblem(job.args);
  if (problem !== null) {
    throw new InvalidJobOptionError(
      'args',
      `Job "${job.id}" cannot run in a ${executorType} executor: its arguments cannot be sent to a worker (${problem}). Pass plain data (structured-cloneable values).`,
    );
  }
}

/** The error for a run whose pool failed it (the worker died, or the task could not be sent). */
export function poolFailure(job: Job, funcRef: string, error: unknown): Error {
  if (error instanceof Error && error.name === 'DataCloneError') {
    return new InvalidJobOptionError(
      'args',
      `The arguments of job "${job.id}" (${funcRef}) cannot be sent to its worker: ${error.message}`,
      { cause: error },
    );
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new WorkerCrashedError(job.id, funcRef, detail, { cause: error });
}
