/**
 * One task handed to tinypool with its own channel: the IPC link to whichever
 * child process runs it, so that control messages reach that child alone.
 */
import type { TinypoolChannel } from 'tinypool';

export class ChildTask {
  readonly channel: TinypoolChannel;
  /** Sends to the child running the task; set when tinypool hands the task to a child. */
  #send: ((message: unknown) => void) | undefined;
  #pending: unknown[] = [];

  /** `onMessage` receives what the child sends on the task's channel. */
  constructor(onMessage: (message: unknown) => void = () => {}) {
    this.channel = {
      onMessage: (send) => {
        this.#send = send;
        for (const message of this.#pending) send(message);
        this.#pending = [];
      },
      postMessage: onMessage,
    };
  }

  /** Has a child taken the task? */
  get dispatched(): boolean {
    return this.#send !== undefined;
  }

  /** Sends to the child now, or as soon as one takes the task. */
  send(message: unknown): void {
    if (this.#send === undefined) this.#pending.push(message);
    else this.#send(message);
  }
}
