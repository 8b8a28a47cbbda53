/**
 * The main thread's side of the lease worker (see lease-worker.ts): starts
 * it with the store's lease connection, passes its renewals on, sends the
 * heartbeat, and stops it.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { workerEntry } from '../../executors/worker/worker-entry.ts';
import type { LeaseConnection } from '../../stores/ledger.ts';
import type { FromLeaseWorker, ToLeaseWorker } from './lease-worker.ts';

/** How long the worker may take to open its connection. */
const START_TIMEOUT_MS = 15_000;

export interface LeaseWorkerHandlers {
  /** A renewal that began at local time `startedAt` renewed these fires. */
  renewed(startedAt: number, ids: readonly string[]): void;
  /** A renewal failed. */
  failed(message: string): void;
}

export class LeaseWorkerClient {
  readonly #worker: Worker;
  #closed = false;

  private constructor(worker: Worker) {
    this.#worker = worker;
  }

  /**
   * Starts a lease worker renewing `owner`'s leases through `connection`.
   * @throws Error when the worker cannot open its connection
   */
  static async open(
    connection: LeaseConnection,
    owner: string,
    leaseMs: number,
    handlers: LeaseWorkerHandlers,
  ): Promise<LeaseWorkerClient> {
    const self = fileURLToPath(import.meta.url);
    const workerUrl = new URL(`./lease-worker${extname(self)}`, import.meta.url).href;
    const worker = new Worker(workerEntry(workerUrl), { stdout: false, stderr: false });
    worker.unref();
    const client = new LeaseWorkerClient(worker);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`the lease worker did not connect within ${START_TIMEOUT_MS / 1000} s`));
      }, START_TIMEOUT_MS);
      timer.unref();
      const fail = (error: Error): void => {
        clearTimeout(timer);
        reject(error);
      };
      worker.once('error', fail);
      worker.on('message', (message: FromLeaseWorker) => {
        switch (message.op) {
          case 'ready':
            clearTimeout(timer);
            worker.off('error', fail);
            worker.on('error', (error) =>
              handlers.failed(`the lease worker failed: ${error.message}`),
            );
            resolve();
            break;
          case 'failed':
            fail(new Error(message.message));
            break;
          case 'renewed':
            handlers.renewed(message.startedAt, message.ids);
            break;
          case 'error':
            handlers.failed(message.message);
            break;
          case 'stopped':
            break;
        }
      });
      client.#post({ op: 'start', connection, owner, leaseMs });
    }).catch(async (error: unknown) => {
      await client.close();
      throw error;
    });
    return client;
  }

  /** The heartbeat: whether fires are held, and until when renewals may go on without the next beat (local ms). */
  beat(holding: boolean, allowedUntil: number): void {
    this.#post({ op: 'beat', holding, allowedUntil });
  }

  /** Stops the worker (its connection closed first, within a second). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const stopped = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      timer.unref();
      this.#worker.on('message', (message: FromLeaseWorker) => {
        if (message.op === 'stopped') {
          clearTimeout(timer);
          resolve();
        }
      });
      this.#worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.#post({ op: 'stop' });
    await stopped;
    await this.#worker.terminate();
  }

  #post(message: ToLeaseWorker): void {
    this.#worker.postMessage(message);
  }
}
