/**
 * How the ledger scripts spell the members of their indexes and the slots of
 * fires (see `redis-keys.ts` and the prelude of `redis-ledger-scripts.ts`),
 * for the commit, whose arguments are built here: the same text, byte for
 * byte, or a fire would be indexed under one member and unindexed under
 * another. Times are whole epoch milliseconds (as the ledger checks them).
 */

/** Lua `lex(s)`: the length in UTF-8 bytes, the text, and colons; no other text's prefix. */
export function lex(text: string): string {
  return `${Buffer.byteLength(text, 'utf8')}:${text}:`;
}

/** Lua `num(t)` for a whole number of ms: its decimal digits. */
export function timeText(time: number): string {
  return String(time);
}

/** Lua `tkey(t)`: a scheduled time as text of fixed width that sorts as the time does. */
export function timeKey(time: number): string {
  return time >= 0 ? `p${pad16(time)}` : `n${pad16(9e15 + time)}`;
}

function pad16(value: number): string {
  return String(value).padStart(16, '0');
}

/** The unique key of a fire in `fire_slots`: `"<scheduled time> <job id>"`. */
export function slotOf(scheduledTime: number, jobId: string): string {
  return `${timeText(scheduledTime)} ${jobId}`;
}
