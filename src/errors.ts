/**
 * The root of every error Horarium throws on purpose, so that callers can tell
 * "Horarium refused this input" from a bug with one `instanceof` check.
 */
export class HorariumError extends Error {
  override name = 'HorariumError';
}
