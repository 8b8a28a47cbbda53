/** Terminal output for the CLI: a table printer and colour only when the stream is a TTY. */
import { styleText } from 'node:util';

type Style = Parameters<typeof styleText>[0];

/** Colours `text` when `stream` is a terminal (and NO_COLOR is unset); plain text otherwise. */
export function paint(
  style: Style,
  text: string,
  stream: NodeJS.WriteStream = process.stdout,
): string {
  if (stream.isTTY !== true || process.env.NO_COLOR !== undefined) return text;
  return styleText(style, text);
}

/**
 * C0 and C1 control characters, DEL, and the Unicode bidirectional controls:
 * text from a store (ids, names, error messages quoting a stored reference)
 * must not move the cursor, retitle the terminal or reorder what is shown.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finds control characters to escape them
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `text` with its control characters written as escapes (`\n`, `\u001b`); with `keepNewlines`, line breaks stay. */
export function printable(text: string, keepNewlines = false): string {
  return text.replace(UNPRINTABLE, (char) => {
    if (keepNewlines && char === '\n') return char;
    return (
      NAMED_ESCAPES[char] ?? `\\u${(char.codePointAt(0) as number).toString(16).padStart(4, '0')}`
    );
  });
}

/** Display width, ignoring ANSI colour codes. */
function width(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI escape sequences
  return [...text.replace(/\u001b\[[0-9;]*m/g, '')].length;
}

/** Renders rows under a header, columns padded to their widest cell, the header in bold. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) =>
        i === cells.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - width(cell)),
      )
      .join('  ')
      .trimEnd();
  const head = line(header.map((h) => h.toUpperCase()));
  return [paint('bold', head), ...rows.map(line)].join('\n');
}
