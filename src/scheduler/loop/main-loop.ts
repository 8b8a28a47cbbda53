/**
 * The main loop: sleep until the earliest next run time any store reported
 * (or until woken by a change), run a pass, repeat. At most one pass runs at
 * a time; a wake-up during a pass runs another pass right after it. Shared
 * stores are polled, so that jobs other processes add or change are noticed.
 */
import type { Logger } from '../../logging.ts';
import { MAX_SLEEP_MS, WakeTimer } from './wake-timer.ts';

/** What the loop needs from its scheduler. */
export interface LoopHost {
  readonly logger: Logger;
  readonly retryIntervalMs: number;
  readonly pollIntervalMs: number;
  /** True while the scheduler runs and is not paused: only then does the loop process jobs. */
  isProcessing(): boolean;
  /** True when a store other processes can change is configured: the loop then polls. */
  hasSharedStore(): boolean;
  /** One pass; returns how long to sleep (ms; null = until woken). */
  processJobs(): Promise<number | null>;
}

export class MainLoop {
  readonly #host: LoopHost;
  readonly #timer: WakeTimer;
  #processing = false;
  #wakeAgain = false;

  constructor(host: LoopHost, daemon: boolean) {
    this.#host = host;
    this.#timer = new WakeTimer((jump) => void this.#tick(jump), daemon);
  }

  /** Unref the loop's timer so it does not keep the process alive. */
  set daemon(daemon: boolean) {
    this.#timer.daemon = daemon;
  }

  /** Asks for a pass now. */
  wakeup(): void {
    if (!this.#host.isProcessing()) return;
    if (this.#processing) {
      this.#wakeAgain = true;
      return;
    }
    this.#timer.sleep(0);
  }

  /** Wakes the loop if a job now runs at `time` (epoch ms), earlier than the loop planned to wake. */
  wakeFor(time: number): void {
    if (!this.#host.isProcessing() || Number.isNaN(time)) return;
    if (this.#processing) {
      this.#wakeAgain = true;
      return;
    }
    const planned = this.#timer.plannedWakeAt;
    if (planned !== undefined && time >= planned) return;
    this.#timer.sleep(Math.max(time - Date.now(), 0));
  }

  /** Stops sleeping (pause, shutdown); a pass in progress finishes. */
  stop(): void {
    this.#timer.clear();
  }

  async #tick(clockJumpMs: number): Promise<void> {
    const host = this.#host;
    if (clockJumpMs !== 0) {
      host.logger.info(
        `The wall clock jumped by ${clockJumpMs} ms (clock step or host suspend); re-evaluating due jobs`,
      );
    }
    if (!host.isProcessing()) return;
    this.#processing = true;
    this.#wakeAgain = false;
    let wait: number | null;
    try {
      wait = await host.processJobs();
    } catch (error) {
      host.logger.error('Unexpected error while processing jobs; retrying', error);
      wait = host.retryIntervalMs;
    } finally {
      this.#processing = false;
    }
    if (!host.isProcessing()) return;
    if (this.#wakeAgain) {
      this.#wakeAgain = false;
      this.#timer.sleep(0);
      return;
    }
    const limit = host.hasSharedStore()
      ? Math.min(MAX_SLEEP_MS, host.pollIntervalMs)
      : MAX_SLEEP_MS;
    this.#timer.sleep(wait === null ? limit : Math.min(wait, limit));
  }
}
