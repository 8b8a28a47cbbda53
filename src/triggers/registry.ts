/**
 * The trigger registry: how serialized triggers become objects again. Every
 * built-in trigger registers itself; applications may register their own
 * trigger types under a unique `type`.
 */
import { TriggerRestoreError } from './errors.ts';
import type { Trigger, TriggerJSON } from './trigger.ts';

export type TriggerRestorer = (state: TriggerJSON) => Trigger;

const restorers = new Map<string, TriggerRestorer>();

/**
 * Makes `triggerFromJSON` able to restore triggers whose `toJSON().type` is
 * `type`, as persistent stores do when they restore jobs. A restorer may throw
 * on a state it cannot read (a newer `version`, a missing field): the error
 * becomes a `TriggerRestoreError` naming the type.
 *
 * @example
 * ```ts
 * registerTrigger('times', (state) => {
 *   if (state.version !== 1) throw new Error(`unknown version ${state.version}`);
 *   return new TimesTrigger(state.times as string[]);
 * });
 * ```
 */
export function registerTrigger(type: string, restore: TriggerRestorer): void {
  restorers.set(type, restore);
}

/**
 * Restores a trigger from its `toJSON()` state.
 *
 * @example
 * ```ts
 * const copy = triggerFromJSON(new CronTrigger({ hour: 3 }).toJSON());
 * String(copy); // "cron[hour='3']"
 * ```
 *
 * @throws TriggerRestoreError when the type is unknown or the state is invalid.
 */
export function triggerFromJSON(state: unknown): Trigger {
  if (
    typeof state !== 'object' ||
    state === null ||
    typeof (state as { type?: unknown }).type !== 'string'
  ) {
    throw new TriggerRestoreError(
      `Cannot restore a trigger from ${JSON.stringify(state)}: it has no "type"`,
    );
  }
  const json = state as TriggerJSON;
  const restore = restorers.get(json.type);
  if (restore === undefined) {
    throw new TriggerRestoreError(
      `Cannot restore a trigger of unknown type ${JSON.stringify(json.type)}`,
    );
  }
  try {
    return restore(json);
  } catch (error) {
    if (error instanceof TriggerRestoreError) throw error;
    throw new TriggerRestoreError(
      `Cannot restore a ${json.type} trigger: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
