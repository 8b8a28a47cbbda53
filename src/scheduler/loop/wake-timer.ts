/**
 * The main loop's one timer: when the loop sleeps and when it wakes. It never
 * sleeps longer than {@link MAX_SLEEP_MS}, so a clock step or a host suspend
 * is noticed within that time and no timer overflows (Node's setTimeout breaks
 * past 2³¹ ms), and it notices a wall clock that moved differently from the
 * monotonic clock during a sleep.
 */
import { performance } from 'node:perf_hooks';

/**
 * The longest the loop sleeps before re-reading the wall clock, so that a
 * clock step or a host suspend is noticed within this time and no timer ever
 * overflows (Node's setTimeout breaks past 2³¹ ms).
 */
export const MAX_SLEEP_MS = 10_000;
/** A difference between wall-clock and monotonic time over one sleep larger than this is a clock jump. */
const CLOCK_JUMP_TOLERANCE_MS = 1000;

export class WakeTimer {
  readonly #wake: (clockJumpMs: number) => void;
  #timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires (epoch ms), undefined when none is armed. */
  #plannedWakeAt: number | undefined;
  #sleepStartedWall = 0;
  #sleepStartedMonotonic = 0;
  /** Unref the timer, so that it does not keep the process alive. */
  daemon: boolean;

  /**
   * @param wake called when the timer fires, with how far the wall clock moved
   *   beyond the monotonic clock during the sleep (0 unless it jumped)
   */
  constructor(wake: (clockJumpMs: number) => void, daemon: boolean) {
    this.#wake = wake;
    this.daemon = daemon;
  }

  /** When the armed timer fires (epoch ms), or undefined. */
  get plannedWakeAt(): number | undefined {
    return this.#plannedWakeAt;
  }

  /** Sleeps `delay` ms (at most {@link MAX_SLEEP_MS}), replacing any sleep in progress. */
  sleep(delay: number): void {
    this.clear();
    const wait = Math.min(delay, MAX_SLEEP_MS);
    const now = Date.now();
    this.#plannedWakeAt = now + wait;
    this.#sleepStartedWall = now;
    this.#sleepStartedMonotonic = performance.now();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#plannedWakeAt = undefined;
      const drift =
        Date.now() - this.#sleepStartedWall - (performance.now() - this.#sleepStartedMonotonic);
      this.#wake(Math.abs(drift) > CLOCK_JUMP_TOLERANCE_MS ? Math.round(drift) : 0);
    }, wait);
    if (this.daemon) this.#timer.unref();
  }

  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#plannedWakeAt = undefined;
  }
}
