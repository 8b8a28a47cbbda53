/**
 * The root of every error Horarium throws on purpose, so that callers can tell
 * "Horarium refused this input" from a bug with one `instanceof` check.
 *
 * @example
 * ```ts
 * try {
 *   await scheduler.addJob(report, 'cron', { hour: 25 });
 * } catch (error) {
 *   if (!(error instanceof HorariumError)) throw error;
 *   console.error(error.message); // Invalid hour expression "25": 25 is outside the allowed range 0-23
 * }
 * ```
 */
export class HorariumError extends Error {
  override name = 'HorariumError';
}
