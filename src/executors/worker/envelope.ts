/**
 * What crosses the boundary between the pool executors and their workers
 * (threads or child processes): the task, the control messages, and how a run
 * ends — its return value as it is, or a thrown {@link RunFailure}.
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

/**
 * Why a run failed in its worker: what the job threw, or why its return value
 * cannot be passed back (the main side turns that into an
 * {@link UncloneableResultError}, knowing the job).
 */
export type FailureRecord =
  | { kind: 'threw'; error: ErrorRecord }
  | { kind: 'uncloneable'; reason: string };

/**
 * A failed run as the runner throws it, so that the pool rejects the task with
 * it. A successful run's value travels as it is: no wrapper to allocate and
 * clone on every run. The pools' own failures (a worker that died, arguments
 * that cannot be cloned) are `Error`s and never carry `horariumFailure`.
 */
export interface RunFailure {
  horariumFailure: FailureRecord;
}

/** Is this rejection reason a failure the runner reported (rather than the pool's own)? */
export function isRunFailure(reason: unknown): reason is RunFailure {
  return (
    typeof reason === 'object' &&
    reason !== null &&
    typeof (reason as Partial<RunFailure>).horariumFailure === 'object'
  );
}

/** The name of a thread pool's `BroadcastChannel`, given to its workers as `workerData`. */
export interface RunnerWorkerData {
  horariumChannel: string;
}

/**
 * One run of a job, as the main side sends it to the runner: a tuple, since
 * every run is cloned to its worker and back (property names are cloned too).
 */
export type RunTask = [
  /** Tells this run's control messages (abort) apart from other runs'. */
  token: number,
  /** `'file:///…/jobs.js:send'`: the job's reference with its module already resolved on the main side. */
  reference: string,
  jobId: string,
  /** Epoch ms of the scheduled run time. */
  runTime: number,
  args: unknown[],
  /** The ledger fire the run carries out (shared stores): id, fencing token, recovering, attempt. */
  fire?: [fireId: string, fencingToken: number, recovering: boolean, attempt: number],
];

/** Warms a worker up: imports `modules`, reports `ready` and holds the worker until released (an abort message). */
export interface WarmTask {
  op: 'warm';
  token: number;
  modules: readonly string[];
}

/**
 * Answered at once. Handing one to a pool that has runs queued but no worker
 * left makes it start a worker (pools start workers only when a task comes).
 */
export interface PingTask {
  op: 'ping';
}

export type WorkerTask = RunTask | WarmTask | PingTask;

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

/** Most nodes {@link cloneProblem} walks before it leaves the question to `structuredClone`. */
const CLONE_WALK_BUDGET = 10_000;
/** Deeper than this, {@link cloneProblem} leaves the question to `structuredClone` (cycles end up there). */
const CLONE_WALK_DEPTH = 64;

/**
 * Is `value` plain data that certainly survives structured cloning: primitives
 * (not symbols), `Date`s, arrays and plain objects of those? A walk that
 * copies nothing, much cheaper than `structuredClone`. False means "not sure",
 * not "cannot be cloned". `budget[0]` counts the nodes left to visit.
 */
function isPlainData(value: unknown, depth: number, budget: [number]): boolean {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) return true;
  budget[0] -= 1;
  if (budget[0] < 0 || depth > CLONE_WALK_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      if (!isPlainData(value[i], depth + 1, budget)) return false;
    }
    return true;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Date.prototype) return true;
  if (proto !== Object.prototype && proto !== null) return false;
  for (const key in value) {
    if (!isPlainData((value as Record<string, unknown>)[key], depth + 1, budget)) return false;
  }
  return true;
}

/**
 * Would this value survive `postMessage` / advanced IPC serialization? Returns
 * the reason when not. Plain data is accepted by a cheap walk; anything else
 * (class instances, maps, typed arrays, cycles, functions) is settled by
 * `structuredClone`, which also gives the reason.
 */
export function cloneProblem(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean' || type === 'bigint')
    return null;
  if (type === 'function') return 'a function cannot be cloned';
  if (type === 'symbol') return 'a symbol cannot be cloned';
  try {
    if (isPlainData(value, 0, [CLONE_WALK_BUDGET])) return null;
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

/** Error classes by name, for {@link decodeThrown} to rebuild instances of (the main side passes Horarium's). */
export type ErrorClasses = ReadonlyMap<string, abstract new (...args: never[]) => Error>;

/**
 * Rebuilds what an {@link ErrorRecord} describes: an `Error` with its name,
 * message, stack, code, cause and properties. When `classes` knows the
 * record's name, the error is an instance of that class (its constructor is
 * not run: the fields come from the record), so `instanceof` works.
 */
export function decodeThrown(record: ErrorRecord, classes?: ErrorClasses): unknown {
  if (record.thrown !== undefined) return record.thrown.value;
  const options =
    record.cause === undefined ? undefined : { cause: decodeThrown(record.cause, classes) };
  const known = classes?.get(record.name);
  const error: Error =
    known === undefined
      ? new Error(record.message, options)
      : (Reflect.construct(Error, [record.message, options], known) as Error);
  // As the classes declare it (a field): an own property.
  Object.defineProperty(error, 'name', {
    value: record.name,
    writable: true,
    configurable: true,
    enumerable: known !== undefined,
  });
  if (record.stack !== undefined) error.stack = record.stack;
  const target = error as unknown as Record<string, unknown>;
  if (record.code !== undefined) target.code = record.code;
  if (record.props !== undefined) Object.assign(target, record.props);
  return error;
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

/**
 * The workers of a pool executor could not start (the runner failed to load,
 * a worker died while starting): the runs waiting for one fail with this and
 * release their slots, and the next run starts workers afresh. At `start()`,
 * warming the workers up fails with it too.
 */
export class WorkerStartError extends HorariumError {
  override name = 'WorkerStartError';
  /** The job whose run never reached a worker; null for the warm-up at `start()`. */
  readonly jobId: string | null;
  constructor(
    detail: string,
    run: { jobId: string; funcRef: string } | null,
    options?: ErrorOptions,
  ) {
    super(
      run === null
        ? `The workers of the executor could not start: ${detail}`
        : `Job "${run.jobId}" (${run.funcRef}) did not run: the workers of its executor could not start: ${detail}`,
      options,
    );
    this.jobId = run?.jobId ?? null;
  }
}

/** Where a pool finds a job's function: its reference with the module resolved (against the main thread's cwd). */
export interface PoolTarget {
  /** `'file:///…/jobs.js:send'` or `'my-pkg:task'`. */
  reference: string;
  /** The reference as written. */
  funcRef: string;
}

/** Targets per way of resolving module specifiers (each scheduler has its own). */
const targetsByResolver = new WeakMap<(specifier: string) => string, Map<string, PoolTarget>>();
/**
 * The reference the last job named, its resolver and its target. Runs of one
 * job, and bursts of jobs added with the same reference, follow each other:
 * comparing two strings is cheaper than hashing a job's string the first time it runs.
 */
let lastFuncRef = '';
let lastResolver: ((specifier: string) => string) | undefined;
let lastTarget: PoolTarget | undefined;

/**
 * Checks that a pool executor can run `job` — its function must be a
 * `'module:export'` reference and its arguments must be cloneable — and
 * returns where the worker finds the function.
 *
 * @throws InvalidJobOptionError for a plain function, a registered task name or arguments that cannot be cloned.
 */
export function poolTarget(
  job: Job,
  executorType: string,
  resolveModule: (specifier: string) => string = moduleUrl,
): PoolTarget {
  const funcRef = job.funcRef;
  if (funcRef === null) {
    throw new InvalidJobOptionError(
      'func',
      `Job "${job.id}" cannot run in a ${executorType} executor: its function has no textual reference. Functions cannot be sent to another thread or process; pass a 'module-specifier:exportName' reference (e.g. './jobs.js:sendReport') instead of the function itself.`,
    );
  }
  if (funcRef === lastFuncRef && resolveModule === lastResolver && lastTarget !== undefined)
    return lastTarget;
  let targets = targetsByResolver.get(resolveModule);
  if (targets === undefined) {
    targets = new Map();
    targetsByResolver.set(resolveModule, targets);
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
    target = { reference: `${resolveModule(parsed.module)}:${parsed.path.join('.')}`, funcRef };
    if (targets.size > 10_000) targets.clear();
    targets.set(funcRef, target);
  }
  lastFuncRef = funcRef;
  lastResolver = resolveModule;
  lastTarget = target;
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
