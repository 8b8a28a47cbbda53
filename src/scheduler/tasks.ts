/**
 * Registered tasks and function references: how a job's textual function
 * reference (a task name, or `'module:export'`) becomes the function it runs.
 */
import { InvalidJobOptionError, JobReferenceError } from '../jobs/errors.ts';
import type { JobFunction } from '../jobs/job.ts';
import { parseReference } from '../jobs/job-ref.ts';

export class TaskRegistry {
  readonly #tasks = new Map<string, JobFunction>();
  readonly #names = new Map<JobFunction, string>();

  /**
   * Registers a function under a name (a non-empty string without a colon);
   * registering the name again replaces the function.
   */
  register(name: string, func: JobFunction): void {
    if (typeof name !== 'string' || name === '' || name.includes(':')) {
      throw new InvalidJobOptionError(
        'name',
        `A task name must be a non-empty string without ':', got ${JSON.stringify(name)}`,
      );
    }
    if (typeof func !== 'function')
      throw new InvalidJobOptionError('func', `Task ${JSON.stringify(name)} must be a function`);
    const previous = this.#tasks.get(name);
    if (previous !== undefined) this.#names.delete(previous);
    this.#tasks.set(name, func);
    this.#names.set(func, name);
  }

  /** The name `func` is registered under, or null. */
  nameOf(func: JobFunction): string | null {
    return this.#names.get(func) ?? null;
  }

  /**
   * The function a reference names: a registered task, or an export of a
   * module, which `load` imports (after checking it against the reference rules).
   * @throws JobReferenceError when there is no such task, module or export
   */
  async resolve(
    reference: string,
    load: (reference: string) => Promise<JobFunction>,
  ): Promise<JobFunction> {
    if (parseReference(reference) === null) {
      const task = this.#tasks.get(reference);
      if (task === undefined) {
        throw new JobReferenceError(
          reference,
          `No task is registered under the name ${JSON.stringify(reference)} (register it with scheduler.registerTask, or use a 'module:export' reference)`,
        );
      }
      return task;
    }
    return load(reference);
  }
}
