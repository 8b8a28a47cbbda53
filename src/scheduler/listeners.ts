/**
 * The scheduler's listeners and event dispatch. A listener's error (thrown or
 * rejected) is logged and never reaches the scheduler or other listeners; an
 * event nobody listens for is not even built where the caller checks
 * {@link Listeners.wants} first.
 */
import type { SchedulerEvent, SchedulerEventListener } from '../events.ts';
import type { Logger } from '../logging.ts';

interface Listener {
  callback: SchedulerEventListener;
  mask: number;
}

export class Listeners {
  readonly #listeners: Listener[] = [];
  /** The OR of every listener's mask: one test tells whether anyone wants an event. */
  #mask = 0;
  readonly #logger: () => Logger;

  /** @param logger the scheduler's logger at the time of an error (it can be reconfigured) */
  constructor(logger: () => Logger) {
    this.#logger = logger;
  }

  add(callback: SchedulerEventListener, mask: number): void {
    if (typeof callback !== 'function') throw new TypeError('A listener must be a function');
    this.#listeners.push({ callback, mask });
    this.#mask |= mask;
  }

  remove(callback: SchedulerEventListener): void {
    for (let i = this.#listeners.length - 1; i >= 0; i--) {
      if (this.#listeners[i]?.callback === callback) this.#listeners.splice(i, 1);
    }
    this.#mask = this.#listeners.reduce((mask, l) => mask | l.mask, 0);
  }

  /** Does any listener take events of these codes? */
  wants(mask: number): boolean {
    return (this.#mask & mask) !== 0;
  }

  dispatch(event: SchedulerEvent): void {
    if ((this.#mask & event.code) === 0) return;
    for (const listener of [...this.#listeners]) {
      if ((listener.mask & event.code) === 0) continue;
      try {
        const result: unknown = listener.callback(event);
        if (result instanceof Promise) {
          result.catch((error: unknown) => this.#logger().error('Error notifying listener', error));
        }
      } catch (error) {
        this.#logger().error('Error notifying listener', error);
      }
    }
  }
}
