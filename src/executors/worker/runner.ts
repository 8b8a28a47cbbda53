/**
 * The generic runner: the one module both pool executors load in their
 * workers (piscina threads, tinypool child processes). Its default export
 * takes a {@link WorkerTask}, imports the job's module (cached per URL, see
 * `resolveReference`), calls the export with `currentJob()` set up (id,
 * scheduled run time, a signal that the main side can abort), and returns
 * the job's value as it is — or throws a {@link RunFailure}, so that every
 * pool passes errors back the same way, as our own record.
 *
 * Control messages (abort, warm-up release) arrive on the pool's
 * `BroadcastChannel` in threads and on the IPC channel in child processes.
 *
 * TypeScript task modules: child processes inherit the host's `--import tsx`;
 * worker threads do not (Node 20), so when a `.ts` module fails to load with
 * ERR_UNKNOWN_FILE_EXTENSION the runner registers tsx's ESM hooks
 * (`register()` from 'tsx/esm/api') in this worker and tries again.
 */
import { BroadcastChannel, isMainThread, workerData } from 'node:worker_threads';
import { endWorkerJob, JobRun, runAsWorkerJob } from '../../jobs/current-job.ts';
import type { JobFunction } from '../../jobs/job.ts';
import { moduleUrl, parseReference, resolveReference } from '../../jobs/job-ref.ts';
import {
  type ControlMessage,
  cloneProblem,
  decodeThrown,
  encodeThrown,
  type FailureRecord,
  isControlMessage,
  type RunFailure,
  type RunnerWorkerData,
  type RunTask,
  type WarmTask,
  type WorkerTask,
} from './envelope.ts';
import { workerEntry } from './worker-entry.ts';

const TYPESCRIPT_MODULE = /\.(?:[cm]?ts|tsx)(?:[?#].*)?$/;
/** How long a warm-up task holds its worker at most when the main side never releases it. */
const WARM_HOLD_MS = 30_000;
/** Abort messages kept for runs that have not started in this worker yet. */
const EARLY_ABORTS_KEPT = 256;

// ---------------------------------------------------------------------------
// Control messages

/**
 * The runs awaiting something in this worker, by task token (a worker runs one
 * at a time, but an abandoned one may linger). A synchronous run is never
 * here: control messages only arrive while the worker awaits.
 */
const runs = new Map<number, JobRun>();
/** Warm-up tasks waiting for their release, by task token. */
const warmups = new Map<number, () => void>();
/** Aborts that arrived before their run started here (threads: broadcast to every worker). */
const earlyAborts = new Map<number, ControlMessage>();

function dispatchControl(message: unknown): void {
  if (!isControlMessage(message) || message.horarium !== 'abort') return;
  const run = runs.get(message.token);
  if (run !== undefined) {
    run.abort(decodeThrown(message.reason));
    return;
  }
  const release = warmups.get(message.token);
  if (release !== undefined) {
    release();
    return;
  }
  earlyAborts.set(message.token, message);
  if (earlyAborts.size > EARLY_ABORTS_KEPT) {
    const [oldest] = earlyAborts.keys();
    if (oldest !== undefined) earlyAborts.delete(oldest);
  }
}

/**
 * Listens for control messages, once per worker, when the runner is loaded:
 * on the pool's `BroadcastChannel` in a thread (named in `workerData`), on the
 * IPC channel in a child process. Returns how to answer the main side.
 */
function openControl(): (message: ControlMessage) => void {
  const data = workerData as Partial<RunnerWorkerData> | null | undefined;
  if (!isMainThread && typeof data?.horariumChannel === 'string') {
    const channel = new BroadcastChannel(data.horariumChannel);
    channel.onmessage = (event) => dispatchControl((event as { data?: unknown }).data);
    // Never keeps the worker alive on its own.
    channel.unref();
    return (message) => channel.postMessage(message);
  }
  if (isMainThread && typeof process.send === 'function') {
    process.on('message', dispatchControl);
    return (message) => {
      process.send?.(message);
    };
  }
  return () => {};
}

const reply = openControl();

/** Takes the abort that arrived for this token before its task started here, if any. */
function takeEarlyAbort(token: number): ControlMessage | undefined {
  if (earlyAborts.size === 0) return undefined;
  const early = earlyAborts.get(token);
  if (early !== undefined) earlyAborts.delete(token);
  return early;
}

// ---------------------------------------------------------------------------
// Loading modules

/** Set (on `globalThis`) once tsx's hooks are registered in this worker. */
const TSX_REGISTERED = Symbol.for('horarium.tsxRegistered');
let typescriptHooks: Promise<void> | undefined;

/**
 * Can this worker import a `.ts` module as it is? Yes when Node strips types
 * itself, when tsx was registered here, or in a child process of a host run
 * with `--import tsx` (child processes inherit it; worker threads do not).
 * This must be known before the import: Node caches a failed import per URL.
 */
function loadsTypeScript(): boolean {
  if ((process.features as { typescript?: unknown }).typescript) return true;
  if ((globalThis as Record<symbol, unknown>)[TSX_REGISTERED] === true) return true;
  if (!isMainThread) return false;
  return /\btsx\b/.test(`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`);
}

/** Registers tsx's ESM hooks in this worker (once). */
function registerTypeScript(): Promise<void> {
  typescriptHooks ??= (async () => {
    let api: { register: () => unknown };
    try {
      api = (await import('tsx/esm/api')) as { register: () => unknown };
    } catch (error) {
      throw new Error(
        'A TypeScript job module cannot be loaded in this worker: this Node.js cannot run TypeScript and tsx (which the worker registers for .ts modules) could not be imported. Install tsx, or point the job at compiled JavaScript.',
        { cause: error },
      );
    }
    api.register();
    (globalThis as Record<symbol, unknown>)[TSX_REGISTERED] = true;
  })();
  return typescriptHooks;
}

/** Makes sure `url` can be imported here: registers tsx first for a TypeScript module when needed. */
async function prepareImport(url: string): Promise<void> {
  if (TYPESCRIPT_MODULE.test(url) && !loadsTypeScript()) await registerTypeScript();
}

/** A reference whose module is loaded: its namespace and export path. */
interface LoadedReference {
  namespace: Record<string, unknown>;
  path: readonly string[];
}

/** References loaded in this worker; a hit is resolved without a single `await`. */
const loaded = new Map<string, LoadedReference>();
/**
 * The reference the last run named, and its entry: runs of one job follow
 * each other, and comparing two strings is cheaper than hashing the one that
 * arrived with the task.
 */
let lastReference = '';
let lastEntry: LoadedReference | undefined;

/**
 * The function a loaded reference names (read from the module at every call,
 * as `resolveReference` does), or undefined when the reference is not loaded
 * yet or no longer names a function (then the slow path explains why).
 */
function loadedFunction(reference: string): JobFunction | undefined {
  let entry = lastEntry;
  if (reference !== lastReference || entry === undefined) {
    entry = loaded.get(reference);
    if (entry === undefined) return undefined;
    lastReference = reference;
    lastEntry = entry;
  }
  const { path } = entry;
  if (path.length === 1) {
    const target = entry.namespace[path[0] as string];
    return typeof target === 'function' ? (target as JobFunction) : undefined;
  }
  let holder: unknown;
  let target: unknown = entry.namespace;
  for (const name of path) {
    if ((typeof target !== 'object' && typeof target !== 'function') || target === null)
      return undefined;
    holder = target;
    target = (target as Record<string, unknown>)[name];
  }
  return typeof target === 'function' ? (target as JobFunction).bind(holder) : undefined;
}

/** Loads a reference's module (the first time; failures are not kept) and returns its function. */
async function loadFunction(reference: string): Promise<JobFunction> {
  const parsed = parseReference(reference);
  const url = moduleUrl(parsed?.module ?? reference);
  await prepareImport(url);
  // Throws the JobReferenceError that says what is wrong.
  const func = await resolveReference(reference);
  if (parsed !== null) {
    const namespace = (await import(url)) as Record<string, unknown>;
    if (loaded.size > 10_000) loaded.clear();
    loaded.set(reference, { namespace, path: parsed.path });
    lastEntry = undefined;
  }
  return func;
}

// ---------------------------------------------------------------------------
// Where the runner is

/**
 * The file the pools load as their worker: this module itself when it is
 * JavaScript (the built `dist/`) or when Node strips types; when it runs from
 * its TypeScript source on a Node that cannot (tests, `tsx` scripts), a small
 * generated bootstrap that registers tsx in the worker and then imports it.
 */
export function runnerEntry(): string {
  return workerEntry(import.meta.url);
}

// ---------------------------------------------------------------------------
// Tasks

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  (typeof value === 'object' || typeof value === 'function') &&
  value !== null &&
  typeof (value as PromiseLike<unknown>).then === 'function';

/**
 * Ends a run as failed: the pool rejects the task with this record. It is an
 * object on `Error.prototype` with the record as an own property, since the
 * pools pass a thrown value on differently: piscina clones it as a plain
 * object, tinypool's child process keeps the own properties of an `Error`
 * (and turns anything else into a string).
 */
function fail(failure: FailureRecord): never {
  const thrown = Object.create(Error.prototype) as RunFailure;
  thrown.horariumFailure = failure;
  throw thrown;
}

const failWith = (error: unknown): never => fail({ kind: 'threw', error: encodeThrown(error) });

/** The value as the pool passes it back; a failure when it cannot cross to the main side. */
function passBack(value: unknown): unknown {
  const problem = cloneProblem(value);
  if (problem !== null) fail({ kind: 'uncloneable', reason: problem });
  return value;
}

/**
 * Runs a job. With its module already loaded and a synchronous function, this
 * returns its value without a single promise; an asynchronous function costs
 * one `then`.
 */
function runJob(task: RunTask): unknown {
  const func = loadedFunction(task[1]);
  if (func === undefined) return loadAndRun(task);
  return runLoaded(func, task);
}

async function loadAndRun(task: RunTask): Promise<unknown> {
  let func: JobFunction;
  try {
    func = await loadFunction(task[1]);
  } catch (error) {
    takeEarlyAbort(task[0]);
    return failWith(error);
  }
  return runLoaded(func, task);
}

function runLoaded(func: JobFunction, task: RunTask): unknown {
  const [token, , jobId, runTime, args, fire] = task;
  const run = new JobRun(
    jobId,
    new Date(runTime),
    fire === undefined
      ? undefined
      : { fireId: fire[0], fencingToken: fire[1], recovering: fire[2], attempt: fire[3] },
  );
  const early = takeEarlyAbort(token);
  if (early?.horarium === 'abort') run.abort(decodeThrown(early.reason));
  let value: unknown;
  try {
    value = runAsWorkerJob(run, func, args);
  } catch (error) {
    endWorkerJob(run);
    return failWith(error);
  }
  if (!isThenable(value)) {
    endWorkerJob(run);
    return passBack(value);
  }
  runs.set(token, run);
  return Promise.resolve(value).then(
    (resolved) => {
      runs.delete(token);
      endWorkerJob(run);
      return passBack(resolved);
    },
    (error: unknown) => {
      runs.delete(token);
      endWorkerJob(run);
      return failWith(error);
    },
  );
}

async function warm(task: WarmTask): Promise<number> {
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  if (takeEarlyAbort(task.token) !== undefined) release();
  warmups.set(task.token, release);
  try {
    for (const url of task.modules) {
      await prepareImport(url);
      await import(url);
    }
    reply({ horarium: 'ready', token: task.token });
    const timer = setTimeout(release, WARM_HOLD_MS);
    await released;
    clearTimeout(timer);
    return process.pid;
  } catch (error) {
    return failWith(error);
  } finally {
    warmups.delete(task.token);
  }
}

/** The runner's entry point: piscina and tinypool call the default export with the task. */
export default function runTask(task: WorkerTask): unknown {
  if (Array.isArray(task)) return runJob(task);
  return task.op === 'warm' ? warm(task) : null;
}
