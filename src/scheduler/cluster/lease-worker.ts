/**
 * The lease worker: a worker thread that renews this node's run leases with a
 * store connection of its own, so that a job blocking the main thread's event
 * loop does not cost its lease while the process lives. The main thread sends
 * a heartbeat with how long renewals may go on without the next one (its
 * jobs' timeouts bound a hung run); past that, the worker stops renewing and
 * the leases expire, so that another scheduler can take the fires over.
 *
 * Messages, main → worker: `start` (connection, owner, lease), `beat`
 * (holding, allowedUntil), `stop`; worker → main: `ready`, `failed`,
 * `renewed` (startedAt, ids), `error`, `stopped`.
 */
import { parentPort } from 'node:worker_threads';
import type { LeaseConnection, LeaseRenewer } from '../../stores/ledger.ts';

export type ToLeaseWorker =
  | {
      readonly op: 'start';
      readonly connection: LeaseConnection;
      readonly owner: string;
      readonly leaseMs: number;
    }
  | { readonly op: 'beat'; readonly holding: boolean; readonly allowedUntil: number }
  | { readonly op: 'stop' };

export type FromLeaseWorker =
  | { readonly op: 'ready' }
  | { readonly op: 'failed'; readonly message: string }
  | { readonly op: 'renewed'; readonly startedAt: number; readonly ids: readonly string[] }
  | { readonly op: 'error'; readonly message: string }
  | { readonly op: 'stopped' };

const port = parentPort;
if (port !== null) {
  let renewer: LeaseRenewer | undefined;
  let timer: NodeJS.Timeout | undefined;
  let holding = false;
  let allowedUntil = 0;
  let renewing = false;
  const post = (message: FromLeaseWorker): void => port.postMessage(message);
  const describe = (error: unknown): string =>
    error instanceof Error ? `${error.name}: ${error.message}` : String(error);

  const renew = async (owner: string, leaseMs: number): Promise<void> => {
    if (renewer === undefined || renewing || !holding || Date.now() > allowedUntil) return;
    renewing = true;
    const startedAt = Date.now();
    try {
      const ids = await renewer.renewFireLeases(owner, leaseMs);
      post({ op: 'renewed', startedAt, ids });
    } catch (error) {
      post({ op: 'error', message: describe(error) });
    } finally {
      renewing = false;
    }
  };

  port.on('message', (message: ToLeaseWorker) => {
    switch (message.op) {
      case 'start': {
        const { connection, owner, leaseMs } = message;
        void (async () => {
          try {
            const module = (await import(connection.module)) as Record<string, unknown>;
            const open = module[connection.export];
            if (typeof open !== 'function')
              throw new Error(`${connection.module} has no function export "${connection.export}"`);
            renewer = (await (open as (options: unknown) => Promise<LeaseRenewer>)(
              connection.options,
            )) as LeaseRenewer;
            timer = setInterval(() => void renew(owner, leaseMs), leaseMs / 3);
            post({ op: 'ready' });
          } catch (error) {
            post({ op: 'failed', message: describe(error) });
          }
        })();
        break;
      }
      case 'beat':
        holding = message.holding;
        allowedUntil = message.allowedUntil;
        break;
      case 'stop':
        clearInterval(timer);
        void (async () => {
          try {
            await renewer?.close();
          } catch {
            // Closing at exit: nothing more to renew either way.
          }
          post({ op: 'stopped' });
          port.close();
        })();
        break;
    }
  });
}
