/**
 * Describing values and errors in messages, one way everywhere: strings
 * quoted, objects by their class, never "[object Object]".
 */
import { redactUrl } from './redact-url.ts';

/** A short description of a value for error messages: strings quoted, objects by kind. */
export function describeValue(value: unknown): string {
  // A connection URL given where something else belongs is shown without its secrets.
  if (typeof value === 'string') return JSON.stringify(redactUrl(value));
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) {
    const proto: unknown = Object.getPrototypeOf(value);
    const ctor =
      typeof proto === 'object' && proto !== null
        ? (proto as { constructor?: unknown }).constructor
        : undefined;
    const name = typeof ctor === 'function' ? ctor.name : '';
    if (name === '' || name === 'Object') return 'an object';
    return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
  }
  return String(value);
}

/** The message of an error, or the thrown value as a string. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
