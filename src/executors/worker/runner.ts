/**
 * The generic runner: the one module both pool executors load in their
 * workers (piscina threads, tinypool child processes). Its default export
 * takes a {@link WorkerTask}, imports the job's module (cached per URL, see
 * `resolveReference`), calls the export with `currentJob()` set up (id,
 * scheduled run time, a signal that the main side can abort), and returns an
 * {@link Envelope} — never throws, so every pool passes errors back the same way.
 *
 * Control messages (abort, warm-up release) arrive on the pool's
 * `BroadcastChannel` in threads and on the IPC channel in child processes.
 *
 * TypeScript task modules: child processes inherit the host's `--import tsx`;
 * worker threads do not (Node 20), so when a `.ts` module fails to load with
 * ERR_UNKNOWN_FILE_EXTENSION the runner registers tsx's ESM hooks
 * (`register()` from 'tsx/esm/api') in this worker and tries again.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BroadcastChannel, isMainThread } from 'node:worker_threads';
import { JobRun, runAsCurrentJob } from '../../jobs/current-job.ts';
import type { JobFunction } from '../../jobs/job.ts';
import { parseReference, resolveReference } from '../../jobs/job-ref.ts';
import {
  type ControlMessage,
  decodeThrown,
  type Envelope,
  encodeResult,
  encodeThrown,
  isControlMessage,
  type RunTask,
  type WarmTask,
  type WorkerTask,
} from './envelope.ts';

const TYPESCRIPT_MODULE = /\.(?:[cm]?ts|tsx)(?:[?#].*)?$/;
/** How long a warm-up task holds its worker at most when the main side never releases it. */
const WARM_HOLD_MS = 30_000;
/** Abort messages kept for runs that have not started in this worker yet. */
const EARLY_ABORTS_KEPT = 256;

// ---------------------------------------------------------------------------
// Control messages

type ControlListener = (message: ControlMessage) => void;

/** Listeners per task token, fed by whichever transport this worker has. */
const listeners = new Map<number, ControlListener>();
/** Aborts that arrived before their run started here (threads: broadcast to every worker). */
const earlyAborts = new Map<number, ControlMessage>();
const channels = new Map<string, BroadcastChannel>();
let ipcListening = false;

function dispatchControl(message: unknown): void {
  if (!isControlMessage(message)) return;
  const listener = listeners.get(message.token);
  if (listener !== undefined) {
    listener(message);
    return;
  }
  if (message.horarium === 'abort') {
    earlyAborts.set(message.token, message);
    if (earlyAborts.size > EARLY_ABORTS_KEPT) {
      const [oldest] = earlyAborts.keys();
      if (oldest !== undefined) earlyAborts.delete(oldest);
    }
  }
}

function transport(task: WorkerTask): (message: ControlMessage) => void {
  if (task.channel !== undefined) {
    let channel = channels.get(task.channel);
    if (channel === undefined) {
      channel = new BroadcastChannel(task.channel);
      channel.onmessage = (event) => dispatchControl((event as { data?: unknown }).data);
      // Never keeps the worker alive on its own.
      channel.unref();
      channels.set(task.channel, channel);
    }
    const open = channel;
    return (message) => open.postMessage(message);
  }
  if (typeof process.send === 'function') {
    if (!ipcListening) {
      ipcListening = true;
      process.on('message', dispatchControl);
    }
    return (message) => {
      process.send?.(message);
    };
  }
  return () => {};
}

/** Listens for this task's control messages until the returned function is called. */
function listen(task: WorkerTask, listener: ControlListener): () => void {
  listeners.set(task.token, listener);
  const early = earlyAborts.get(task.token);
  if (early !== undefined) {
    earlyAborts.delete(task.token);
    listener(early);
  }
  return () => {
    listeners.delete(task.token);
  };
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

async function loadFunction(reference: string): Promise<JobFunction> {
  await prepareImport(parseReference(reference)?.module ?? reference);
  return resolveReference(reference);
}

// ---------------------------------------------------------------------------
// Where the runner is

/**
 * The file the pools load as their worker: this module itself when it is
 * JavaScript (the built `dist/`) or when Node strips types; when it runs from
 * its TypeScript source on a Node that cannot (tests, `tsx` scripts), a small
 * generated bootstrap (in the OS temp directory) that registers tsx in the
 * worker and then imports this module.
 */
export function runnerEntry(): string {
  const self = import.meta.url;
  if (!TYPESCRIPT_MODULE.test(self) || (process.features as { typescript?: unknown }).typescript) {
    return fileURLToPath(self);
  }
  bootstrap ??= writeBootstrap(self);
  return bootstrap;
}

let bootstrap: string | undefined;

/** The URL of tsx's `tsx/esm/api` entry as seen from `from` (its package `exports`, import condition). */
function tsxEsmApiUrl(from: string): string {
  const packageFile = createRequire(from).resolve('tsx/package.json');
  const manifest = JSON.parse(readFileSync(packageFile, 'utf8')) as {
    exports?: Record<string, unknown>;
  };
  const entry = manifest.exports?.['./esm/api'];
  const target =
    typeof entry === 'string'
      ? entry
      : (entry as { import?: string | { default?: string } } | undefined)?.import;
  const file = typeof target === 'string' ? target : target?.default;
  if (file === undefined) throw new Error(`Cannot find tsx/esm/api in ${packageFile}`);
  return pathToFileURL(join(dirname(packageFile), file)).href;
}

function writeBootstrap(runnerUrl: string): string {
  const tsxApi = tsxEsmApiUrl(runnerUrl);
  const source = `// Generated by horarium: loads its TypeScript job runner in a worker, under tsx.
import { isMainThread } from 'node:worker_threads';
const flag = Symbol.for('horarium.tsxRegistered');
const inherited = isMainThread && /\\btsx\\b/.test(\`\${process.execArgv.join(' ')} \${process.env.NODE_OPTIONS ?? ''}\`);
if (!inherited && globalThis[flag] !== true) {
  const { register } = await import(${JSON.stringify(tsxApi)});
  register();
  globalThis[flag] = true;
}
const runner = await import(${JSON.stringify(runnerUrl)});
export default runner.default;
`;
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const file = join(tmpdir(), `horarium-runner-${hash}.mjs`);
  if (!existsSync(file)) {
    const partial = `${file}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(partial, source);
    renameSync(partial, file);
  }
  return file;
}

// ---------------------------------------------------------------------------
// Tasks

async function runJob(task: RunTask): Promise<Envelope> {
  const run = new JobRun(task.jobId, new Date(task.runTime));
  transport(task);
  const stop = listen(task, (message) => {
    if (message.horarium === 'abort') run.abort(decodeThrown(message.reason));
  });
  try {
    const func = await loadFunction(task.reference);
    const value: unknown = await runAsCurrentJob(run, () => func(...task.args));
    return encodeResult(value, task.funcRef, task.jobId);
  } catch (error) {
    return { ok: false, error: encodeThrown(error) };
  } finally {
    stop();
  }
}

async function warm(task: WarmTask): Promise<Envelope> {
  const send = transport(task);
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const stop = listen(task, (message) => {
    if (message.horarium === 'abort') release();
  });
  try {
    for (const url of task.modules) {
      await prepareImport(url);
      await import(url);
    }
    send({ horarium: 'ready', token: task.token });
    const timer = setTimeout(release, WARM_HOLD_MS);
    await released;
    clearTimeout(timer);
    return { ok: true, value: process.pid };
  } catch (error) {
    return { ok: false, error: encodeThrown(error) };
  } finally {
    stop();
  }
}

/** The runner's entry point: piscina and tinypool call the default export with the task. */
export default function runTask(task: WorkerTask): Promise<Envelope> {
  return task.op === 'run' ? runJob(task) : warm(task);
}
