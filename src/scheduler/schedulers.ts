/** The three schedulers: one base and one main loop, three ways to live in a process. */

import { BaseScheduler } from './base-scheduler.ts';
import type { FlatConfig, SchedulerConfig } from './config.ts';
import type { StartOptions } from './job-options.ts';

/**
 * A scheduler for programs built around the event loop. `start()` resolves
 * once the scheduler runs; its timers keep the process alive until `shutdown()`.
 *
 * @example
 * ```ts
 * const scheduler = new AsyncScheduler({ timezone: 'Europe/Berlin' });
 * await scheduler.addJob(() => console.log('tick'), 'interval', { seconds: 10 });
 * await scheduler.start();
 * ```
 */
export class AsyncScheduler extends BaseScheduler {
  constructor(config: SchedulerConfig | FlatConfig = {}) {
    super(config, false);
  }
}

/**
 * Like `AsyncScheduler`, but its timers do not keep the process alive
 * (`daemon: true` by default): it runs beside the rest of an application and
 * stops when the application does.
 *
 * @example
 * ```ts
 * const scheduler = new BackgroundScheduler();
 * await scheduler.addJob(flushMetrics, 'interval', { seconds: 30 });
 * await scheduler.start();
 * server.listen(8080); // the server keeps the process alive, not the scheduler
 * ```
 */
export class BackgroundScheduler extends BaseScheduler {
  constructor(config: SchedulerConfig | FlatConfig = {}) {
    super(config, true);
  }
}

/**
 * A scheduler that is the program: `start()` resolves only after `shutdown()`.
 * SIGINT and SIGTERM shut it down gracefully (waiting for running jobs), after
 * which the process can exit with code 0.
 *
 * @example
 * ```ts
 * const scheduler = new BlockingScheduler();
 * await scheduler.addJob('./jobs/backup.js:run', 'cron', { hour: 1 });
 * await scheduler.start(); // returns after shutdown(), SIGINT or SIGTERM
 * ```
 */
export class BlockingScheduler extends BaseScheduler {
  constructor(config: SchedulerConfig | FlatConfig = {}) {
    super(config, false);
  }

  override async start(options: StartOptions = {}): Promise<void> {
    await super.start(options);
    const stop = (signal: NodeJS.Signals): void => {
      this.logger.info(`Received ${signal}; shutting down`);
      this.shutdown().catch((error: unknown) => this.logger.error('Error during shutdown', error));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      await this.whenShutdown();
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  }
}
