import { HorariumError } from '../errors.ts';

/**
 * A scheduler configuration value that is missing, of the wrong type, out of
 * range, or not recognised. The message starts with the full dotted key, as
 * the user wrote it (`horarium.jobDefaults.maxInstances: expected a positive
 * whole number, got "many"`).
 *
 * @example
 * ```ts
 * try {
 *   new AsyncScheduler({ 'horarium.jobDefaults.maxInstances': 'many' });
 * } catch (error) {
 *   if (error instanceof ConfigurationError) console.error(error.key); // horarium.jobDefaults.maxInstances
 * }
 * ```
 */
export class ConfigurationError extends HorariumError {
  override name = 'ConfigurationError';
  /** The full dotted key at fault, e.g. `'horarium.jobDefaults.maxInstances'` (`''` for the whole configuration). */
  readonly key: string;
  constructor(key: string, problem: string, options?: ErrorOptions) {
    super(`${key === '' ? 'configuration' : key}: ${problem}`, options);
    this.key = key;
  }
}
